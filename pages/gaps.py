"""Upstream gaps: what investigations showed is missing upstream, its impact, and the loop to a measured fix."""
from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from pages._ui import act, current_actor, empty_state, import_export_tab, record_by_id, show_flash
from rm_core.charts import RAG_COLOURS
from rm_core.identity import can
from rm_core.settings import get_settings
from rm_core.text import md_escape
from rm_core.trackers import (add_gap_evidence, get_gap, import_gaps, link_initiative, move_gap, quantify_gap,
                              record_gap, record_measured_impact, reject_gap)
from rm_core.trackers import views
from rm_core.trackers.gaps import LOOP_STAGES, NEXT_STATUSES, OPEN_STATUSES, OWNING_TEAMS, STATUS_LABELS
from rm_core.trackers.page_data import current_gaps, export_table, now as tracker_now, tracker_version

SHOWN_ROWS = 500
STAGE_COLOURS = [RAG_COLOURS["blue"], "#6f8fbf", RAG_COLOURS["amber"], RAG_COLOURS["green"]]

actor = current_actor()
editable = can(actor, "tracker.edit")
settings = get_settings()


@st.cache_resource(max_entries=4, show_spinner=False)
def load_gaps(database_url: str, version: tuple) -> pl.DataFrame:
    return current_gaps()






def _ids(text: str | None) -> list[str]:
    return [x.strip().upper() for x in (text or "").replace(",", ";").split(";") if x.strip()]


# --- callbacks ------------------------------------------------------------------------------------------------

def _record() -> None:
    ss = st.session_state
    gap = act(record_gap, actor, title=ss.get("g-title", ""), owning_team=ss.get("g-team") or "",
              missing=ss.get("g-missing", ""), evidence_requests=_ids(ss.get("g-reqs")),
              evidence_mos=_ids(ss.get("g-mos")), success=lambda g: f"Recorded {g.id}.")
    if gap:
        ss["u-gap-id"] = gap.id
        for key in ("g-title", "g-missing", "g-reqs", "g-mos"):
            ss[key] = ""


def _quantify(gap_id: str) -> None:
    ss = st.session_state
    act(quantify_gap, actor, gap_id, accounts=ss.get(f"q-acc-{gap_id}"), usd=ss.get(f"q-usd-{gap_id}"),
        method=ss.get(f"q-method-{gap_id}", ""), success=f"Impact of {gap_id} saved.")


def _move(gap_id: str, status: str) -> None:
    ss, k = st.session_state, f"{gap_id}-{status}"
    to = ss.get(f"m-to-{k}")
    if to == "rejected":
        act(reject_gap, actor, gap_id, ss.get(f"m-note-{k}", ""), success=f"{gap_id} rejected.")
    else:
        act(move_gap, actor, gap_id, to, note=ss.get(f"m-note-{k}", ""),
            initiative_id=(ss.get(f"m-ini-{k}") or "").strip().upper() or None,
            success=f"{gap_id} moved to {STATUS_LABELS.get(to, to)}.")


def _evidence(gap_id: str) -> None:
    ss = st.session_state
    act(add_gap_evidence, actor, gap_id, request_ids=_ids(ss.get(f"e-reqs-{gap_id}")),
        mo_ids=_ids(ss.get(f"e-mos-{gap_id}")), success=f"Evidence added to {gap_id}.")


def _initiative(gap_id: str) -> None:
    act(link_initiative, actor, gap_id, (st.session_state.get(f"i-{gap_id}") or "").strip().upper(),
        success=f"Initiative of {gap_id} saved.")


def _measure(gap_id: str) -> None:
    ss = st.session_state
    act(record_measured_impact, actor, gap_id, accounts=ss.get(f"mi-acc-{gap_id}"), usd=ss.get(f"mi-usd-{gap_id}"),
        note=ss.get(f"mi-note-{gap_id}", ""), success=f"Measured impact of {gap_id} saved.")



# --- layout ---------------------------------------------------------------------------------------------------

st.title("Upstream gaps")
st.caption("What investigations showed is missing upstream (ML, Engineering, Product, partner teams), its "
           "quantified impact, and the loop: identified → quantified → accepted → in progress → closed, with the "
           "initiative that closes it and the impact measured after the fix.")
show_flash(st.container())

gaps = load_gaps(settings.database_url, tracker_version())
now = tracker_now()

headline = st.container()
if gaps.is_empty():
    with headline:
        empty_state("No gaps yet. Record the first one in **Record a gap** (link the requests and MOs that "
                    "revealed it), or import a CSV under **Import / export**.")
else:
    open_gaps = gaps.filter(pl.col("status").is_in(OPEN_STATUSES))
    closed = gaps.filter(pl.col("status") == "closed")
    cols = headline.columns(4)
    cols[0].metric("Open gaps", f"{open_gaps.height:,}")
    cols[1].metric("Open exposure", f"${(open_gaps['impact_usd'].sum() or 0):,.0f}",
                   help="Sum of the quantified impact of open gaps")
    cols[2].metric("Closed", f"{closed.height:,}")
    cols[3].metric("Measured impact after fixes", f"${(closed['measured_usd'].sum() or 0):,.0f}")

