"""Rule deprecation what-if: tick rules (or a criterion) and see at once what is lost and saved."""
import datetime as dt

import altair as alt
import polars as pl
import streamlit as st

from pages._ui import current_actor, empty_state, pick_record, record_key, run_action
from rm_core.identity import can
from rm_core.rules.criteria import rules_matching
from rm_core.rules.hitlog import load_hit_log
from rm_core.rules.lifecycle import (MAX_SHADOW_DAYS, allowed_moves, mos_left_without_active_rule, move_rule,
                                     move_rules, next_move, rule_history, rule_records, set_model_threshold)
from rm_core.rules.model_view import threshold_chart, threshold_whatif
from rm_core.rules.logs import current_hit_log, upload_hit_log
from rm_core.rules.recommend import recommend_retirement
from rm_core.rules.report import impact_markdown, lost_csv
from rm_core.rules.sqlsource import open_hit_source
from rm_core.rules.whatif import (lost_catches, overlap_matrix, prepare_hits, retire_whatif, rule_stats,
                                  shadow_catches, shadow_monitor, shadow_weeks, who_else_catches, window_label)
from rm_core.settings import get_settings
from rm_core.text import md_escape

actor = current_actor()
st.title("Rule deprecation what-if")


@st.cache_resource(show_spinner="Reading the hit log…", max_entries=2)
def hit_log(path: str, version: int):
    return load_hit_log(path)


@st.cache_resource(show_spinner="Preparing the window…", max_entries=4)
def prepared_window(path: str, version: int, since: dt.date, until: dt.date):
    return prepare_hits(hit_log(path, version), since, until)


# Hit logs kept in an engine (RM_HIT_SOURCES): the engine aggregates, the page keeps the compact result.
SOURCES = {name: (url, table) for name, url, table in get_settings().hit_sources}
UPLOADED = "Uploaded hit log"


@st.cache_resource(show_spinner="Checking the hit source…", max_entries=4)
def hit_source(url: str, table: str | None):
    return open_hit_source(url, table)


@st.cache_resource(show_spinner="Aggregating the window in the engine…", max_entries=4)
def prepared_source(url: str, table: str | None, since: dt.date, until: dt.date):
    return hit_source(url, table).prepare(since, until)


@st.cache_resource(show_spinner="Asking the engine for the lost entities…", max_entries=16)
def source_lost(url: str, table: str | None, since: dt.date, until: dt.date, retire: tuple[str, ...]):
    prepared = prepared_source(url, table, since, until)
    return lost_catches(prepared, retire_whatif(prepared, retire))


def source_picker() -> None:
    if SOURCES:
        st.selectbox("Evaluate", [UPLOADED, *SOURCES], key="hit-source",
                     help="An uploaded file is read into memory; a source configured in RM_HIT_SOURCES stays in "
                          "its engine, which aggregates each window.")


def upload_form() -> None:
    st.markdown("A hit log has one row per rule hit: `rule_id`, `entity_id`, `event_time`, `label` "
                "(`confirmed_bad`, `false_positive`, `unlabeled`), optional `action` (`enforced`, `shadow`) and "
                "`amount_usd`. The whole file is checked first; a file with any bad row changes nothing.")
    upload = st.file_uploader("Hit log (Parquet or CSV)", type=["parquet", "csv"], key="hits-upload")
    if upload is not None and st.button("Use this hit log", type="primary", disabled=not can(actor, "hitlog.upload")):
        with st.status("Validating and storing the hit log…") as status:
            info = run_action(upload_hit_log, actor, upload.getvalue(), upload.name)
            status.update(label="Hit log ready" if info else "Hit log refused", state="complete" if info else "error")
        if info:
            st.success(f"{md_escape(info.name)}: {info.rows:,} hits are now the current log.")
            st.rerun()


source_name = st.session_state.get("hit-source") if st.session_state.get("hit-source") in SOURCES else None
log_info = current_hit_log()
if source_name is None and (log_info is None or not log_info.path.exists()):
    empty_state("No hit log yet. Upload one below (e.g. `data/sample_hits.csv`), or seed the demo world with "
                "`python -m rm_core demo seed`.")
    source_picker()
    upload_form()
    st.stop()

