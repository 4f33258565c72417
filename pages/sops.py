"""SOPs: the registry, where each team stands with each SOP (parity matrix), overdue reviews, rollout plans."""
from __future__ import annotations

import datetime as dt

import altair as alt
import polars as pl
import streamlit as st

from pages._ui import act, current_actor, empty_state, import_export_tab, pick_record, show_flash
from rm_core.charts import RAG_COLOURS
from rm_core.identity import can
from rm_core.trackers import import_sops, register_sop, revise_sop, set_rollout
from rm_core.trackers.page_data import current_sops, export_table
from rm_core.trackers.sops import (PARITY_LABELS, PARITY_STATES, ROLLOUT_LABELS, ROLLOUT_STATUSES, TEAMS,
                                   late_rollouts, overdue_reviews, parity_by_team, parity_matrix, parity_percent,
                                   rollout_plan)

PARITY_COLOURS = {"not_started": RAG_COLOURS["red"], "pilot": RAG_COLOURS["amber"], "older_version": "#f2c94c",
                  "live": RAG_COLOURS["green"], "retired": RAG_COLOURS["grey"]}

actor = current_actor()
editable = can(actor, "tracker.edit")
today = dt.date.today()






def _register() -> None:
    ss = st.session_state
    act(register_sop, actor, title=ss.get("s-title", ""), version=ss.get("s-version", "1.0"),
        owner=ss.get("s-owner", ""), last_review=ss.get("s-last"), next_review=ss.get("s-next"),
        success=lambda s: f"Registered {s.id}; every team starts at not started.")


def _revise(sop_id: str) -> None:
    ss = st.session_state
    act(revise_sop, actor, sop_id, version=ss.get(f"r-version-{sop_id}"), owner=ss.get(f"r-owner-{sop_id}"),
        last_review=ss.get(f"r-last-{sop_id}"), next_review=ss.get(f"r-next-{sop_id}"),
        success=f"{sop_id} saved.")


def _rollout(sop_id: str) -> None:
    ss = st.session_state
    act(set_rollout, actor, sop_id, ss.get(f"ro-team-{sop_id}"), ss.get(f"ro-status-{sop_id}"),
        version=ss.get(f"ro-version-{sop_id}") or None, planned_date=ss.get(f"ro-planned-{sop_id}"),
        success=f"Rollout of {sop_id} saved.")



st.title("SOPs")
st.caption("Standard operating procedures the RM sites (India, Costa Rica) and the partner BRP teams should all run: "
           "versions, reviews, and where each team stands.")
show_flash(st.container())

sops, rollouts = current_sops()
matrix = parity_matrix(sops, rollouts)

headline = st.container()
if sops.is_empty():
    with headline:
        empty_state("No SOPs yet. Register the first one in **Register an SOP** below (every team starts at "
                    "not started), or import a CSV under **Import / export**.")
else:
    overdue = overdue_reviews(sops, today)
    parity = parity_percent(matrix)
    cols = headline.columns(4)
    cols[0].metric("SOPs", f"{sops.height:,}")
    cols[1].metric("SOP parity", "—" if parity is None else f"{parity:.0f}%",
                   help="Share of SOP × team cells live on the SOP's current version (retired cells left out); "
                        "the WBR metric 'SOP parity %'")
    cols[2].metric("Reviews overdue", f"{overdue.height:,}")
    cols[3].metric("Teams lagging", f"{parity_by_team(matrix).filter(pl.col('lagging') > 0).height:,}",
                   help="Teams with at least one SOP not live on its current version")

tab_parity, tab_registry, tab_plan, tab_edit, tab_io = st.tabs(
    ["Parity matrix", "Registry & reviews", "Rollout plan", "Register an SOP", "Import / export"])

with tab_parity:
    if sops.is_empty():
        empty_state("The parity matrix (teams × SOPs) appears once SOPs are registered.")
    else:
        cells = matrix.with_columns(label=pl.format("{} {}", pl.col("sop_id"), pl.col("title")),
                                    version=pl.col("version").fill_null("—"))
        heat = alt.Chart(cells.to_pandas()).mark_rect(stroke="white", strokeWidth=2).encode(
            x=alt.X("team:N", sort=list(TEAMS), title=None, axis=alt.Axis(orient="top", labelAngle=0)),
            y=alt.Y("label:N", title=None, axis=alt.Axis(labelLimit=260)),
            color=alt.Color("state_label:N", title="Rollout",
                            sort=[PARITY_LABELS[s] for s in PARITY_STATES],
                            scale=alt.Scale(domain=[PARITY_LABELS[s] for s in PARITY_STATES],
                                            range=[PARITY_COLOURS[s] for s in PARITY_STATES])),
            tooltip=[alt.Tooltip("sop_id:N", title="SOP"), alt.Tooltip("title:N"), alt.Tooltip("team:N"),
                     alt.Tooltip("state_label:N", title="Rollout"), alt.Tooltip("version:N", title="Team runs"),
                     alt.Tooltip("current_version:N", title="Current version")])
        text = alt.Chart(cells.to_pandas()).mark_text(fontSize=11, color="#1c2230").encode(
            x=alt.X("team:N", sort=list(TEAMS)), y="label:N", text="version:N")
        st.altair_chart((heat + text).properties(height=max(160, 28 * sops.height)), width="stretch",
                        key="parity-heatmap")
        st.caption("Each cell shows the version the team runs; yellow means live on an older version.")
        st.dataframe(parity_by_team(matrix), hide_index=True, width="stretch", column_config={
            "team": "Team", "cells": st.column_config.NumberColumn("SOPs that apply", format="%d"),
            "live_current": st.column_config.NumberColumn("Live on current version", format="%d"),
            "lagging": st.column_config.NumberColumn("Lagging", format="%d"),
            "parity_pct": st.column_config.ProgressColumn("Parity", format="%.0f%%", min_value=0, max_value=100)})

