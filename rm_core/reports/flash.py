"""The weekly flash report: highlights and lowlights (one verdict per metric, by VERDICT_RULE, with the numbers),
the metrics table, each metric's 6/12 chart, path-to-green items due, open Sev2/COE action items, aged partner
requests and the PM's note — as Markdown, HTML (every user text escaped) and PDF (weasyprint, charts rendered by
vl-convert)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from rm_core.metrics.formatting import MISSING, format_box, format_change, format_value
from rm_core.metrics.results import DeckResult
from rm_core.metrics.status import MetricStatus, latest_paths, metric_statuses
from rm_core.paths_to_green import PathToGreenNote
from rm_core.store.models import FlashNote, Request
from rm_core.text import html_escape, md_escape, md_file_escape

TOP_MOVES = 3
AGED_DAYS = 30
LIST_LIMIT = 15
ESCALATION_KINDS = {"sev2_action": "Sev2 action item", "coe_action": "COE action item",
                    "exec_escalation": "Executive escalation"}
RAG_LABEL = {"green": "Green", "amber": "Amber", "red": "Red", None: "No target"}
TABLE_BOXES = (("LastWk", 0), ("WOW", 1), ("YOY", 2), ("MTD", 3), ("QTD", 5), ("YTD", 7))


@dataclass(frozen=True)
class Move:
    """A metric's move against its target or its prior year; `score` > 0 is favourable (in % or points)."""

    metric: str
    title: str
    against: str  # "target" | "prior year"
    value_text: str
    reference_text: str
    change_text: str
    score: float

    @property
    def sentence(self) -> str:
        return (f"{self.title}: {self.value_text} last week, {self.change_text} vs {self.against} "
                f"({self.reference_text})")


@dataclass(frozen=True)
class MetricRow:
    section: str
    title: str
    metric: str
    rag: str | None
    owner: str
    boxes: tuple[str, ...]  # TABLE_BOXES order
    target: str


@dataclass(frozen=True)
class ActionItem:
    """An open request or action item as of the week's end."""

    id: str
    kind: str
    title: str
    owner: str
    priority: str
    status: str
    opened: dt.date
    due: dt.date | None
    age_days: int
    days_overdue: int


@dataclass(frozen=True)
class PathDue:
    title: str
    note: PathToGreenNote


@dataclass(frozen=True)
class MetricChart:
    """A metric's 6/12 chart as a Vega-Lite spec with a fixed size (for the PDF and the HTML file)."""

    metric: str
    title: str
    rag: str | None
    spec: dict


@dataclass
class FlashReport:
    """Everything one week's flash report says."""

    title: str
    week_ending: dt.date
    week_number: int
    scope: str
    highlights: list[Move]
    lowlights: list[Move]
    metrics: list[MetricRow]
    paths_due: list[PathDue]
    escalations: list[ActionItem]
    aged_requests: list[ActionItem]
    note: str = ""
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(tzinfo=None))
    charts: list[MetricChart] = field(default_factory=list)

    @property
    def week_start(self) -> dt.date:
        return self.week_ending - dt.timedelta(days=6)


# ----------------------------------------------------------------------------------------------------------------
# computing

def _moves_of(status: MetricStatus) -> list[Move]:
    s, info = status.series, status.series.info
    value = status.value
    if value is None or status.direction not in ("higher", "lower"):
        return []
    sign = 1 if status.direction == "higher" else -1
    bps = info.comparison == "bps"
    out = []
    if status.target is not None and status.target != 0:
        gap = value - status.target
        relative = gap / abs(status.target) * 100
        change = format_change(gap * 10_000, "bps") if bps else format_change(relative, "pct")
        out.append(Move(status.metric, status.title, "target", format_value(value, status.unit),
                        format_value(status.target, status.unit), change,
                        sign * (gap * 100 if bps else relative)))
    yoy = s.boxes[2]
    if yoy is not None:
        prior = s.weekly_py[-1]
        out.append(Move(status.metric, status.title, "prior year", format_value(value, status.unit),
                        format_value(prior, status.unit), format_change(yoy, info.comparison),
                        sign * (yoy / 100 if bps else yoy)))
    return out


VERDICT_RULE = ("One verdict per metric: against its target first (green is a highlight, amber or red a "
                "lowlight); a metric without a target by its change vs prior year, in the direction that is better.")


