"""Roadmap (Plan): timeline, now/next/later, status with path to green, baselines, dependencies, edit.

Filters live in the URL (`?workstream=…&baseline=…&zoom=…&period=…`). The Share section makes signed, revocable
read-only links (`rm_core.links`); whoever opens one sees this page with the link's filters and nothing to edit.
"""
from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from pages._ui import current_actor, empty_state, pick_record, record_key, run_action, share_link
from rm_core import links
from rm_core import roadmap as rm
from rm_core.identity import can
from rm_core.roadmap import export
from rm_core.roadmap.charts import with_arrow_datasets
from rm_core.roadmap.plan import NEEDS_PATH_TO_GREEN, parse_quarter, quarter_bounds, quarter_of
from rm_core.text import md_escape

CARD_LIMIT = 40  # cards per column; the timeline and the grid show everything
STATUS_BADGE = {"on_track": "green", "at_risk": "orange", "off_track": "red", "done": "gray",
                "not_started": "blue"}
ZOOM_LABELS = {"all": "Everything", "year": "A year", "quarter": "A quarter"}


@st.cache_resource(max_entries=4, show_spinner=False)
def _plan(version: tuple) -> rm.Plan:
    return rm.load_plan()


@st.cache_resource(max_entries=16, show_spinner=False)
def _view(version: tuple, today: dt.date, workstreams: tuple[str, ...], baseline: str | None,
          baseline_saved: dt.datetime | None, zoom: str, focus: dt.date | None) -> tuple[rm.RoadmapView, dict]:
    """The view and its timeline with Arrow datasets; keyed on the plan version and the baseline's save time,
    so an edit or a re-saved baseline recomputes. Callers must not mutate what they get."""
    snapshot = rm.get_baseline(baseline).snapshot if baseline else None
    view = rm.roadmap_view(_plan(version), today=today, workstreams=list(workstreams) or None,
                           baseline_name=baseline, baseline_snapshot=snapshot, zoom=zoom, focus=focus)
    return view, with_arrow_datasets(view.timeline)


def _badge(status: str) -> str:
    """A status badge in Markdown (one element per card keeps a 500-initiative page fast)."""
    return f":{STATUS_BADGE.get(status, 'gray')}-badge[{rm.STATUS_LABELS.get(status, status)}]"


def _money(value: float | None) -> str:
    return f"${value:,.0f}" if value is not None else "—"


def _do(fn, *args, success: str) -> None:
    """Run a service; on success rerun so every tab shows the change, with the message shown once on top."""
    done = run_action(lambda: fn(*args) or True)
    if done:
        st.session_state["rm_flash"] = success
        st.rerun()


@st.cache_resource(max_entries=8, show_spinner=False)
def _grid_rows(version: tuple, ids: tuple[str, ...], _view: rm.RoadmapView) -> pl.DataFrame:
    """The editable columns of the initiatives shown, built once per plan version and selection."""
    items = _view.plan.items
    return pl.DataFrame({
        "id": [i.id for i in items], "title": [i.title for i in items],
        "workstream": [i.workstream for i in items], "owner": [i.owner for i in items],
        "horizon": [i.horizon for i in items], "start": [i.declared_start for i in items],
        "end": [i.declared_end for i in items], "status": [i.status for i in items],
        "status_note": [i.status_note for i in items], "ai_based": [i.ai_based for i in items],
        "expected_roi_usd": [i.expected_roi_usd for i in items],
    }, schema={"id": pl.String, "title": pl.String, "workstream": pl.String, "owner": pl.String,
               "horizon": pl.String, "start": pl.Date, "end": pl.Date, "status": pl.String,
               "status_note": pl.String, "ai_based": pl.Boolean, "expected_roi_usd": pl.Float64})


