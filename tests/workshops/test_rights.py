"""Workshop rights belong to the session: its facilitator, the co-facilitators they name (and admins) run it; a
participant-link actor takes part in its own session only, whatever role the machine's user has."""
from __future__ import annotations

import pytest

from rm_core import workshops as wk
from rm_core.errors import PermissionDenied, UserError
from rm_core.identity import Actor, resolve_actor
from rm_core.workshops import ScoreInput


def _facilitator_calls(w, idea: int) -> dict:
    return {
        "set_phase": lambda a: wk.set_phase(w.id, "group", a),
        "reveal_ideas": lambda a: wk.reveal_ideas(w.id, a),
        "set_locked": lambda a: wk.set_locked(w.id, True, a),
        "set_timer": lambda a: wk.set_timer(w.id, 5, a),
        "extend_timer": lambda a: wk.extend_timer(w.id, 5, a),
        "update_limits": lambda a: wk.update_limits(w.id, a, votes_per_person=9),
        "remove_idea": lambda a: wk.remove_idea(w.id, idea, a),
        "create_theme": lambda a: wk.create_theme(w.id, "Theme", a),
        "score_idea": lambda a: wk.score_idea(w.id, idea, a, ScoreInput(impact=1, confidence=50, reach=10,
                                                                        effort=1)),
        "promote_idea": lambda a: wk.promote_idea(w.id, idea, a, workstream="Ops"),
        "set_co_facilitators": lambda a: wk.set_co_facilitators(w.id, [], a),
        "close_session": lambda a: wk.close_session(w.id, a),
    }


@pytest.mark.parametrize("role", ["admin", "facilitator"])
def test_a_participant_link_actor_is_refused_every_facilitator_service_whatever_its_role(workshop, role):
    idea = wk.add_idea(workshop.id, workshop.ana, "Device graph", workshop.prompt)
    ana = wk.participant(workshop.id, workshop.ana)
    as_ana = wk.participant_actor(ana)
    assert (as_ana.via, as_ana.workshop_session) == ("participant", workshop.id)
    # even named like the facilitator and holding their role, a participant-link actor runs nothing
    disguised = Actor(workshop.facilitator.name, role, via="participant", workshop_session=workshop.id)
    for name, call in _facilitator_calls(workshop, idea).items():
        for actor in (as_ana, disguised):
            with pytest.raises(PermissionDenied):
                call(actor)
    view = wk.get_session(workshop.id)
    assert (view.phase, view.locked, view.timer_ends_at, view.votes_per_person) == ("brainstorm", False, None, 5)
    assert [t.text for t in wk.tally(workshop.id)] == ["Device graph"]


def test_another_facilitator_does_not_run_a_session_they_were_not_named_in(workshop):
    other = Actor("gus", "facilitator")
    with pytest.raises(PermissionDenied, match="Only fran"):
        wk.set_phase(workshop.id, "group", other)


def test_the_facilitator_names_co_facilitators_who_then_run_it_but_cannot_name_others(workshop):
    resolve_actor("first-user")  # the installation's first user is the admin; the next ones are viewers
    cory = resolve_actor("cory")
    resolve_actor("dee")
    assert not wk.runs_session(cory, wk.get_session(workshop.id))
    with pytest.raises(PermissionDenied):
        wk.set_phase(workshop.id, "group", cory)
    with pytest.raises(UserError, match="No user is called nobody"):
        wk.set_co_facilitators(workshop.id, ["cory", "nobody"], workshop.facilitator)
    view = wk.set_co_facilitators(workshop.id, ["Cory "], workshop.facilitator)
    assert view.co_facilitators == ("cory",) and wk.runs_session(cory, view)
    assert wk.set_phase(workshop.id, "group", cory).phase == "group"
    with pytest.raises(PermissionDenied, match="names co-facilitators"):
        wk.set_co_facilitators(workshop.id, ["cory", "dee"], cory)


def test_a_join_token_names_one_session_and_is_not_a_participant_token(workshop, facilitator):
    other = wk.create_session(facilitator, "Other", "op1_ideation")
    token = wk.join_token(workshop.id)
    assert wk.session_from_join_token(token) == workshop.id
    assert wk.session_from_join_token(wk.join_token(other.id)) == other.id
    assert wk.participant_from_token(None, token) is None
    assert wk.session_from_join_token(wk.participant_token(workshop.id, workshop.ana)) is None
    assert wk.session_from_join_token(token[:-2] + "zz" if not token.endswith("zz") else token[:-2] + "aa") is None