def verdict(status: MetricStatus, moves: list[Move]) -> tuple[str, Move] | None:
    """The metric's one verdict ("highlight" or "lowlight") by VERDICT_RULE and the move that shows it: the most
    favourable move for a highlight, the least favourable for a lowlight (RAG before any change: a metric far
    behind its target is not a highlight because it beat last year)."""
    if not moves:
        return None
    if status.rag in ("green", "amber", "red"):
        kind = "highlight" if status.rag == "green" else "lowlight"
        shown = next((m for m in moves if m.against == "target"), moves[0])
    else:
        shown = next((m for m in moves if m.against == "prior year"), None)
        if shown is None or shown.score == 0:
            return None
        kind = "highlight" if shown.score > 0 else "lowlight"
    return kind, shown


def highlights_and_lowlights(statuses: list[MetricStatus], top: int = TOP_MOVES) -> tuple[list[Move], list[Move]]:
    """The `top` highlights (most favourable first) and lowlights (least favourable first); each metric is in at
    most one of the two lists, by `verdict`."""
    highlights: list[Move] = []
    lowlights: list[Move] = []
    for status in statuses:
        found = verdict(status, _moves_of(status))
        if found is not None:
            (highlights if found[0] == "highlight" else lowlights).append(found[1])
    highlights = sorted(highlights, key=lambda m: (-m.score, m.metric))[:top]
    lowlights = sorted(lowlights, key=lambda m: (m.score, m.metric))[:top]
    return highlights, lowlights


def _metric_rows(statuses: list[MetricStatus]) -> list[MetricRow]:
    rows = []
    for st in statuses:
        s = st.series
        boxes = tuple(format_box(i, s.boxes[i], s.info) for _, i in TABLE_BOXES)
        rows.append(MetricRow(st.section, st.title, st.metric, st.rag, st.owner or "", boxes, st.target_text))
    return rows


def open_items(requests: pl.DataFrame, week_ending: dt.date) -> tuple[list[ActionItem], list[ActionItem]]:
    """(open Sev2/COE/executive escalation items, partner requests open over AGED_DAYS days) as of the week's end.

    `requests` columns: id, kind, title, owner, priority, status, opened_at, sla_due, resolved_at.
    """
    end = dt.datetime.combine(week_ending + dt.timedelta(days=1), dt.time())
    if requests.is_empty():
        return [], []
    open_then = requests.filter((pl.col("opened_at") < end)
                                & (pl.col("resolved_at").is_null() | (pl.col("resolved_at") >= end)))
    items = []
    for row in open_then.sort("sla_due", "id").iter_rows(named=True):
        opened = row["opened_at"].date()
        due = row["sla_due"].date() if row["sla_due"] is not None else None
        items.append(ActionItem(
            id=row["id"], kind=row["kind"], title=row["title"], owner=row["owner"] or "", priority=row["priority"],
            status=row["status"], opened=opened, due=due, age_days=(week_ending - opened).days,
            days_overdue=max((week_ending - due).days, 0) if due is not None else 0))
    escalations = [i for i in items if i.kind in ESCALATION_KINDS]
    escalations.sort(key=lambda i: (-i.days_overdue, i.due or dt.date.max, i.id))
    aged = [i for i in items if i.kind == "partner_request" and i.age_days > AGED_DAYS]
    aged.sort(key=lambda i: (-i.age_days, i.id))
    return escalations[:LIST_LIMIT], aged[:LIST_LIMIT]


def _requests(session: Session) -> pl.DataFrame:
    rows = session.execute(select(Request.id, Request.kind, Request.title, Request.owner, Request.priority,
                                  Request.status, Request.opened_at, Request.sla_due, Request.resolved_at)).all()
    return pl.DataFrame(rows, orient="row", schema={
        "id": pl.String, "kind": pl.String, "title": pl.String, "owner": pl.String, "priority": pl.String,
        "status": pl.String, "opened_at": pl.Datetime("us"), "sla_due": pl.Datetime("us"),
        "resolved_at": pl.Datetime("us")})