def _edit_tab(view: rm.RoadmapView, version: tuple) -> None:
    items = view.plan.items
    st.subheader("Edit in the grid")
    st.caption("Change cells, then save: every change is checked (end before start, unknown owner) and saved "
               "together or not at all. Dates here are the declared ones; milestones can widen them.")
    rows = _grid_rows(version, tuple(i.id for i in items), view)
    grid_key = f"rm_grid_{abs(hash(version))}"  # a new key after each save resets the grid to the saved state
    if rows.height:
        st.data_editor(rows, key=grid_key, hide_index=True, num_rows="fixed", width="stretch", disabled=["id"],
                       column_config={
                           "id": st.column_config.TextColumn("Id", width="small"),
                           "title": st.column_config.TextColumn("Title", width="large", required=True),
                           "workstream": st.column_config.TextColumn("Workstream", required=True),
                           "owner": st.column_config.SelectboxColumn("Owner", options=["", *owner_names]),
                           "horizon": st.column_config.SelectboxColumn("Horizon", options=list(rm.HORIZONS)),
                           "start": st.column_config.DateColumn("Start", format="YYYY-MM-DD"),
                           "end": st.column_config.DateColumn("End", format="YYYY-MM-DD"),
                           "status": st.column_config.SelectboxColumn("Status", options=list(rm.STATUSES)),
                           "status_note": st.column_config.TextColumn("Status note", width="medium"),
                           "ai_based": st.column_config.CheckboxColumn("AI-based"),
                           "expected_roi_usd": st.column_config.NumberColumn("Expected ROI ($)", format="%.0f"),
                       })
        edited = st.session_state.get(grid_key, {}).get("edited_rows", {})
        if edited:
            st.caption(f":orange[:material/edit: {len(edited)} row(s) changed, not saved yet.]")
        if st.button("Save grid changes", type="primary", key="rm_grid_save"):
            ids = rows["id"].to_list()
            changes = [{"id": ids[int(index)], **values} for index, values in edited.items()]
            if not changes:
                st.info("No cell was changed.")
            else:
                _do(rm.apply_grid_edits, actor, changes, success=f"Saved changes to {len(changes)} initiative(s).")

    st.subheader("New initiative")
    with st.form("rm_new_initiative", clear_on_submit=True):
        left, right = st.columns(2)
        title = left.text_input("Title")
        workstream = right.selectbox("Workstream", all_workstreams, index=None, accept_new_options=True,
                                     placeholder="Pick or type a new one")
        owner = left.selectbox("Owner", ["", *owner_names], format_func=lambda o: o or "unassigned")
        horizon = right.selectbox("Horizon", rm.HORIZONS, format_func=rm.HORIZON_LABELS.get, index=1)
        start = left.date_input("Start", value=None)
        end = right.date_input("End", value=None)
        status = left.selectbox("Status", rm.STATUSES, format_func=rm.STATUS_LABELS.get)
        roi = right.number_input("Expected ROI ($)", value=None, min_value=0.0, step=10_000.0)
        note = st.text_input("Status note")
        description = st.text_area("Description")
        ai_based = st.checkbox("AI-based")
        if st.form_submit_button("Add initiative", type="primary"):
            _do(lambda: rm.create_initiative(actor, title=title, workstream=workstream or "", owner=owner,
                                             horizon=horizon, start=start, end=end, status=status,
                                             status_note=note, description=description, ai_based=ai_based,
                                             expected_roi_usd=roi),
                success=f"Added {md_escape(title.strip())}.")

    if items:
        st.subheader("Milestones")
        labels = {i.id: f"{i.id} · {i.title}" for i in items}
        chosen = pick_record("Initiative", labels, key="rm_ms_initiative")
        mine = [m for m in view.plan.milestones if m.initiative_id == chosen]
        if mine:
            st.dataframe([{"id": m.id, "milestone": m.title, "due": m.due, "done": m.done} for m in mine],
                         hide_index=True, width="stretch", key="rm_ms_table",
                         column_config={"id": None, "due": st.column_config.DateColumn("Due"),
                                        "done": st.column_config.CheckboxColumn("Done")})
        with st.form(record_key("rm_milestone_form", chosen), clear_on_submit=True):
            left, right = st.columns(2)
            ms_title = left.text_input("Milestone")
            ms_due = right.date_input("Due", value=None)
            if st.form_submit_button("Add milestone"):
                _do(rm.add_milestone, actor, chosen, ms_title, ms_due,
                    success=f"Milestone added to {md_escape(chosen)}.")
        if mine:
            ms_labels = {m.id: f"{m.due} · {m.title}" for m in mine}
            with st.container(horizontal=True, vertical_alignment="bottom"):
                ms = pick_record("Milestone", ms_labels, key=record_key("rm_ms_pick", chosen))
                if st.button("Mark done", key="rm_ms_done"):
                    _do(lambda: rm.update_milestone(actor, ms, done=True), success="Milestone marked done.")
                if st.button("Remove", key="rm_ms_remove"):
                    _do(rm.remove_milestone, actor, ms, success="Milestone removed.")

        if view.plan.dependencies:
            st.subheader("Remove a dependency")
            dep_labels = {f"{p}>{s}": f"{s} waits on {p}" for p, s in view.plan.dependencies}
            with st.container(horizontal=True, vertical_alignment="bottom"):
                dep = st.selectbox("Dependency", list(dep_labels), format_func=dep_labels.get, key="rm_dep_pick")
                if st.button("Remove dependency", key="rm_dep_remove"):
                    pred, succ = dep.split(">")
                    _do(rm.remove_dependency, actor, pred, succ, success=f"{succ} no longer waits on {pred}.")

        st.subheader("Drop an initiative")
        with st.form("rm_drop_form", clear_on_submit=True):
            drop = st.selectbox("Initiative", list(labels), format_func=labels.get)
            reason = st.text_input("Why (kept in the audit log)")
            sure = st.checkbox("Yes, take it off the roadmap (baselines keep it)")
            if st.form_submit_button("Drop initiative"):
                if not sure:
                    st.error("Tick the box to confirm.")
                else:
                    _do(rm.drop_initiative, actor, drop, reason, success=f"Dropped {drop}.")

    st.subheader("Import a CSV")
    st.caption("Columns: id, title, workstream, owner, horizon, start, end, status, status_note, ai_based, "
               "expected_roi_usd, depends_on (ids separated by ;), milestones ('YYYY-MM-DD: title' separated by ;). "
               "A row with an existing id updates it. One bad row and nothing is written.")
    upload = st.file_uploader("CSV file", type=["csv"], key="rm_import_file")
    new_owners = st.checkbox("Accept owners the workbench does not know yet", key="rm_import_new_owners")
    if st.button("Import", disabled=upload is None, key="rm_import"):
        result = run_action(rm.import_initiatives_csv, actor, upload.getvalue(), file_name=upload.name,
                            allow_new_owners=new_owners)
        if result is not None:
            st.session_state["rm_flash"] = f"Imported {md_escape(upload.name)}: {result.summary()}."
            st.rerun()


