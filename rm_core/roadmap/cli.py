"""`python -m rm_core roadmap …`: list initiatives, save baselines, show what moved, export, import, check."""
from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from rm_core.errors import UserError
from rm_core.cli import cli_actor, write_output

EXPORT_FORMATS = ("csv", "md", "html", "png", "svg")


def register(subparsers) -> None:
    parser = subparsers.add_parser("roadmap", help="initiatives, baselines, what moved, exports and imports")
    sub = parser.add_subparsers(dest="roadmap_command", metavar="SUBCOMMAND")
    sub.required = True

    listing = sub.add_parser("list", help="list initiatives with rolled-up dates and status")
    listing.add_argument("--workstream", action="append", help="only this workstream (repeatable)")
    listing.add_argument("--format", choices=("table", "json", "csv"), default="table")
    listing.set_defaults(func=_list)

    baseline = sub.add_parser("baseline", help="save or list named baselines")
    bsub = baseline.add_subparsers(dest="baseline_command", metavar="ACTION")
    bsub.required = True
    save = bsub.add_parser("save", help="freeze the roadmap as it is now under NAME")
    save.add_argument("name")
    save.set_defaults(func=_baseline_save)
    blist = bsub.add_parser("list", help="saved baselines, newest first")
    blist.set_defaults(func=_baseline_list)

    moved = sub.add_parser("moved", help="what moved since a baseline: slipped, pulled in, added, dropped, status")
    moved.add_argument("--baseline", required=True, help="baseline name")
    moved.add_argument("--workstream", action="append", help="only this workstream (repeatable)")
    moved.add_argument("--all", action="store_true", help="include unchanged initiatives")
    moved.add_argument("--format", choices=("json", "md"), default="md")
    moved.set_defaults(func=_moved)

    export = sub.add_parser("export", help="CSV, the one-pager (md/html) or the timeline image (png/svg)")
    export.add_argument("--format", choices=EXPORT_FORMATS, required=True)
    export.add_argument("--out", type=Path, help="file to write (default: standard output for csv/md/html)")
    export.add_argument("--baseline", help="compare with this baseline (one-pager table, ghost bars)")
    export.add_argument("--workstream", action="append", help="only this workstream (repeatable)")
    export.add_argument("--zoom", choices=("all", "year", "quarter"), default="all",
                        help="timeline window around --focus (default today)")
    export.add_argument("--focus", help="a date (YYYY-MM-DD) inside the quarter or year to show")
    export.set_defaults(func=_export)

    imp = sub.add_parser("import", help="create/update initiatives from CSV (all rows or none)")
    imp.add_argument("path", type=Path)
    imp.add_argument("--allow-new-owners", action="store_true",
                     help="accept owners the workbench does not know yet (first import)")
    imp.set_defaults(func=_import)

    check = sub.add_parser("check", help="dependency conflicts and late initiatives with the chain behind them")
    check.add_argument("--format", choices=("md", "json"), default="md")
    check.set_defaults(func=_check)



def _today() -> dt.date:
    return dt.date.today()


def _iso(value):
    return value.isoformat() if value else None


def _plan(workstreams):
    from rm_core.roadmap.initiatives import load_plan
    plan = load_plan()
    if workstreams:
        unknown = sorted(set(workstreams) - set(plan.workstreams()))
        if unknown:
            raise UserError(f"No workstream {', '.join(unknown)}; known: {', '.join(plan.workstreams()) or 'none'}")
        plan = plan.only_workstreams(workstreams)
    return plan


def _list(args) -> int:
    from rm_core.exports import safe_csv
    from rm_core.roadmap.export import initiatives_rows
    rows = initiatives_rows(_plan(args.workstream))
    if args.format == "json":
        print(json.dumps(rows, indent=1, default=str))
    elif args.format == "csv":
        sys.stdout.write(safe_csv(rows) if rows else "")
    else:
        if not rows:
            print("No initiatives yet: add them on the Roadmap page or `python -m rm_core roadmap import FILE`.")
        for r in rows:
            print(f"{r['id']:<9} {r['status']:<11} {r['rolled_start'] or '—':<10} → {r['rolled_end'] or '—':<10} "
                  f"{r['workstream'][:18]:<18} {r['owner'][:14]:<14} {r['title'][:60]}")
    return 0


def _baseline_save(args) -> int:
    from rm_core.roadmap.baselines import save_baseline
    info = save_baseline(cli_actor(), args.name)
    print(f"Saved baseline {info.name!r} with {info.initiatives} initiatives.")
    return 0


def _baseline_list(args) -> int:
    from rm_core.roadmap.baselines import list_baselines
    for b in list_baselines():
        print(f"{b.created_at:%Y-%m-%d %H:%M}  {b.initiatives:>4} initiatives  by {b.created_by:<12} {b.name}")
    return 0


def _move_dict(m) -> dict:
    return {"id": m.initiative_id, "title": m.title, "workstream": m.workstream, "change": m.change,
            "baseline_start": _iso(m.baseline_start), "baseline_end": _iso(m.baseline_end),
            "current_start": _iso(m.current_start), "current_end": _iso(m.current_end),
            "end_shift_days": m.end_shift_days, "baseline_status": m.baseline_status,
            "current_status": m.current_status, "status_changed": m.status_changed}


