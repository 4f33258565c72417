from __future__ import annotations

import pytest

from rm_core.errors import PermissionDenied, UserError
from rm_core.workshops import (add_idea, create_theme, delete_theme, load_board, merge_themes, move_idea,
                               move_ideas, rename_theme, set_phase)
from tests.workshops.conftest import open_workshop


def grouped(w):
    ideas = [add_idea(w.id, w.ana, t, w.prompt) for t in ("device graph", "bank payout", "payout holds")]
    set_phase(w.id, "group", w.facilitator)
    return ideas


def test_the_facilitator_creates_renames_and_fills_themes(workshop):
    a, b, c = grouped(workshop)
    payouts = create_theme(workshop.id, "Payouts", workshop.facilitator, [b])
    move_idea(workshop.id, c, payouts, workshop.facilitator)
    rename_theme(workshop.id, payouts, "Payout abuse", workshop.facilitator)
    board = load_board(workshop.id, workshop.ben)
    assert [(t.name, t.idea_ids) for t in board.themes] == [("Payout abuse", [b, c])]
    assert [i.id for i in board.ideas_in(None)] == [a]
    move_idea(workshop.id, c, None, workshop.facilitator)
    assert load_board(workshop.id).themes[0].idea_ids == [b]


def test_merging_two_themes_keeps_every_idea_in_the_one_kept(workshop):
    a, b, c = grouped(workshop)
    first = create_theme(workshop.id, "Payouts", workshop.facilitator, [b])
    second = create_theme(workshop.id, "Holds", workshop.facilitator, [c, a])
    merge_themes(workshop.id, first, second, workshop.facilitator)
    assert [(t.id, t.idea_ids) for t in load_board(workshop.id).themes] == [(first, [a, b, c])]
    with pytest.raises(UserError, match="two different themes"):
        merge_themes(workshop.id, first, first, workshop.facilitator)


def test_deleting_a_theme_sends_its_ideas_back_to_ungrouped(workshop):
    a, b, c = grouped(workshop)
    theme = create_theme(workshop.id, "Misc", workshop.facilitator, [a, b])
    delete_theme(workshop.id, theme, workshop.facilitator)
    assert len(load_board(workshop.id).ideas_in(None)) == 3


def test_participants_group_only_when_the_session_allows_it(workshop, state, facilitator):
    a, *_ = grouped(workshop)
    with pytest.raises(PermissionDenied, match="Only the facilitator groups"):
        create_theme(workshop.id, "Mine", workshop.ana)
    open_board = open_workshop(facilitator, participants_group=True)
    x, *_ = grouped(open_board)
    theme = create_theme(open_board.id, "Device", open_board.ben, [x])
    assert load_board(open_board.id).themes[0].idea_ids == [x] and theme


def test_grouping_happens_only_in_the_group_phase(workshop):
    with pytest.raises(UserError, match="only in the Group phase"):
        create_theme(workshop.id, "Early", workshop.facilitator)


def test_moving_several_ideas_is_all_or_nothing(workshop, state):
    from sqlalchemy import select

    from rm_core.store.db import read_session
    from rm_core.store.models import AuditEvent

    a, b, c = grouped(workshop)
    theme = create_theme(workshop.id, "Payouts", workshop.facilitator)
    with pytest.raises(UserError, match="Idea 99999 is not on this board"):
        move_ideas(workshop.id, [a, b, 99999], theme, workshop.facilitator)
    assert load_board(workshop.id).themes[0].idea_ids == []  # a and b did not move either
    assert move_ideas(workshop.id, [a, b, b], theme, workshop.facilitator) == 2
    assert load_board(workshop.id).themes[0].idea_ids == [a, b]
    with read_session() as s:
        moved = s.scalars(select(AuditEvent.record_id).where(AuditEvent.action == "workshop.move_idea")).all()
    assert sorted(moved) == sorted([str(a), str(b)])
    with pytest.raises(PermissionDenied):
        move_ideas(workshop.id, [c], theme, workshop.ana)
    assert [i.id for i in load_board(workshop.id).ideas_in(None)] == [c]
