"""Metrics (WBR): the deck for a week — 6/12 charts, box rows, RAG, owners, paths to green — with filters that
recompute every metric, the rows behind a number, and the weekly flash report."""
from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from pages._ai import method_caption, show_text, streamed
from pages._ui import act, current_actor, empty_state, record_key, run_action, share_link, show_flash
from rm_core.ai.assist import log_result
from rm_core.ai.narrative import narrative
from rm_core.errors import UserError
from rm_core.identity import can
from rm_core.metrics import BOX_LABELS
from rm_core.metrics.charts import ChartEvent, six_twelve_spec
from rm_core.metrics.formatting import format_box, format_point
from rm_core.metrics.results import EmbeddedBlock, GraphBlock, SectionBlock, TableBlock
from rm_core.metrics.risk_deck import (AGGREGATIONS, DeckSource, chart_events, compute_source, csv_columns, csv_source,
                                       drill_down, picked_source, risk_source, default_week, saved_decks,
                                       saved_source, versions, week_endings)
from rm_core.metrics.sources import load_risk_data
from rm_core.metrics.status import (RAGS, flash_note, latest_paths, metric_rag, path_history, save_flash_note,
                                    save_path_to_green)
from rm_core.reports.flash import build_flash, flash_html, flash_markdown, flash_pdf, scope_text
from rm_core.settings import get_settings
from rm_core.text import md_code, md_escape, plural

RISK, UPLOAD, PICK, SAVED = "Risk Mining deck", "My deck + CSV", "Pick columns from a CSV", "Saved decks"
RAG_BADGE = {"red": ("Red", "red"), "amber": ("Amber", "orange"), "green": ("Green", "green")}
RAG_ICON = {"red": "🔴 Red", "amber": "🟠 Amber", "green": "🟢 Green"}

actor = current_actor()
link = share_link()  # a share link shows the Risk Mining deck with the link's filters, and nothing else
editable = can(actor, "metrics.edit")
settings = get_settings()
ss = st.session_state


# --- cached computations ----------------------------------------------------------------------------------------

@st.cache_resource(max_entries=2, show_spinner="Reading the workbench's records…")
def risk_deck_source(database_url: str, version: tuple[int, int]) -> DeckSource:
    """The Risk Mining deck over the database's records, rebuilt only when those records change."""
    return risk_source(load_risk_data(), version=(database_url, version))


@st.cache_resource(max_entries=4, show_spinner="Reading your deck and CSV…")
def uploaded_source(deck_bytes: bytes, csv_bytes: bytes, deck_name: str, csv_name: str) -> DeckSource:
    return csv_source(deck_bytes, csv_bytes, deck_name=deck_name, csv_name=csv_name)


@st.cache_resource(max_entries=8, show_spinner="Reading the saved deck…")
def saved_deck_source(key: str, _saved) -> DeckSource:
    return saved_source(_saved)


@st.cache_resource(max_entries=4, show_spinner="Reading your CSV…")
def picked_csv_source(csv_bytes: bytes, name: str, date_column: str, values: tuple, dims: tuple,
                      weekday: str) -> DeckSource:
    return picked_source(csv_bytes, date_column=date_column, values=dict(values), dimensions=dims, name=name,
                         week_ends_on=weekday)


@st.cache_data(max_entries=64, show_spinner=False)
def compute(_source: DeckSource, key: str, week: dt.date, filters: tuple):
    """The deck for one source, week and filter choice (the cache key is exactly what the result depends on)."""
    return compute_source(_source, week, {k: list(v) for k, v in filters})


@st.cache_data(max_entries=2048, show_spinner=False)
def chart_spec(_block: GraphBlock, key: str, week: dt.date, filters: tuple, number: int, rag: str | None,
               events: tuple) -> tuple[dict, pl.DataFrame]:
    """The chart's spec and its points as a polars frame (Streamlit sends a frame as Arrow without pandas)."""
    spec = six_twelve_spec(_block, events=[ChartEvent(a, t) for a, t in events], rag=rag)
    values = spec.pop("data")["values"]
    schema = {"x": pl.String, "pos": pl.Int64, "segment": pl.String, "series": pl.String, "value": pl.Float64,
              "text": pl.String}
    return spec, pl.DataFrame(values, schema=schema, orient="row") if values else pl.DataFrame(schema=schema)


