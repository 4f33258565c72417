"""Workshops page: landing, creating a session, the facilitator's controls and a participant's board."""
from __future__ import annotations

import pytest

from rm_core import workshops as wk
from rm_core.identity import Actor
from tests.pages.conftest import app_test

PAGE = "pages/workshops.py"
FRAN = Actor("fran", "facilitator", "Fran Facilitator")


def page_as(actor: Actor | None = None, **params):
    at = app_test(PAGE)
    if actor:
        at.session_state["actor"] = actor
    for k, v in params.items():
        at.query_params[k] = str(v)
    return at.run()


def as_participant(joined: wk.JoinedParticipant, **params):
    """The page as app.py runs it for a participant link: the participant actor and their signed token."""
    return page_as(wk.participant_actor(joined), p=wk.participant_token(joined.session_id, joined.id), **params)


def through_the_app(**params):
    at = app_test("app.py")
    for k, v in params.items():
        at.query_params[k] = str(v)
    return at.run()


def texts(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error]
                     + [s.value for s in at.success] + [i.value for i in at.info])


def test_a_new_user_sees_how_to_start(state):
    at = page_as(FRAN)
    assert not at.exception
    assert "No workshop sessions yet" in texts(at)
    assert at.button(key="FormSubmitter:create-session-Create session")


def test_a_facilitator_creates_a_session_and_lands_on_its_board(state):
    at = page_as(FRAN)
    at.text_input(key="c-title").input("OP1 2027 ideas")
    at.selectbox(key="c-template").select("ai_opportunities")
    at.checkbox(key="c-anonymous").check()
    at.button(key="FormSubmitter:create-session-Create session").click().run()
    assert not at.exception
    ws = wk.list_sessions()[0].session
    assert (ws.title, ws.template, ws.anonymous, ws.scoring) == ("OP1 2027 ideas", "ai_opportunities", True, "ICE")
    assert at.query_params["session"] == str(ws.id) and at.query_params["host"] == "1"
    assert f"Join code **{ws.code}**" in texts(at)
    assert at.button(key="phase-next").label == "Next: Group →"


def test_a_participant_joins_from_the_link_adds_an_idea_and_keeps_their_place(state):
    ws = wk.create_session(FRAN, "Board", "op1_ideation")
    at = through_the_app(join=wk.join_token(ws.id))
    assert not at.exception
    assert "Join “Board”" in [s.value for s in at.subheader]
    assert at.text_input(key="join-name").value == ""  # not the server user's name (#15)
    at.text_input(key="join-name").input("Pat")
    at.button(key="FormSubmitter:join-session-Join the session").click().run()
    assert not at.exception
    token = at.query_params["p"]
    assert "join" not in at.query_params
    assert wk.participant_from_token(ws.id, token).display_name == "Pat"
    assert at.session_state["actor"].via == "participant" and at.session_state["actor"].workshop_session == ws.id
    at.text_area(key="idea-0").input("Graph <b>linked</b> accounts")
    at.button(key="FormSubmitter:add-0-Add idea").click().run()
    assert not at.exception
    assert [t.text for t in wk.tally(ws.id)] == ["Graph <b>linked</b> accounts"]
    assert "Graph \\<b\\>linked\\</b\\> accounts" in texts(at)
    # A reload (a fresh script session) with the token in the URL keeps Pat's place: no join form.
    again = through_the_app(p=token)
    assert not again.subheader or "Join" not in again.subheader[0].value
    assert at.button(key=f"withdraw-{wk.tally(ws.id)[0].idea_id}")


def test_a_taken_name_is_refused_with_the_reason(state):
    ws = wk.create_session(FRAN, "Board", "op1_ideation")
    wk.join(ws.id, "Pat")
    at = page_as(Actor("vic", "viewer"), session=ws.id)
    at.text_input(key="join-name").input("pat")
    at.button(key="FormSubmitter:join-session-Join the session").click().run()
    assert "already called “pat”" in texts(at)