def build_flash(result: DeckResult, session: Session | None = None, *,
                scope: str = "All sites, teams and abuse types", note: str | None = None) -> FlashReport:
    """The flash report of a computed deck, with the database's paths to green, requests and the PM's note
    (without a session, read in one read transaction of the configured database)."""
    if session is None:
        from rm_core.store.db import read_session

        with read_session() as s:
            return build_flash(result, s, scope=scope, note=note)
    paths = latest_paths(session)
    statuses = metric_statuses(result, paths)
    highlights, lowlights = highlights_and_lowlights(statuses)
    horizon = result.week_ending + dt.timedelta(days=7)
    due = [PathDue(st.title, st.path) for st in statuses
           if st.path is not None and st.path.rag in ("red", "amber") and st.path.due is not None
           and st.path.due <= horizon]
    due.sort(key=lambda p: (p.note.due, p.title))
    escalations, aged = open_items(_requests(session), result.week_ending)
    if note is None:
        row = session.get(FlashNote, result.week_ending)
        note = row.note if row is not None else ""
    return FlashReport(title=result.title, week_ending=result.week_ending, week_number=result.week_number,
                       scope=scope, highlights=highlights, lowlights=lowlights, metrics=_metric_rows(statuses),
                       paths_due=due, escalations=escalations, aged_requests=aged, note=note or "",
                       charts=_charts(result, statuses))


CHART_WIDTH, CHART_HEIGHT = 430, 130  # px: two charts side by side on an A4 landscape page


def _charts(result: DeckResult, statuses: list[MetricStatus]) -> list[MetricChart]:
    """Every charted metric's 6/12 chart, as the deck page draws it (RAG colour for this year's line)."""
    from rm_core.metrics.charts import six_twelve_spec
    from rm_core.metrics.results import GraphBlock

    rag = {st.metric: st.rag for st in statuses}
    out = []
    for block in result.blocks:
        if isinstance(block, GraphBlock):
            name = block.primary.name
            spec = six_twelve_spec(block, height=CHART_HEIGHT, rag=rag.get(name))
            spec["width"] = CHART_WIDTH
            out.append(MetricChart(name, block.title, rag.get(name), spec))
    return out


def scope_text(filters: dict[str, list[str]] | None, labels: dict[str, str] | None = None) -> str:
    chosen = {k: v for k, v in (filters or {}).items() if v}
    if not chosen:
        return "All sites, teams and abuse types"
    labels = labels or {}
    return "; ".join(f"{labels.get(k, k)}: {', '.join(v)}" for k, v in chosen.items())


def _check_filters(filters: dict[str, list[str]] | None, options: dict[str, list[str]],
                   labels: dict[str, str]) -> None:
    """A filter value the data never holds (a typo, a site that does not exist) would report all zeros as if they
    were news: refuse it and list the values that exist."""
    from rm_core.errors import UserError

    for dim, values in (filters or {}).items():
        valid = options.get(dim, [])
        unknown = [v for v in values if v not in valid]
        if unknown:
            label = labels.get(dim, dim).lower()
            raise UserError(f"Unknown {label} {', '.join(repr(v) for v in unknown)}; choose from: "
                            f"{', '.join(valid) or 'none in the data'}.")


def flash_for_week(week_ending: dt.date | None = None, filters: dict[str, list[str]] | None = None) -> FlashReport:
    """The Risk Mining deck's flash report for a week, from the workbench's own database (what the CLI prints)."""
    from rm_core.metrics.risk_deck import compute_risk_deck
    from rm_core.metrics.sources import DIMENSION_LABELS, build_risk_data
    from rm_core.store.db import read_session

    with read_session() as session:
        data = build_risk_data(session)
        if data.is_empty:
            from rm_core.errors import UserError
            raise UserError("The workbench holds no records to report on yet: seed the demo world "
                            "(python -m rm_core demo seed) or add MOs, rules and requests first.")
        _check_filters(filters, data.options, DIMENSION_LABELS)
        result = compute_risk_deck(data, week_ending, filters)
        return build_flash(result, session, scope=scope_text(filters, DIMENSION_LABELS))


# ----------------------------------------------------------------------------------------------------------------
# rendering

def _rag_label(row: MetricRow) -> str:
    if row.rag is None and row.target != MISSING:
        return "No data"
    return RAG_LABEL.get(row.rag, MISSING)


def _move_lines(moves: list[Move], esc) -> list[str]:
    return [f"- {esc(m.sentence)}" for m in moves] or ["- None this week."]


def _item_line(i: ActionItem, esc) -> str:
    label = ESCALATION_KINDS.get(i.kind, "Partner request")
    late = f", {i.days_overdue} days past SLA" if i.days_overdue else ""
    return (f"- **{esc(i.id)}** ({label}, {esc(i.priority)}) {esc(i.title)} — owner "
            f"{esc(i.owner or 'unassigned')}, open {i.age_days} days{late}")


