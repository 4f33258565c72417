"""Seeding a board from the idea intake: accepted ideas filtered by theme, site and age become cards that keep
their intake id, so a promoted initiative names who first raised the idea."""
import datetime as dt

import pytest

from rm_core.errors import PermissionDenied, UserError
from rm_core.identity import Actor
from rm_core.intake import get_idea, merge_idea, move_idea, submit_idea
from rm_core.store.db import read_session
from rm_core.store.models import Initiative, utcnow
from rm_core.workshops import intake_origins, load_board, promote_idea, seed_board, seed_candidates, set_phase
from tests.intake.conftest import idea_fields
from tests.workshops.conftest import open_workshop

NOW = utcnow()


def _accepted(editor, author, days_old, **kw):
    idea = submit_idea(author, idea_fields(**kw), at=NOW - dt.timedelta(days=days_old))
    move_idea(editor, idea.id, "under_review", at=NOW - dt.timedelta(days=days_old) + dt.timedelta(hours=1))
    move_idea(editor, idea.id, "accepted", reason="For OP1.",
              at=NOW - dt.timedelta(days=days_old) + dt.timedelta(hours=2))
    return idea


@pytest.fixture
def intake(state, editor, viewer):
    india = _accepted(editor, viewer, 10, title="Hold payouts after bank changes", site="India",
                      theme="Detection & Rules")
    costa = _accepted(editor, viewer, 200, title="LLM triage of partner requests", site="Costa Rica",
                      theme="AI & Automation", proposed_change="A model proposes priority and owner.")
    waiting = submit_idea(viewer, idea_fields(title="Still under review"), at=NOW - dt.timedelta(days=3))
    return india, costa, waiting


def test_candidates_are_the_accepted_ideas_filtered_by_theme_site_and_age(intake, facilitator):
    india, costa, _ = intake
    w = open_workshop(facilitator)
    assert [c.intake_id for c in seed_candidates(w.id)] == [costa.id, india.id]  # oldest first at equal support
    assert [c.intake_id for c in seed_candidates(w.id, sites=["India"])] == [india.id]
    assert [c.intake_id for c in seed_candidates(w.id, themes=["AI & Automation"])] == [costa.id]
    assert [c.intake_id for c in seed_candidates(w.id, max_age_days=90)] == [india.id]
    c = seed_candidates(w.id, sites=["Costa Rica"])[0]
    assert (c.raised_by, c.age_days, c.on_board) == ("Vic Viewer", 200, False)


def test_seeding_adds_cards_that_keep_the_link_and_a_second_seed_skips_them(intake, facilitator):
    india, costa, _ = intake
    w = open_workshop(facilitator)
    second_prompt = w.session.prompts[1]
    result = seed_board(w.id, facilitator, [india.id, costa.id], prompt=second_prompt)
    assert list(result.added) == [india.id, costa.id] and result.already_on_board == []
    board = load_board(w.id, w.host)
    cards = {c.intake_id: c for c in board.ideas}
    assert cards[india.id].text == "Hold payouts after bank changes — " + idea_fields()["proposed_change"]
    assert cards[costa.id].prompt == second_prompt and cards[costa.id].raised_by == "Vic Viewer"
    assert all(c.intake_id for c in seed_candidates(w.id) if c.on_board)
    again = seed_board(w.id, facilitator, [india.id])
    assert again.added == {} and again.already_on_board == [india.id]
    assert len(load_board(w.id, w.host).ideas) == 2
    assert [u.session_id for u in get_idea(india.id).workshops] == [w.id]


def test_an_idea_not_accepted_or_unknown_adds_nothing(intake, facilitator):
    india, _, waiting = intake
    w = open_workshop(facilitator)
    with pytest.raises(UserError, match=f"Nothing was added: no idea IDEA-0404; {waiting.id} is not accepted"):
        seed_board(w.id, facilitator, [india.id, "IDEA-0404", waiting.id])
    assert load_board(w.id, w.host).ideas == []


def test_only_those_running_the_session_seed_and_only_while_brainstorming(intake, facilitator):
    india, _, _ = intake
    w = open_workshop(facilitator)
    other = Actor("otto", "facilitator")
    with pytest.raises(PermissionDenied):
        seed_board(w.id, other, [india.id])
    participant = Actor(f"participant:{w.ana}", "viewer", via="participant", workshop_session=w.id)
    with pytest.raises(PermissionDenied):
        seed_board(w.id, participant, [india.id])
    set_phase(w.id, "group", facilitator)
    with pytest.raises(UserError, match="only in the Brainstorm phase"):
        seed_board(w.id, facilitator, [india.id])


def test_a_promoted_seeded_idea_traces_back_to_its_submitter(intake, facilitator, editor):
    india, _, _ = intake
    w = open_workshop(facilitator)
    card = seed_board(w.id, facilitator, [india.id]).added[india.id]
    for phase in ("group", "vote", "score", "wrapup"):
        set_phase(w.id, phase, facilitator)
    ini_id = promote_idea(w.id, card, facilitator, workstream="Detection & Rules")
    with read_session() as s:
        ini = s.get(Initiative, ini_id)
        assert ini.source_idea_id == card
        assert f"First raised in the idea intake as {india.id} by Vic Viewer" in ini.description
    origin = intake_origins([card])[card]
    assert (origin.intake_id, origin.submitter) == (india.id, "vic")
    assert get_idea(india.id).workshops[0].initiative_id == ini_id


def test_merging_a_seeded_idea_repoints_its_card_to_the_survivor(intake, facilitator, editor):
    india, costa, _ = intake
    w = open_workshop(facilitator)
    card = seed_board(w.id, facilitator, [india.id]).added[india.id]
    move_idea(editor, india.id, "under_review", reason="Reopened to merge.")
    merge_idea(editor, india.id, costa.id)
    assert intake_origins([card])[card].intake_id == costa.id


@pytest.mark.postgres
def test_seeding_and_tracing_work_on_both_databases(state, backend, facilitator, editor, viewer):
    india = _accepted(editor, viewer, 10, title="Hold payouts after bank changes", site="India")
    costa = _accepted(editor, viewer, 40, title="Partner desk playbook", site="Costa Rica",
                      theme="Process & SOPs")
    w = open_workshop(facilitator)
    assert [c.intake_id for c in seed_candidates(w.id, sites=["India"], max_age_days=30)] == [india.id]
    result = seed_board(w.id, facilitator, [india.id, costa.id])
    assert set(result.added) == {india.id, costa.id}
    assert seed_board(w.id, facilitator, [costa.id]).already_on_board == [costa.id]
    assert {c.intake_id: c.raised_by for c in load_board(w.id, w.host).ideas} == {india.id: "Vic Viewer",
                                                                                  costa.id: "Vic Viewer"}
    assert [c.on_board for c in seed_candidates(w.id)] == [True, True]
    assert {o.intake_id for o in intake_origins(list(result.added.values())).values()} == {india.id, costa.id}
