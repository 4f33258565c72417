"""A computed deck as a readable document: Markdown or HTML, with every text from the deck escaped in both."""
from __future__ import annotations

from html import escape

from rm_core.metrics.formatting import MISSING, format_box, format_point, format_value
from rm_core.metrics.results import (
    BOX_LABELS, DeckResult, EmbeddedBlock, GraphBlock, MetricSeries, SectionBlock, TableBlock,
)
from rm_core.text import md_escape


def _heading(result: DeckResult) -> str:
    return f"Week ending {result.week_ending:%a %d %b %Y} (week {result.week_number})"


def _meta(series: MetricSeries) -> list[str]:
    info = series.info
    parts = []
    if series.rag:
        parts.append(f"RAG {series.rag.upper()}")
    if info.owner:
        parts.append(f"owner {info.owner}")
    if info.direction:
        parts.append(f"{info.direction} is better")
    if info.target is not None:
        parts.append(f"target {format_value(info.target, info.unit)}")
    return parts


def _missing_note(series: MetricSeries) -> str | None:
    days = series.missing_days
    if not days:
        return None
    shown = ", ".join(f"{d:%d %b %Y}" for d in days[:8])
    more = f" and {len(days) - 8} more" if len(days) > 8 else ""
    return f"Days without a value: {shown}{more}."


def _events_note(block: GraphBlock, escape=lambda text: text) -> str | None:
    if not block.annotations:
        return None
    return "Events: " + "; ".join(f"{a.day:%d %b %Y} {escape(a.description)}" for a in block.annotations) + "."


def _graph_rows(block: GraphBlock) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """Header and rows (label, cells) of a 6/12 block: weeks then months, CY / PY / target."""
    s = block.primary
    header = block.week_labels + block.month_labels
    rows = [(f"{s.legend} (CY)", [format_point(v, s.info, block.y_scaling) for v in s.weekly_cy + s.monthly_cy])]
    if s.show_prior_year:
        rows.append(("Prior year", [format_point(v, s.info, block.y_scaling) for v in s.weekly_py + s.monthly_py]))
    for extra in block.series[1:]:
        rows.append((extra.legend, [format_point(v, extra.info, block.y_scaling)
                                    for v in extra.weekly_cy + extra.monthly_cy]))
    if block.target is not None:
        t = block.target
        rows.append(("Target", [format_point(v, s.info, block.y_scaling) for v in t.weekly_cy + t.monthly_cy]))
    return header, rows


def _box_cells(series: MetricSeries, y_scaling: str | None) -> list[str]:
    return [format_box(i, v, series.info, y_scaling) for i, v in enumerate(series.boxes)]


def _md_table(header: list[str], rows: list[tuple[str, list[str]]]) -> list[str]:
    """Row labels and header cells come from the deck (user text): escaped; values are our own formatting, where
    only a `|` could break the table."""
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(md_escape(h) for h in [""] + header) + " |",
             "|" + "---|" * (len(header) + 1)]
    lines += ["| " + " | ".join([md_escape(label), *(cell(c) for c in cells)]) + " |" for label, cells in rows]
    return lines


def deck_markdown(result: DeckResult) -> str:
    """The deck as Markdown: one section per block, tables of weeks, months and boxes. Every text from the deck
    (titles, legends, headers, owners, event descriptions) is escaped, so a crafted deck cannot add links or HTML."""
    out = [f"# {md_escape(result.title)}", "", _heading(result), ""]
    for block in result.blocks:
        title = md_escape(block.title)
        if isinstance(block, SectionBlock):
            out += [f"## {title}", ""]
        elif isinstance(block, EmbeddedBlock):
            out += [f"### {block.number}. {title}", "", f"Embedded content: {md_escape(block.source)}", ""]
        elif isinstance(block, GraphBlock):
            s = block.primary
            out += [f"### {block.number}. {title}", ""]
            meta = _meta(s)
            if meta:
                out += [" · ".join(md_escape(part) for part in meta), ""]
            header, rows = _graph_rows(block)
            out += _md_table(header, rows) + [""]
            out += _md_table(list(BOX_LABELS), [(s.legend, _box_cells(s, block.y_scaling))]) + [""]
            for note in (_missing_note(s), _events_note(block, md_escape)):
                if note:
                    out += [note, ""]
        elif isinstance(block, TableBlock):
            out += [f"### {block.number}. {title}", ""]
            rows = [(r.header, [format_point(v, r.info, r.y_scaling) for v in r.values]) for r in block.rows]
            out += _md_table(block.headers, rows) + [""]
    return "\n".join(out).rstrip() + "\n"


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1f2328}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.85rem}
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
th{background:#f6f8fa}.rag{padding:.1rem .5rem;border-radius:1rem;color:#fff;font-weight:600}
.rag-green{background:#1a7f37}.rag-amber{background:#bf8700}.rag-red{background:#cf222e}
.meta{color:#57606a}.missing{color:#9a6700}
"""


def _html_table(header: list[str], rows: list[tuple[str, list[str]]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in [""] + header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in [label] + cells) + "</tr>"
                   for label, cells in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def deck_html(result: DeckResult) -> str:
    """The deck as a standalone HTML page; every text from the deck or the data is escaped."""
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(result.title)}</title>"
             f"<style>{_CSS}</style></head><body>",
             f"<h1>{escape(result.title)}</h1><p class='meta'>{escape(_heading(result))}</p>"]
    for block in result.blocks:
        if isinstance(block, SectionBlock):
            parts.append(f"<h2>{escape(block.title)}</h2>")
        elif isinstance(block, EmbeddedBlock):
            parts.append(f"<h3>{block.number}. {escape(block.title)}</h3>"
                         f"<p>Embedded content: {escape(block.source)}</p>")
        elif isinstance(block, GraphBlock):
            s = block.primary
            parts.append(f"<section><h3>{block.number}. {escape(block.title)}</h3>")
            meta = _meta(s)
            chip = (f"<span class='rag rag-{escape(s.rag)}'>{escape(s.rag.upper())}</span> " if s.rag else "")
            if meta:
                parts.append(f"<p class='meta'>{chip}{escape(' · '.join(m for m in meta if not m.startswith('RAG')))}"
                             "</p>")
            header, rows = _graph_rows(block)
            parts.append(_html_table(header, rows))
            parts.append(_html_table(list(BOX_LABELS), [(s.legend, _box_cells(s, block.y_scaling))]))
            for note in (_missing_note(s), _events_note(block)):
                if note:
                    parts.append(f"<p class='missing'>{escape(note)}</p>")
            parts.append("</section>")
        elif isinstance(block, TableBlock):
            rows = [(r.header, [format_point(v, r.info, r.y_scaling) for v in r.values]) for r in block.rows]
            parts.append(f"<section><h3>{block.number}. {escape(block.title)}</h3>"
                         f"{_html_table(block.headers, rows)}</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


__all__ = ["deck_markdown", "deck_html", "MISSING"]
