"""Workshops: run an OP1 ideation session live — brainstorm, group, vote, score, wrap-up — and share the outcome.

Links: `?join=<token>` is the signed join link participants open (it names one session); `?p=<token>` is a
participant's own signed place (kept in their tab so a reload keeps it). app.py turns either into a participant
actor who sees only this page and only that session. `?session=<id>&host=1` opens the controls for those who
run the session (the services check who is asking, not the button).
"""
from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

import altair as alt
import streamlit as st

from pages._ai import method_caption, show_text, streamed
from pages._ui import act, current_actor, empty_state, flash, run_action, show_flash
from rm_core import workshops as wk
from rm_core.ai.assist import log_result
from rm_core.ai.themes import ThemeIdeas, name_themes, session_summary
from rm_core.errors import UserError
from rm_core.identity import can
from rm_core.intake import SITES, THEMES
from rm_core.text import md_escape, snippet
from rm_core.workshops.export import ideas_csv, summary, to_html, to_markdown

REFRESH_SECONDS = 1.5
ADD_VOTE, TAKE_BACK = "adds a vote", "takes a vote back"
RICE_IMPACT_LABELS = {0.25: "0.25 minimal", 0.5: "0.5 low", 1.0: "1 medium", 2.0: "2 high", 3.0: "3 massive"}

actor = current_actor()


# --- acting: every click calls a service in a callback; its answer shows on the next run -------------------





def open_session(session_id: int, host: bool = False) -> None:
    st.query_params.clear()
    st.query_params["session"] = str(session_id)
    if host:
        st.query_params["host"] = "1"


def leave_session() -> None:
    st.query_params.clear()


# --- landing: join by code, create, list ---------------------------------------------------------------------

def _join_by_code() -> None:
    ws = act(wk.find_session, st.session_state.get("join-code", ""))
    if ws:
        open_session(ws.id)


def _create() -> None:
    ss = st.session_state
    prompts = [line for line in (ss.get("c-prompts") or "").splitlines() if line.strip()] or None
    scoring = ss.get("c-scoring")
    ws = act(wk.create_session, actor, ss.get("c-title", ""), ss.get("c-template", "op1_ideation"),
             prompts=prompts, votes_per_person=ss.get("c-votes"), max_votes_per_idea=ss.get("c-per-idea"),
             anonymous=ss.get("c-anonymous", False), reveal="on_reveal" if ss.get("c-hidden") else "live",
             timer_minutes=ss.get("c-timer"), facilitator_votes=ss.get("c-fac-votes", True),
             participants_group=ss.get("c-part-group", False),
             scoring=None if scoring == "template default" else scoring)
    if ws:
        flash("success", f"Session created. Share the join code {ws.code} or the link below.")
        open_session(ws.id, host=True)


def landing() -> None:
    st.title("Workshops")
    st.caption("OP1 ideation boards: participants add ideas, group them, dot-vote and score; the best become "
               "roadmap initiatives.")
    show_flash()
    join_col, create_col = st.columns([1, 2], gap="large")
    with join_col:
        st.subheader("Join a session")
        with st.form("join-by-code", border=False):
            st.text_input("Session code", key="join-code", max_chars=12, placeholder="e.g. K7QM2A",
                          help="Six letters and digits the facilitator shared")
            st.form_submit_button("Join", on_click=_join_by_code, type="primary")
    with create_col:
        if can(actor, "workshop.facilitate"):
            st.subheader("Start a session")
            with st.form("create-session"):
                st.text_input("Title", key="c-title", max_chars=200, placeholder="OP1 2027 · Seller integrity ideas")
                st.selectbox("Template", list(wk.TEMPLATES), key="c-template",
                             format_func=lambda k: wk.TEMPLATES[k].label,
                             help="Prompts, vote limits and scoring come from the template unless set below")
                st.text_area("Prompts (one per line; leave empty for the template's)", key="c-prompts", height=90)
                a, b, c, d = st.columns(4)
                a.number_input("Votes per person", 0, 100, value=None, key="c-votes", placeholder="template")
                b.number_input("Max votes per idea", 1, 100, value=None, key="c-per-idea", placeholder="template")
                c.selectbox("Scoring", ["template default", "RICE", "ICE"], key="c-scoring")
                d.number_input("Timer (minutes)", 1, 240, value=None, key="c-timer", placeholder="none")
                e, f = st.columns(2)
                e.checkbox("Anonymous ideas", key="c-anonymous",
                           help="Nobody sees who wrote an idea; vote counts stay hidden until voting ends")
                f.checkbox("Hide ideas until I reveal them", key="c-hidden")
                e.checkbox("I vote too", value=True, key="c-fac-votes")
                f.checkbox("Participants may group", key="c-part-group")
                st.form_submit_button("Create session", on_click=_create, type="primary")
        else:
            st.caption("Facilitators start sessions; ask an admin for the facilitator role to run one.")

    rows = wk.list_sessions()
    if not rows:
        empty_state("No workshop sessions yet. A facilitator starts one above and shares its join code; "
                    "participants type the code or open the link.")
        return
    open_rows = [r for r in rows if r.session.is_open]
    closed_rows = [r for r in rows if not r.session.is_open]
    if open_rows:
        st.subheader("Open sessions")
        for r in open_rows:
            ws = r.session
            with st.container(border=True):
                left, right = st.columns([5, 1])
                left.markdown(f"**{md_escape(ws.title)}** · {ws.template_label} · phase **{ws.phase_label}** · "
                              f"code `{ws.code}`")
                left.caption(f"{r.participants} people · {r.ideas} ideas · {r.votes} votes · "
                             f"facilitated by {md_escape(ws.facilitator)}")
                runs_it = wk.runs_session(actor, ws)
                right.button("Facilitate" if runs_it else "Join", key=f"open-{ws.id}", on_click=open_session,
                             args=(ws.id, runs_it), width="stretch")
    if closed_rows:
        st.subheader("Closed sessions and their outcomes")
        st.dataframe(
            [{"session": r.session.id, "title": r.session.title, "template": r.session.template_label,
              "closed": r.session.closed_at, "people": r.participants, "ideas": r.ideas, "votes": r.votes,
              "scored": r.scored, "initiatives": ", ".join(r.promoted)} for r in closed_rows],
            hide_index=True, width="stretch",
            column_config={"session": st.column_config.NumberColumn("Id", format="%d"),
                           "closed": st.column_config.DatetimeColumn("Closed", format="YYYY-MM-DD"),
                           "initiatives": st.column_config.TextColumn("Promoted to roadmap")})
        pick = st.selectbox("Open a closed session (read-only)", [r.session.id for r in closed_rows], index=None,
                            format_func=lambda i: next(r.session.title for r in closed_rows if r.session.id == i),
                            key="open-closed")
        if pick:
            open_session(pick)
            st.rerun()