tab_open, tab_loop, tab_record, tab_update, tab_io = st.tabs(
    ["Open gaps", "The loop", "Record a gap", "Update a gap", "Import / export"])

with tab_open:
    if gaps.is_empty():
        empty_state("Open gaps by team appear here.")
    else:
        by_team = views.open_gaps_by_team(gaps)
        left, right = st.columns([2, 3])
        with left:
            st.subheader("Open gaps by owning team")
            chart = alt.Chart(by_team.to_pandas()).mark_bar().encode(
                y=alt.Y("owning_team:N", sort="-x", title=None),
                x=alt.X("impact_usd:Q", title="Quantified exposure ($)"),
                color=alt.Color("open_gaps:Q", title="Open gaps", scale=alt.Scale(scheme="blues")),
                tooltip=[alt.Tooltip("owning_team:N", title="Team"), alt.Tooltip("open_gaps:Q", title="Open gaps"),
                         alt.Tooltip("impact_usd:Q", title="Exposure ($)", format=",.0f"),
                         alt.Tooltip("impact_accounts:Q", title="Accounts", format=",")])
            st.altair_chart(chart, width="stretch", key="gaps-by-team")
        with right:
            st.subheader("Gaps")
            f1, f2 = st.columns(2)
            statuses = f1.multiselect("Status", list(STATUS_LABELS), default=list(OPEN_STATUSES),
                                      format_func=STATUS_LABELS.get, key="g-statuses")
            teams = f2.multiselect("Owning team", sorted(gaps["owning_team"].unique().to_list()), key="g-teams")
            listed = views.gap_list(gaps, statuses=statuses, teams=teams)
            if listed.is_empty():
                empty_state("No gaps match these filters.")
            else:
                st.dataframe(listed.head(SHOWN_ROWS).select(
                    "id", "title", "owning_team", status=pl.col("status").replace_strict(STATUS_LABELS),
                    impact_accounts="impact_accounts", impact_usd="impact_usd", evidence="evidence",
                    initiative_id="initiative_id", identified_at="identified_at"),
                    hide_index=True, width="stretch", key="gaps-table", column_config={
                        "id": "Gap", "title": st.column_config.TextColumn("Title", width="large"),
                        "owning_team": "Owning team", "status": "Status",
                        "impact_accounts": st.column_config.NumberColumn("Accounts", format="%d"),
                        "impact_usd": st.column_config.NumberColumn("Exposure ($)", format="dollar"),
                        "evidence": st.column_config.NumberColumn("Evidence", format="%d",
                                                                  help="Linked requests and MOs"),
                        "initiative_id": "Closing initiative",
                        "identified_at": st.column_config.DatetimeColumn("Identified", format="YYYY-MM-DD")})