def _server_root() -> str:
    """The address of the server's root as this browser reached it (a link opens at the root)."""
    from urllib.parse import urlsplit

    url = urlsplit(getattr(st.context, "url", "") or "")
    return f"{url.scheme}://{url.netloc}/" if url.netloc else ""


def _share_section(url_state: dict[str, str | list[str]]) -> None:
    """Make a read-only link to this view, and list (and revoke) the links you made (an admin: everyone's)."""
    with st.expander(":material/share: Share a read-only link", expanded=False):
        c1, c2, c3 = st.columns([2, 1, 1], vertical_alignment="bottom")
        with_metrics = c1.checkbox("Include the Metrics (WBR) page", key="share-metrics",
                                   help="The link then opens both pages; metrics show unfiltered.",
                                   disabled=not can(actor, "metrics.edit"))
        days = c2.number_input("Valid for (days)", 1, links.MAX_DAYS, value=links.DEFAULT_DAYS, key="share-days")
        if c3.button("Create link", key="share-create", type="primary"):
            scope = links.LinkScope(("roadmap", "metrics") if with_metrics else ("roadmap",),
                                    {k: url_state[k] for k in links.share.ROADMAP_FILTERS if k in url_state})
            made = run_action(links.create_link, actor, scope, days=int(days))
            if made:
                st.session_state["share-made"] = made.id
        mine = links.list_links(actor)
        if not mine:
            st.caption("No links yet. A link opens this roadmap read-only, with the filters set above, for anyone "
                       "who holds it, until it expires or you revoke it.")
        base = _server_root()
        for link in mine:
            status = link.status()
            with st.container(border=True):
                left, right = st.columns([5, 1], vertical_alignment="center")
                left.markdown(f"**{md_escape(link.scope.describe())}** · {status} · until "
                              f"{link.expires_at:%d %b %Y %H:%M} UTC · by {md_escape(link.created_by)} · "
                              f"`{link.id}`")
                if status == "active":
                    left.code(f"{base}{links.link_path(link)}", language=None)
                    right.button("Revoke", key=f"share-revoke-{link.id}", on_click=lambda i=link.id: _do(
                        links.revoke_link, actor, i, success=f"Link {i} revoked: it no longer opens anything."))


