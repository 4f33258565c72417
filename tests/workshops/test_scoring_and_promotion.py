from __future__ import annotations

import pytest
from sqlalchemy import select

from rm_core.errors import PermissionDenied, UserError, ValidationFailed
from rm_core.store.db import read_session, write_session
from rm_core.store.models import Initiative, StatusChange
from rm_core.workshops import (ScoreInput, add_idea, cast_vote, list_sessions, load_board, promote_idea, score_idea,
                               score_value, scores_frame, set_phase)
from tests.workshops.conftest import open_workshop


def walk(w, to):
    order = ["group", "vote", "score", "wrapup"]
    for p in order[: order.index(to) + 1]:
        set_phase(w.id, p, w.facilitator)


def test_rice_is_reach_times_impact_times_confidence_over_effort():
    assert score_value("RICE", ScoreInput(reach=2000, impact=2, confidence=80, effort=4)) == 800.0


def test_ice_is_impact_times_confidence_times_ease():
    assert score_value("ICE", ScoreInput(impact=8, confidence=5, ease=3)) == 120.0


def test_out_of_range_inputs_name_each_field():
    with pytest.raises(ValidationFailed) as err:
        score_value("RICE", ScoreInput(reach=-1, impact=1.5, confidence=120, effort=0))
    assert {p.field for p in err.value.problems} == {"reach", "impact", "confidence", "effort"}
    with pytest.raises(ValidationFailed) as err:
        score_value("ICE", ScoreInput(impact=11, confidence=0, ease=None))
    assert {p.field for p in err.value.problems} == {"impact", "confidence", "ease"}


def test_the_facilitator_scores_ideas_in_the_score_phase_and_can_rescore(workshop, viewer):
    a = add_idea(workshop.id, workshop.ana, "Device graph", workshop.prompt)
    b = add_idea(workshop.id, workshop.ben, "Payout holds", workshop.prompt)
    with pytest.raises(UserError, match="score ideas only in the Score or Wrap-up phase"):
        score_idea(workshop.id, a, workshop.facilitator, ScoreInput(reach=1, impact=1, confidence=50, effort=1))
    walk(workshop, "vote")
    cast_vote(workshop.id, workshop.cai, b)
    set_phase(workshop.id, "score", workshop.facilitator)
    with pytest.raises(PermissionDenied):
        score_idea(workshop.id, a, viewer, ScoreInput(reach=1, impact=1, confidence=50, effort=1))
    score_idea(workshop.id, a, workshop.facilitator, ScoreInput(reach=100, impact=1, confidence=50, effort=1))
    score_idea(workshop.id, a, workshop.facilitator, ScoreInput(reach=1000, impact=3, confidence=100, effort=2))
    score_idea(workshop.id, b, workshop.facilitator, ScoreInput(reach=500, impact=2, confidence=50, effort=5))
    frame = scores_frame(workshop.id)
    assert frame.select("idea_id", "votes", "value", "effort_axis").rows() == [(a, 0, 1500.0, 2.0),
                                                                              (b, 1, 100.0, 5.0)]
    assert load_board(workshop.id, workshop.ana).ideas[0].score == 1500.0


def test_promoting_an_idea_creates_the_next_free_initiative_linked_back_to_it(state, facilitator):
    w = open_workshop(facilitator)
    with write_session() as s:
        s.add(Initiative(id="INI-007", title="Existing", workstream="Detection"))
        s.add(Initiative(id="INI-012", title="Existing too", workstream="Detection"))
    a = add_idea(w.id, w.ana, "Build a shared-device graph for linked accounts", w.prompt)
    b = add_idea(w.id, w.ana, "Hold payouts on new bank accounts", w.prompt)
    with pytest.raises(UserError, match="only in the Wrap-up phase"):
        promote_idea(w.id, a, facilitator, workstream="Detection")
    walk(w, "wrapup")
    first = promote_idea(w.id, a, facilitator, workstream="Linked accounts", horizon="now", ai_based=True)
    second = promote_idea(w.id, b, facilitator, workstream="Payments", title="Payout holds")
    assert (first, second) == ("INI-013", "INI-014")
    with read_session() as s:
        ini = s.get(Initiative, first)
        assert (ini.title, ini.workstream, ini.horizon, ini.source_idea_id, ini.ai_based, ini.status) == (
            "Build a shared-device graph for linked accounts", "Linked accounts", "now", a, True, "not_started")
        assert "OP1 2027 ideation" in ini.description
        assert s.scalar(select(StatusChange.note).where(StatusChange.record_id == first)) == \
            f"promoted from workshop idea {a}"
    with pytest.raises(UserError, match="already on the roadmap as INI-013"):
        promote_idea(w.id, a, facilitator, workstream="Again")
    assert load_board(w.id).ideas[0].initiative_id == "INI-013"
    assert list_sessions()[0].promoted == ["INI-013", "INI-014"]


def test_promotion_needs_a_workstream_and_a_known_horizon(workshop):
    with pytest.raises(UserError, match="workstream"):
        promote_idea(workshop.id, 1, workshop.facilitator, workstream=" ")
    with pytest.raises(UserError, match="now, next or later"):
        promote_idea(workshop.id, 1, workshop.facilitator, workstream="X", horizon="someday")
