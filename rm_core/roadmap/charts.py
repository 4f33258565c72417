"""The roadmap timeline as an Altair spec: a Gantt with workstream swimlanes, RAG bars, milestones, dependency
links, quarter gridlines, a today line and (optionally) ghost bars of a baseline. Pages only render it."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import altair as alt

from rm_core.charts import RAG_COLOURS
from rm_core.roadmap.plan import (STATUS_LABELS, STATUSES, Move, Plan, PlanItem, dependency_conflicts,
                                  overlaps, quarter_bounds, quarter_of)

# Bars by status: on track green, at risk amber, off track red, done grey, not started blue-grey.
STATUS_COLOURS = {"on_track": RAG_COLOURS["green"], "at_risk": RAG_COLOURS["amber"],
                  "off_track": RAG_COLOURS["red"], "done": RAG_COLOURS["grey"], "not_started": "#7b8da6"}
LANE_FILLS = ("#f3f5f8", "#ffffff")
ROW_HEIGHT = 22
ROWS_PLACEHOLDER = "__timeline_rows__"
X_PLACEHOLDER = ("__timeline_first_day__", "__timeline_last_day__")
LABEL_LIMIT = 46


@dataclass
class TimelineData:
    """The rows each layer draws; dates are ISO strings (read as UTC by Vega-Lite)."""

    rows: list[str]                                   # y order: one label per initiative, grouped by workstream
    bars: list[dict[str, Any]] = field(default_factory=list)
    ghosts: list[dict[str, Any]] = field(default_factory=list)
    milestones: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    lanes: list[dict[str, Any]] = field(default_factory=list)
    quarters: list[dict[str, Any]] = field(default_factory=list)
    domain: tuple[dt.date, dt.date] | None = None


def row_label(initiative_id: str, title: str, suffix: str = "") -> str:
    short = title if len(title) <= LABEL_LIMIT else title[: LABEL_LIMIT - 1] + "…"
    return f"{short} · {initiative_id}{suffix}"


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def window_for(zoom: str, today: dt.date, focus: dt.date | None = None) -> tuple[dt.date, dt.date] | None:
    """'quarter' -> the quarter holding `focus` (default today); 'year' -> its calendar year; 'all' -> None."""
    focus = focus or today
    if zoom == "quarter":
        return quarter_bounds(*quarter_of(focus))
    if zoom == "year":
        return dt.date(focus.year, 1, 1), dt.date(focus.year, 12, 31)
    return None


def timeline_data(plan: Plan, *, today: dt.date, window: tuple[dt.date, dt.date] | None = None,
                  moves: Sequence[Move] | None = None) -> TimelineData:
    """What the timeline draws: initiatives with dates (overlapping `window` if given), their milestones and
    the dependency links between drawn rows; with `moves`, ghost bars of the baseline dates."""
    items = [i for i in plan.items if i.start or i.end]
    if window:
        items = [i for i in items if overlaps(i, *window)]
    ghosts_by_id = {m.initiative_id: m for m in (moves or ()) if m.baseline_start or m.baseline_end}
    dropped = [m for m in ghosts_by_id.values() if m.change == "dropped"
               and (window is None or _span_overlaps(m.baseline_start, m.baseline_end, window))]
    entries: list[tuple[str, str, str, str, PlanItem | None, Move | None]] = []
    for item in items:
        entries.append((item.workstream, _iso(item.start) or "", item.id,
                        row_label(item.id, item.title), item, ghosts_by_id.get(item.id)))
    for m in dropped:
        entries.append((m.workstream, _iso(m.baseline_start) or "", m.initiative_id,
                        row_label(m.initiative_id, m.title, " (dropped)"), None, m))
    entries.sort(key=lambda e: (e[0], e[1], e[2]))

    data = TimelineData(rows=[e[3] for e in entries])
    label_of: dict[str, str] = {}
    workstreams: list[str] = []
    for workstream, _s, key, label, item, move in entries:
        if not workstreams or workstreams[-1] != workstream:
            workstreams.append(workstream)
            first = True
        else:
            first = False
        data.lanes.append({"row": label, "workstream": workstream, "lane": (len(workstreams) - 1) % 2,
                           "lane_title": workstream if first else ""})
        if item is not None:
            label_of[key] = label
            path = plan.paths_to_green.get(key)
            start, end = item.start or item.end, item.end or item.start
            data.bars.append({
                "row": label, "id": key, "title": item.title, "workstream": workstream,
                "owner": item.owner or "unassigned", "start": _iso(start), "end": _iso(end + dt.timedelta(days=1)),
                "start_text": _iso(start), "end_text": _iso(end), "status": item.status,
                "status_label": STATUS_LABELS.get(item.status, item.status),
                "status_note": _short(item.status_note, 200) or "—",
                "status_date": item.status_at.date().isoformat() if item.status_at else "—",
                "ai": "yes" if item.ai_based else "no",
                "roi": f"${item.expected_roi_usd:,.0f}" if item.expected_roi_usd is not None else "—",
                "path_to_green": (_short(path.actions, 120) + f" (due {_iso(path.due)}, {path.owner})")
                if path and item.status in ("at_risk", "off_track") else "",
            })
        if move is not None and (move.baseline_start or move.baseline_end):
            b_start = move.baseline_start or move.baseline_end
            b_end = move.baseline_end or move.baseline_start
            data.ghosts.append({
                "row": label, "id": key, "start": _iso(b_start), "end": _iso(b_end + dt.timedelta(days=1)),
                "baseline_dates": f"{_iso(b_start)} → {_iso(b_end)}", "change": move.change,
                "shift": f"{move.end_shift_days:+d} days" if move.end_shift_days else "—",
            })
    for m in plan.milestones:
        label = label_of.get(m.initiative_id)
        if label is None or (window and not window[0] <= m.due <= window[1]):
            continue
        data.milestones.append({"row": label, "due": _iso(m.due), "milestone": m.title,
                                "done": "done" if m.done else "open"})
    conflicting = {(c.predecessor_id, c.successor_id) for c in dependency_conflicts(plan)}
    items_by_id = plan.by_id()
    for pred, succ in plan.dependencies:
        if pred in label_of and succ in label_of:
            p, s = items_by_id[pred], items_by_id[succ]
            data.links.append({
                "from_row": label_of[pred], "to_row": label_of[succ],
                "from": _iso((p.end or p.start) + dt.timedelta(days=1)), "to": _iso(s.start or s.end),
                "link": f"{succ} waits on {pred}",
                "conflict": "starts before predecessor ends" if (pred, succ) in conflicting else "ok",
            })

    if window:
        data.domain = window
    else:
        starts = [d for i in items for d in (i.start, i.end) if d] + \
                 [d for m in dropped for d in (m.baseline_start, m.baseline_end) if d]
        if starts:
            data.domain = (min(min(starts), today), max(max(starts), today))
    if data.domain:
        year, quarter = quarter_of(data.domain[0])
        first, _ = quarter_bounds(year, quarter)
        while first <= data.domain[1] + dt.timedelta(days=1):
            data.quarters.append({"day": _iso(first), "quarter": f"Q{quarter} {year}"})
            year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
            first, _ = quarter_bounds(year, quarter)
    return data


def _span_overlaps(start: dt.date | None, end: dt.date | None, window: tuple[dt.date, dt.date]) -> bool:
    start, end = start or end, end or start
    return start is not None and start <= window[1] and end >= window[0]


def _short(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def timeline_spec(plan: Plan, *, today: dt.date, window: tuple[dt.date, dt.date] | None = None,
                  moves: Sequence[Move] | None = None, title: str | None = None,
                  width: int | str = "container") -> dict[str, Any]:
    """The Gantt as a Vega-Lite spec (built with Altair) with its rows in top-level `datasets`.

    `window` zooms (a quarter or a year), `moves` adds ghost bars of the baseline.
    """
    data = timeline_data(plan, today=today, window=window, moves=moves)
    month_ticks = window is not None and (window[1] - window[0]).days < 120
    spec = json.loads(_template(bool(data.ghosts), bool(data.links), bool(data.milestones), month_ticks,
                                title, width, alt.theme.active))
    rows = data.rows or ["(nothing scheduled)"]
    domain = [_iso(d) for d in data.domain] if data.domain else None
    _fill(spec, rows, domain)
    spec["height"] = max(80, ROW_HEIGHT * len(rows))
    spec["datasets"] = {
        "lanes": data.lanes, "lane_titles": [r for r in data.lanes if r["lane_title"]],
        "quarters": data.quarters, "ghosts": data.ghosts, "bars": data.bars, "links": data.links,
        "milestones": data.milestones, "today": [{"day": _iso(today), "label": f"today {today:%d %b}"}],
    }
    return spec


@lru_cache(maxsize=64)
def _template(ghosts: bool, links: bool, milestones: bool, month_ticks: bool, title: str | None,
              width: int | str, theme: str) -> str:
    """The chart's Vega-Lite JSON for one combination of layers (and the active Altair theme, whose config
    `to_dict` embeds), with placeholders for rows and dates.

    Altair builds and validates it once per combination; filling in rows afterwards keeps a rerun of a
    500-initiative roadmap in milliseconds (validating the rows inline took Altair seconds).
    """
    chart = timeline_chart_from(ghosts=ghosts, links=links, milestones=milestones, month_ticks=month_ticks,
                                title=title, width=width)
    return json.dumps(chart.to_dict())


def _fill(node: Any, rows: list[str], domain: list[str] | None) -> None:
    """Put the real y rows and x window where the template holds placeholders."""
    if isinstance(node, dict):
        for key, value in list(node.items()):
            if key == "domain" and value == [ROWS_PLACEHOLDER]:
                node[key] = rows
            elif key == "domain" and value == list(X_PLACEHOLDER):
                if domain is None:
                    del node[key]
                else:
                    node[key] = domain
            else:
                _fill(value, rows, domain)
    elif isinstance(node, list):
        for value in node:
            _fill(value, rows, domain)


def timeline_chart_from(*, ghosts: bool, links: bool, milestones: bool, month_ticks: bool,
                        title: str | None = None, width: int | str = "container") -> alt.LayerChart:
    """The layers, reading named datasets: lanes, lane_titles, quarters, ghosts, bars, links, milestones, today."""
    y = dict(field="row", type="nominal", title=None, scale=alt.Scale(domain=[ROWS_PLACEHOLDER], paddingInner=0.15),
             axis=alt.Axis(labelLimit=240, labelFontSize=11, ticks=False, domain=False))
    x_scale = alt.Scale(type="utc", domain=list(X_PLACEHOLDER))
    x_axis = alt.Axis(
        title=None, orient="top", grid=True, format="%b %Y" if month_ticks else alt.Undefined,
        tickCount={"interval": "month", "step": 1 if month_ticks else 3},
        labelExpr=alt.Undefined if month_ticks else
        "'Q' + (floor(utcmonth(datum.value) / 3) + 1) + ' ' + utcyear(datum.value)")
    x = dict(type="temporal", title=None, scale=x_scale, axis=x_axis)
    colour = alt.Color("status:N", title="Status",
                       scale=alt.Scale(domain=list(STATUSES), range=[STATUS_COLOURS[s] for s in STATUSES]),
                       legend=alt.Legend(labelExpr=_status_label_expr(), orient="bottom", direction="horizontal"))

    lanes = alt.Chart(alt.NamedData(name="lanes")).mark_rect(opacity=1).encode(
        y=alt.Y(**y), x=alt.value(0), x2=alt.value("width"),
        fill=alt.Fill("lane:N", scale=alt.Scale(domain=[0, 1], range=list(LANE_FILLS)), legend=None))
    lane_titles = alt.Chart(alt.NamedData(name="lane_titles")).mark_text(
        align="right", baseline="middle", dx=-4, fontWeight="bold", fontSize=11, color="#3d4451").encode(
        y=alt.Y(**y), x=alt.value("width"), text="lane_title:N")
    quarters = alt.Chart(alt.NamedData(name="quarters")).mark_rule(color="#c4c9d2", strokeWidth=1).encode(
        x=alt.X("day:T", **{k: v for k, v in x.items() if k != "type"}))
    layers: list[alt.Chart] = [lanes, quarters]
    if ghosts:
        layers.append(alt.Chart(alt.NamedData(name="ghosts")).mark_bar(
            fill="#ffffff", fillOpacity=0.0, stroke="#5b6270", strokeDash=[4, 3], strokeWidth=1.2,
            height={"band": 0.95}, clip=True).encode(
            y=alt.Y(**y), x=alt.X("start:T", **{k: v for k, v in x.items() if k != "type"}), x2="end:T",
            tooltip=[alt.Tooltip("id:N", title="Initiative"), alt.Tooltip("baseline_dates:N", title="Baseline"),
                     alt.Tooltip("change:N", title="Since baseline"), alt.Tooltip("shift:N", title="End moved")]))
    layers.append(alt.Chart(alt.NamedData(name="bars")).mark_bar(height={"band": 0.6}, clip=True).encode(
        y=alt.Y(**y), x=alt.X("start:T", **{k: v for k, v in x.items() if k != "type"}), x2="end:T",
        color=colour,
        tooltip=[alt.Tooltip("title:N", title="Initiative"), alt.Tooltip("id:N", title="Id"),
                 alt.Tooltip("workstream:N", title="Workstream"), alt.Tooltip("owner:N", title="Owner"),
                 alt.Tooltip("start_text:N", title="Start"), alt.Tooltip("end_text:N", title="End"),
                 alt.Tooltip("status_label:N", title="Status"), alt.Tooltip("status_date:N", title="Status set"),
                 alt.Tooltip("status_note:N", title="Status note"),
                 alt.Tooltip("path_to_green:N", title="Path to green"),
                 alt.Tooltip("ai:N", title="AI-based"), alt.Tooltip("roi:N", title="Expected ROI")]))
    if links:
        layers.append(alt.Chart(alt.NamedData(name="links")).mark_rule(strokeWidth=1.2, opacity=0.8,
                                                                        clip=True).encode(
            x=alt.X("from:T", **{k: v for k, v in x.items() if k != "type"}), x2="to:T",
            y=alt.Y("from_row:N", **{k: v for k, v in y.items() if k not in ("field", "type")}),
            y2="to_row:N",
            color=alt.Color("conflict:N", scale=alt.Scale(domain=["ok", "starts before predecessor ends"],
                                                          range=["#8a8f98", RAG_COLOURS["red"]]),
                            title="Dependency", legend=alt.Legend(orient="bottom", direction="horizontal")),
            tooltip=[alt.Tooltip("link:N", title="Dependency"), alt.Tooltip("conflict:N", title="Check")]))
    if milestones:
        layers.append(alt.Chart(alt.NamedData(name="milestones")).mark_point(
            shape="diamond", size=70, strokeWidth=1.5, color="#1c2230", clip=True).encode(
            y=alt.Y(**y), x=alt.X("due:T", **{k: v for k, v in x.items() if k != "type"}),
            fill=alt.Fill("done:N", scale=alt.Scale(domain=["done", "open"], range=["#1c2230", "#ffffff"]),
                          title="Milestone", legend=alt.Legend(orient="bottom", direction="horizontal")),
            tooltip=[alt.Tooltip("milestone:N", title="Milestone"), alt.Tooltip("due:N", title="Due"),
                     alt.Tooltip("done:N", title="State")]))
    today_data = alt.NamedData(name="today")
    layers.append(alt.Chart(today_data).mark_rule(color=RAG_COLOURS["red"], strokeWidth=1.5,
                                                  strokeDash=[6, 3]).encode(
        x=alt.X("day:T", **{k: v for k, v in x.items() if k != "type"})))
    layers.append(alt.Chart(today_data).mark_text(color=RAG_COLOURS["red"], align="left", dx=3, dy=-3,
                                                  baseline="bottom", fontSize=10).encode(
        x=alt.X("day:T", **{k: v for k, v in x.items() if k != "type"}), y=alt.value("height"), text="label:N"))
    layers.append(lane_titles)
    chart = alt.layer(*layers).properties(width=width, height=80).resolve_scale(color="independent")
    if title:
        chart = chart.properties(title=title)
    return chart


def _status_label_expr() -> str:
    parts = " : ".join(f"datum.label == '{k}' ? '{v}'" for k, v in STATUS_LABELS.items())
    return parts + " : datum.label"


def with_arrow_datasets(spec: dict[str, Any]) -> dict[str, Any]:
    """A copy of a timeline spec whose datasets are Arrow IPC bytes, the form Streamlit ships to the browser.

    Converting once (and caching the result) spares every rerun a trip of thousands of rows through pandas.
    """
    import pyarrow as pa

    datasets = {}
    for name, rows in spec.get("datasets", {}).items():
        table = pa.Table.from_pylist(rows) if rows else pa.table({"_": pa.array([], pa.string())})
        sink = pa.BufferOutputStream()
        with pa.RecordBatchStreamWriter(sink, table.schema) as writer:
            writer.write_table(table)
        datasets[name] = sink.getvalue().to_pybytes()
    return {**spec, "datasets": datasets}