actor = current_actor()
link = share_link()
leadership = link is not None
editing = can(actor, "roadmap.edit") and not leadership
today = dt.date.today()

version = rm.plan_version()
plan = _plan(version)
owner_names = rm.list_owners() if editing else []
baselines = rm.list_baselines()
saved_at = {b.name: b.created_at for b in baselines}

st.title("Roadmap")
if not leadership:
    st.caption("Initiatives by workstream with RAG status, path to green, dependencies and what moved since a "
               "baseline. Filters are in the address bar, so any view can be shared.")

flash = st.session_state.pop("rm_flash", None)
if flash:
    st.success(flash, icon=":material/check_circle:")

if not plan.items:
    if editing:
        empty_state("No initiatives yet. Add one in the **Edit** tab below, import a CSV "
                    "(`python -m rm_core roadmap import FILE`), or promote ideas from an OP1 workshop.")
    else:
        empty_state("No initiatives yet. An editor adds them on this page or promotes workshop ideas; "
                    "come back once the roadmap has content.")

# --- filters (read from and written back to the URL) ------------------------------------------------------------

params = st.query_params
all_workstreams = plan.workstreams()
baseline_names = [b.name for b in baselines]
if leadership:
    # the link's filters, signed into its token: the holder cannot widen them
    fixed = link.scope.roadmap
    workstreams = list(fixed.get("workstream") or [])  # a workstream renamed since shows nothing, not everything
    baseline = fixed.get("baseline") if fixed.get("baseline") in baseline_names else None
    zoom = fixed.get("zoom") if fixed.get("zoom") in rm.ZOOMS else "all"
    period, focus = fixed.get("period"), None
    if zoom == "quarter" and period:
        try:
            focus = quarter_bounds(*parse_quarter(period))[0]
        except (ValueError, TypeError):
            zoom = "all"
    elif zoom == "year" and period and str(period).isdigit():
        focus = dt.date(int(period), 1, 1)
    elif zoom != "all":
        zoom = "all"
    st.caption(f"Read-only view shared by link: {md_escape(link.scope.describe())}.")
