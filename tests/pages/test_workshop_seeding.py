"""Workshops page: the facilitator seeds a brainstorm board from accepted intake ideas (theme, site, age), each card
names who first raised it and links to the idea on the Ideas page."""
from __future__ import annotations

import datetime as dt

from rm_core import workshops as wk
from rm_core.identity import Actor
from rm_core.intake import move_idea, submit_idea
from rm_core.store.models import utcnow
from tests.intake.conftest import idea_fields
from tests.pages.conftest import app_test

FRAN = Actor("fran", "facilitator", "Fran Facilitator")
EDDIE = Actor("eddie", "editor", "Eddie Editor")
VIC = Actor("vic", "viewer", "Vic Viewer")


def accepted(days_old: int, **kw):
    at = utcnow() - dt.timedelta(days=days_old)
    idea = submit_idea(VIC, idea_fields(**kw), at=at)
    move_idea(EDDIE, idea.id, "under_review", at=at + dt.timedelta(hours=1))
    move_idea(EDDIE, idea.id, "accepted", reason="For OP1.", at=at + dt.timedelta(hours=2))
    return idea


def host_page(session_id: int):
    at = app_test("pages/workshops.py")
    at.session_state["actor"] = FRAN
    at.query_params["session"] = str(session_id)
    at.query_params["host"] = "1"
    return at.run()


def pick_widget(at):
    return next(m for m in at.multiselect if m.key.startswith("seed-pick-"))


def texts(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
                     + [s.value for s in at.success] + [e.value for e in at.error])


def test_the_facilitator_seeds_the_board_from_accepted_ideas_filtered_by_site_and_age(state):
    india = accepted(10, title="Hold payouts after bank changes", site="India", proposed_change="Hold 7 days.")
    old_india = accepted(400, title="Old India idea", site="India", proposed_change="Something old.")
    costa = accepted(20, title="Partner desk playbook", site="Costa Rica", theme="Process & SOPs",
                     proposed_change="One playbook.")
    submit_idea(VIC, idea_fields(title="Still new"))  # not accepted: never offered
    ws = wk.create_session(FRAN, "OP1 2027", "op1_ideation")
    at = host_page(ws.id)
    assert not at.exception
    assert pick_widget(at).value == [old_india.id, costa.id, india.id]  # none backed yet: oldest first
    at.multiselect(key="seed-sites").set_value(["India"]).run()
    at.number_input(key="seed-age").set_value(90).run()
    assert pick_widget(at).value == [india.id]
    at.selectbox(key="seed-prompt").set_value(ws.prompts[1])
    at.button(key="seed-go").click().run()
    assert not at.exception
    assert "Put 1 idea from the intake on the board." in texts(at)
    cards = wk.load_board(ws.id, wk.facilitator_participant(ws.id).id).ideas
    assert [(c.intake_id, c.prompt, c.text) for c in cards] == [
        (india.id, ws.prompts[1], "Hold payouts after bank changes — Hold 7 days.")]
    assert (f"from the idea intake [{india.id}](/ideas?idea={india.id}), raised by Vic Viewer") in texts(at)
    # the seeded idea is now marked on the board, and nothing is left to offer under these filters
    assert "Every idea shown is already on this board." in texts(at)
    at.multiselect(key="seed-sites").set_value(["Costa Rica"]).run()
    assert pick_widget(at).value == [costa.id]


def test_no_accepted_idea_shows_the_empty_state_and_a_participant_sees_no_seeding(state):
    submit_idea(VIC, idea_fields(title="Still new"))
    ws = wk.create_session(FRAN, "OP1 2027", "op1_ideation")
    at = host_page(ws.id)
    assert not at.exception
    assert "No idea accepted for OP1 matches these filters." in texts(at)
    joined = wk.join(ws.id, "Pat")
    part = app_test("pages/workshops.py")
    part.session_state["actor"] = wk.participant_actor(joined)
    part.query_params["p"] = wk.participant_token(ws.id, joined.id)
    part.run()
    assert not part.exception
    assert not [b for b in part.button if b.key == "seed-go"] and "idea intake" not in texts(part)


def test_a_card_seeded_for_a_participant_shows_the_submitter_without_a_link(state):
    india = accepted(10, title="Hold payouts after bank changes", site="India", proposed_change="Hold 7 days.")
    ws = wk.create_session(FRAN, "OP1 2027", "op1_ideation")
    wk.seed_board(ws.id, FRAN, [india.id])
    joined = wk.join(ws.id, "Pat")
    part = app_test("pages/workshops.py")
    part.session_state["actor"] = wk.participant_actor(joined)
    part.query_params["p"] = wk.participant_token(ws.id, joined.id)
    part.run()
    assert not part.exception
    assert f"from the idea intake {india.id}, raised by Vic Viewer" in texts(part)


def test_the_cards_link_opens_the_idea_on_the_ideas_page(state):
    india = accepted(10, title="Hold payouts after bank changes", site="India")
    at = app_test("pages/ideas.py")
    at.query_params["idea"] = india.id
    at.run()
    assert not at.exception
    assert at.text_input(key="a-id").value == india.id
    assert f"**{india.id} · Hold payouts after bank changes**" in texts(at)
    assert any("raised by Vic Viewer" in c.value for c in at.caption)