# --- one session ---------------------------------------------------------------------------------------------

def participant_id_for(ws: wk.SessionView, host: bool) -> int | None:
    """Whose place on the board this browser takes: for those who run the session, their own participant row;
    for a participant, the one their signed token names (app.py verified it); else nobody (the join form)."""
    if host:
        if actor.name == ws.facilitator:
            return wk.facilitator_participant(ws.id).id
        joined = act(wk.join, ws.id, actor.label, user_name=actor.name)  # a co-facilitator's (or admin's) own place
        return joined.id if joined else None
    if actor.via != "participant":
        return None
    joined = wk.participant_from_token(ws.id, st.query_params.get("p"))
    return joined.id if joined else None


def _join(session_id: int) -> None:
    joined = act(wk.join, session_id, st.session_state.get("join-name", ""))
    if joined:
        # from now on this tab is that participant (a signed token) and nothing else
        st.query_params.clear()
        st.query_params["p"] = wk.participant_token(session_id, joined.id)


def join_form(ws: wk.SessionView) -> None:
    st.subheader(f"Join “{md_escape(ws.title)}”")
    show_flash()
    st.caption("Pick the name the others will see" + (" (ideas stay anonymous)." if ws.anonymous else "."))
    with st.form("join-session"):
        # empty for everyone: the server's user name is not the participant's
        st.text_input("Display name", key="join-name", max_chars=40, value="")
        st.form_submit_button("Join the session", on_click=_join, args=(ws.id,), type="primary")


def phase_bar(ws: wk.SessionView) -> None:
    steps = [f"**{wk.PHASE_LABELS[p]}**" if p == ws.phase else wk.PHASE_LABELS[p] for p in wk.PHASES]
    line = "  →  ".join(steps) if ws.is_open else "**Closed** — read-only"
    left = ws.seconds_left()
    if left is not None:
        line += f"  ·  ⏱ {left // 60}:{left % 60:02d} left" if left else "  ·  ⏱ time is up"
    st.markdown(line)
    if ws.locked and ws.is_open:
        st.warning("The facilitator has locked the board: you can look, not change.", icon=":material/lock:")


# facilitator controls

def _set_phase(session_id: int, phase: str, confirm: bool = False) -> None:
    act(wk.set_phase, session_id, phase, actor, confirm_reset=confirm,
        success=f"Moved to {wk.PHASE_LABELS[phase]}.")


