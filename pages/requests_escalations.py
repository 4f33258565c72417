"""Requests & escalations: intake, the queue by SLA risk, ageing and trend, moving a request to closure."""
from __future__ import annotations

import datetime as dt
import threading

import altair as alt
import polars as pl
import streamlit as st

from pages._ui import act, current_actor, empty_state, import_export_tab, record_by_id, show_flash
from rm_core.charts import RAG_COLOURS
from rm_core.identity import can
from rm_core.settings import get_settings
from rm_core.text import md_escape
from rm_core.trackers import (assign_request, file_request, get_request, import_requests, link_request,
                              load_sla_table, move_request)
from rm_core.trackers import views
from rm_core.trackers.page_data import export_table, now as tracker_now, request_headline, requests_snapshot
from rm_core.trackers.requests import (NEXT_STATUSES, REQUESTER_TEAMS, ROOT_CAUSES, SITES, STATUS_LABELS)
from rm_core.trackers.sla import AGEING_BUCKETS, KINDS, PRIORITIES, SLA_COLOURS

SHOWN_ROWS = 500
COLOUR_MARK = {"green": "🟢 green", "amber": "🟠 amber", "red": "🔴 red"}

actor = current_actor()
editable = can(actor, "tracker.edit")
settings = get_settings()


@st.cache_resource(show_spinner=False)
def _snapshots(database_url: str) -> dict:
    """One shared, refreshable copy of the requests frame per database, for every session of this process."""
    return {"lock": threading.Lock(), "snapshot": None}


def load_requests() -> pl.DataFrame:
    """All requests as a frame; after an edit only the rows that changed are read again."""
    holder = _snapshots(settings.database_url)
    with holder["lock"]:
        holder["snapshot"] = requests_snapshot(holder["snapshot"])
        return holder["snapshot"].frame






# --- callbacks ------------------------------------------------------------------------------------------------

def _file() -> None:
    ss = st.session_state
    req = act(file_request, actor, kind=ss["f-kind"], title=ss.get("f-title", ""),
              requester_team=ss.get("f-team") or "", priority=ss["f-priority"],
              description=ss.get("f-description", ""), owner=ss.get("f-owner", ""), site=ss.get("f-site") or "",
              mo_id=ss.get("f-mo", ""), sla_table=load_sla_table(settings.home),
              success=lambda r: f"Filed {r.id}; SLA due {r.sla_due:%Y-%m-%d %H:%M} UTC.")
    if req:
        ss["u-id"] = req.id
        for key in ("f-title", "f-description", "f-mo"):
            ss[key] = ""


def _move(request_id: str, status: str) -> None:
    ss, k = st.session_state, f"{request_id}-{status}"
    to = ss.get(f"u-to-{k}")
    act(move_request, actor, request_id, to, note=ss.get(f"u-note-{k}", ""),
        root_cause_category=ss.get(f"u-cause-{k}") if to == "resolved" else None,
        root_cause_note=ss.get(f"u-cause-note-{k}", "") if to == "resolved" else "",
        success=f"{request_id} moved to {STATUS_LABELS.get(to, to)}.")


def _assign(request_id: str) -> None:
    act(assign_request, actor, request_id, st.session_state.get(f"u-owner-{request_id}", ""),
        success=f"{request_id} assigned.")


def _link(request_id: str) -> None:
    ss = st.session_state
    act(link_request, actor, request_id, mo_id=ss.get(f"u-mo-{request_id}", ""),
        gap_id=ss.get(f"u-gap-{request_id}", ""), success=f"Links of {request_id} saved.")



# --- layout ---------------------------------------------------------------------------------------------------

st.title("Requests & escalations")
st.caption("Partner requests, deep dives, Sev2 and COE action items and executive escalations: SLA from kind and "
           "priority, green while more than 25% of the SLA remains, amber down to 10%, red below that and once "
           "breached.")
show_flash(st.container())

requests = load_requests()
now = tracker_now()

headline = st.container()
if requests.is_empty():
    with headline:
        empty_state("No requests yet. File the first one in **File a request** below, or import a CSV of "
                    "existing requests under **Import / export**.")