else:
    wanted = [w for w in params.get_all("workstream") if w in all_workstreams]
    wanted_baseline = params.get("baseline")
    if wanted_baseline and wanted_baseline not in baseline_names:
        st.warning(f"The link names a baseline that does not exist ({md_escape(wanted_baseline)}); showing the "
                   "roadmap without one.", icon=":material/warning:")
        wanted_baseline = None
    zoom = params.get("zoom", "all")
    zoom = zoom if zoom in rm.ZOOMS else "all"

    with st.container(horizontal=True, vertical_alignment="bottom"):
        workstreams = st.multiselect("Workstreams", all_workstreams, default=wanted, placeholder="All workstreams",
                                     key="rm_workstreams", width=360)
        baseline = st.selectbox("Compare with baseline", [None, *baseline_names],
                                index=([None, *baseline_names].index(wanted_baseline)),
                                format_func=lambda b: "No baseline" if b is None else b, key="rm_baseline", width=240)
        zoom = st.segmented_control("Zoom", list(rm.ZOOMS), default=zoom, format_func=ZOOM_LABELS.get,
                                    key="rm_zoom") or "all"
        focus = None
        if zoom == "quarter":
            years = sorted({d.year for i in plan.items for d in (i.start, i.end) if d} | {today.year})
            quarters = [f"{y}-Q{q}" for y in years for q in (1, 2, 3, 4)]
            current = "{}-Q{}".format(*quarter_of(today))
            period = params.get("period") if params.get("period") in quarters else current
            period = st.selectbox("Quarter", quarters, index=quarters.index(period), key="rm_quarter", width=130)
            focus = quarter_bounds(*parse_quarter(period))[0]
        elif zoom == "year":
            years = sorted({d.year for i in plan.items for d in (i.start, i.end) if d} | {today.year})
            wanted_year = params.get("period")
            year = int(wanted_year) if wanted_year and wanted_year.isdigit() and int(wanted_year) in years else today.year
            year = st.selectbox("Year", years, index=years.index(year), key="rm_year", width=100)
            period, focus = str(year), dt.date(year, 1, 1)
        else:
            period = None

    url_state: dict[str, str | list[str]] = {}
    if workstreams:
        url_state["workstream"] = list(workstreams)
    if baseline:
        url_state["baseline"] = baseline
    if zoom != "all":
        url_state["zoom"] = zoom
        url_state["period"] = period
    current_params = {k: (params.get_all(k) if k == "workstream" else params.get(k)) for k in params}
    if current_params != url_state:
        params.from_dict(url_state)


view, timeline = _view(version, today, tuple(workstreams), baseline, saved_at.get(baseline), zoom, focus)
items = view.plan.items

if not leadership and actor.workshop_session is None and (can(actor, "roadmap.edit") or can(actor, "admin")):
    _share_section(url_state)

# --- headline --------------------------------------------------------------------------------------------------

counts = {s: sum(1 for i in items if i.status == s) for s in rm.STATUSES}
with st.container(horizontal=True):
    st.metric("Initiatives", len(items), border=True)
    st.metric("On track", counts["on_track"], border=True)
    st.metric("At risk", counts["at_risk"], border=True)
    st.metric("Off track", counts["off_track"], border=True)
    st.metric("Done", counts["done"], border=True)
    st.metric("AI-based", sum(i.ai_based for i in items), border=True)
    st.metric("Expected ROI", _money(sum(i.expected_roi_usd or 0 for i in items)), border=True)
    if view.summary is not None:
        st.metric(f"Slipped since {md_escape(baseline)}", view.summary.slipped, border=True)

tab_names = ["Timeline", "Now / Next / Later", "Status", "What moved", "Dependencies"]
if editing:
    tab_names.append("Edit")
tabs = dict(zip(tab_names, st.tabs(tab_names), strict=True))

# --- timeline ----------------------------------------------------------------------------------------------------