def facilitator_controls(board: wk.Board) -> None:
    ws = board.session
    here = wk.PHASES.index(ws.phase)
    with st.container(border=True):
        back, forward, extra, close = st.columns(4, vertical_alignment="bottom")
        if here > 0:
            target = wk.PHASES[here - 1]
            resets = wk.phase_change_resets(ws.id, target)
            if resets:
                with back.popover(f"← Back to {wk.PHASE_LABELS[target]}", width="stretch"):
                    st.warning("Going back resets: " + "; ".join(resets) + ".", icon=":material/warning:")
                    st.button("Go back and reset", key="phase-back-confirm", on_click=_set_phase,
                              args=(ws.id, target, True), type="primary")
            else:
                back.button(f"← Back to {wk.PHASE_LABELS[target]}", key="phase-back", on_click=_set_phase,
                            args=(ws.id, target), width="stretch")
        if here < len(wk.PHASES) - 1:
            target = wk.PHASES[here + 1]
            forward.button(f"Next: {wk.PHASE_LABELS[target]} →", key="phase-next", on_click=_set_phase,
                           args=(ws.id, target), type="primary", width="stretch")
        if ws.phase == "brainstorm" and ws.reveal == "on_reveal" and not ws.revealed:
            extra.button("Reveal ideas", key="reveal", width="stretch",
                         on_click=lambda: act(wk.reveal_ideas, ws.id, actor, success="Ideas revealed."))
        else:
            extra.button("Unlock board" if ws.locked else "Lock board", key="lock", width="stretch",
                         on_click=lambda: act(wk.set_locked, ws.id, not ws.locked, actor,
                                              success="Board unlocked." if ws.locked else "Board locked."))
        with close.popover("Close session", width="stretch"):
            st.caption("Closing makes the session read-only for everyone.")
            st.button("Close the session", key="close-confirm", type="primary",
                      on_click=lambda: act(wk.close_session, ws.id, actor, success="Session closed."))
        minutes, start, extend, limits, moderate = st.columns([1, 1, 1, 1.5, 1.5], vertical_alignment="bottom")
        with limits.popover("Vote limits", width="stretch"):
            st.number_input("Votes per person", 0, 100, value=ws.votes_per_person, key="l-votes")
            st.number_input("Max votes per idea", 1, 100, value=ws.max_votes_per_idea, key="l-per-idea")
            st.caption("Once voting has started, limits can only go up.")
            st.button("Save limits", key="l-save", on_click=lambda: act(
                wk.update_limits, ws.id, actor, votes_per_person=st.session_state["l-votes"],
                max_votes_per_idea=st.session_state["l-per-idea"], success="Vote limits saved."))
        if ws.phase in ("brainstorm", "group") and board.ideas:
            with moderate.popover("Remove an idea", width="stretch"):
                texts = {c.id: snippet(c.text, 70) for c in board.ideas}
                st.selectbox("Idea", list(texts), key="rm-idea", format_func=lambda i: texts[i])
                st.button("Remove it", key="rm-confirm", on_click=lambda: act(
                    wk.remove_idea, ws.id, st.session_state["rm-idea"], actor, success="Idea removed."))
        if actor.name == ws.facilitator or can(actor, "admin"):
            with moderate.popover("Co-facilitators", width="stretch"):
                st.text_input("User names (comma-separated)", value=", ".join(ws.co_facilitators), key="co-fac",
                              help="They run the session with you; they must have opened the workbench once.")
                st.button("Save co-facilitators", key="co-fac-save", on_click=lambda: act(
                    wk.set_co_facilitators, ws.id, st.session_state["co-fac"].split(","), actor,
                    success="Co-facilitators saved."))
        minutes.number_input("Timer (minutes)", 1, 240, value=5, key="timer-min")
        start.button("Start timer", key="timer-start", width="stretch", on_click=lambda: act(
            wk.set_timer, ws.id, st.session_state["timer-min"], actor, success="Timer started."))
        extend.button("+5 minutes", key="timer-extend", width="stretch",
                      on_click=lambda: act(wk.extend_timer, ws.id, 5, actor, success="Timer extended by 5 minutes."))
        st.caption(f"{board.participants} in the room · join code **{ws.code}** · "
                   f"{ws.votes_per_person} votes each, at most {ws.max_votes_per_idea} per idea"
                   + (" · anonymous" if ws.anonymous else ""))
    if ws.phase == "brainstorm" and ws.is_open:
        intake_seeding(board)


# seeding from the idea intake

def _seed(session_id: int, pick_key: str) -> None:
    ss = st.session_state
    picked = ss.get(pick_key) or []
    result = act(wk.seed_board, session_id, actor, picked, prompt=ss.get("seed-prompt"))
    if result is not None:
        added = len(result.added)
        message = f"Put {added} idea{'s' if added != 1 else ''} from the intake on the board."
        if result.already_on_board:
            message += " Already there: " + ", ".join(result.already_on_board) + "."
        flash("success", message)