if source_name is not None:
    log = run_action(hit_source, *SOURCES[source_name])
    if log is None:
        source_picker()
        st.stop()
    log_name = source_name
else:
    log = hit_log(str(log_info.path), log_info.id)
    log_name = log_info.name
first, last = log.first_day, log.last_day
default_since = max(first, last - dt.timedelta(weeks=26) + dt.timedelta(days=1))
window = st.date_input("Window", value=(default_since, last), min_value=first, max_value=last, key="window")
if not isinstance(window, tuple) or len(window) != 2:
    st.info("Pick the last day of the window.")
    st.stop()
since, until = window
prepared = (prepared_source(*SOURCES[source_name], since, until) if source_name is not None
            else prepared_window(str(log_info.path), log_info.id, since, until))
records = rule_records()
st.caption(f"{md_escape(log_name)} · {log.rows:,} hits · window {window_label(prepared)} · "
           f"{prepared.flagged_entities:,} flagged entities")

stats = rule_stats(prepared).join(
    pl.DataFrame({"rule_id": list(records), "name": [r.name for r in records.values()],
                  "owner": [r.owner for r in records.values()], "status": [r.status for r in records.values()]},
                 schema={"rule_id": pl.String, "name": pl.String, "owner": pl.String, "status": pl.String}),
    on="rule_id", how="left").with_columns(pl.col("status").fill_null("not in workbench"))

table_tab, models_tab, overlap_tab, recommend_tab, lifecycle_tab, shadow_tab, upload_tab = st.tabs(
    ["What-if", "Model thresholds", "Overlap", "Recommended set", "Lifecycle", "Shadow monitoring", "Hit log"])

with table_tab:
    with st.expander("Pick by criterion", icon=":material/filter_alt:"):
        c1, c2, c3, c4 = st.columns(4)
        prec = c1.number_input("Precision below (%)", 0.0, 100.0, value=None, step=5.0, key="crit-prec")
        uniq = c2.number_input("Unique confirmed-bad below", 0, value=None, step=1, key="crit-uniq")
        silent = c3.number_input("No hit in N days", 1, value=None, step=7, key="crit-silent")
        combine = c4.radio("Match", ["all", "any"], horizontal=True, key="crit-combine")
        if st.button("Add matching rules to the selection", key="crit-apply"):
            matched = run_action(rules_matching, prepared, precision_below=None if prec is None else prec / 100,
                                 unique_confirmed_bad_below=uniq, no_hit_in_days=silent, combine=combine) or []
            retired = {r for r, rec in records.items() if rec.status == "retired"}
            st.session_state["retire"] = sorted((set(st.session_state.get("retire", [])) | set(matched)) - retired)
            st.toast(f"{len(set(matched) - retired)} rules match" + (
                f" ({len(set(matched) & retired)} already retired left out)" if set(matched) & retired else ""))
    # a rule already retired cannot be retired again: it is not offered, and a criterion does not add it
    retirable = [r for r in prepared.rule_ids if not (records.get(r) and records[r].status == "retired")]
    if any(r not in retirable for r in st.session_state.get("retire", [])):
        st.session_state["retire"] = [r for r in st.session_state["retire"] if r in retirable]
    retire = st.multiselect("Rules to retire", retirable, key="retire",
                            placeholder="Tick rules here or pick by criterion")
    impact = retire_whatif(prepared, retire)
    m = st.columns(6)
    m[0].metric("Flagged after", f"{impact.flagged_after:,}", f"{impact.flagged_after - impact.flagged_before:,}",
                help=f"{impact.flagged_before:,} flagged before")
    m[1].metric("Lost confirmed-bad", f"{impact.lost_confirmed_bad:,}", delta_color="off")
    m[2].metric("Avoided false positives", f"{impact.avoided_false_positive:,}")
    m[3].metric("Lost unlabeled", f"{impact.lost_unlabeled:,}")
    m[4].metric("Lost exposure", f"${impact.lost_exposure_usd:,.0f}")
    pb, pa = impact.precision_before, impact.precision_after
    m[5].metric("Precision after", "—" if pa is None else f"{pa:.1%}",
                None if pa is None or pb is None else f"{(pa - pb) * 10_000:+.0f} bps")
    lost = (source_lost(*SOURCES[source_name], since, until, tuple(impact.retired)) if source_name is not None
            else lost_catches(prepared, impact))
    mos_left = mos_left_without_active_rule(retire)
    if retire:
        left, right = st.columns([3, 2])
        with left:
            st.markdown(f"**{lost.height:,} confirmed-bad entities would slip through**")
            st.dataframe(lost.head(500), hide_index=True, width="stretch", height=240, column_config={
                "amount_usd": st.column_config.NumberColumn("Exposure", format="dollar"),
                "caught_by": st.column_config.ListColumn("Caught today by")})
        with right:
            st.markdown(f"**MOs left without an active rule: {len(mos_left)}**")
            st.dataframe([{"mo": mo, "title": title} for mo, title in mos_left], hide_index=True, width="stretch",
                         height=240)
        d1, d2 = st.columns(2)
        d1.download_button("Impact report (Markdown)", impact_markdown(prepared, impact, lost, mos_left),
                           file_name="retirement_whatif.md", mime="text/markdown", icon=":material/download:")
        d2.download_button("Lost entities (CSV)", lost_csv(lost), file_name="retirement_lost_entities.csv",
                           mime="text/csv", icon=":material/download:")
    st.dataframe(stats.select("rule_id", "name", "status", "owner", "hits", "entities", "confirmed_bad",
                              "false_positive", "precision", "unique_confirmed_bad", "last_hit", "weekly_hits"),
                 hide_index=True, width="stretch", height=420, column_config={
                     "precision": st.column_config.ProgressColumn("Precision", min_value=0.0, max_value=1.0,
                                                                  format="percent"),
                     "hits": st.column_config.NumberColumn("Hits", format="localized"),
                     "unique_confirmed_bad": st.column_config.NumberColumn("Unique catches", format="localized"),
                     "last_hit": st.column_config.DatetimeColumn("Last fired", format="YYYY-MM-DD"),
                     "weekly_hits": st.column_config.LineChartColumn("Weekly hits (trend)")})

