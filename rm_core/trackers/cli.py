"""`python -m rm_core trackers …`: list, import and export requests, gaps and SOPs; show the SLA table."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rm_core.cli import cli_actor, write_output


def register(subparsers) -> None:
    parser = subparsers.add_parser("trackers", help="requests and escalations, upstream gaps, SOPs")
    sub = parser.add_subparsers(dest="trackers_command", metavar="SUBCOMMAND")
    sub.required = True

    requests = sub.add_parser("requests", help="requests and escalations")
    rsub = requests.add_subparsers(dest="requests_command", metavar="ACTION")
    rsub.required = True
    listing = rsub.add_parser("list", help="list requests, most at risk first (open ones unless --all)")
    listing.add_argument("--all", action="store_true", help="include resolved and closed requests")
    listing.add_argument("--owner", help="only this owner's requests")
    listing.add_argument("--overdue", action="store_true", help="only open requests past their SLA")
    listing.add_argument("--limit", type=int, default=0, help="at most this many rows (0: all)")
    listing.add_argument("--format", choices=("table", "json", "csv"), default="table")
    listing.set_defaults(func=_list_requests)

    gaps = sub.add_parser("gaps", help="upstream gaps")
    gsub = gaps.add_subparsers(dest="gaps_command", metavar="ACTION")
    gsub.required = True
    glist = gsub.add_parser("list", help="list gaps, largest quantified impact first")
    glist.add_argument("--open", action="store_true", help="only gaps not closed or rejected")
    glist.add_argument("--format", choices=("table", "json", "csv"), default="table")
    glist.set_defaults(func=_list_gaps)

    sops = sub.add_parser("sops", help="SOP registry")
    ssub = sops.add_subparsers(dest="sops_command", metavar="ACTION")
    ssub.required = True
    parity = ssub.add_parser("parity", help="the teams × SOPs parity matrix and parity % per team")
    parity.add_argument("--format", choices=("table", "json", "csv"), default="table")
    parity.set_defaults(func=_sop_parity)

    imp = sub.add_parser("import", help="import a CSV of requests, gaps or SOPs (all rows or none)")
    imp.add_argument("what", choices=("requests", "gaps", "sops"))
    imp.add_argument("path", type=Path)
    imp.set_defaults(func=_import)

    exp = sub.add_parser("export", help="export requests, gaps or SOPs as CSV (formula cells neutralised)")
    exp.add_argument("what", choices=("requests", "gaps", "sops"))
    exp.add_argument("--out", type=Path, help="file to write (default: standard output)")
    exp.set_defaults(func=_export)

    sla = sub.add_parser("sla", help="show the SLA table (days per kind and priority) in use")
    sla.add_argument("--format", choices=("table", "json"), default="table")
    sla.set_defaults(func=_sla)

    metrics = sub.add_parser("metrics", help="the WBR metrics the trackers provide, with their latest values")
    metrics.add_argument("--format", choices=("table", "json"), default="table")
    metrics.set_defaults(func=_metrics)



def _emit(frame, fmt: str) -> None:
    import polars as pl

    from rm_core.exports import safe_csv
    if fmt == "json":
        print(json.dumps(frame.with_columns(pl.col(pl.Datetime, pl.Date).cast(pl.String)).to_dicts(), indent=1))
    elif fmt == "csv":
        sys.stdout.write(safe_csv(frame))
    else:
        with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=60, tbl_width_chars=200):
            print(frame)


def _now():
    from rm_core.store.models import utcnow
    return utcnow()


def _list_requests(args: argparse.Namespace) -> int:
    from rm_core.store.db import read_session
    from rm_core.trackers import views
    with read_session() as s:
        frame = views.requests_frame(s)
    now = _now()
    if args.overdue:
        frame = views.overdue(frame, now)
    elif args.all:
        frame = views.with_sla(frame, now).sort("sla_left")
    else:
        frame = views.queue(frame, now)
    if args.owner:
        frame = frame.filter(frame["owner"] == args.owner)
    if args.limit:
        frame = frame.head(args.limit)
    _emit(frame.select("id", "kind", "priority", "status", "title", "requester_team", "owner", "opened_at",
                       "sla_due", "sla_colour", "age_days", "age_bucket", "mo_id", "gap_id"), args.format)
    return 0


def _list_gaps(args: argparse.Namespace) -> int:
    from rm_core.store.db import read_session
    from rm_core.trackers import views
    from rm_core.trackers.gaps import OPEN_STATUSES
    with read_session() as s:
        frame = views.gaps_frame(s)
    frame = views.gap_list(frame, statuses=list(OPEN_STATUSES) if args.open else None)
    _emit(frame, args.format)
    return 0


def _sop_parity(args: argparse.Namespace) -> int:
    from rm_core.store.db import read_session
    from rm_core.trackers import sops
    with read_session() as s:
        matrix = sops.parity_matrix(sops.sops_frame(s), sops.rollouts_frame(s))
    if args.format == "table":
        _emit(matrix.pivot(on="team", index=["sop_id", "title"], values="state_label"), "table")
        _emit(sops.parity_by_team(matrix), "table")
        overall = sops.parity_percent(matrix)
        print(f"SOP parity: {overall:.1f}%" if overall is not None else "SOP parity: no SOPs yet")
    else:
        _emit(matrix, args.format)
    return 0


def _import(args: argparse.Namespace) -> int:
    from rm_core.settings import get_settings
    from rm_core.trackers.importing import IMPORTERS
    from rm_core.trackers.sla import load_sla_table
    kwargs = {"sla_table": load_sla_table(get_settings().home)} if args.what == "requests" else {}
    result = IMPORTERS[args.what](cli_actor(), args.path, args.path.name, **kwargs)
    print(f"Imported {result.count} {args.what} from {result.file}"
          + (f" ({result.created[0]} … {result.created[-1]})" if result.created else ""))
    return 0


def _export(args: argparse.Namespace) -> int:
    from rm_core.store.db import read_session
    from rm_core.trackers.export import export_csv
    with read_session() as s:
        text = export_csv(s, args.what)
    write_output(text, args.out, args.what)
    return 0


def _sla(args: argparse.Namespace) -> int:
    from rm_core.settings import get_settings
    from rm_core.trackers.sla import load_sla_table
    table = load_sla_table(get_settings().home)
    if args.format == "json":
        print(json.dumps(table.to_mapping(), indent=1))
    else:
        _emit(table.as_frame(), "table")
        print("Business days only (weekends and holidays do not count)" if table.business_days
              else "Calendar days")
    return 0


def _metrics(args: argparse.Namespace) -> int:
    import datetime as dt
    from dataclasses import asdict

    from rm_core.store.db import read_session
    from rm_core.trackers.metrics import TRACKER_METRICS, metric_value, tracker_frames
    today = dt.date.today()
    with read_session() as s:
        frames = tracker_frames(s, today - dt.timedelta(days=27), today)
    rows = [{**asdict(m), "last_7_days": metric_value(frames, m, today - dt.timedelta(days=6), today)}
            for m in TRACKER_METRICS]
    if args.format == "json":
        print(json.dumps(rows, indent=1, default=str))
    else:
        for r in rows:
            value = "—" if r["last_7_days"] is None else f"{r['last_7_days']:,.1f}"
            print(f"{r['title']:<40} {value:>14}  ({r['aggregation']} of {r['source']}.{r['value']})")
    return 0