def intake_seeding(board: wk.Board) -> None:
    """The facilitator starts from the backlog: accepted intake ideas, filtered by theme, site and age, become
    cards (their own) that keep the link to the idea and its submitter."""
    ws = board.session
    # open while the board is still empty (setting the session up), folded once ideas are on it
    with st.expander("Seed the board from the idea intake", icon=":material/lightbulb:", expanded=not board.ideas):
        f1, f2, f3 = st.columns([2, 2, 1])
        themes = f1.multiselect("Theme", THEMES, key="seed-themes", placeholder="Every theme")
        sites = f2.multiselect("Site", SITES, key="seed-sites", placeholder="Every site")
        age = f3.number_input("Submitted in the last (days)", 1, 3650, value=None, key="seed-age",
                              placeholder="any age")
        candidates = wk.seed_candidates(ws.id, themes=themes, sites=sites, max_age_days=age)
        if not candidates:
            empty_state("No idea accepted for OP1 matches these filters. Editors accept ideas on the Ideas page "
                        "(Triage).")
            return
        st.dataframe([{"id": c.intake_id, "title": c.title, "theme": c.theme, "site": c.site,
                       "raised_by": c.raised_by, "age": c.age_days, "supporters": c.supporters,
                       "on_board": c.on_board} for c in candidates],
                     hide_index=True, width="stretch", key="seed-table", column_config={
                         "id": st.column_config.TextColumn("Idea", width="small"),
                         "title": st.column_config.TextColumn("Title", width="large"),
                         "theme": "Theme", "site": "Site", "raised_by": "Raised by",
                         "age": st.column_config.NumberColumn("Age (days)", format="%d"),
                         "supporters": st.column_config.NumberColumn("+1s", format="%d"),
                         "on_board": st.column_config.CheckboxColumn("On this board")})
        offered = [c.intake_id for c in candidates if not c.on_board]
        if not offered:
            st.caption("Every idea shown is already on this board.")
            return
        titles = {c.intake_id: f"{c.intake_id} · {snippet(c.title, 70)}" for c in candidates}
        # a fresh widget whenever the offer changes (a seed just landed, other filters), preselecting all of it
        pick_key = "seed-pick-" + hashlib.blake2b("|".join(offered).encode(), digest_size=6).hexdigest()
        st.multiselect("Ideas to put on the board", offered, default=offered, key=pick_key,
                       format_func=titles.get)
        st.selectbox("Under the prompt", ws.prompts, key="seed-prompt")
        st.button("Put them on the board", key="seed-go", type="primary", on_click=_seed, args=(ws.id, pick_key),
                  icon=":material/add_circle:")


# idea cards

def idea_line(card: wk.IdeaCard, *, show_votes: bool = False) -> str:
    parts = [md_escape(card.text)]
    meta = []
    if card.author:
        meta.append(f"_{md_escape(card.author)}_")
    if show_votes and card.votes is not None:
        meta.append(f"**{card.votes}** vote{'s' if card.votes != 1 else ''}")
    if card.my_votes:
        meta.append("●" * card.my_votes)
    if card.intake_id:  # the link back to whoever first raised it in the intake
        # a participant link sees only this page, so the idea's id is a link only for the workbench's users
        ref = card.intake_id if actor.workshop_session is not None else \
            f"[{md_escape(card.intake_id)}](/ideas?idea={card.intake_id})"
        meta.append(f"from the idea intake {ref}, raised by {md_escape(card.raised_by or '')}")
    if card.initiative_id:
        meta.append(f"→ {card.initiative_id}")
    return parts[0] + ("  \n" + " · ".join(meta) if meta else "")


def _add_idea(session_id: int, pid: int, prompt: str, key: str) -> None:
    act(wk.add_idea, session_id, pid, st.session_state.get(key, ""), prompt)


def _edit_idea(session_id: int, pid: int, idea_id: int) -> None:
    act(wk.edit_idea, session_id, pid, idea_id, st.session_state.get(f"edit-{idea_id}", ""), success="Idea updated.")


def brainstorm(board: wk.Board, pid: int | None) -> None:
    ws = board.session
    can_add = pid is not None and ws.is_open and not ws.locked
    prompts = ws.prompts
    per_row = min(3, len(prompts))
    for start in range(0, len(prompts), per_row):
        for n, (col, prompt) in enumerate(zip(st.columns(per_row), prompts[start:start + per_row]), start=start):
            with col:
                st.markdown(f"##### {md_escape(prompt)}")
                if can_add:
                    with st.form(f"add-{n}", clear_on_submit=True, border=False):
                        st.text_area("Your idea", key=f"idea-{n}", max_chars=wk.IDEA_MAX, height=80,
                                     label_visibility="collapsed", placeholder="One idea per card…")
                        st.form_submit_button("Add idea", on_click=_add_idea, args=(ws.id, pid, prompt, f"idea-{n}"))
                cards = board.ideas_under(prompt)
                for card in (c for c in cards if c.editable):
                    with st.container(border=True):
                        st.markdown(idea_line(card))
                        e, w = st.columns(2)
                        with e.popover("Edit"):
                            st.text_area("Idea", value=card.text, key=f"edit-{card.id}", max_chars=wk.IDEA_MAX)
                            st.button("Save", key=f"save-{card.id}", on_click=_edit_idea, args=(ws.id, pid, card.id))
                        w.button("Withdraw", key=f"withdraw-{card.id}", on_click=lambda i=card.id: act(
                            wk.withdraw_idea, ws.id, pid, i, success="Idea withdrawn."))
                others = [c for c in cards if not c.editable]
                if others:  # one element for all the read-only cards keeps a 200-idea board fast to redraw
                    st.markdown("\n\n---\n\n".join(idea_line(c) for c in others))
                hidden = board.hidden_ideas.get(prompt, 0)
                if hidden:
                    st.caption(f"{hidden} idea{'s' if hidden != 1 else ''} from others, hidden until the "
                               "facilitator reveals them")
    if not board.ideas and not board.hidden_ideas:
        empty_state("No ideas yet. Write one under a prompt and press Add idea; everyone sees it within seconds.")