with models_tab:
    if not prepared.model_ids:
        empty_state("No model in this hit log. A model's rows name it in `detector_id` and carry its `score` (0–1) "
                    "and current `threshold`, below-threshold scores included." if prepared.weight is None else
                    "This hit source is read as rule signatures and carries no model scores; upload the log as a "
                    "file to move a model's threshold.")
    else:
        model = st.selectbox("Model", prepared.model_ids, key="model", format_func=lambda m: (
            f"{m} · {records[m].name} ({records[m].status})" if m in records else m))
        current = float(prepared.thresholds[prepared.model_slot(prepared.rule_index[model])])
        proposed = st.slider("Proposed threshold", 0.0, 1.0, value=current, step=0.01, key=f"threshold-{model}",
                             help=f"Current threshold {current:.2f}: an entity is flagged when its highest score "
                                  "in the window reaches the threshold.")
        view = threshold_whatif(prepared, model, proposed, retire)
        st.caption(f"{md_escape(model)} at {proposed:.2f} instead of {current:.2f}"
                   + (f", beside retiring the rules ticked on the What-if tab ({len(retire)})" if retire else
                      "; tick rules on the What-if tab to compare with retiring them"))
        st.dataframe(view.comparison, hide_index=True, width="stretch", column_config={
            "what": "Option", "flagged_after": "Flagged after", "lost_confirmed_bad": "Lost confirmed-bad",
            "avoided_false_positive": "Avoided false positives",
            "lost_exposure_usd": st.column_config.NumberColumn("Lost exposure", format="dollar"),
            "precision_after": st.column_config.NumberColumn("Precision after", format="percent"),
            "gained_confirmed_bad": "Gained confirmed-bad (lower threshold)"})
        left, right = st.columns([3, 2])
        with left:
            st.altair_chart(threshold_chart(view.curve, view.threshold, view.proposed), width="stretch")
        with right:
            st.dataframe(view.detectors, hide_index=True, width="stretch", column_config={
                "detectors": "Flagged today by", "threshold": st.column_config.NumberColumn("Threshold",
                                                                                           format="%.2f"),
                "precision": st.column_config.ProgressColumn("Precision", min_value=0.0, max_value=1.0,
                                                             format="percent")})
        st.markdown(f"**{view.only.height:,} entities only {md_escape(model)} catches at {proposed:.2f}** "
                    "(no rule nor other model flags them)")
        st.dataframe(view.only.head(500), hide_index=True, width="stretch", height=240, column_config={
            "entity_id": "Entity", "label": "Label",
            "amount_usd": st.column_config.NumberColumn("Exposure", format="dollar"),
            "score": st.column_config.NumberColumn("Highest score", format="%.3f")})
        if model in records and records[model].kind == "model" and can(actor, "rule.retire") \
                and abs(proposed - current) > 1e-9:
            with st.form(record_key("threshold", model, f"{proposed:.2f}")):
                reason = st.text_input("Reason (kept with the model's history)", key=f"threshold-reason-{model}")
                if st.form_submit_button(f"Set {model}'s threshold to {proposed:.2f}", type="primary"):
                    run_action(set_model_threshold, actor, model, proposed, reason,
                               success=f"{md_escape(model)}'s threshold is now {proposed:.2f}")