@st.cache_data(max_entries=32, show_spinner=False)
def paths_to_green(database_url: str, version: int) -> dict:
    return latest_paths()


def flash_report(result, key: str, filters: dict, version: int, labels: dict):
    return _flash_report(result, key, result.week_ending, tuple((k, tuple(v)) for k, v in filters.items()),
                         version, tuple(labels.items()))


@st.cache_data(max_entries=16, show_spinner="Writing the flash report…")
def _flash_report(_result, key: str, week: dt.date, filters: tuple, version: int, labels: tuple):
    return build_flash(_result, scope=scope_text(dict(filters), dict(labels)))


# --- choosing the source ----------------------------------------------------------------------------------------

st.title("Metrics (WBR)")
st.caption("The weekly business review: every metric as a 6/12 chart (six trailing weeks and twelve months, prior "
           "year dashed, target ◆), its boxes (last week, month, quarter and year to date, each with its change) "
           "and its status. Rates compare in basis points, counts in %. Same layout every week.")

show_flash()

saved = saved_decks(settings.home) if link is None else []
mode = RISK if link is not None else st.radio(
    "Data", (RISK, UPLOAD, PICK, SAVED) if saved else (RISK, UPLOAD, PICK), horizontal=True, key="metrics-mode",
    help="The Risk Mining deck reads the workbench's own records. You can also upload a wbr-app deck and its daily "
         "CSV, point at any CSV and pick its columns, or open a deck saved with its CSV in the state folder's "
         "decks/ (name.yaml beside name.csv).")

source: DeckSource | None = None
try:
    if mode == RISK:
        version, _ = versions()
        source = risk_deck_source(settings.database_url, version)
        if source.risk is not None and source.risk.is_empty:
            source = None
            empty_state("No records to measure yet. Seed the demo world (`python -m rm_core demo seed`), or add MOs, "
                        "rules, requests and gaps on their pages — or choose **My deck + CSV** above to review your "
                        "own metrics.")
    elif mode == SAVED:
        names = [d.name for d in saved]
        pick_saved = st.selectbox("Saved deck", names, key="metrics-saved")
        chosen = saved[names.index(pick_saved)]
        source = saved_deck_source(chosen.key, chosen)
    elif mode == UPLOAD:
        c1, c2 = st.columns(2)
        deck_file = c1.file_uploader("Deck (YAML, wbr-app format)", type=["yaml", "yml"], key="metrics-deck-file")
        csv_file = c2.file_uploader("Daily data (CSV with a Date column)", type=["csv"], key="metrics-csv-file")
        if deck_file is None or csv_file is None:
            empty_state("Upload a deck YAML (wbr-app's `setup` / `metrics` / `deck` format, optionally with owner, "
                        "direction, target, unit and rag per metric) and its daily CSV to get the same page for "
                        "your metrics.")
        else:
            source = uploaded_source(deck_file.getvalue(), csv_file.getvalue(), deck_file.name, csv_file.name)
    else:
        csv_file = st.file_uploader("Daily data (CSV)", type=["csv"], key="metrics-pick-file")
        if csv_file is None:
            empty_state("Upload any CSV with a date column, then pick the date column, the numbers to chart (and "
                        "how each adds up over a week) and up to three columns to filter by.")
        else:
            raw = csv_columns(csv_file.getvalue(), name=csv_file.name)
            c1, c2, c3 = st.columns([1, 2, 2])
            date_col = c1.selectbox("Date column", raw.columns, key="metrics-pick-date")
            weekday = c1.selectbox("Weeks end on", ("Saturday", "Sunday", "Friday", "Monday", "Tuesday", "Wednesday",
                                                    "Thursday"), key="metrics-pick-weekday")
            value_cols = c2.multiselect("Numbers to chart", [c for c in raw.columns if c != date_col],
                                        key="metrics-pick-values")
            dims = c3.multiselect("Filter by (up to 3)",
                                  [c for c in raw.columns if c != date_col and c not in value_cols],
                                  max_selections=3, key="metrics-pick-dims")
            aggs = {}
            if value_cols:
                cols = st.columns(min(len(value_cols), 4))
                for i, col in enumerate(value_cols):
                    aggs[col] = cols[i % len(cols)].selectbox(f"{md_escape(col)}: adds up as", AGGREGATIONS,
                                                              key=f"metrics-pick-agg-{col}")
                source = picked_csv_source(csv_file.getvalue(), csv_file.name, date_col, tuple(aggs.items()),
                                           tuple(dims), weekday)
