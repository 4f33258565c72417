from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from rm_core.errors import NotFound, PermissionDenied, UserError, ValidationFailed
from rm_core.identity import Actor
from rm_core.store.db import read_session
from rm_core.store.models import AuditEvent, StatusChange, Vote
from rm_core.workshops import (TEMPLATES, add_idea, cast_vote, close_session, create_session, extend_timer,
                               find_session, get_session, join, list_sessions, load_board, phase_change_resets,
                               reveal_ideas, set_locked, set_phase, set_timer, update_limits)
from tests.workshops.conftest import open_workshop


def walk_to(workshop, phase):
    order = ["brainstorm", "group", "vote", "score", "wrapup"]
    for p in order[order.index(get_session(workshop.id).phase) + 1: order.index(phase) + 1]:
        set_phase(workshop.id, p, workshop.facilitator)


def test_a_session_from_a_template_gets_its_prompts_limits_and_a_typeable_code(state, facilitator):
    ws = create_session(facilitator, "AI ideas", "ai_opportunities")
    assert ws.prompts == list(TEMPLATES["ai_opportunities"].prompts)
    assert (ws.votes_per_person, ws.max_votes_per_idea, ws.scoring, ws.phase) == (3, 1, "ICE", "brainstorm")
    assert len(ws.code) == 6 and not set(ws.code) & set("0O1IL")
    assert find_session(ws.code.lower()[:3] + " " + ws.code.lower()[3:]).id == ws.id
    assert find_session(str(ws.id)).id == ws.id
    board = load_board(ws.id)
    assert board.participants == 1  # the facilitator is in the room


def test_only_facilitators_create_sessions(state, viewer, editor):
    for actor in (viewer, editor):
        with pytest.raises(PermissionDenied):
            create_session(actor, "x")


def test_bad_settings_are_refused_with_every_problem_named(state, facilitator):
    with pytest.raises(ValidationFailed) as err:
        create_session(facilitator, " ", "op1_ideation", prompts=[], votes_per_person=101, reveal="later",
                       timer_minutes=0)
    fields = {p.field for p in err.value.problems}
    assert fields == {"title", "prompts", "votes_per_person", "reveal", "timer_minutes"}


def test_an_unknown_code_says_so(state):
    with pytest.raises(NotFound, match="No session has the code ZZZZZZ"):
        find_session("zzzzzz")


def test_a_display_name_belongs_to_one_participant_whatever_its_case(workshop):
    with pytest.raises(UserError, match="already called “ana”"):
        join(workshop.id, "ana")
    with pytest.raises(UserError, match="Enter a display name"):
        join(workshop.id, "   ")
    with pytest.raises(UserError, match="at most 40"):
        join(workshop.id, "x" * 41)


def test_a_signed_in_user_who_joins_again_gets_their_place_back(workshop):
    first = join(workshop.id, "Dee", user_name="dee")
    again = join(workshop.id, "Dee from laptop", user_name="dee")
    assert again.id == first.id and again.display_name == "Dee"


def test_phases_move_one_step_at_a_time_and_only_for_the_sessions_facilitator(workshop, admin):
    with pytest.raises(UserError, match="one phase at a time"):
        set_phase(workshop.id, "vote", workshop.facilitator)
    with pytest.raises(PermissionDenied, match="Only fran"):
        set_phase(workshop.id, "group", Actor("gus", "facilitator"))
    with pytest.raises(PermissionDenied):
        set_phase(workshop.id, "group", Actor("vic", "viewer"))
    assert set_phase(workshop.id, "group", admin).phase == "group"
    assert set_phase(workshop.id, "brainstorm", workshop.facilitator).phase == "brainstorm"
    with read_session() as s:
        moves = [(c.from_status, c.to_status) for c in s.scalars(
            select(StatusChange).where(StatusChange.record_type == "workshop_session").order_by(StatusChange.id))]
    assert moves == [(None, "brainstorm"), ("brainstorm", "group"), ("group", "brainstorm")]


def test_going_back_before_voting_warns_then_removes_the_votes_once_confirmed(workshop):
    idea = add_idea(workshop.id, workshop.ana, "Device graph for linked accounts", workshop.prompt)
    walk_to(workshop, "vote")
    cast_vote(workshop.id, workshop.ben, idea)
    cast_vote(workshop.id, workshop.cai, idea)
    assert phase_change_resets(workshop.id, "group") == [
        "all 2 votes are removed (the board can change, so everyone votes again)"]
    with pytest.raises(UserError, match="resets: all 2 votes are removed"):
        set_phase(workshop.id, "group", workshop.facilitator)
    assert get_session(workshop.id).phase == "vote"
    set_phase(workshop.id, "group", workshop.facilitator, confirm_reset=True)
    with read_session() as s:
        assert s.scalars(select(Vote)).all() == []
    assert phase_change_resets(workshop.id, "brainstorm") == []  # live reveal: nothing else to undo


def test_going_forward_or_back_to_vote_resets_nothing(workshop):
    walk_to(workshop, "score")
    assert phase_change_resets(workshop.id, "vote") == []
    assert set_phase(workshop.id, "vote", workshop.facilitator).phase == "vote"