# grouping

def _suggest(session_id: int) -> None:
    result = act(wk.suggest_for_session, session_id)
    if result is not None:
        st.session_state[f"ws-sugg-{session_id}"] = result
        if not result.themes:
            flash("success", "Every idea is already in a theme.")


def _apply_suggestions(session_id: int, who) -> None:
    result = st.session_state.pop(f"ws-sugg-{session_id}", None)
    if result:
        act(wk.apply_suggestions, session_id, result.themes, who, success=f"{len(result.themes)} themes added.")


def _new_theme(session_id: int, who) -> None:
    act(wk.create_theme, session_id, st.session_state.get("theme-name", ""), who,
        st.session_state.get("theme-ideas") or [], success="Theme created.")


def _move(session_id: int, who) -> None:
    target = st.session_state.get("move-to")
    act(wk.move_ideas, session_id, st.session_state.get("move-ideas") or [], None if target == 0 else target, who)


def _theme_ideas(board: wk.Board) -> list:
    return [ThemeIdeas(t.id, t.name, [c.text for c in board.ideas_in(t.id)], t.votes) for t in board.themes]


def _rename_all(session_id: int, names: dict, who) -> None:
    for theme_id, name in names.items():
        act(wk.rename_theme, session_id, theme_id, name, who, success="Themes renamed.")


def ai_theme_tools(board: wk.Board, who) -> None:
    """AI assist for the facilitator: names for the current themes and a summary of the session."""
    ws = board.session
    c1, c2 = st.columns(2)
    if c1.button("Name the themes (AI assist)", key="ai-names"):
        st.session_state[f"ws-ai-names-{ws.id}"] = run_action(log_result, actor, "theme_names",
                                                               name_themes(_theme_ideas(board)))
    if c2.button("Summarise the session (AI assist)", key="ai-summary"):
        st.session_state[f"ws-ai-summary-{ws.id}"] = run_action(log_result, actor, "session_summary",
                                                                streamed(session_summary, _theme_ideas(board)))
    names = st.session_state.get(f"ws-ai-names-{ws.id}")
    if names is not None:
        method_caption(names)
        current = {t.id: t.name for t in board.themes}
        for theme_id, name in names.value.items():
            st.text(f"{current.get(theme_id, theme_id)} → {name}")
        st.button("Use these names", key="ai-names-apply", on_click=_rename_all,
                  args=(ws.id, {k: v for k, v in names.value.items() if current.get(k) != v}, who))
    summary = st.session_state.get(f"ws-ai-summary-{ws.id}")
    if summary is not None:
        method_caption(summary)
        show_text(summary.value, summary)


def grouping(board: wk.Board, pid: int | None) -> None:
    ws = board.session
    who = actor if board.viewer_is_facilitator else pid
    can_group = ws.is_open and pid is not None and (board.viewer_is_facilitator or ws.participants_group) \
        and not (ws.locked and not board.viewer_is_facilitator)
    names = {c.id: c.text for c in board.ideas}
    if can_group:
        tools = st.columns([1, 2, 2], gap="medium")
        with tools[0]:
            st.button("Suggest themes", key="suggest", on_click=_suggest, args=(ws.id,),
                      help="Cluster the ungrouped ideas by meaning and name each cluster with its telling words")
            suggestions = st.session_state.get(f"ws-sugg-{ws.id}")
            if suggestions and suggestions.themes:
                st.caption(f"Clustered on {suggestions.vectors}; named by {suggestions.labels}.")
                for t in suggestions.themes:
                    st.markdown(f"- **{md_escape(t.label)}** ({len(t.idea_ids)})")
                st.button("Use these themes", key="apply-sugg", type="primary", on_click=_apply_suggestions,
                          args=(ws.id, who))
            if board.viewer_is_facilitator and board.themes:
                ai_theme_tools(board, who)
        with tools[1], st.form("new-theme", clear_on_submit=True):
            st.text_input("New theme", key="theme-name", max_chars=120)
            st.multiselect("Ideas to put in it", list(names), key="theme-ideas",
                           format_func=lambda i: names[i][:80])
            st.form_submit_button("Create theme", on_click=_new_theme, args=(ws.id, who))
        with tools[2], st.form("move-ideas", clear_on_submit=True):
            st.multiselect("Move ideas", list(names), key="move-ideas", format_func=lambda i: names[i][:80])
            theme_names = {0: "Ungrouped", **{t.id: t.name for t in board.themes}}
            st.selectbox("to", list(theme_names), key="move-to", format_func=lambda i: theme_names[i])
            st.form_submit_button("Move", on_click=_move, args=(ws.id, who))
    theme_cards(board, can_group, who)