else:
    head = request_headline(requests, now)
    row1, row2 = headline.columns(3), headline.columns(3)
    row1[0].metric("Open requests", f"{head.open_requests:,}",
                   help="Requests not yet resolved (new, triaged, in progress, blocked); the WBR metric "
                        "'Open requests'")
    row1[1].metric("Overdue", f"{head.overdue:,}", help="Open requests past their SLA due time")
    row1[2].metric("Open > 30 days", f"{head.open_over_30_days:,}")
    row2[0].metric("Resolved (7 days)", f"{head.resolved_7d:,}", help="The WBR metric 'Requests resolved'")
    row2[1].metric("Within SLA (7 days)",
                   "—" if head.within_sla_pct_7d is None else f"{head.within_sla_pct_7d:.0f}%",
                   help="Share of the requests resolved in the last 7 days that met their SLA; the WBR metric "
                        "'% resolved within SLA'")
    row2[2].metric("Median days to resolve (7 days)",
                   "—" if head.median_days_7d is None else f"{head.median_days_7d:.1f}",
                   help="The WBR metric 'Median time to resolve'")

tab_queue, tab_ageing, tab_file, tab_update, tab_io = st.tabs(
    ["Queue", "Ageing & trend", "File a request", "Update a request", "Import / export"])

with tab_queue:
    if requests.is_empty():
        empty_state("The queue is empty.")
    else:
        f1, f2, f3, f4 = st.columns([1, 2, 2, 2])
        mine = f1.toggle("My items", key="q-mine", help=f"Requests owned by {actor.name}")
        only_overdue = f1.toggle("Overdue only", key="q-overdue")
        kinds = f2.multiselect("Kind", list(KINDS), format_func=KINDS.get, key="q-kinds")
        teams = f3.multiselect("Requester team", sorted(requests["requester_team"].unique().to_list()),
                               key="q-teams")
        colours = f4.multiselect("SLA colour", list(SLA_COLOURS), key="q-colours")
        q = views.queue(requests, now, owner=actor.name if mine else None, kinds=kinds, teams=teams,
                        colours=colours)
        if only_overdue:
            q = q.filter(pl.col("breached"))
        filtered = mine or only_overdue or kinds or teams or colours
        if q.is_empty():
            empty_state("Nothing matches these filters." if filtered else "No open requests: everything is resolved.")
        else:
            st.caption(f"{q.height:,} open requests, most at risk first"
                       + (f" (showing the first {SHOWN_ROWS})" if q.height > SHOWN_ROWS else ""))
            shown = q.head(SHOWN_ROWS).select(
                "id", sla=pl.col("sla_colour").replace_strict(COLOUR_MARK), title="title",
                kind=pl.col("kind").replace_strict(KINDS), priority="priority",
                status=pl.col("status").replace_strict(STATUS_LABELS), owner="owner",
                requester_team="requester_team", age_days="age_days", sla_due="sla_due",
                days_to_due="days_to_due", mo_id="mo_id", gap_id="gap_id")
            st.dataframe(shown, hide_index=True, width="stretch", key="q-table", column_config={
                "id": st.column_config.TextColumn("Request", width="small"),
                "sla": st.column_config.TextColumn("SLA", width="small"),
                "title": st.column_config.TextColumn("Title", width="large"),
                "kind": "Kind", "priority": st.column_config.TextColumn("Priority", width="small"),
                "status": "Status", "owner": "Owner", "requester_team": "Requester team",
                "age_days": st.column_config.NumberColumn("Age (days)", format="%d"),
                "sla_due": st.column_config.DatetimeColumn("SLA due (UTC)", format="YYYY-MM-DD HH:mm"),
                "days_to_due": st.column_config.NumberColumn("Days to due", format="%.1f",
                                                             help="Negative: overdue by that many days"),
                "mo_id": "MO", "gap_id": "Gap"})

