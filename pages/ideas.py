"""Ideas: the always-open intake. Submit (similar ideas and initiatives shown before saving), follow your own,
browse, triage (editors), import / export."""
from __future__ import annotations

import hashlib

import streamlit as st

from pages._ui import act, current_actor, empty_state, flash, import_export_tab, pick_record, record_by_id, show_flash
from rm_core.intake import (NEXT_STATUSES, SITES, STATUS_LABELS, STATUSES, THEMES, export_ideas, get_idea,
                            import_ideas, intake_counts, list_ideas, may_submit, may_triage, merge_idea, move_idea,
                            my_ideas, similar_records, similar_to_idea, submit_idea, support_idea, validate_idea)
from rm_core.errors import UserError
from rm_core.text import md_escape, snippet

actor = current_actor()
submitter = may_submit(actor)
triager = may_triage(actor)

FORM = {"title": "s-title", "problem": "s-problem", "proposed_change": "s-change", "expected_impact": "s-impact",
        "affected_mos": "s-mos", "affected_rules": "s-rules", "affected_gaps": "s-gaps", "ai_based": "s-ai",
        "theme": "s-theme", "site": "s-site", "team": "s-team"}
IDEA_COLUMNS = {
    "id": st.column_config.TextColumn("Idea", width="small"),
    "title": st.column_config.TextColumn("Title", width="large"),
    "status": st.column_config.TextColumn("Status"),
    "reason": st.column_config.TextColumn("Reason (from triage)", width="large"),
    "theme": "Theme", "site": "Site", "submitter": "Raised by",
    "supporters": st.column_config.NumberColumn("+1s", format="%d", help="People backing the idea"),
    "submitted_at": st.column_config.DatetimeColumn("Submitted (UTC)", format="YYYY-MM-DD"),
    "triaged_at": st.column_config.DatetimeColumn("Triaged (UTC)", format="YYYY-MM-DD"),
}


def _form_values() -> dict:
    ss = st.session_state
    values = {field: ss.get(key) for field, key in FORM.items()}
    values["ai_based"] = bool(values["ai_based"])
    for field in ("title", "problem", "proposed_change", "expected_impact", "affected_mos", "affected_rules",
                  "affected_gaps", "team", "theme", "site"):
        values[field] = values[field] or ""
    return values


def _digest(values: dict) -> str:
    return hashlib.blake2b(repr(sorted(values.items())).encode(), digest_size=8).hexdigest()


def _rows(ideas) -> list[dict]:
    return [{"id": i.id, "title": i.title, "status": i.status_label, "reason": i.reason, "theme": i.theme,
             "site": i.site, "submitter": i.submitter_label or i.submitter, "supporters": i.supporters,
             "submitted_at": i.submitted_at, "triaged_at": i.triaged_at} for i in ideas]


# --- callbacks ------------------------------------------------------------------------------------------------

def _check() -> None:
    """Validate what was typed, then look for similar ideas and initiatives; saving waits for the confirm."""
    values = _form_values()
    try:
        validate_idea(values)
    except UserError as exc:
        flash("error", str(exc))
        st.session_state.pop("s-similar", None)
        return
    st.session_state["s-similar"] = (_digest(values), similar_records(values["title"], values["problem"],
                                                                      values["proposed_change"]))


def _submit() -> None:
    values = _form_values()
    checked = st.session_state.get("s-similar")
    if not checked or checked[0] != _digest(values):
        flash("error", "The idea changed since the check for similar ideas: check again before submitting.")
        st.session_state.pop("s-similar", None)
        return
    idea = act(submit_idea, actor, values, success=lambda r: f"Submitted {r.id}. Follow it under My ideas.")
    if idea:
        st.session_state.pop("s-similar", None)
        for field, key in FORM.items():
            st.session_state[key] = False if field == "ai_based" else (None if field in ("theme", "site") else "")


def _support(idea_id: str) -> None:
    if act(support_idea, actor, idea_id, success=f"You back {idea_id} now; its owner sees one more +1.") is not None:
        st.session_state.pop("s-similar", None)