def test_the_facilitator_moves_the_phase_and_sees_who_has_not_voted(state):
    ws = wk.create_session(FRAN, "Board", "op1_ideation")
    pat = wk.join(ws.id, "Pat").id
    wk.join(ws.id, "Quinn")
    idea = wk.add_idea(ws.id, pat, "Device graph", ws.prompts[0])
    at = page_as(FRAN, session=ws.id, host=1)
    at.button(key="phase-next").click().run()
    assert wk.get_session(ws.id).phase == "group"
    at.button(key="phase-next").click().run()
    assert wk.get_session(ws.id).phase == "vote"
    wk.cast_vote(ws.id, pat, idea)
    at.run()
    assert "**Not voted yet:** Fran Facilitator, Quinn" in texts(at)
    # going back would remove the vote: the page asks first
    at.button(key="phase-back-confirm").click().run()
    assert wk.get_session(ws.id).phase == "group" and wk.tally(ws.id)[0].votes == 0


def test_a_participant_votes_and_sees_votes_left(state):
    ws = wk.create_session(FRAN, "Board", "op1_ideation", votes_per_person=2)
    pat = wk.join(ws.id, "Pat")
    idea = wk.add_idea(ws.id, pat.id, "Device graph", ws.prompts[0])
    wk.set_phase(ws.id, "group", FRAN)
    wk.set_phase(ws.id, "vote", FRAN)
    at = as_participant(pat)
    assert at.metric[0].value == "2"
    at.pills(key="pick-0").set_value(idea).run()
    assert not at.exception
    assert at.metric[0].value == "1" and wk.tally(ws.id)[0].votes == 1
    at.pills(key="pick-0").set_value(idea).run()
    assert "most votes one person may (1)" in texts(at)
    at.segmented_control(key="vote-mode").set_value("takes a vote back").run()
    at.pills(key="pick-0").set_value(idea).run()
    assert wk.tally(ws.id)[0].votes == 0


def test_anonymous_boards_show_no_author_to_the_facilitator(state):
    ws = wk.create_session(FRAN, "Board", "op1_ideation", anonymous=True)
    pat = wk.join(ws.id, "Pat")
    wk.add_idea(ws.id, pat.id, "Secret author idea", ws.prompts[0])
    at = page_as(FRAN, session=ws.id, host=1)
    page = texts(at)
    assert "Secret author idea" in page and "Pat" not in page


def test_grouping_with_suggested_themes_from_the_page(state):
    ws = wk.create_session(FRAN, "Board", "op1_ideation")
    pat = wk.join(ws.id, "Pat").id
    for text in ("payout bank change", "payout bank hold", "device graph link", "device graph cluster"):
        wk.add_idea(ws.id, pat, text, ws.prompts[0])
    wk.set_phase(ws.id, "group", FRAN)
    at = page_as(FRAN, session=ws.id, host=1)
    at.button(key="suggest").click().run()
    assert not at.exception
    at.button(key="apply-sugg").click().run()
    board = wk.load_board(ws.id)
    assert board.themes and not board.ideas_in(None)


def test_scoring_and_promotion_from_the_page(state):
    ws = wk.create_session(FRAN, "Board", "op1_ideation")
    pat = wk.join(ws.id, "Pat").id
    idea = wk.add_idea(ws.id, pat, "Device graph", ws.prompts[0])
    for phase in ("group", "vote", "score"):
        wk.set_phase(ws.id, phase, FRAN)
    at = page_as(FRAN, session=ws.id, host=1)
    at.number_input(key="s-reach").set_value(1000.0)
    at.button(key="FormSubmitter:score-Save RICE score").click().run()
    assert not at.exception
    assert wk.scores_frame(ws.id)["value"].to_list() == [800.0]
    at.button(key="phase-next").click().run()
    at.text_input(key="p-workstream").input("Linked accounts")
    at.button(key="FormSubmitter:promote-Promote to roadmap").click().run()
    assert not at.exception
    assert "Added to the roadmap as INI-001." in texts(at)
    assert wk.load_board(ws.id).ideas[0].initiative_id == "INI-001" and idea


def test_a_closed_session_is_read_only_and_listed_with_outcomes(state):
    ws = wk.create_session(FRAN, "Retro", "gap_retrospective")
    wk.close_session(ws.id, FRAN)
    at = page_as(FRAN)
    assert "Closed sessions and their outcomes" in [s.value for s in at.subheader]
    at = page_as(Actor("vic", "viewer"), session=ws.id)
    assert not at.exception and "**Closed** — read-only" in texts(at)
    assert not at.subheader or "Join" not in at.subheader[0].value