with tab_ageing:
    if requests.is_empty():
        empty_state("Ageing and trend charts appear once there are requests.")
    else:
        left, right = st.columns(2)
        with left:
            st.subheader("Open requests by age")
            ageing = views.ageing(requests, now)
            chart = alt.Chart(ageing.to_pandas()).mark_bar().encode(
                x=alt.X("age_bucket:N", sort=list(AGEING_BUCKETS), title="Days open"),
                y=alt.Y("requests:Q", title="Open requests", stack="zero"),
                color=alt.Color("sla_colour:N", title="SLA", sort=list(SLA_COLOURS),
                                scale=alt.Scale(domain=list(SLA_COLOURS),
                                                range=[RAG_COLOURS[c] for c in SLA_COLOURS])),
                order=alt.Order("colour_order:Q"),
                tooltip=[alt.Tooltip("age_bucket:N", title="Days open"), alt.Tooltip("sla_colour:N", title="SLA"),
                         alt.Tooltip("requests:Q", title="Requests")],
            ).transform_calculate(colour_order="indexof(['green','amber','red'], datum.sla_colour)")
            st.altair_chart(chart, width="stretch", key="ageing-chart")
            totals = views.ageing_totals(requests, now)
            st.caption(" · ".join(f"{b} days: {n:,}" for b, n in totals.items()))
        with right:
            st.subheader("Created and resolved per week")
            trend = views.weekly_trend(requests, now, weeks=12)
            long = trend.unpivot(index="week", on=["created", "resolved"], variable_name="series",
                                 value_name="requests")
            line = alt.Chart(long.to_pandas()).mark_line(point=True).encode(
                x=alt.X("week:T", title="Week starting"), y=alt.Y("requests:Q", title="Requests"),
                color=alt.Color("series:N", title=None),
                tooltip=[alt.Tooltip("week:T", title="Week"), "series:N", "requests:Q"])
            st.altair_chart(line, width="stretch", key="trend-chart")
            st.caption("The last point is the current week so far.")
        st.subheader("Overdue")
        over = views.overdue(requests, now)
        if over.is_empty():
            empty_state("Nothing is overdue.", icon=":material/check_circle:")
        else:
            st.dataframe(over.head(SHOWN_ROWS).select("id", "title", "owner", "requester_team", "priority",
                                                     "sla_due", "days_overdue"),
                         hide_index=True, width="stretch", column_config={
                             "id": "Request", "title": st.column_config.TextColumn("Title", width="large"),
                             "owner": "Owner", "requester_team": "Requester team", "priority": "Priority",
                             "sla_due": st.column_config.DatetimeColumn("SLA due (UTC)", format="YYYY-MM-DD HH:mm"),
                             "days_overdue": st.column_config.NumberColumn("Days overdue", format="%.1f")})
        st.subheader("Median time to resolve (last 90 days)")
        ttr = views.time_to_resolve(requests, since=now - dt.timedelta(days=90))
        if ttr.is_empty():
            empty_state("No request was resolved in the last 90 days.")
        else:
            st.dataframe(ttr.with_columns(pl.col("kind").replace_strict(KINDS)), hide_index=True, width="stretch",
                         column_config={
                             "kind": "Kind", "requester_team": "Requester team",
                             "resolved": st.column_config.NumberColumn("Resolved", format="%d"),
                             "median_days": st.column_config.NumberColumn("Median days", format="%.1f"),
                             "p90_days": st.column_config.NumberColumn("90th percentile days", format="%.1f"),
                             "within_sla_pct": st.column_config.ProgressColumn(
                                 "Within SLA", format="%.0f%%", min_value=0, max_value=100)})

with tab_file:
    if not editable:
        st.info(f"You are signed in as {actor.role}: filing requests needs the editor or admin role.",
                icon=":material/lock:")
    else:
        table = load_sla_table(settings.home)
        c1, c2, c3 = st.columns(3)
        c1.selectbox("Kind", list(KINDS), format_func=KINDS.get, key="f-kind")
        c2.selectbox("Priority", PRIORITIES, index=2, key="f-priority")
        c3.selectbox("Requester team", REQUESTER_TEAMS, index=None, accept_new_options=True,
                     placeholder="Choose or type a team", key="f-team")
        st.text_input("Title", key="f-title", max_chars=300)
        st.text_area("Description", key="f-description", height=100)
        c4, c5, c6 = st.columns(3)
        c4.text_input("Owner", key="f-owner", value=actor.name)
        c5.selectbox("Site", SITES, index=None, key="f-site", placeholder="India or Costa Rica")
        c6.text_input("Linked MO (optional)", key="f-mo", placeholder="MO-0142")
        days = table.days_for(st.session_state["f-kind"], st.session_state["f-priority"])
        st.caption(f"SLA: {days:g} {'business ' if table.business_days else ''}days for "
                   f"{KINDS[st.session_state['f-kind']]} at {st.session_state['f-priority']}.")
        st.button("File request", type="primary", on_click=_file, key="f-submit", icon=":material/add:")
        with st.expander("SLA table in use (days to resolve)"):
            st.dataframe(table.as_frame().drop("kind"), hide_index=True, width="stretch",
                         column_config={"kind_label": "Kind",
                                        **{p: st.column_config.NumberColumn(p, format="%g") for p in PRIORITIES}})
            st.caption(("Business days (weekends and holidays do not count). " if table.business_days
                        else "Calendar days. ")
                       + f"Set your own in {settings.home / 'sla_table.json'}: "
                       '{"days": {"deep_dive": {"P1": 5}}, "business_days": true, "holidays": ["2026-12-25"]}')