def test_on_reveal_ideas_stay_hidden_from_others_until_revealed(state, facilitator):
    w = open_workshop(facilitator, reveal="on_reveal")
    add_idea(w.id, w.ana, "Ana's idea", w.prompt)
    add_idea(w.id, w.ben, "Ben's idea", w.prompt)
    ben_view = load_board(w.id, w.ben)
    assert [c.text for c in ben_view.ideas] == ["Ben's idea"]
    assert ben_view.hidden_ideas == {w.prompt: 1}
    # the facilitator screens every idea before revealing (#15): nothing is hidden from them, nobody else gains
    host_view = load_board(w.id, w.host)
    assert [c.text for c in host_view.ideas] == ["Ana's idea", "Ben's idea"] and host_view.hidden_ideas == {}
    assert [c.text for c in load_board(w.id, w.ana).ideas] == ["Ana's idea"]
    reveal_ideas(w.id, facilitator)
    assert [c.text for c in load_board(w.id, w.ben).ideas] == ["Ana's idea", "Ben's idea"]
    set_phase(w.id, "group", facilitator)
    assert phase_change_resets(w.id, "brainstorm") == [
        "ideas are hidden from the others again until you reveal them; authors can edit them"]
    set_phase(w.id, "brainstorm", facilitator, confirm_reset=True)
    assert [c.text for c in load_board(w.id, w.ben).ideas] == ["Ben's idea"]


def test_moving_past_brainstorm_reveals_every_idea(state, facilitator):
    w = open_workshop(facilitator, reveal="on_reveal")
    add_idea(w.id, w.ana, "Ana's idea", w.prompt)
    set_phase(w.id, "group", facilitator)
    assert get_session(w.id).revealed
    assert [c.text for c in load_board(w.id, w.ben).ideas] == ["Ana's idea"]


def test_a_locked_board_refuses_participant_changes_until_unlocked(workshop):
    set_locked(workshop.id, True, workshop.facilitator)
    with pytest.raises(UserError, match="locked the board"):
        add_idea(workshop.id, workshop.ana, "late idea", workshop.prompt)
    set_locked(workshop.id, False, workshop.facilitator)
    assert add_idea(workshop.id, workshop.ana, "late idea", workshop.prompt) > 0


def test_a_closed_session_is_read_only_and_listed_after_open_ones(workshop, facilitator):
    other = create_session(facilitator, "Gap retro", "gap_retrospective")
    close_session(workshop.id, facilitator)
    for attempt in (lambda: add_idea(workshop.id, workshop.ana, "x", workshop.prompt),
                    lambda: join(workshop.id, "Zed"),
                    lambda: set_phase(workshop.id, "group", facilitator),
                    lambda: set_locked(workshop.id, False, facilitator)):
        with pytest.raises(UserError, match="closed and read-only"):
            attempt()
    listed = list_sessions()
    assert [r.session.id for r in listed] == [other.id, workshop.id]
    assert listed[1].session.phase == "closed" and listed[1].participants == 4
    assert [r.session.id for r in list_sessions(include_closed=False)] == [other.id]


def test_the_timer_can_be_set_extended_and_cleared(workshop):
    ws = set_timer(workshop.id, 10, workshop.facilitator)
    assert 590 <= ws.seconds_left() <= 600
    ws = extend_timer(workshop.id, 5, workshop.facilitator)
    assert 890 <= ws.seconds_left() <= 900
    assert ws.seconds_left(ws.timer_ends_at + dt.timedelta(minutes=1)) == 0
    assert set_timer(workshop.id, None, workshop.facilitator).seconds_left() is None


def test_vote_limits_can_only_rise_once_voting_has_started(workshop):
    assert update_limits(workshop.id, workshop.facilitator, votes_per_person=2).votes_per_person == 2
    walk_to(workshop, "vote")
    with pytest.raises(UserError, match="only be raised"):
        update_limits(workshop.id, workshop.facilitator, votes_per_person=1)
    assert update_limits(workshop.id, workshop.facilitator, max_votes_per_idea=2).max_votes_per_idea == 2


def test_every_facilitator_action_is_audited(workshop):
    set_phase(workshop.id, "group", workshop.facilitator)
    with read_session() as s:
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["workshop.create", "workshop.join", "workshop.join", "workshop.join", "workshop.set_phase"]


def test_a_participant_token_brings_back_only_that_participant_of_that_session(workshop, facilitator):
    from rm_core.workshops import participant_from_token, participant_token

    token = participant_token(workshop.id, workshop.ben)
    assert participant_from_token(workshop.id, token).display_name == "Ben"
    other = open_workshop(facilitator)
    # one character changed anywhere (a base64 segment's last character may carry only padding bits, so those
    # are left out), or Ana's place with Ben's signature, brings back nobody
    for i in range(len(token) - 1):
        if token[i + 1] == "." or token[i] == ".":
            continue
        altered = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]
        assert participant_from_token(workshop.id, altered) is None, altered
    payload, signature = token.rsplit(".", 1)
    ana_payload = participant_token(workshop.id, workshop.ana).rsplit(".", 1)[0]
    assert participant_from_token(workshop.id, f"{ana_payload}.{signature}") is None
    assert participant_from_token(None, token).display_name == "Ben"
    assert participant_from_token(other.id, token) is None
    assert participant_from_token(workshop.id, "nonsense") is None
