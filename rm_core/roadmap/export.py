"""Roadmap exports: CSV (re-importable, formula cells neutralised), the quarterly-review one-pager in Markdown
and HTML, and the timeline as PNG/SVG (vl-convert, offline)."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

from rm_core.exports import safe_csv
from rm_core.roadmap.plan import (CHANGE_LABELS, HORIZON_LABELS, HORIZONS, NEEDS_PATH_TO_GREEN, STATUS_LABELS,
                                  STATUSES, Move, MoveSummary, Plan, chain_behind, dependency_conflicts, is_late)
from rm_core.text import md_escape

# Columns the import reads back, then the read-only ones it ignores.
CSV_COLUMNS = ("id", "title", "description", "workstream", "owner", "horizon", "start", "end", "status",
               "status_note", "ai_based", "expected_roi_usd", "depends_on", "milestones")
EXPORT_ONLY_COLUMNS = ("rolled_start", "rolled_end", "status_set", "path_to_green", "path_to_green_owner",
                       "path_to_green_due", "source_idea_id")


def initiatives_rows(plan: Plan) -> list[dict[str, Any]]:
    """One dict per initiative with CSV_COLUMNS + EXPORT_ONLY_COLUMNS (dates as ISO text)."""
    preds: dict[str, list[str]] = {}
    for pred, succ in plan.dependencies:
        preds.setdefault(succ, []).append(pred)
    milestones: dict[str, list[str]] = {}
    for m in plan.milestones:
        milestones.setdefault(m.initiative_id, []).append(f"{m.due.isoformat()}: {m.title}")
    rows = []
    for item in plan.items:
        path = plan.paths_to_green.get(item.id)
        rows.append({
            "id": item.id, "title": item.title, "description": item.description, "workstream": item.workstream,
            "owner": item.owner, "horizon": item.horizon, "start": _iso(item.declared_start),
            "end": _iso(item.declared_end), "status": item.status, "status_note": item.status_note,
            "ai_based": "yes" if item.ai_based else "no", "expected_roi_usd": item.expected_roi_usd,
            "depends_on": "; ".join(sorted(preds.get(item.id, []))),
            "milestones": "; ".join(milestones.get(item.id, [])),
            "rolled_start": _iso(item.start), "rolled_end": _iso(item.end),
            "status_set": item.status_at.date().isoformat() if item.status_at else None,
            "path_to_green": path.actions if path else "", "path_to_green_owner": path.owner if path else "",
            "path_to_green_due": _iso(path.due) if path else None, "source_idea_id": item.source_idea_id,
        })
    return rows


def initiatives_csv(plan: Plan) -> str:
    """The roadmap as CSV; `python -m rm_core roadmap import` reads it back (read-only columns ignored)."""
    rows = initiatives_rows(plan)
    if not rows:
        return ",".join(CSV_COLUMNS + EXPORT_ONLY_COLUMNS) + "\n"
    return safe_csv(rows)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _money(value: float | None) -> str:
    return f"${value:,.0f}" if value is not None else "—"


def _cell(text: str | None) -> str:
    return md_escape(" ".join((text or "").split())) or "—"


def one_pager_markdown(plan: Plan, *, today: dt.date, baseline_name: str | None = None,
                       moves: Sequence[Move] | None = None, scope: str = "all workstreams") -> str:
    """The quarterly-review page: status at a glance, now/next/later, amber and red with their path to green,
    what moved since the baseline, dependency conflicts and the chain behind late initiatives."""
    items = plan.items
    out: list[str] = [f"# Roadmap one-pager — {today.isoformat()}", "",
                      f"Scope: {md_escape(scope)}. {len(items)} initiatives"
                      + (f"; compared with baseline **{md_escape(baseline_name)}**." if baseline_name else "."), ""]
    counts = Counter(i.status for i in items)
    roi = sum(i.expected_roi_usd or 0 for i in items)
    out += ["## At a glance", "", "| " + " | ".join(STATUS_LABELS[s] for s in STATUSES) + " | AI-based | "
            "Expected ROI |", "|" + "---|" * (len(STATUSES) + 2),
            "| " + " | ".join(str(counts.get(s, 0)) for s in STATUSES)
            + f" | {sum(i.ai_based for i in items)} | {_money(roi)} |", ""]

    out += ["## Now / Next / Later", ""]
    for horizon in HORIZONS:
        group = [i for i in items if i.horizon == horizon]
        out += [f"### {HORIZON_LABELS[horizon]} ({len(group)})", ""]
        if not group:
            out += ["Nothing here.", ""]
            continue
        out += ["| Initiative | Workstream | Owner | Status | End | AI | Expected ROI |",
                "|---|---|---|---|---|---|---|"]
        for i in sorted(group, key=lambda i: (i.end or dt.date.max, i.id)):
            out.append(f"| {_cell(i.title)} ({i.id}) | {_cell(i.workstream)} | {_cell(i.owner)} | "
                       f"{i.status_label} | {_iso(i.end) or '—'} | {'yes' if i.ai_based else ''} | "
                       f"{_money(i.expected_roi_usd)} |")
        out.append("")

    troubled = [i for i in items if i.status in NEEDS_PATH_TO_GREEN]
    out += ["## Amber and red: path to green", ""]
    if not troubled:
        out += ["No initiative is at risk or off track.", ""]
    for i in sorted(troubled, key=lambda i: (i.status != "off_track", i.id)):
        stamp = i.status_at.date().isoformat() if i.status_at else "undated"
        out += [f"### {i.status_label}: {_cell(i.title)} ({i.id})", "",
                f"- Status note ({stamp}): {_cell(i.status_note)}"]
        path = plan.paths_to_green.get(i.id)
        if path is None:
            out.append("- **Path to green missing** — the owner owes one.")
        else:
            out += [f"- Actions: {_cell(path.actions)} — owner {_cell(path.owner)}, due {_iso(path.due) or '—'}",
                    f"- Blockers: {_cell(path.blockers)}", f"- Decision needed: {_cell(path.decision_needed)}"]
        out.append("")

    if moves is not None:
        summary = MoveSummary.of(moves)
        out += [f"## What moved since {md_escape(baseline_name or 'the baseline')}", "",
                f"{summary.slipped} slipped, {summary.pulled_in} pulled in, {summary.added} added, "
                f"{summary.dropped} dropped, {summary.status_changes} status changes.", ""]
        moved = [m for m in moves if m.moved]
        if moved:
            out += ["| Initiative | Change | Baseline end | Current end | Shift | Status then → now |",
                    "|---|---|---|---|---|---|"]
            for m in moved:
                status = (f"{STATUS_LABELS.get(m.baseline_status or '', '—')} → "
                          f"{STATUS_LABELS.get(m.current_status or '', '—')}") if m.status_changed else ""
                shift = f"{m.end_shift_days:+d} d" if m.end_shift_days else ""
                out.append(f"| {_cell(m.title)} ({m.initiative_id}) | {CHANGE_LABELS[m.change]} | "
                           f"{_iso(m.baseline_end) or '—'} | {_iso(m.current_end) or '—'} | {shift} | {status} |")
            out.append("")

    conflicts = dependency_conflicts(plan)
    out += ["## Dependency conflicts", ""]
    if not conflicts:
        out += ["Every successor starts after its predecessors end.", ""]
    else:
        out += ["| Successor | starts | waits on | which ends | overlap |", "|---|---|---|---|---|"]
        for c in conflicts:
            out.append(f"| {_cell(c.successor_title)} ({c.successor_id}) | {c.successor_start} | "
                       f"{_cell(c.predecessor_title)} ({c.predecessor_id}) | {c.predecessor_end} | "
                       f"{c.overlap_days} d |")
        out.append("")

    late = [i for i in items if is_late(i, today)]
    out += ["## Late initiatives and the chain behind them", ""]
    if not late:
        out += ["Nothing is late.", ""]
    for i in late:
        chain = chain_behind(plan, i.id, today)
        behind = ", ".join(f"{c.initiative_id}{' (late)' if c.late else ''}" for c in chain) or "no predecessors"
        out.append(f"- {_cell(i.title)} ({i.id}), {i.status_label}, ends {_iso(i.end) or '—'}: waits on {behind}")
    out.append("")
    return "\n".join(out)


HTML_STYLE = """
body{font-family:"Source Sans Pro",Helvetica,Arial,sans-serif;color:#1c2230;max-width:1100px;margin:24px auto;
padding:0 16px;font-size:14px}
h1{font-size:22px}h2{font-size:17px;border-bottom:1px solid #e8ebf0;padding-bottom:4px;margin-top:28px}
h3{font-size:15px}table{border-collapse:collapse;margin:8px 0 16px}
th,td{border:1px solid #e8ebf0;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f5f8}
"""


def one_pager_html(plan: Plan, *, today: dt.date, baseline_name: str | None = None,
                   moves: Sequence[Move] | None = None, scope: str = "all workstreams") -> str:
    """The one-pager as a standalone HTML page (raw HTML in user text is escaped, never rendered)."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(
        one_pager_markdown(plan, today=today, baseline_name=baseline_name, moves=moves, scope=scope))
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Roadmap one-pager {today.isoformat()}</title><style>{HTML_STYLE}</style></head>"
            f"<body>{body}</body></html>")


def timeline_image(spec: dict[str, Any], fmt: str, *, scale: float = 2.0) -> bytes:
    """Render a timeline spec (see `charts.timeline_spec`, built with a fixed pixel width) to PNG or SVG."""
    import vl_convert as vlc

    if fmt == "png":
        return vlc.vegalite_to_png(spec, scale=scale)
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec).encode("utf-8")
    raise ValueError(f"unknown image format {fmt!r}; use png or svg")