def _move(idea_id: str, status: str) -> None:
    ss, k = st.session_state, f"{idea_id}-{status}"
    to = ss.get(f"t-to-{k}")
    act(move_idea, actor, idea_id, to, reason=ss.get(f"t-reason-{k}", ""),
        success=f"{idea_id} moved to {STATUS_LABELS.get(to, to)}.")


def _merge(idea_id: str, status: str) -> None:
    ss, k = st.session_state, f"{idea_id}-{status}"
    into = ss.get(f"t-into-{k}")
    if not into:
        flash("error", "Pick the idea to merge into.")
        return
    act(merge_idea, actor, idea_id, into, reason=ss.get(f"t-merge-reason-{k}", ""),
        success=f"{idea_id} merged into {into}; its supporters and links went with it.")


# --- layout ---------------------------------------------------------------------------------------------------

st.title("Ideas")
st.caption("The always-open intake: raise an idea any day of the year. Editors triage it (new → under review → "
           "accepted for OP1, merged or declined, with a reason you see), and facilitators seed the next OP1 "
           "workshop from the accepted ones.")
show_flash(st.container())

counts = intake_counts()
total = sum(counts.values())
if total:
    cols = st.columns(4)
    cols[0].metric("Waiting for triage", f"{counts['new']:,}", help="Submitted, not yet looked at")
    cols[1].metric("Under review", f"{counts['under_review']:,}")
    cols[2].metric("Accepted for OP1", f"{counts['accepted']:,}")
    cols[3].metric("Merged or declined", f"{counts['merged'] + counts['declined']:,}")
else:
    empty_state("No ideas yet. Raise the first one under **Submit an idea**, or import a CSV under "
                "**Import / export**.")

# `?idea=IDEA-0001` (a workshop card's link back to the intake) opens All ideas on that idea
linked = (st.query_params.get("idea") or "").strip().upper()
if linked and st.session_state.get("a-linked") != linked:
    st.session_state["a-linked"] = st.session_state["a-id"] = linked
tab_submit, tab_mine, tab_all, tab_triage, tab_io = st.tabs(
    ["Submit an idea", "My ideas", "All ideas", "Triage", "Import / export"], default="All ideas" if linked else None)

with tab_submit:
    if not submitter:
        st.info(f"You are signed in as {actor.role} and cannot submit ideas here (share links, participant links, "
                "and viewers where the team set RM_INTAKE_VIEWERS=read). Ask an editor to raise it for you.",
                icon=":material/lock:")
    else:
        st.text_input("Title", key=FORM["title"], max_chars=200,
                      placeholder="Hold the first payout after a bank change for new sellers")
        st.text_area("Problem", key=FORM["problem"], height=90, placeholder="What goes wrong today, and for whom")
        st.text_area("Proposed change", key=FORM["proposed_change"], height=90)
        st.text_area("Expected impact", key=FORM["expected_impact"], height=70,
                     placeholder="Accounts, $, analyst hours: a rough number helps triage")
        c1, c2, c3 = st.columns(3)
        c1.text_input("Affected MOs", key=FORM["affected_mos"], placeholder="MO-0142; MO-0007")
        c2.text_input("Affected rules", key=FORM["affected_rules"], placeholder="R-0031")
        c3.text_input("Affected gaps", key=FORM["affected_gaps"], placeholder="GAP-0042")
        c4, c5, c6, c7 = st.columns([2, 2, 2, 1])
        c4.selectbox("Theme", THEMES, index=None, key=FORM["theme"], placeholder="Choose a theme")
        c5.selectbox("Site", SITES, index=None, key=FORM["site"], placeholder="Your site")
        c6.text_input("Team", key=FORM["team"], placeholder="RM India")
        c7.checkbox("AI-based", key=FORM["ai_based"], help="The change relies on a model or AI assist")
        st.button("Check for similar ideas", type="primary", on_click=_check, key="s-check",
                  icon=":material/manage_search:")
        checked = st.session_state.get("s-similar")
        if checked and checked[0] == _digest(_form_values()):
            similar = checked[1]
            if similar:
                st.warning(f"{len(similar)} existing idea(s) or initiative(s) say much the same thing. Back one of "
                           "them instead, or submit yours if it is different.", icon=":material/content_copy:")
                for rec in similar:
                    row = st.columns([5, 1])
                    row[0].markdown(f"**{rec.label} {md_escape(rec.id)}** · {md_escape(rec.title)} · "
                                    f"{md_escape(rec.status)} · similarity {rec.score:.2f}")
                    if rec.kind == "idea" and rec.status not in (STATUS_LABELS["declined"],):
                        row[1].button("Back it", key=f"s-support-{rec.id}", on_click=_support, args=(rec.id,))
            else:
                st.success("No similar idea or roadmap initiative found.", icon=":material/check_circle:")
            st.button("Submit my idea", on_click=_submit, key="s-confirm", icon=":material/send:")