def theme_cards(board: wk.Board, can_group: bool, who, *, show_votes: bool = False) -> None:
    ws = board.session
    columns = st.columns(3)
    groups = [(t, board.ideas_in(t.id)) for t in board.themes] + [(None, board.ideas_in(None))]
    for n, (theme, cards) in enumerate(g for g in groups if g[0] is not None or g[1]):
        with columns[n % 3], st.container(border=True):
            title = md_escape(theme.name) if theme else "Ungrouped"
            votes = f" · {theme.votes} votes" if theme and show_votes and theme.votes is not None else ""
            st.markdown(f"**{title}** ({len(cards)}){votes}" + (" · _suggested_" if theme and theme.suggested else ""))
            if cards:
                st.markdown("\n".join(f"- {idea_line(c, show_votes=show_votes).replace(chr(10), ' ')}"
                                      for c in cards))
            if theme and can_group:
                with st.popover("Rename or merge"):
                    st.text_input("Name", value=theme.name, key=f"rename-{theme.id}", max_chars=120)
                    st.button("Rename", key=f"rename-btn-{theme.id}", on_click=lambda t=theme.id: act(
                        wk.rename_theme, ws.id, t, st.session_state[f"rename-{t}"], who, success="Renamed."))
                    others = {t.id: t.name for t in board.themes if t.id != theme.id}
                    if others:
                        st.selectbox("Merge into", list(others), key=f"merge-{theme.id}",
                                     format_func=lambda i, o=others: o[i])
                        st.button("Merge", key=f"merge-btn-{theme.id}", on_click=lambda t=theme.id: act(
                            wk.merge_themes, ws.id, st.session_state[f"merge-{t}"], t, who, success="Merged."))
                    st.button("Remove theme (ideas stay)", key=f"del-{theme.id}", on_click=lambda t=theme.id: act(
                        wk.delete_theme, ws.id, t, who, success="Theme removed."))
    if not board.ideas:
        empty_state("No ideas on the board: go back to Brainstorm to collect some.")


# voting: one pills control per theme (a click is a dot), so a 200-idea board stays a handful of widgets

def _vote_click(session_id: int, pid: int, key: str) -> None:
    idea_id = st.session_state.get(key)
    st.session_state[key] = None
    if idea_id is None:
        return
    if st.session_state.get("vote-mode") == TAKE_BACK:
        act(wk.retract_vote, session_id, pid, idea_id)
    else:
        act(wk.cast_vote, session_id, pid, idea_id)


def pill_label(card: wk.IdeaCard) -> str:
    label = md_escape(snippet(card.text, 90))
    if card.votes is not None:
        label += f" · **{card.votes}**"
    return label + (" " + "●" * card.my_votes if card.my_votes else "")


def voting(board: wk.Board, pid: int | None) -> None:
    ws = board.session
    top = st.columns([1, 1, 3])
    if board.votes_left is not None:
        top[0].metric("Your votes left", board.votes_left, help=f"{ws.votes_per_person} in all, at most "
                      f"{ws.max_votes_per_idea} on one idea")
    top[1].metric("Votes cast", "hidden" if not board.results_visible else sum(c.votes or 0 for c in board.ideas))
    if board.viewer_is_facilitator:
        waiting = board.not_voted
        top[2].markdown("**Not voted yet:** " + (", ".join(md_escape(n) for n in waiting) if waiting else
                                                 "everyone has voted"))
    if not board.results_visible:
        st.caption("Results stay hidden until the vote ends (anonymous session). ● marks your own votes.")
    if not board.can_vote:
        theme_cards(board, False, None, show_votes=True)
        return
    st.segmented_control("A click on an idea", [ADD_VOTE, TAKE_BACK], default=ADD_VOTE, key="vote-mode")
    groups = [(t.id, t.name, board.ideas_in(t.id)) for t in board.themes] + \
        [(0, "Ungrouped", board.ideas_in(None))]
    cards_by_id = {c.id: c for c in board.ideas}
    for theme_id, name, cards in groups:
        if not cards:
            continue
        key = f"pick-{theme_id}"
        st.pills(f"**{md_escape(name)}**", [c.id for c in cards], selection_mode="single", key=key,
                 format_func=lambda i: pill_label(cards_by_id[i]), on_change=_vote_click, args=(ws.id, pid, key))