with tabs["Timeline"]:
    if not view.plan.items:
        empty_state("Nothing to draw for these filters.")
    else:
        unscheduled = sum(1 for i in items if i.start is None and i.end is None)
        st.vega_lite_chart(timeline, width="stretch")
        st.caption("Bars: on track green, at risk amber, off track red, done grey, not started blue-grey. ◆ milestones "
                   "(filled when done); lines link a predecessor's end to its successor's start (red when the "
                   "successor starts first); the dashed line is today"
                   + ("; dashed outlines are the baseline dates." if baseline else ".")
                   + (f" {unscheduled} initiative(s) without dates are not drawn." if unscheduled else ""))
    scope = ", ".join(workstreams) if workstreams else "all workstreams"
    stamp = today.isoformat()

    def _image(fmt: str) -> bytes:
        from rm_core.roadmap.charts import timeline_spec
        spec = timeline_spec(view.plan, today=today, window=view.window, moves=view.moves, width=1100,
                             title=f"Roadmap — {scope}" + (f" vs {baseline}" if baseline else ""))
        return export.timeline_image(spec, fmt)

    with st.container(horizontal=True):
        st.download_button("PNG", lambda: _image("png"), file_name=f"roadmap-{stamp}.png", mime="image/png",
                           icon=":material/image:", on_click="ignore")
        st.download_button("SVG", lambda: _image("svg"), file_name=f"roadmap-{stamp}.svg", mime="image/svg+xml",
                           icon=":material/image:", on_click="ignore")
        st.download_button("CSV", lambda: export.initiatives_csv(view.plan), file_name=f"roadmap-{stamp}.csv",
                           mime="text/csv", icon=":material/download:", on_click="ignore")
        st.download_button("One-pager (Markdown)", lambda: export.one_pager_markdown(
            view.plan, today=today, baseline_name=baseline, moves=view.moves if baseline else None, scope=scope),
            file_name=f"roadmap-one-pager-{stamp}.md", mime="text/markdown", icon=":material/description:",
            on_click="ignore")
        st.download_button("One-pager (HTML)", lambda: export.one_pager_html(
            view.plan, today=today, baseline_name=baseline, moves=view.moves if baseline else None, scope=scope),
            file_name=f"roadmap-one-pager-{stamp}.html", mime="text/html", icon=":material/description:",
            on_click="ignore")

# --- now / next / later ----------------------------------------------------------------------------------------

with tabs["Now / Next / Later"]:
    ideas = rm.source_ideas(i.source_idea_id for i in items if i.source_idea_id)
    for column, horizon in zip(st.columns(3), rm.HORIZONS, strict=True):
        group = sorted((i for i in items if i.horizon == horizon), key=lambda i: (i.end or dt.date.max, i.id))
        with column:
            st.subheader(f"{rm.HORIZON_LABELS[horizon]} · {len(group)}")
            if not group:
                st.caption("Nothing here.")
            for item in group[:CARD_LIMIT]:
                idea = ideas.get(item.source_idea_id) if item.source_idea_id else None
                lines = [f"**{md_escape(item.title)}** · {item.id}",
                         f":gray[{md_escape(item.workstream)} · {md_escape(item.owner) or 'unassigned'}"
                         + (f" · ends {item.end.isoformat()}" if item.end else "") + "]",
                         " ".join([_badge(item.status)]
                                  + ([":violet-badge[:material/smart_toy: AI-based]"] if item.ai_based else [])
                                  + ([f":gray-badge[ROI {_money(item.expected_roi_usd)}]"]
                                     if item.expected_roi_usd is not None else []))]
                if idea:
                    lines.append(f"[:material/lightbulb: From workshop “{md_escape(idea.session_title)}”]"
                                 f"(workshops?session={idea.session_id})")
                st.container(border=True).markdown("  \n".join(lines))
            if len(group) > CARD_LIMIT:
                st.caption(f"… and {len(group) - CARD_LIMIT} more (narrow by workstream to see them all).")

# --- status and path to green -----------------------------------------------------------------------------------

