from __future__ import annotations

import pytest
from sqlalchemy import select

from rm_core.errors import NotFound, PermissionDenied, UserError
from rm_core.store.db import read_session
from rm_core.store.models import Idea
from rm_core.workshops import (add_idea, edit_idea, load_board, remove_idea, reveal_ideas, set_phase, withdraw_idea)
from tests.workshops.conftest import open_workshop


def test_an_idea_is_stored_exactly_as_typed_even_when_it_looks_like_html(workshop):
    typed = "<script>alert('x')</script> **bold** =SUM(A1)"
    idea = add_idea(workshop.id, workshop.ana, "  " + typed + "\n", workshop.prompt)
    with read_session() as s:
        assert s.get(Idea, idea).text == typed
    assert load_board(workshop.id, workshop.ben).ideas[0].text == typed


def test_ideas_longer_than_500_characters_or_empty_are_refused(workshop):
    assert add_idea(workshop.id, workshop.ana, "x" * 500, workshop.prompt)
    with pytest.raises(UserError, match="at most 500 characters; this one has 501"):
        add_idea(workshop.id, workshop.ana, "x" * 501, workshop.prompt)
    with pytest.raises(UserError, match="empty card"):
        add_idea(workshop.id, workshop.ana, "   ", workshop.prompt)


def test_ideas_go_under_one_of_the_sessions_prompts(workshop):
    with pytest.raises(UserError, match="not one of this session's prompts"):
        add_idea(workshop.id, workshop.ana, "idea", "Some other question")


def test_ideas_are_added_only_while_brainstorming(workshop):
    set_phase(workshop.id, "group", workshop.facilitator)
    with pytest.raises(UserError, match="add ideas only in the Brainstorm phase; the session is in Group"):
        add_idea(workshop.id, workshop.ana, "late", workshop.prompt)


def test_a_participant_of_another_session_cannot_post_here(workshop, facilitator):
    other = open_workshop(facilitator)
    with pytest.raises(PermissionDenied, match="not joined this session"):
        add_idea(workshop.id, other.ana, "sneaky", workshop.prompt)


def test_authors_edit_or_withdraw_their_own_ideas_until_they_are_revealed(state, facilitator):
    w = open_workshop(facilitator, reveal="on_reveal")
    idea = add_idea(w.id, w.ana, "first draft", w.prompt)
    assert load_board(w.id, w.ana).ideas[0].editable
    edit_idea(w.id, w.ana, idea, "better wording")
    with pytest.raises(PermissionDenied, match="only your own ideas"):
        edit_idea(w.id, w.ben, idea, "hijack")
    gone = add_idea(w.id, w.ana, "never mind", w.prompt)
    withdraw_idea(w.id, w.ana, gone)
    reveal_ideas(w.id, facilitator)
    assert not load_board(w.id, w.ana).ideas[0].editable
    with pytest.raises(UserError, match="revealed to everyone"):
        edit_idea(w.id, w.ana, idea, "too late")
    with read_session() as s:
        assert [i.text for i in s.scalars(select(Idea))] == ["better wording"]


def test_the_facilitator_removes_an_off_topic_idea(workshop):
    idea = add_idea(workshop.id, workshop.ana, "lunch menu", workshop.prompt)
    remove_idea(workshop.id, idea, workshop.facilitator, reason="off topic")
    with pytest.raises(NotFound):
        edit_idea(workshop.id, workshop.ana, idea, "x")