# scoring

def _score(session_id: int, method: str) -> None:
    ss = st.session_state
    inputs = wk.ScoreInput(reach=ss.get("s-reach"), impact=ss.get("s-impact"), confidence=ss.get("s-confidence"),
                           effort=ss.get("s-effort"), ease=ss.get("s-ease"))
    value = act(wk.score_idea, session_id, ss.get("s-idea"), actor, inputs)
    if value is not None:
        flash("success", f"Scored: {method} {value:,.1f}.")


def scoring(board: wk.Board) -> None:
    ws = board.session
    ranked = sorted(board.ideas, key=lambda c: (-(c.votes or 0), c.id))
    names = {c.id: f"{c.text[:70]} ({c.votes or 0} votes)" for c in ranked}
    if board.viewer_is_facilitator and ws.is_open and ranked:
        with st.form("score"):
            st.selectbox("Idea (most voted first)", list(names), key="s-idea", format_func=lambda i: names[i])
            if ws.scoring == "RICE":
                a, b, c, d = st.columns(4)
                a.number_input("Reach (accounts / quarter)", 0.0, value=100.0, step=10.0, key="s-reach")
                b.selectbox("Impact", list(RICE_IMPACT_LABELS), index=2, key="s-impact",
                            format_func=lambda v: RICE_IMPACT_LABELS[v])
                c.number_input("Confidence %", 0.0, 100.0, value=80.0, step=10.0, key="s-confidence")
                d.number_input("Effort (person-months)", 0.1, value=1.0, step=0.5, key="s-effort")
            else:
                a, b, c = st.columns(3)
                a.slider("Impact", 1, 10, 5, key="s-impact")
                b.slider("Confidence", 1, 10, 5, key="s-confidence")
                c.slider("Ease", 1, 10, 5, key="s-ease")
            st.form_submit_button(f"Save {ws.scoring} score", on_click=_score, args=(ws.id, ws.scoring),
                                  type="primary")
    scores = wk.scores_frame(ws.id)
    if scores.is_empty():
        empty_state("No idea is scored yet. The facilitator scores the most voted ideas with "
                    f"{ws.scoring}; the impact-vs-effort chart appears here.")
        return
    chart = alt.Chart(scores.to_pandas()).mark_circle(opacity=0.75).encode(
        x=alt.X("effort_axis:Q", title="Effort (person-months)" if ws.scoring == "RICE" else "Effort (11 − ease)"),
        y=alt.Y("impact:Q", title="Impact"),
        size=alt.Size("votes:Q", title="Votes", scale=alt.Scale(range=[60, 600])),
        color=alt.Color("value:Q", title=f"{ws.scoring} score", scale=alt.Scale(scheme="blues")),
        tooltip=[alt.Tooltip("idea:N", title="Idea"), alt.Tooltip("theme:N", title="Theme"), "votes:Q",
                 alt.Tooltip("value:Q", title="Score", format=",.1f")],
    ).properties(title="Impact vs effort: top-left are quick wins", height=320)
    left, right = st.columns([3, 2])
    left.altair_chart(chart, width="stretch")
    right.dataframe(scores.select("idea", "votes", "value"), hide_index=True, width="stretch",
                    column_config={"idea": st.column_config.TextColumn("Idea", width="large"),
                                   "votes": st.column_config.NumberColumn("Votes", format="%d"),
                                   "value": st.column_config.NumberColumn(ws.scoring, format="%.1f")})


# wrap-up and exports

def _promote(session_id: int) -> None:
    ss = st.session_state
    ini = act(wk.promote_idea, session_id, ss.get("p-idea"), actor, workstream=ss.get("p-workstream", ""),
              horizon=ss.get("p-horizon", "next"), title=ss.get("p-title") or None, ai_based=ss.get("p-ai", False))
    if ini:
        flash("success", f"Added to the roadmap as {ini}.")


def wrapup(board: wk.Board) -> None:
    ws = board.session
    candidates = sorted((c for c in board.ideas if not c.initiative_id),
                        key=lambda c: (-(c.score or 0), -(c.votes or 0), c.id))
    if board.viewer_is_facilitator and ws.is_open and candidates and can(actor, "roadmap.edit"):
        names = {c.id: f"{c.text[:70]} ({c.votes or 0} votes" + (f", score {c.score:,.1f})" if c.score else ")")
                 for c in candidates}
        with st.form("promote", clear_on_submit=True):
            st.selectbox("Idea to promote (best scored first)", list(names), key="p-idea",
                         format_func=lambda i: names[i])
            a, b, c = st.columns([2, 2, 1])
            a.text_input("Initiative title (empty: the idea's text)", key="p-title", max_chars=300)
            b.text_input("Workstream", key="p-workstream", max_chars=64, placeholder="e.g. Detection, Payments")
            c.radio("Horizon", list(wk.HORIZONS), index=1, key="p-horizon", horizontal=True)
            st.checkbox("AI-based initiative", key="p-ai")
            st.form_submit_button("Promote to roadmap", on_click=_promote, args=(ws.id,), type="primary")
    outcome(board)