def _moved(args) -> int:
    from rm_core.roadmap.baselines import get_baseline
    from rm_core.roadmap.plan import CHANGE_LABELS, MoveSummary, compare_to_baseline
    from rm_core.text import md_escape
    baseline = get_baseline(args.baseline)
    plan = _plan(args.workstream)
    snapshot = [r for r in baseline.snapshot if not args.workstream or r.get("workstream") in args.workstream]
    moves = compare_to_baseline(snapshot, plan.items)
    shown = moves if args.all else [m for m in moves if m.moved]
    summary = MoveSummary.of(moves)
    if args.format == "json":
        print(json.dumps({"baseline": baseline.name, "summary": summary.__dict__,
                          "moves": [_move_dict(m) for m in shown]}, indent=1))
        return 0
    print(f"# What moved since {md_escape(baseline.name)}\n")
    print(f"{summary.slipped} slipped, {summary.pulled_in} pulled in, {summary.added} added, {summary.dropped} "
          f"dropped, {summary.status_changes} status changes.\n")
    if shown:
        print("| Initiative | Change | Baseline end | Current end | Shift | Status |\n|---|---|---|---|---|---|")
        for m in shown:
            status = f"{m.baseline_status} → {m.current_status}" if m.status_changed else ""
            shift = f"{m.end_shift_days:+d} d" if m.end_shift_days else ""
            print(f"| {md_escape(m.title)} ({m.initiative_id}) | {CHANGE_LABELS[m.change]} | "
                  f"{_iso(m.baseline_end) or '—'} | {_iso(m.current_end) or '—'} | {shift} | {status} |")
    return 0


def _export(args) -> int:
    from rm_core.roadmap import export
    plan = _plan(args.workstream)
    today = _today()
    moves = None
    if args.baseline:
        from rm_core.roadmap.baselines import get_baseline
        from rm_core.roadmap.plan import compare_to_baseline
        snapshot = [r for r in get_baseline(args.baseline).snapshot
                    if not args.workstream or r.get("workstream") in args.workstream]
        moves = compare_to_baseline(snapshot, plan.items)
    scope = ", ".join(args.workstream) if args.workstream else "all workstreams"
    if args.format in ("png", "svg"):
        if args.out is None:
            raise UserError("Images need --out FILE (e.g. --out roadmap.png).")
        from rm_core.charts import enable_theme
        from rm_core.roadmap.charts import timeline_spec, window_for
        try:
            focus = dt.date.fromisoformat(args.focus) if args.focus else None
        except ValueError:
            raise UserError(f"--focus {args.focus!r} is not a date; write it as YYYY-MM-DD") from None
        enable_theme()
        spec = timeline_spec(plan, today=today, window=window_for(args.zoom, today, focus), moves=moves,
                             width=1100, title=f"Roadmap — {scope}" + (f" vs {args.baseline}" if args.baseline else ""))
        args.out.write_bytes(export.timeline_image(spec, args.format))
        print(f"Wrote {args.out} ({len(plan.items)} initiatives).", file=sys.stderr)
        return 0
    if args.format == "csv":
        text = export.initiatives_csv(plan)
    elif args.format == "md":
        text = export.one_pager_markdown(plan, today=today, baseline_name=args.baseline, moves=moves, scope=scope)
    else:
        text = export.one_pager_html(plan, today=today, baseline_name=args.baseline, moves=moves, scope=scope)
    write_output(text, args.out)
    return 0


def _import(args) -> int:
    from rm_core.roadmap.importing import import_initiatives_csv
    if not args.path.is_file():
        raise UserError(f"No file {args.path}.")
    result = import_initiatives_csv(cli_actor(), args.path, allow_new_owners=args.allow_new_owners)
    print(f"Imported {args.path.name}: {result.summary()}.")
    return 0


def _check(args) -> int:
    from rm_core.roadmap.initiatives import load_plan
    from rm_core.roadmap.plan import chain_behind, dependency_conflicts, find_cycle, is_late
    plan = load_plan()
    today = _today()
    conflicts = dependency_conflicts(plan)
    cycle = find_cycle(plan.dependencies)
    late = {i.id: [c.initiative_id for c in chain_behind(plan, i.id, today)]
            for i in plan.items if is_late(i, today)}
    if args.format == "json":
        print(json.dumps({"cycle": cycle, "conflicts": [
            {"predecessor": c.predecessor_id, "predecessor_end": _iso(c.predecessor_end),
             "successor": c.successor_id, "successor_start": _iso(c.successor_start),
             "overlap_days": c.overlap_days} for c in conflicts], "late": late}, indent=1))
        return 0
    if cycle:
        print("Cycle in dependencies: " + " → ".join(cycle))
    print(f"{len(conflicts)} dependency conflict(s):")
    for c in conflicts:
        print(f"- {c.successor_id} starts {c.successor_start} but waits on {c.predecessor_id}, which ends "
              f"{c.predecessor_end} ({c.overlap_days} d overlap)")
    print(f"{len(late)} late initiative(s):")
    for key, chain in late.items():
        print(f"- {key} waits on {', '.join(chain) or 'nothing'}")
    return 0