with tabs["Status"]:
    troubled = sorted((i for i in items if i.status in NEEDS_PATH_TO_GREEN),
                      key=lambda i: (i.status != "off_track", i.id))
    if not troubled:
        empty_state("No initiative is at risk or off track.", icon=":material/check_circle:")
    for item in troubled[:CARD_LIMIT]:
        path = view.plan.paths_to_green.get(item.id)
        stamp = item.status_at.date().isoformat() if item.status_at else "undated"
        lines = [f"{_badge(item.status)} **{md_escape(item.title)}** · {item.id} · "
                 f"{md_escape(item.owner) or 'unassigned'}",
                 f"*{stamp}:* {md_escape(item.status_note) or 'no status note'}"]
        if path is None:
            lines.append(":orange-badge[:material/warning: Path to green missing] the owner owes actions, an "
                         "owner and a due date.")
        else:
            lines += [f"**Path to green** ({path.created_at:%Y-%m-%d}): {md_escape(path.actions)}",
                      f"Owner {md_escape(path.owner)} · due {path.due.isoformat() if path.due else '—'}",
                      f"Blockers: {md_escape(path.blockers) or 'none'}",
                      f"Decision needed: {md_escape(path.decision_needed) or 'none'}"]
        st.container(border=True).markdown("  \n".join(lines))
    if len(troubled) > CARD_LIMIT:
        st.caption(f"… and {len(troubled) - CARD_LIMIT} more; narrow by workstream.")

    if items:
        st.subheader("Status history")
        labels = {i.id: f"{i.id} · {i.title}" for i in items}
        chosen = pick_record("Initiative", labels, key="rm_history_of")
        history = rm.status_history(chosen)
        st.dataframe([{"when": h.at, "who": h.actor, "from": rm.STATUS_LABELS.get(h.from_status or "", "—"),
                       "to": rm.STATUS_LABELS.get(h.to_status, h.to_status), "note": h.note} for h in history],
                     hide_index=True, width="stretch",
                     column_config={"when": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm"),
                                    "note": st.column_config.TextColumn("Note", width="large")})
        if editing:
            current = view.plan.by_id()[chosen]
            status_form = record_key("rm_status_form", chosen, current.status, abs(hash(version)))
            with st.form(status_form, clear_on_submit=True):
                st.markdown(f"**Update the status of {md_escape(labels[chosen])}**")
                new_status = st.selectbox("Status", rm.STATUSES, index=rm.STATUSES.index(current.status),
                                          format_func=rm.STATUS_LABELS.get)
                note = st.text_area("Status note (dated today)", placeholder="What changed and why")
                st.caption("Path to green — expected when the status is at risk or off track")
                actions = st.text_area("Actions")
                ptg_owner = st.selectbox("Owner of the path to green", ["", *owner_names], key=f"{status_form}-owner")
                due = st.date_input("Due", value=None)
                blockers = st.text_input("Blockers")
                decision = st.text_input("Decision needed (from whom)")
                if st.form_submit_button("Save status", type="primary"):
                    has_path = bool(actions.strip() or ptg_owner or due)
                    path_input = rm.PathToGreenInput(actions, ptg_owner, due, blockers, decision) if has_path else None
                    _do(rm.set_status, actor, chosen, new_status, note, path_input,
                        success=f"Status of {chosen} saved.")

# --- baselines / what moved -----------------------------------------------------------------------------------------