def outcome(board: wk.Board) -> None:
    ws = board.session
    sm = summary(ws.id)
    if sm.promoted:
        st.markdown("**Promoted to the roadmap**")
        st.dataframe([{"initiative": p.initiative_id, "title": p.title, "workstream": p.workstream,
                       "horizon": p.horizon} for p in sm.promoted], hide_index=True, width="stretch",
                     column_config={"initiative": st.column_config.TextColumn("Initiative"),
                                    "title": st.column_config.TextColumn("Title", width="large")})
    st.markdown(f"**Ideas** · {len(sm.ideas)} ideas, {len(sm.themes)} themes, {sm.total_votes} votes")
    st.dataframe([{"theme": line.theme or "Ungrouped", "idea": line.text, "author": line.author, "votes": line.votes,
                   "score": line.score, "initiative": line.initiative_id} for line in sm.ideas],
                 hide_index=True, width="stretch",
                 column_config={"idea": st.column_config.TextColumn("Idea", width="large"),
                                "author": None if ws.anonymous else st.column_config.TextColumn("Author"),
                                "votes": st.column_config.NumberColumn("Votes", format="%d"),
                                "score": st.column_config.NumberColumn(ws.scoring, format="%.1f")})
    slug = "".join(ch if ch.isalnum() else "-" for ch in ws.title.lower()).strip("-")[:40] or f"session-{ws.id}"
    a, b, c = st.columns(3)
    with a:
        st.download_button("Summary (Markdown)", to_markdown(sm), file_name=f"{slug}.md", mime="text/markdown",
                           icon=":material/download:", key="dl-md")
    with b:
        st.download_button("Summary (HTML)", to_html(sm), file_name=f"{slug}.html", mime="text/html",
                           icon=":material/download:", key="dl-html")
    with c:
        st.download_button("Ideas (CSV)", ideas_csv(sm), file_name=f"{slug}-ideas.csv", mime="text/csv",
                           icon=":material/download:", key="dl-csv")


PHASE_VIEWS = {"brainstorm": lambda b, pid: brainstorm(b, pid), "group": lambda b, pid: grouping(b, pid),
               "vote": lambda b, pid: voting(b, pid), "score": lambda b, pid: scoring(b),
               "wrapup": lambda b, pid: wrapup(b), "closed": lambda b, pid: outcome(b)}


def session_page(session_id: int) -> None:
    try:
        ws = wk.get_session(session_id)
    except UserError as exc:
        st.error(md_escape(str(exc)), icon=":material/error:")
        st.button("← All sessions", on_click=leave_session)
        return
    runs_it = wk.runs_session(actor, ws)
    host = st.query_params.get("host") == "1" and runs_it
    head, nav = st.columns([5, 1], vertical_alignment="bottom")
    head.title(md_escape(ws.title))
    if actor.workshop_session is None:
        nav.button("← All sessions", on_click=leave_session, width="stretch")
    st.caption(f"{md_escape(ws.template_label)} workshop · facilitated by {md_escape(ws.facilitator)}")
    pid = participant_id_for(ws, host)
    if host:
        url = urlsplit(getattr(st.context, "url", "") or "")
        # at the server's root: a participant session has only this page, which Streamlit serves at "/"
        link = (f"{url.scheme}://{url.netloc}/" if url.netloc else "/") + f"?join={wk.join_token(ws.id)}"
        st.caption(f"Join code **{ws.code}** · join link (share it: it lets people join this session, with the "
                   "name they type, and nothing else):")
        st.code(link, language=None)
    elif runs_it and ws.is_open:
        st.button("Open facilitator controls", on_click=open_session, args=(ws.id, True))
    if pid is None and ws.is_open:
        join_form(ws)
        return

    @st.fragment(run_every=REFRESH_SECONDS if ws.is_open else None)
    def live_board() -> None:
        board = wk.load_board(session_id, pid, runs=host)
        if not board.session.is_open and ws.is_open:
            st.rerun()  # just closed: redraw once without the refresh timer
        show_flash()
        phase_bar(board.session)
        if host and board.session.is_open:
            facilitator_controls(board)
        PHASE_VIEWS[board.session.phase](board, pid)

    live_board()


session_param = st.query_params.get("session")
if actor.workshop_session is not None:
    session_page(actor.workshop_session)  # a participant link: its own session and nothing else
elif session_param and session_param.isdigit():
    session_page(int(session_param))
else:
    landing()