def flash_markdown(report: FlashReport, *, screen: bool = False) -> str:
    """The report as a Markdown file (user text escaped only as Markdown needs, so it also reads as plain text);
    `screen=True` escapes for Streamlit's renderer instead (`:` and `$` are its syntax), for the page preview."""
    esc = md_escape if screen else md_file_escape
    money = (lambda c: c.replace("$", "\\$")) if screen else (lambda c: c)
    lines = [f"# {esc(report.title)} — flash report, week ending {report.week_ending:%a %d %b %Y} "
             f"(wk {report.week_number})", "", f"Scope: {esc(report.scope)}", ""]
    if report.note.strip():
        lines += ["## Note from the PM", "", esc(report.note), ""]
    lines += ["## Highlights", "", *_move_lines(report.highlights, esc), "", "## Lowlights", "",
              *_move_lines(report.lowlights, esc), "", f"_{VERDICT_RULE}_", "", "## Metrics", ""]
    header = ["Section", "Metric", "RAG", *[label for label, _ in TABLE_BOXES], "Target", "Owner"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in report.metrics:
        own = [esc(c) for c in (r.section, r.title)]  # both escapers turn | into \|
        ours = [money(c) for c in (_rag_label(r), *r.boxes, r.target)]
        lines.append("| " + " | ".join([*own, *ours, esc(r.owner) or "–"]) + " |")
    lines += ["", "## Path to green — due by next week", ""]
    lines += [f"- **{esc(p.title)}** ({p.note.rag}, due {p.note.due:%d %b %Y}, owner {esc(p.note.owner)}): "
              f"{esc(p.note.actions)}" for p in report.paths_due] or ["- Nothing due."]
    lines += ["", "## Open Sev2 / COE action items and escalations", ""]
    lines += [_item_line(i, esc) for i in report.escalations] or ["- None open."]
    lines += ["", f"## Partner requests open over {AGED_DAYS} days", ""]
    lines += [_item_line(i, esc) for i in report.aged_requests] or ["- None."]
    lines += ["", f"_Generated {report.generated_at:%Y-%m-%d %H:%M} UTC by the Risk Mining Workbench._", ""]
    return "\n".join(lines)


_CSS = """
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #1c2230; font-size: 10pt; margin: 0; }
h1 { font-size: 16pt; margin: 0 0 4pt; } h2 { font-size: 12pt; margin: 14pt 0 4pt; color: #1f4e79; }
p.scope { color: #3d4451; margin: 0 0 8pt; }
table { border-collapse: collapse; width: 100%; font-size: 8.5pt; }
th, td { border-bottom: 1px solid #e8ebf0; padding: 3pt 4pt; text-align: right; white-space: nowrap; }
th { background: #f3f5f8; } td.l, th.l { text-align: left; } td.w { white-space: normal; }
table.metrics { font-size: 7.5pt; }
.rag { display: inline-block; padding: 0 4pt; border-radius: 6pt; color: white; font-weight: bold;
       white-space: nowrap; }
.charts { margin-top: 4pt; }
.chart { display: inline-block; width: 49%; vertical-align: top; margin: 0 0 8pt; break-inside: avoid; }
.chart h3 { font-size: 9pt; margin: 0 0 2pt; } .chart img { width: 100%; }
.red { background: #c8102e; } .amber { background: #e0a100; } .green { background: #2e8540; }
.none { background: #8a8f98; }
.note { white-space: pre-wrap; border-left: 3pt solid #1f4e79; padding-left: 6pt; }
@page { size: A4 landscape; margin: 12mm; }
"""


def _html_list(items: list[str], empty: str) -> str:
    if not items:
        return f"<p>{html_escape(empty)}</p>"
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def _html_item(i: ActionItem) -> str:
    label = ESCALATION_KINDS.get(i.kind, "Partner request")
    late = f", {i.days_overdue} days past SLA" if i.days_overdue else ""
    return (f"<b>{html_escape(i.id)}</b> ({html_escape(label)}, {html_escape(i.priority)}) {html_escape(i.title)}"
            f" — owner {html_escape(i.owner or 'unassigned')}, open {i.age_days} days{html_escape(late)}")


def chart_svg(chart: MetricChart) -> str:
    """The chart rendered offline by vl-convert (imported here: it loads a JS engine)."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(chart.spec)


def _html_charts(report: FlashReport) -> str:
    import base64

    e = html_escape
    cells = []
    for c in report.charts:
        svg = base64.b64encode(chart_svg(c).encode("utf-8")).decode("ascii")
        chip = f"<span class='rag {c.rag or 'none'}'>{e(RAG_LABEL.get(c.rag, MISSING))}</span>"
        cells.append(f"<div class='chart'><h3>{e(c.title)} {chip}</h3>"
                     f"<img alt='6/12 chart of {e(c.title)}' src='data:image/svg+xml;base64,{svg}'></div>")
    return "<h2>Charts: six weeks and twelve months</h2><div class='charts'>" + "".join(cells) + "</div>"


def flash_html(report: FlashReport, *, charts: bool = False) -> str:
    """The report as one HTML file (every user text escaped); `charts` adds each metric's 6/12 chart."""
    e = html_escape
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{e(report.title)} flash report "
             f"{report.week_ending:%Y-%m-%d}</title><style>{_CSS}</style></head><body>",
             f"<h1>{e(report.title)} — flash report, week ending {report.week_ending:%a %d %b %Y} "
             f"(wk {report.week_number})</h1>", f"<p class='scope'>Scope: {e(report.scope)}</p>"]
    if report.note.strip():
        parts.append(f"<h2>Note from the PM</h2><div class='note'>{e(report.note)}</div>")
    parts.append("<h2>Highlights</h2>" + _html_list([e(m.sentence) for m in report.highlights], "None this week."))
    parts.append("<h2>Lowlights</h2>" + _html_list([e(m.sentence) for m in report.lowlights], "None this week."))
    parts.append(f"<p class='scope'><i>{e(VERDICT_RULE)}</i></p>")
    header = ["Section", "Metric", "RAG", *[label for label, _ in TABLE_BOXES], "Target", "Owner"]
    rows = []
    for r in report.metrics:
        chip = f"<span class='rag {r.rag or 'none'}'>{e(_rag_label(r))}</span>"
        cells = [f"<td class='l w'>{e(r.section)}</td>", f"<td class='l w'>{e(r.title)}</td>",
                 f"<td class='l'>{chip}</td>",
                 *[f"<td>{e(b)}</td>" for b in r.boxes], f"<td>{e(r.target)}</td>",
                 f"<td class='l'>{e(r.owner or MISSING)}</td>"]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = "".join(f"<th class='l'>{e(h)}</th>" if i < 3 or h == "Owner" else f"<th>{e(h)}</th>"
                   for i, h in enumerate(header))
    parts.append(f"<h2>Metrics</h2><table class='metrics'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}"
                 "</tbody></table>")
    parts.append("<h2>Path to green — due by next week</h2>" + _html_list(
        [f"<b>{e(p.title)}</b> ({e(p.note.rag)}, due {p.note.due:%d %b %Y}, owner {e(p.note.owner)}): "
         f"{e(p.note.actions)}" for p in report.paths_due], "Nothing due."))
    parts.append("<h2>Open Sev2 / COE action items and escalations</h2>"
                 + _html_list([_html_item(i) for i in report.escalations], "None open."))
    parts.append(f"<h2>Partner requests open over {AGED_DAYS} days</h2>"
                 + _html_list([_html_item(i) for i in report.aged_requests], "None."))
    if charts and report.charts:
        parts.append(_html_charts(report))
    parts.append(f"<p class='scope'><i>Generated {report.generated_at:%Y-%m-%d %H:%M} UTC by the Risk Mining "
                 "Workbench.</i></p></body></html>")
    return "".join(parts)


def flash_pdf(report: FlashReport) -> bytes:
    """The HTML report with its charts laid out as an A4 landscape PDF by weasyprint (imported here: it is slow
    to import)."""
    from weasyprint import HTML

    return HTML(string=flash_html(report, charts=True)).write_pdf()


def render_flash(report: FlashReport, fmt: str) -> bytes:
    """The report as bytes in `fmt` (md, html or pdf)."""
    if fmt == "md":
        return flash_markdown(report).encode("utf-8")
    if fmt == "html":
        return flash_html(report, charts=True).encode("utf-8")
    if fmt == "pdf":
        return flash_pdf(report)
    from rm_core.errors import UserError
    raise UserError(f"Unknown format {fmt!r}: use md, html or pdf.")