except UserError as exc:
    st.error(md_escape(str(exc)), icon=":material/error:")
    source = None

if source is None:
    st.stop()


# --- week and filters -------------------------------------------------------------------------------------------

weeks = week_endings(source)
top = st.columns([1, 3])
week = top[0].selectbox("Week ending", weeks, index=weeks.index(default_week(source, weeks)),
                        key=f"metrics-week-{source.key.split(':')[0]}",
                        format_func=lambda d: f"{d:%a %d %b %Y}",
                        help="Opens on the deck's own week when it names one, else on the last complete week of "
                             "the data.")
filters: dict[str, list[str]] = {}
if link is not None:
    filters = dict(link.scope.metric_filters)
    if any(d not in source.dimensions for d in filters):  # fail closed: never show more than the link names
        st.error("This link filters on something the deck no longer has; ask for a new link.",
                 icon=":material/error:")
        st.stop()
    if filters:
        st.caption("Shared by link with these filters: " + md_escape(scope_text(filters, {
            d: source.dimension_label(d) for d in source.dimensions})) + ".")
elif source.dimensions:
    cols = top[1].columns(len(source.dimensions))
    for col, dim in zip(cols, source.dimensions):
        chosen = col.multiselect(md_escape(source.dimension_label(dim)), source.options.get(dim, []),
                                 key=f"metrics-filter-{dim}", placeholder="All")
        if chosen:
            filters[dim] = chosen
filter_key = tuple((k, tuple(sorted(v))) for k, v in sorted(filters.items()))

try:
    result = compute(source, source.key, week, filter_key)
except UserError as exc:
    st.error(md_escape(str(exc)), icon=":material/error:")
    st.stop()

_, notes_ver = versions() if mode == RISK else ((0, 0), 0)
paths = paths_to_green(settings.database_url, notes_ver) if mode == RISK else {}
scope = scope_text(filters, {d: source.dimension_label(d) for d in source.dimensions})
week_start = result.week_ending - dt.timedelta(days=6)
st.caption(f"{md_escape(source.label)} · week {result.week_number}, {week_start:%d %b} – "
           f"{result.week_ending:%d %b %Y} · {md_escape(scope)} · data {result.data_start:%d %b %Y} – "
           f"{result.data_end:%d %b %Y}")


# --- the deck ---------------------------------------------------------------------------------------------------

@st.cache_data(max_entries=64, show_spinner=False)
def data_events(_source: DeckSource, _result, key: str, week: dt.date, filters: tuple) -> dict:
    return chart_events(_source, _result, {k: list(v) for k, v in filters})


def _events(name: str, block: GraphBlock) -> tuple:
    """Chart annotations: events in the data (rules retired) and path-to-green saves inside the six weeks."""
    events = list(found_events.get(name, []))
    note = paths.get(name)
    if note is not None:
        for label, end in zip(block.week_labels, block.week_ends):
            if end - dt.timedelta(days=6) <= note.created_at.date() <= end:
                events.append((label, f"path to green ({note.rag})"))
    return tuple(events)


def _box_table(block: GraphBlock) -> str:
    s = block.primary
    cells = [format_box(i, v, s.info, block.y_scaling).replace("$", "\\$") for i, v in enumerate(s.boxes)]
    head = "| " + " | ".join(BOX_LABELS) + " |\n|" + "---:|" * len(BOX_LABELS) + "\n"
    return head + "| " + " | ".join(cells) + " |"


def _save_path(metric: str, form: str) -> None:
    act(save_path_to_green, actor, metric, rag=ss.get(f"{form}-rag"), actions=ss.get(f"{form}-actions", ""),
        owner=ss.get(f"{form}-owner", ""), due=ss.get(f"{form}-due"),
        blockers=ss.get(f"{form}-blockers", ""), success=f"Path to green for {md_escape(metric)} saved.")