@pytest.mark.parametrize("code", ["nope12"])
def test_an_unknown_code_explains_itself(state, code):
    at = page_as(Actor("vic", "viewer"))
    at.text_input(key="join-code").input(code)
    at.button(key="FormSubmitter:join-by-code-Join").click().run()
    assert "No session has the code NOPE12" in texts(at)


def test_the_facilitator_raises_the_vote_limits_and_removes_an_off_topic_idea(state):
    ws = wk.create_session(FRAN, "Board", "op1_ideation")
    pat = wk.join(ws.id, "Pat").id
    idea = wk.add_idea(ws.id, pat, "Lunch menu", ws.prompts[0])
    at = page_as(FRAN, session=ws.id, host=1)
    at.number_input(key="l-votes").set_value(8)
    at.button(key="l-save").click().run()
    assert wk.get_session(ws.id).votes_per_person == 8
    at.selectbox(key="rm-idea").select(idea)
    at.button(key="rm-confirm").click().run()
    assert not at.exception and wk.tally(ws.id) == []


def test_the_timer_and_the_lock_show_on_everyones_board(state):
    ws = wk.create_session(FRAN, "Board", "op1_ideation")
    pat = wk.join(ws.id, "Pat")
    at = page_as(FRAN, session=ws.id, host=1)
    at.button(key="timer-start").click().run()
    at.button(key="lock").click().run()
    assert not at.exception
    other = as_participant(pat)
    assert any("⏱ 4:5" in m.value or "⏱ 5:00" in m.value for m in other.markdown)
    assert "locked the board" in other.warning[0].value
    assert not other.text_area  # no idea boxes while locked


EVIL = "[x](https://evil.example) :red[ALERT] $x$"


def test_a_crafted_session_title_shows_escaped_to_participants_and_the_facilitator(state):
    from rm_core.text import md_escape

    escaped = md_escape(EVIL)
    ws = wk.create_session(FRAN, EVIL, "op1_ideation")
    at = page_as(Actor("vic", "viewer"), session=ws.id)
    assert not at.exception
    assert f"Join “{escaped}”" in [s.value for s in at.subheader]
    host = page_as(FRAN, session=ws.id, host=1)
    assert not host.exception
    assert [t.value for t in host.title] == [escaped]
    assert "[x](https://evil.example)" not in texts(host) + texts(at)


def test_a_participant_link_never_reaches_facilitator_controls_or_another_session(state):
    ws = wk.create_session(FRAN, "Board", "op1_ideation")
    other = wk.create_session(FRAN, "Other board", "op1_ideation")
    pat = wk.join(ws.id, "Pat")
    at = as_participant(pat, session=other.id, host=1)  # the URL edited to ask for controls elsewhere
    assert not at.exception
    assert [t.value for t in at.title] == ["Board"]
    assert not [b for b in at.button if b.key in ("phase-next", "lock", "close-confirm", "timer-start")]
    assert "Open facilitator controls" not in [b.label for b in at.button]
    assert "← All sessions" not in [b.label for b in at.button]


def test_an_altered_participant_token_opens_nothing_even_for_the_local_admin(state):
    ws = wk.create_session(FRAN, "Board", "op1_ideation")
    token = wk.participant_token(ws.id, wk.join(ws.id, "Pat").id)
    at = through_the_app(p=token[:-3] + ("xyz" if token[-3:] != "xyz" else "abc"))
    assert not at.exception
    assert any("does not open anything" in e.value for e in at.error)
    assert not at.text_area and not at.text_input  # no board, no join form


def test_a_co_facilitator_the_facilitator_names_runs_the_session(state):
    from rm_core.identity import resolve_actor

    ws = wk.create_session(FRAN, "Board", "op1_ideation")
    resolve_actor("tester")  # the installation's first user (admin)
    cory = resolve_actor("cory")  # a viewer by role: the session's rights come from being named
    at = page_as(cory, session=ws.id, host=1)
    assert "phase-next" not in [b.key for b in at.button]
    wk.set_co_facilitators(ws.id, ["cory"], FRAN)
    at = page_as(cory, session=ws.id, host=1)
    at.button(key="phase-next").click().run()
    assert not at.exception and wk.get_session(ws.id).phase == "group"