with tab_mine:
    mine = my_ideas(actor)
    if not mine:
        empty_state("You have not raised an idea yet. Ideas you submit appear here with their status and the "
                    "reason triage gave.")
    else:
        st.dataframe(_rows(mine), hide_index=True, width="stretch", key="mine-table",
                     column_config={k: v for k, v in IDEA_COLUMNS.items() if k != "submitter"})

with tab_all:
    ideas = list_ideas()
    if not ideas:
        empty_state("Nothing to browse yet.")
    else:
        f1, f2, f3 = st.columns(3)
        statuses = f1.multiselect("Status", list(STATUSES), format_func=STATUS_LABELS.get, key="a-status")
        themes = f2.multiselect("Theme", sorted({i.theme for i in ideas if i.theme}), key="a-theme")
        sites = f3.multiselect("Site", sorted({i.site for i in ideas if i.site}), key="a-site")
        shown = [i for i in ideas if (not statuses or i.status in statuses) and (not themes or i.theme in themes)
                 and (not sites or i.site in sites)]
        if not shown:
            empty_state("No idea matches these filters.")
        else:
            st.caption(f"{len(shown):,} ideas, newest first")
            st.dataframe(_rows(shown), hide_index=True, width="stretch", key="all-table", column_config=IDEA_COLUMNS)
        detail = record_by_id("Idea id", "a-id", "IDEA-0001", "Enter an idea id to see it whole, with its history.",
                              get_idea)
        if detail:
            i = detail.idea
            st.markdown(f"**{md_escape(i.id)} · {md_escape(i.title)}**")
            st.caption(f"{i.status_label} · raised by {md_escape(i.submitter_label or i.submitter)} on "
                       f"{i.submitted_at:%Y-%m-%d} · {md_escape(i.theme) or 'no theme'} · "
                       f"{md_escape(i.site) or 'no site'} {md_escape(i.team)} · {i.supporters} +1"
                       + (" · AI-based" if i.ai_based else ""))
            for label, text in (("Problem", i.problem), ("Proposed change", i.proposed_change),
                                ("Expected impact", i.expected_impact), ("Reason (from triage)", i.reason)):
                if text:
                    st.markdown(f"**{label}**")
                    st.text(text)
            links = [f"{n}: {', '.join(v)}" for n, v in (("MOs", i.affected_mos), ("Rules", i.affected_rules),
                                                          ("Gaps", i.affected_gaps)) if v]
            if links:
                st.caption(md_escape(" · ".join(links)))
            if i.merged_into:
                st.caption(f"Lives on in {md_escape(i.merged_into)}.")
            if detail.merged_from:
                st.caption(md_escape("Merged in: " + ", ".join(detail.merged_from)))
            for use in detail.workshops:
                st.caption(md_escape(f"On the board of workshop “{use.session_title}” (session {use.session_id})"
                                     + (f", promoted to {use.initiative_id}" if use.initiative_id else "")))
            if submitter and i.status in ("new", "under_review", "accepted") and i.submitter != actor.name:
                st.button("Back this idea (+1)", key=f"a-support-{i.id}", on_click=_support, args=(i.id,))
            st.dataframe([{"at": h.at, "by": h.actor, "action": h.action.removeprefix("intake."),
                           "changed": ", ".join(h.changed)} for h in detail.history],
                         hide_index=True, width="stretch", key="a-history", column_config={
                             "at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm"),
                             "by": "By", "action": "What", "changed": "Fields"})