def _path_to_green(name: str, rag: str | None) -> None:
    note = paths.get(name)
    if rag in ("red", "amber") or note is not None:
        if note is not None:
            due = f", due {note.due:%d %b %Y}" if note.due else ""
            late = " — overdue" if note.due and note.due < result.week_ending else ""
            st.markdown(f"**Path to green** ({md_escape(note.rag)}, owner {md_escape(note.owner)}{due}{late}): "
                        f"{md_escape(note.actions)}")
            if note.blockers:
                st.caption(f"Blockers: {md_escape(note.blockers)}")
        elif rag in ("red", "amber"):
            st.warning("No path to green yet for this metric.", icon=":material/flag:")
    if mode != RISK or not (rag in ("red", "amber") or note is not None):
        return
    with st.expander("Path to green: edit and history", icon=":material/edit_note:"):
        if editable:
            # one form per metric and saved version: a save elsewhere (another user, another tab) draws a fresh
            # form from the note as it is now instead of keeping what this session typed before
            form = record_key("ptg-form", name, note.id if note else "new")
            with st.form(form, border=False):
                c1, c2, c3 = st.columns(3)
                c1.selectbox("Status", RAGS, index=RAGS.index(note.rag if note else (rag or "amber")),
                             key=f"{form}-rag")
                c2.text_input("Owner", value=note.owner if note else (result_info_owner(name) or ""),
                              key=f"{form}-owner")
                c3.date_input("Due", value=note.due if note and note.due
                              else result.week_ending + dt.timedelta(days=14),
                              key=f"{form}-due")
                st.text_area("Actions", value=note.actions if note else "", key=f"{form}-actions")
                st.text_input("Blockers", value=note.blockers if note else "", key=f"{form}-blockers")
                st.form_submit_button("Save path to green", on_click=_save_path, args=(name, form))
        else:
            st.caption("Editors and admins can update the path to green.")
        history = path_history(name) if note is not None else []
        if history:
            st.dataframe(pl.DataFrame([{"saved": h.created_at, "by": h.created_by, "status": h.rag, "owner": h.owner,
                                        "due": h.due, "actions": h.actions} for h in history]),
                         hide_index=True, width="stretch",
                         column_config={"saved": st.column_config.DatetimeColumn("Saved", format="YYYY-MM-DD HH:mm")})


owners = {s.name: s.info.owner for s in result.series()}


def result_info_owner(name: str) -> str | None:
    return owners.get(name)


def _drill(name: str) -> None:
    dd = drill_down(source, name, result.week_ending, filters)
    if dd.row_count == 0:
        st.caption("No rows behind this number in the week (with these filters).")
    for column, what, rows in dd.parts:
        st.markdown(f"{md_code(column)} — {md_escape(what)}: **{plural(rows.height, 'row')}**")
        if rows.height:
            st.dataframe(rows.head(500), hide_index=True, width="stretch")


def _graph(block: GraphBlock) -> None:
    s = block.primary
    target = block.target.boxes[0] if block.target is not None else s.info.target
    rag = metric_rag(s, target)
    with st.container(border=True):
        label, colour = RAG_BADGE.get(rag, ("No target", "gray"))
        st.subheader(f"{md_escape(block.title)} :{colour}-badge[{label}]", anchor=False)
        facts = [f"owner **{md_escape(s.info.owner)}**" if s.info.owner else "no owner",
                 f"target **{md_escape(format_point(target, s.info, block.y_scaling))}**" if target is not None
                 else "no target",
                 f"{md_escape(s.info.direction)} is better" if s.info.direction else None,
                 md_escape(s.info.description) if s.info.description else None]
        st.caption(" · ".join(f for f in facts if f))
        spec, points = chart_spec(block, source.key, result.week_ending, filter_key, block.number, rag,
                                  _events(s.name, block))
        st.vega_lite_chart(points, spec, width="stretch", key=f"chart-{block.number}")
        st.markdown(_box_table(block))
        if s.missing_days:
            days = ", ".join(f"{d:%d %b %Y}" for d in s.missing_days[:8])
            more = f" and {len(s.missing_days) - 8} more" if len(s.missing_days) > 8 else ""
            st.caption(f"Missing values on {days}{more}: the periods that include them are shown as missing, not 0.")
        _path_to_green(s.name, rag)
        if st.toggle("Rows behind this week's number", key=f"drill-toggle-{s.name}"):
            _drill(s.name)


def _table(block: TableBlock) -> None:
    with st.container(border=True):
        st.subheader(md_escape(block.title), anchor=False)
        rows = []
        for r in block.rows:
            row = {"": r.header}
            for h, v in zip(block.headers, r.values or [None] * len(block.headers)):
                row[h] = format_point(v, r.info, r.y_scaling)
            rows.append(row)
        st.dataframe(pl.DataFrame(rows), hide_index=True, width="stretch")