with overlap_tab:
    matrix = overlap_matrix(prepared, top=15)
    if matrix.height:
        heat = alt.Chart(matrix.to_pandas()).mark_rect().encode(
            x=alt.X("rule_b:N", title="also flagged by rule B"), y=alt.Y("rule_a:N", title="rule A"),
            color=alt.Color("share:Q", title="share of A's entities", scale=alt.Scale(scheme="blues", domain=[0, 1])),
            tooltip=["rule_a", "rule_b", "shared", alt.Tooltip("share:Q", format=".0%")]).properties(height=420)
        st.altair_chart(heat, width="stretch")
    one = st.selectbox("Who else catches this rule's entities?", list(prepared.rule_ids), key="who-else")
    st.dataframe(who_else_catches(prepared, one).head(25), hide_index=True, width="stretch", column_config={
        "share": st.column_config.ProgressColumn("Share", min_value=0.0, max_value=1.0, format="percent")})

with recommend_tab:
    kind = st.radio("Budget", ["Lost confirmed-bad entities", "Recall loss (%)"], horizontal=True, key="budget-kind")
    if kind.startswith("Lost"):
        budget = st.number_input("At most this many lost confirmed-bad entities", 0, value=10, step=5, key="budget-n")
        args = {"max_lost_confirmed_bad": int(budget)}
    else:
        budget = st.number_input("At most this recall loss (%)", 0.0, 100.0, value=1.0, step=0.5, key="budget-pct")
        args = {"max_recall_loss_pct": float(budget)}
    only_active = [r for r in prepared.rule_ids if records.get(r) and records[r].status == "active"]
    rec = run_action(recommend_retirement, prepared, candidates=only_active or None, **args)
    if rec is not None:
        st.markdown(f"**Retire {len(rec.retire)} rules**, losing {rec.impact.lost_confirmed_bad:,} confirmed-bad "
                    f"entities (budget {rec.max_lost_confirmed_bad:,}) and avoiding "
                    f"{rec.impact.avoided_false_positive:,} false positives.")
        st.dataframe([{"order": i + 1, "rule": r, "lost so far": n} for i, (r, n) in enumerate(rec.steps)],
                     hide_index=True, width="stretch", height=240)
        if can(actor, "rule.propose") and rec.retire:
            with st.form("accept-rec"):
                chosen = st.multiselect("Accept into candidates", rec.retire, default=rec.retire)
                reason = st.text_input("Reason", value=f"recommended under a budget of {rec.max_lost_confirmed_bad} "
                                                       "lost confirmed-bad")
                if st.form_submit_button("Mark as candidates", type="primary"):
                    if run_action(move_rules, actor, chosen, "candidate", reason,
                                  success=f"{len(chosen)} rules are now candidates"):
                        st.rerun()