with tab_loop:
    if gaps.is_empty():
        empty_state("The loop funnel appears once gaps are recorded.")
    else:
        st.subheader("Loop funnel per quarter")
        funnel = views.loop_funnel(gaps)
        chart = alt.Chart(funnel.to_pandas()).mark_bar().encode(
            x=alt.X("stage:N", sort=list(LOOP_STAGES), title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("gaps:Q", title="Gaps"),
            color=alt.Color("stage:N", sort=list(LOOP_STAGES), legend=None,
                            scale=alt.Scale(domain=list(LOOP_STAGES), range=STAGE_COLOURS)),
            column=alt.Column("quarter:N", title="Quarter identified"),
            tooltip=["quarter:N", "stage:N", "gaps:Q",
                     alt.Tooltip("pct_of_identified:Q", title="% of identified", format=".0f")],
        ).properties(width=120, height=220)
        st.altair_chart(chart, key="loop-funnel")
        st.subheader("Time in each stage")
        stages = views.stage_times(gaps, now).with_columns(pl.col("stage").replace_strict(STATUS_LABELS))
        st.dataframe(stages, hide_index=True, width="stretch", column_config={
            "stage": "Stage", "passed": st.column_config.NumberColumn("Gaps that moved on", format="%d"),
            "median_days": st.column_config.NumberColumn("Median days", format="%.1f"),
            "mean_days": st.column_config.NumberColumn("Mean days", format="%.1f"),
            "waiting": st.column_config.NumberColumn("In this stage now", format="%d"),
            "waiting_median_days": st.column_config.NumberColumn("Waiting so far (median days)", format="%.1f")})

with tab_record:
    if not editable:
        st.info(f"You are signed in as {actor.role}: recording gaps needs the editor or admin role.",
                icon=":material/lock:")
    else:
        st.text_input("Title", key="g-title", max_chars=300, placeholder="Bank-change events not streamed to risk")
        st.selectbox("Owning team", OWNING_TEAMS, index=None, accept_new_options=True, key="g-team",
                     placeholder="Who must close it")
        st.text_area("What is missing upstream", key="g-missing", height=90)
        c1, c2 = st.columns(2)
        c1.text_input("Evidence: requests", key="g-reqs", placeholder="REQ-00017; REQ-00031")
        c2.text_input("Evidence: MOs", key="g-mos", placeholder="MO-0142")
        st.button("Record gap", type="primary", on_click=_record, key="g-submit", icon=":material/add:")

with tab_update:
    detail = record_by_id("Gap id", "u-gap-id", "GAP-0042",
                          "Enter a gap id to quantify it, move it along, link evidence and the closing initiative.",
                          get_gap)
    if detail:
        g = detail.gap
        st.markdown(f"**{md_escape(g.id)} · {md_escape(g.title)}**")
        impact = ("not quantified" if g.impact_usd is None else
                  f"{g.impact_accounts:,} accounts, \\${g.impact_usd:,.0f} ({md_escape(g.impact_method)})")
        st.caption(f"{STATUS_LABELS[g.status]} · owned by {md_escape(g.owning_team)} · impact: {impact} · "
                   f"initiative: {md_escape(g.initiative_id) or 'none'}")
        if g.missing:
            st.text(g.missing)
        if g.rejected_reason:
            st.text(f"Rejected: {g.rejected_reason}")
        if g.measured_usd is not None:
            st.text(f"Measured after the fix: {g.measured_accounts:,} accounts, ${g.measured_usd:,.0f} "
                    f"({g.measured_note})")
        st.caption("Evidence: " + (md_escape(", ".join(detail.evidence_requests + detail.evidence_mos))
                                   or "none yet"))
        st.dataframe([{"from": f or "", "to": t, "at": a, "by": who, "note": n}
                      for f, t, a, who, n in detail.history], hide_index=True, width="stretch",
                     column_config={"at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD")})
        if not editable:
            st.info("Changing gaps needs the editor or admin role.", icon=":material/lock:")
        else:
            if g.status in OPEN_STATUSES:
                with st.expander("Quantify impact", expanded=g.status == "identified"):
                    c1, c2 = st.columns(2)
                    c1.number_input("Accounts", min_value=0, step=1, value=g.impact_accounts or 0,
                                    key=f"q-acc-{g.id}")
                    c2.number_input("Exposure ($)", min_value=0.0, step=1000.0, value=g.impact_usd or 0.0,
                                    key=f"q-usd-{g.id}")
                    st.text_input("Method", value=g.impact_method, key=f"q-method-{g.id}",
                                  placeholder="How the numbers were estimated")
                    st.button("Save impact", on_click=_quantify, args=(g.id,), key=f"q-save-{g.id}")
            moves = [s for s in NEXT_STATUSES[g.status] if s != "quantified"]
            if moves:
                k = f"{g.id}-{g.status}"
                st.selectbox("Move to", moves, format_func=STATUS_LABELS.get, key=f"m-to-{k}")
                to = st.session_state.get(f"m-to-{k}")
                if to in ("in_progress", "closed"):
                    st.text_input("Closing initiative", value=g.initiative_id or "", key=f"m-ini-{k}",
                                  placeholder="INI-012")
                st.text_input("Reason (required to reject)" if to == "rejected" else "Note", key=f"m-note-{k}")
                st.button("Move", type="primary", on_click=_move, args=(g.id, g.status), key=f"m-go-{k}")
            with st.expander("Evidence and initiative"):
                st.text_input("Add requests", key=f"e-reqs-{g.id}", placeholder="REQ-00017")
                st.text_input("Add MOs", key=f"e-mos-{g.id}", placeholder="MO-0142")
                st.button("Add evidence", on_click=_evidence, args=(g.id,), key=f"e-go-{g.id}")
                st.text_input("Closing initiative", value=g.initiative_id or "", key=f"i-{g.id}")
                st.button("Save initiative", on_click=_initiative, args=(g.id,), key=f"i-go-{g.id}")
            if g.status == "closed":
                with st.expander("Measured impact after the fix", expanded=g.measured_usd is None):
                    c1, c2 = st.columns(2)
                    c1.number_input("Accounts", min_value=0, step=1, key=f"mi-acc-{g.id}")
                    c2.number_input("Prevented ($)", min_value=0.0, step=1000.0, key=f"mi-usd-{g.id}")
                    st.text_input("How it was measured", key=f"mi-note-{g.id}")
                    st.button("Save measured impact", on_click=_measure, args=(g.id,), key=f"mi-go-{g.id}")

with tab_io:
    import_export_tab(
        "gaps", key="gaps", has_rows=not gaps.is_empty(), export=lambda: export_table("gaps"),
        columns="Columns: title, owning_team (required); id, missing, status, identified_at, quantified_at, "
                "accepted_at, started_at, closed_at, impact_accounts, impact_usd, impact_method, rejected_reason, "
                "initiative_id, measured_accounts, measured_usd, measured_note, evidence_requests, evidence_mos "
                "(ids separated by ';').",
        import_fn=import_gaps, actor=actor, editable=editable)