with tab_update:
    detail = record_by_id("Request id", "u-id", "REQ-00017",
                          "Enter a request id (from the queue) to see its history and move it along.", get_request)
    if detail:
        r = detail.request
        st.markdown(f"**{md_escape(r.id)} · {md_escape(r.title)}**")
        colour = r.sla_colour(now)
        st.caption(f"{KINDS[r.kind]} · {md_escape(r.priority)} · {STATUS_LABELS[r.status]} · requested by "
                   f"{md_escape(r.requester_team)} · owner {md_escape(r.owner) or 'nobody'} · "
                   f"SLA due {r.sla_due:%Y-%m-%d %H:%M} UTC ({COLOUR_MARK[colour]})")
        if r.description:
            st.text(r.description)
        if r.root_cause_category:
            st.markdown(f"Root cause: **{ROOT_CAUSES[r.root_cause_category]}** — {md_escape(r.root_cause_note)}")
        st.dataframe([{"from": m.from_status or "", "to": m.to_status, "at": m.at, "by": m.actor,
                       "note": m.note} for m in detail.history], hide_index=True, width="stretch",
                     column_config={"from": "From", "to": "To", "by": "By", "note": "Note",
                                    "at": st.column_config.DatetimeColumn("When (UTC)",
                                                                          format="YYYY-MM-DD HH:mm")})
        if not editable:
            st.info("Moving requests needs the editor or admin role.", icon=":material/lock:")
        elif not NEXT_STATUSES[r.status]:
            st.info(f"{r.id} is closed. File a new request if the problem came back.")
        else:
            k = f"{r.id}-{r.status}"
            st.selectbox("Move to", list(NEXT_STATUSES[r.status]), format_func=STATUS_LABELS.get,
                         key=f"u-to-{k}")
            if st.session_state.get(f"u-to-{k}") == "resolved":
                st.selectbox("Root-cause category", list(ROOT_CAUSES), format_func=ROOT_CAUSES.get,
                             index=None, key=f"u-cause-{k}", placeholder="Required to resolve")
                st.text_area("Root-cause note", key=f"u-cause-note-{k}", height=80,
                             placeholder="What caused it, and what was done")
            st.text_input("Note (optional)", key=f"u-note-{k}")
            st.button("Move", type="primary", on_click=_move, args=(r.id, r.status), key=f"u-move-{k}",
                      icon=":material/arrow_forward:")
        if editable:
            with st.expander("Owner and links"):
                st.text_input("Owner", key=f"u-owner-{r.id}", value=r.owner)
                st.button("Assign", on_click=_assign, args=(r.id,), key=f"u-assign-{r.id}")
                st.text_input("Linked MO", key=f"u-mo-{r.id}", value=r.mo_id or "")
                st.text_input("Upstream gap it revealed", key=f"u-gap-{r.id}", value=r.gap_id or "")
                st.button("Save links", on_click=_link, args=(r.id,), key=f"u-link-{r.id}")

with tab_io:
    import_export_tab(
        "requests", key="requests", has_rows=not requests.is_empty(), export=lambda: export_table("requests"),
        columns="Columns: kind, title, requester_team (required); id, description, priority, owner, site, status, "
                "opened_at, sla_due, resolved_at, closed_at, root_cause_category, root_cause_note, mo_id, gap_id.",
        import_fn=lambda who, data, name: import_requests(who, data, name, sla_table=load_sla_table(settings.home)),
        actor=actor, editable=editable,
        template=pl.DataFrame({
            "kind": ["partner_request"], "title": ["Sellers with forged utility bills in DE"],
            "requester_team": ["BRP EU"], "priority": ["P2"], "owner": ["priya"], "site": ["India"],
            "status": ["new"], "opened_at": ["2026-03-02 09:00"]}))