with tabs["What moved"]:
    if not baselines:
        empty_state("No baseline saved yet. "
                    + ("Save one below (e.g. 'OP1 approved') to see later what slipped." if editing
                       else "An editor saves one at each review; then this shows what slipped."))
    elif not baseline:
        empty_state("Pick a baseline in **Compare with baseline** above to see what moved since then.")
    else:
        s = view.summary
        st.markdown(f"Since **{md_escape(baseline)}** (saved {saved_at[baseline]:%Y-%m-%d}): {s.slipped} slipped, "
                    f"{s.pulled_in} pulled in, {s.added} added, {s.dropped} dropped, {s.status_changes} status "
                    "changes. Ghost bars on the timeline show the baseline dates.")
        slipped = sorted((m for m in view.moves if m.change == "slipped"), key=lambda m: -(m.end_shift_days or 0))
        if slipped:
            shown = ", ".join(f"{md_escape(m.title)} ({m.initiative_id}, {m.end_shift_days:+d} d)"
                              for m in slipped[:10])
            st.markdown(f"**Slipped most:** {shown}" + (f" and {len(slipped) - 10} more." if len(slipped) > 10
                                                       else "."))
        if view.moved_frame.height:
            st.dataframe(
                view.moved_frame, hide_index=True, width="stretch", key="rm_moved_table",
                column_config={"id": st.column_config.TextColumn("Id", width="small"),
                               "initiative": st.column_config.TextColumn("Initiative", width="large"),
                               "workstream": "Workstream", "change": "Change",
                               "baseline_end": st.column_config.DateColumn("Baseline end"),
                               "current_end": st.column_config.DateColumn("Current end"),
                               "shift": st.column_config.NumberColumn("End moved (days)", format="%+d"),
                               "status": "Status then → now"})
        else:
            st.success("Nothing moved since this baseline.", icon=":material/check_circle:")
    if editing:
        with st.form("rm_baseline_form", clear_on_submit=True):
            name = st.text_input("Save the roadmap as it is now as a baseline named",
                                 placeholder="e.g. OP1 approved, Q3 review")
            if st.form_submit_button("Save baseline"):
                _do(rm.save_baseline, actor, name, success=f"Baseline saved: {md_escape(' '.join(name.split()))}.")

# --- dependencies ---------------------------------------------------------------------------------------------------

with tabs["Dependencies"]:
    if not view.conflicts:
        st.success("No conflicts: every successor starts after its predecessors end.", icon=":material/check_circle:")
    else:
        st.markdown(f"**{len(view.conflicts)} dependency conflict(s)**: a successor starts before its predecessor "
                    "ends.")
        st.dataframe(view.conflicts_frame, hide_index=True, width="stretch", key="rm_conflicts",
                     column_config={"successor": st.column_config.TextColumn("Successor", width="large"),
                                    "starts": st.column_config.DateColumn("Starts"),
                                    "waits_on": st.column_config.TextColumn("Waits on", width="large"),
                                    "which_ends": st.column_config.DateColumn("Which ends"),
                                    "overlap": st.column_config.NumberColumn("Overlap (days)", format="%d")})
    st.subheader("The chain behind a late initiative")
    if not view.late:
        st.caption("Nothing is late (off track, or past its end and not done).")
    else:
        late_labels = {i.id: f"{i.id} · {i.title} ({i.status_label}, ends {i.end})" for i in view.late}
        late_id = pick_record("Late initiative", late_labels, key="rm_late")
        chain = view.chain_behind(late_id)
        if chain:
            st.dataframe([{"depth": c.depth, "initiative": f"{c.initiative_id} · {c.title}",
                           "feeds": c.feeds, "owner": c.owner, "ends": c.end,
                           "status": rm.STATUS_LABELS.get(c.status, c.status), "late": c.late} for c in chain],
                         hide_index=True, width="stretch", key="rm_chain",
                         column_config={"depth": st.column_config.NumberColumn("Steps back", format="%d"),
                                        "ends": st.column_config.DateColumn("Ends"),
                                        "late": st.column_config.CheckboxColumn("Late")})
        else:
            st.caption("It waits on nothing: the delay is its own.")
    if editing and len(items) > 1:
        with st.form("rm_dependency_form", clear_on_submit=True):
            st.markdown("**Add a dependency**")
            labels = {i.id: f"{i.id} · {i.title}" for i in view.plan.items}
            succ = st.selectbox("This initiative", list(labels), format_func=labels.get)
            pred = st.selectbox("waits on", list(labels), format_func=labels.get, index=1)
            if st.form_submit_button("Add dependency"):
                _do(rm.add_dependency, actor, pred, succ, success=f"{succ} now waits on {pred}.")

# --- edit (editors only) -----------------------------------------------------------------------------------------

if editing:
    with tabs["Edit"]:
        _edit_tab(view, version)