with lifecycle_tab:
    if not records:
        empty_state("No rules in the workbench yet: rules come with the demo world or from your rule inventory.")
    else:
        rid = pick_record("Rule", {r: f"{r} · {rec.name} ({rec.status})" for r, rec in records.items()},
                          key="life-rule")
        rec_ = records[rid]
        st.markdown(f"**Status:** {rec_.status}" + (f" until {rec_.shadow_until}" if rec_.shadow_until else ""))
        moves = allowed_moves(rec_.status)
        if moves and can(actor, "rule.propose"):
            # one form per rule and state: a submit acts on the rule this form was drawn for, and after a move
            # the form is drawn afresh from the rule's new state
            form = record_key("move", rid, rec_.status)
            with st.form(form):
                to = st.selectbox("Move to", moves, index=moves.index(next_move(rec_.status)), key=f"{form}-to")
                reason = st.text_area("Reason (kept with the rule)", height=80, key=f"{form}-reason")
                days = (st.number_input("Shadow period (days)", 1, MAX_SHADOW_DAYS, 14, key=f"{form}-days")
                        if "shadow" in moves else None)
                early = False
                if rec_.status == "shadow" and rid in prepared.rule_index:
                    caught = shadow_catches(prepared).filter(pl.col("rule_id") == rid)
                    st.markdown("**Would-have catches during shadow** (hits with action=shadow in the window)")
                    st.dataframe(caught, hide_index=True, width="stretch")
                    early = st.checkbox("End the shadow period early", key=f"{form}-early")
                if st.form_submit_button("Move", type="primary"):
                    if run_action(move_rule, actor, rid, to, reason, shadow_days=days if to == "shadow" else None,
                                  end_shadow_early=early, success=f"{md_escape(rid)} is now {to}"):
                        st.rerun()
        history = rule_history(rid)
        if history:
            st.dataframe([h.__dict__ for h in history], hide_index=True, width="stretch",
                         column_config={"at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm")})

with shadow_tab:
    shadow = shadow_monitor(prepared, records)
    if shadow.height:
        st.caption("Every rule in shadow, with what it would have caught in the window (hits with action=shadow); "
                   "a rule just put in shadow shows zero until it fires.")
        st.dataframe(shadow, hide_index=True, width="stretch", column_config={
            "shadow_until": st.column_config.DateColumn("Shadow until", format="YYYY-MM-DD"),
            "shadow_hits": st.column_config.NumberColumn("Would-have hits", format="localized"),
            "confirmed_bad_not_flagged": st.column_config.NumberColumn("Confirmed-bad no enforced rule flags"),
            "last_shadow_hit": st.column_config.DatetimeColumn("Last shadow hit", format="YYYY-MM-DD")})
    else:
        empty_state("No rule is in shadow. Move a candidate to shadow in **Lifecycle** to watch its "
                    "would-have catches here.")
    for mid in [m for m in prepared.model_ids if m in records and records[m].status == "shadow"]:
        since_at = next((h.at.date() for h in rule_history(mid) if h.to_status == "shadow"), None)
        if since_at is None:
            continue
        weeks = shadow_weeks(prepared, mid, since_at)
        st.markdown(f"**{md_escape(mid)} in shadow since {since_at}**: would-have hits (score at or above "
                    "its threshold) per week, against its active weeks")
        st.dataframe(weeks, hide_index=True, width="stretch", height=200, key=f"shadow-weeks-{mid}",
                     column_config={"week_start": st.column_config.DateColumn("Week of", format="YYYY-MM-DD"),
                                    "hits": st.column_config.NumberColumn("Hits", format="localized")})

with upload_tab:
    source_picker()
    if source_name is not None:
        st.caption(f"Evaluating {md_escape(source_name)}: {log.rows:,} hits in its engine ({md_escape(log.dialect)}), "
                   f"{prepared.label.size:,} distinct rule-set signatures in this window")
    if log_info is not None:
        st.caption(f"Uploaded: {md_escape(log_info.name)}, {log_info.rows:,} rows, uploaded "
                   f"{log_info.uploaded_at:%Y-%m-%d} by "
                   f"{md_escape(log_info.uploaded_by)}")
    upload_form()