graphs = result.graphs()
found_events = data_events(source, result, source.key, result.week_ending, filter_key)
tab_deck, tab_drill, tab_flash = st.tabs(["Deck", "Drill-down", "Flash report"])

with tab_deck:
    counts = {r: 0 for r in ("red", "amber", "green", None)}
    for g in graphs:
        t = g.target.boxes[0] if g.target is not None else g.primary.info.target
        counts[metric_rag(g.primary, t)] = counts.get(metric_rag(g.primary, t), 0) + 1
    cols = st.columns(4)
    cols[0].metric("Red", counts["red"])
    cols[1].metric("Amber", counts["amber"])
    cols[2].metric("Green", counts["green"])
    cols[3].metric("No target / no data", counts[None])
    for block in result.blocks:
        if isinstance(block, SectionBlock):
            st.header(md_escape(block.title), anchor=False, divider="gray")
        elif isinstance(block, GraphBlock):
            _graph(block)
        elif isinstance(block, TableBlock):
            _table(block)
        elif isinstance(block, EmbeddedBlock):
            st.caption(f"Embedded content ({md_escape(block.title)}): {md_escape(block.source)}")

with tab_drill:
    names = [g.primary.name for g in graphs]
    titles = {g.primary.name: g.title for g in graphs}
    if not names:
        empty_state("This deck has no charted metrics to drill into.")
    else:
        pick = st.selectbox("Metric", names, format_func=lambda n: titles.get(n, n), key="metrics-drill")
        st.caption(f"The rows behind {md_escape(titles.get(pick, pick))} for the week ending "
                   f"{result.week_ending:%d %b %Y}, with the filters above.")
        _drill(pick)

with tab_flash:
    report = flash_report(result, source.key, filters, notes_ver,
                          {d: source.dimension_label(d) for d in source.dimensions})
    note = flash_note(result.week_ending) if mode == RISK else None
    if mode == RISK and editable:
        # the note belongs to one week: its form is drawn per week and saved version, and saves to that week
        note_form = record_key("flash-note", result.week_ending, note.updated_at.isoformat() if note else "new")
        with st.form(note_form):
            st.text_area("Note from the PM for this week", value=note.note if note else "", key=f"{note_form}-text",
                         height=120)
            st.form_submit_button("Save note", on_click=lambda week=result.week_ending, k=f"{note_form}-text": act(
                save_flash_note, actor, week, ss.get(k, ""), success="Note saved."))
    elif note is not None:
        st.caption(f"Note by {md_escape(note.updated_by)}")
    c1, c2, c3 = st.columns(3)
    stem = f"flash-report-{result.week_ending:%Y-%m-%d}"
    c1.download_button("Download Markdown", flash_markdown(report).encode(), file_name=f"{stem}.md",
                       mime="text/markdown", icon=":material/download:", key="flash-md")
    c2.download_button("Download HTML", lambda: flash_html(report, charts=True).encode(), file_name=f"{stem}.html",
                       mime="text/html",
                       icon=":material/download:", key="flash-html")
    c3.download_button("Download PDF", lambda: flash_pdf(report), file_name=f"{stem}.pdf", mime="application/pdf",
                       icon=":material/picture_as_pdf:", key="flash-pdf")
    with st.container(border=True):
        st.markdown("**Narrative** — a short paragraph per section, drafted from this deck; every number in it is a "
                    "number of the deck (a sentence with any other number is dropped).")
        if st.button("Draft the narrative", key="flash-narrative-btn"):
            drafted = run_action(streamed, narrative, report)
            ss["flash-narrative"] = (result.week_ending, run_action(log_result, actor, "narrative", drafted)
                                     if drafted else None)
        week, drafted = ss.get("flash-narrative", (None, None))
        if drafted is not None and week == result.week_ending:
            method_caption(drafted)
            for part in drafted.value:
                st.markdown(f"**{md_escape(part.section)}**")
                show_text(part.sentences, drafted)
    with st.container(border=True):
        # the preview sits inside the page: its headings one level below the page's own
        preview = flash_markdown(report, screen=True)
        st.markdown(preview.replace("\n## ", "\n#### ").replace("# ", "### ", 1))