with tab_registry:
    if sops.is_empty():
        empty_state("Registered SOPs are listed here with their review dates.")
    else:
        registry = sops.with_columns(review_overdue=pl.col("next_review").is_null() | (pl.col("next_review") < today))
        st.dataframe(registry, hide_index=True, width="stretch", key="registry", column_config={
            "id": "SOP", "title": st.column_config.TextColumn("Title", width="large"), "version": "Version",
            "owner": "Owner", "last_review": st.column_config.DateColumn("Last review"),
            "next_review": st.column_config.DateColumn("Next review"),
            "review_overdue": st.column_config.CheckboxColumn("Review overdue")})
        st.subheader("Overdue reviews")
        if overdue.is_empty():
            empty_state("Every review is on schedule.", icon=":material/check_circle:")
        else:
            st.dataframe(overdue.select("id", "title", "owner", "next_review", "days_overdue"), hide_index=True,
                         width="stretch", column_config={
                             "id": "SOP", "title": "Title", "owner": "Owner",
                             "next_review": st.column_config.DateColumn("Was due"),
                             "days_overdue": st.column_config.NumberColumn(
                                 "Days overdue", format="%d", help="Empty: no next review was ever planned")})

with tab_plan:
    if sops.is_empty():
        empty_state("Pick an SOP here to see its rollout plan per team.")
    else:
        chosen = pick_record("SOP", {i: f"{i} · {t}" for i, t in zip(sops["id"], sops["title"])}, key="plan-sop")
        plan = rollout_plan(rollouts, chosen)
        late = late_rollouts(plan, today)
        dated = plan.filter(pl.col("planned_date").is_not_null() | pl.col("live_date").is_not_null())
        if not dated.is_empty():
            points = dated.unpivot(index=["team", "status"], on=["planned_date", "live_date"], variable_name="what",
                                   value_name="date").drop_nulls("date").with_columns(
                what=pl.col("what").replace_strict({"planned_date": "planned", "live_date": "went live"}))
            chart = alt.Chart(points.to_pandas()).mark_point(filled=True, size=120).encode(
                x=alt.X("date:T", title=None), y=alt.Y("team:N", sort=list(TEAMS), title=None),
                shape=alt.Shape("what:N", title=None), color=alt.Color("what:N", title=None),
                tooltip=["team:N", "what:N", alt.Tooltip("date:T", format="%Y-%m-%d"), "status:N"])
            rule = alt.Chart(pl.DataFrame({"today": [today]}).to_pandas()).mark_rule(
                color=RAG_COLOURS["red"], strokeDash=[4, 3]).encode(x="today:T")
            st.altair_chart((chart + rule).properties(height=220), width="stretch", key="plan-chart")
        st.dataframe(plan.with_columns(pl.col("status").replace_strict(ROLLOUT_LABELS)), hide_index=True,
                     width="stretch", column_config={
                         "team": "Team", "status": "Status", "version": "Version",
                         "planned_date": st.column_config.DateColumn("Planned"),
                         "live_date": st.column_config.DateColumn("Went live")})
        if not late.is_empty():
            st.warning(f"Past the planned date and not live: {', '.join(late['team'])}.", icon=":material/schedule:")
        if editable:
            current = sops.filter(pl.col("id") == chosen).row(0, named=True)
            st.subheader("Update")
            c1, c2, c3, c4 = st.columns(4)
            c1.selectbox("Team", TEAMS, key=f"ro-team-{chosen}")
            c2.selectbox("Status", ROLLOUT_STATUSES, format_func=ROLLOUT_LABELS.get, key=f"ro-status-{chosen}")
            c3.text_input("Version (empty: current)", key=f"ro-version-{chosen}")
            c4.date_input("Planned date", value=None, key=f"ro-planned-{chosen}")
            st.button("Save rollout", on_click=_rollout, args=(chosen,), key=f"ro-go-{chosen}")
            with st.expander("New version or review"):
                c1, c2, c3, c4 = st.columns(4)
                c1.text_input("Version", value=current["version"], key=f"r-version-{chosen}")
                c2.text_input("Owner", value=current["owner"], key=f"r-owner-{chosen}")
                c3.date_input("Last review", value=current["last_review"], key=f"r-last-{chosen}")
                c4.date_input("Next review", value=current["next_review"], key=f"r-next-{chosen}")
                st.button("Save", on_click=_revise, args=(chosen,), key=f"r-go-{chosen}")

with tab_edit:
    if not editable:
        st.info(f"You are signed in as {actor.role}: registering SOPs needs the editor or admin role.",
                icon=":material/lock:")
    else:
        st.text_input("Title", key="s-title", max_chars=300)
        c1, c2, c3, c4 = st.columns(4)
        c1.text_input("Version", value="1.0", key="s-version")
        c2.text_input("Owner", value=actor.name, key="s-owner")
        c3.date_input("Last review", value=None, key="s-last")
        c4.date_input("Next review", value=None, key="s-next")
        st.button("Register SOP", type="primary", on_click=_register, key="s-submit", icon=":material/add:")

with tab_io:
    import_export_tab(
        "SOPs", key="sops", has_rows=not sops.is_empty(), export=lambda: export_table("sops"),
        columns="One row per SOP and team. Columns: title (required); id, version, owner, last_review, "
                "next_review, team, rollout_status, rollout_version, planned_date, live_date.",
        import_fn=import_sops, actor=actor, editable=editable)