with tab_triage:
    if not triager:
        st.info(f"You are signed in as {actor.role}: triage needs the editor or admin role.", icon=":material/lock:")
    else:
        queue = list_ideas(statuses=["new", "under_review", "accepted", "declined"])
        queue.sort(key=lambda i: (i.status not in ("new", "under_review"), i.submitted_at))
        if not queue:
            empty_state("Nothing to triage: no idea is waiting.")
        else:
            open_ = sum(1 for i in queue if i.is_open)
            st.caption(f"{open_:,} ideas waiting (new or under review), oldest first; accepted and declined ones "
                       "follow, to reopen.")
            labels = {i.id: f"{i.id} · {STATUS_LABELS[i.status]} · {snippet(i.title, 80)}" for i in queue}
            picked = pick_record("Idea", labels, key="t-pick")
            idea = next(i for i in queue if i.id == picked)
            st.markdown(f"**{md_escape(idea.title)}**")
            st.caption(f"Raised by {md_escape(idea.submitter_label or idea.submitter)} on "
                       f"{idea.submitted_at:%Y-%m-%d} · {idea.supporters} +1")
            st.text(f"Problem: {idea.problem}\nProposed change: {idea.proposed_change}")
            similar = similar_to_idea(idea.id)
            if similar:
                st.caption("Similar: " + md_escape(" · ".join(f"{r.id} {snippet(r.title, 50)} ({r.score:.2f})"
                                                              for r in similar)))
            k = f"{idea.id}-{idea.status}"
            moves = [s for s in NEXT_STATUSES[idea.status] if s != "merged"]
            left, right = st.columns(2)
            with left:
                st.selectbox("Move to", moves, format_func=STATUS_LABELS.get, key=f"t-to-{k}")
                st.text_area("Reason (the submitter sees it)", key=f"t-reason-{k}", height=80)
                st.button("Move", type="primary", on_click=_move, args=(idea.id, idea.status), key=f"t-move-{k}",
                          icon=":material/arrow_forward:")
            with right:
                if "merged" in NEXT_STATUSES[idea.status]:
                    targets = [i.id for i in list_ideas(statuses=["new", "under_review", "accepted"])
                               if i.id != idea.id]
                    order = [r.id for r in similar if r.kind == "idea" and r.id in targets]
                    targets = order + [t for t in targets if t not in order]
                    st.selectbox("Merge into", targets, index=None, key=f"t-into-{k}",
                                 placeholder="Similar ideas first")
                    st.text_input("Merge note (optional)", key=f"t-merge-reason-{k}")
                    st.button("Merge", on_click=_merge, args=(idea.id, idea.status), key=f"t-merge-{k}",
                              icon=":material/merge:")

with tab_io:
    import_export_tab(
        "ideas", key="ideas", has_rows=total > 0, export=export_ideas,
        columns="Columns: title, problem, proposed_change (required); id, expected_impact, affected_mos, "
                "affected_rules, affected_gaps (ids separated by ';'), ai_based (true/false), theme, site, team, "
                "submitter, submitter_label, status, reason, merged_into, supporters, submitted_at, triaged_at, "
                "triaged_by, decided_at.",
        import_fn=import_ideas, actor=actor, editable=triager,
        template=[{"title": "Hold the first payout after a bank change", "problem": "Sellers swap bank accounts "
                   "and cash out at once.", "proposed_change": "Hold the first payout 7 days after a change.",
                   "site": "India", "theme": "Detection & Rules", "ai_based": "false"}])
