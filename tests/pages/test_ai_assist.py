"""AI assist on the pages, with no model configured and with a LangChain fake chat model: MO draft from notes,
Ask the repository, workshop theme names and summary, the flash report narrative."""
import json

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from rm_core.store.db import read_session
from rm_core.store.models import MO, AIUsage
from tests.pages.conftest import app_test
from tests.pages.test_mo_search import PAGE, seeded  # noqa: F401 (fixture)

NOTES = ("New sellers in the US store list gift cards at a discount. Buyers report the gift cards as already used. "
         "The payout bank account changed right before the first disbursement.")


@pytest.fixture
def fake_model(monkeypatch):
    """Every AI feature gets this fake chat model instead of the one RM_CHAT_MODEL names."""
    replies: list[str] = []
    monkeypatch.setattr("rm_core.ai.assist.build_chat_model", lambda: FakeListChatModel(responses=replies))
    return replies


def _draft(at, notes=NOTES):
    # the notes box is a form: the notes are checked first ("Is this a known MO?"), then drafted from
    at.text_area(key="notes").input(notes)
    next(b for b in at.button if b.label == "Check").click().run()
    at.button(key="draft-btn").click().run()
    assert not at.exception
    return at


def _draft_field(at, label):
    """The draft editor's widget: the only one of its label that the draft filled (the other MO forms are empty)."""
    return next(w for w in [*at.selectbox, *at.text_input] if w.label == label and w.value)


def test_without_a_model_the_draft_is_offline_and_saving_it_creates_an_ai_assist_mo(seeded):
    at = _draft(app_test(PAGE).run())
    assert any("nearest-MO vote" in c.value for c in at.caption)
    assert _draft_field(at, "Abuse family").value == "payment and gift-card fraud"  # the family of the nearest MO
    # the draft form's: "Start a new MO from these notes" comes before it, New MO's after
    [b for b in at.button if b.label == "Create MO"][1].click().run()
    assert not at.exception
    with read_session() as s:
        mo = s.get(MO, "MO-0004")
        usage = s.query(AIUsage).filter(AIUsage.feature == "mo_draft").one()
        assert (mo.source, mo.drafted_by) == ("ai_assist", "offline: nearest-MO vote + centrality + keyphrases")
        assert (usage.outcome, usage.record_id) == ("accepted", "MO-0004")


def test_with_a_model_the_draft_says_which_model_wrote_it(seeded, fake_model):
    fake_model.append(json.dumps({
        "title": "Gift card cash-out <script>x</script>", "summary": "Cards resold, bank switched.",
        "abuse_family": "payment and gift-card fraud", "stage": "monetization", "severity": "S1",
        "signals": ["late payout bank change"], "mediums": ["bank account"], "marketplaces": ["US"], "evidence": {}}))
    at = _draft(app_test(PAGE).run())
    assert any("FakeListChatModel" in c.value for c in at.caption)
    title = _draft_field(at, "Title")
    assert title.value == "Gift card cash-out <script>x</script>"  # a widget value: text, never HTML


def test_a_failing_model_shows_the_offline_draft_and_why(seeded, fake_model):
    fake_model += ["not json", "still not json"]
    at = _draft(app_test(PAGE).run())
    assert any("nearest-MO vote" in c.value for c in at.caption)
    assert any("malformed" in w.value for w in at.warning)


def test_notes_sent_from_the_emerging_patterns_tab_are_what_gets_drafted(seeded):
    at = app_test(PAGE)
    at.session_state["mo_draft_notes"] = "Reviews posted by a ring of buyer accounts five-star in launch week."
    at.run()
    at.button(key="draft-btn").click().run()
    assert _draft_field(at, "Abuse family").value == "review manipulation"


def test_ask_without_a_model_lists_passages_citing_their_mos(seeded):
    at = app_test(PAGE).run()
    at.text_input(key="ask-q").input("gift card resale").run()
    at.button(key="ask-btn").click().run()
    assert not at.exception
    assert any("retrieved passages" in c.value for c in at.caption)
    assert at.button(key="cite-0-MO-0002").label == "MO-0002"


def test_ask_with_a_model_drops_an_invented_citation_and_says_so(seeded, fake_model):
    fake_model.append(json.dumps({"statements": [{"text": "Gift cards are resold.", "citations": ["MO-0002", "MO-0999"]}]}))
    at = app_test(PAGE).run()
    at.text_input(key="ask-q").input("gift card resale").run()
    at.button(key="ask-btn").click().run()
    assert [t.value for t in at.text if "resold" in t.value] == ["Gift cards are resold."]
    assert any("MO-0999" in w.value for w in at.warning)
    assert not [b for b in at.button if b.label == "MO-0999"]


# --- workshops: theme names and session summary ------------------------------------------------------------------

def _grouped_board():
    from rm_core import workshops as wk
    from tests.pages.test_workshops import FRAN

    ws = wk.create_session(FRAN, "Board", "op1_ideation")
    pat = wk.join(ws.id, "Pat").id
    ideas = {}
    for text in ("payout bank change alerts", "hold payout after bank change", "device graph link",
                 "device graph cluster review"):
        ideas[text] = wk.add_idea(ws.id, pat, text, ws.prompts[0])
    wk.set_phase(ws.id, "group", FRAN)
    bank = wk.create_theme(ws.id, "Theme A", FRAN, [ideas["payout bank change alerts"],
                                                   ideas["hold payout after bank change"]])
    device = wk.create_theme(ws.id, "Theme B", FRAN, [ideas["device graph link"],
                                                     ideas["device graph cluster review"]])
    return ws, bank, device


def test_theme_names_without_a_model_are_offline_keywords_and_can_be_applied(state):
    from rm_core import workshops as wk
    from tests.pages.test_workshops import FRAN, page_as

    ws, bank, device = _grouped_board()
    at = page_as(FRAN, session=ws.id, host=1)
    at.button(key="ai-names").click().run()
    assert not at.exception
    assert any("c-TF-IDF" in c.value for c in at.caption)
    at.button(key="ai-names-apply").click().run()
    names = {t.id: t.name for t in wk.load_board(ws.id).themes}
    assert "bank" in names[bank].lower() and "device" in names[device].lower()


def test_theme_names_and_summary_with_a_model_are_checked_against_the_ideas(state, fake_model):
    from tests.pages.test_workshops import FRAN, page_as

    ws, bank, device = _grouped_board()
    fake_model.append(json.dumps({"names": [{"theme": bank, "name": "Payout bank holds"},
                                            {"theme": device, "name": "Free pizza"}]}))
    fake_model.append(json.dumps({"sentences": ["Bank change alerts and payout holds lead.", "Buy a yacht."]}))
    at = page_as(FRAN, session=ws.id, host=1)
    at.button(key="ai-names").click().run()
    shown = [t.value for t in at.text]
    assert "Theme A → Payout bank holds" in shown and not any("Free pizza" in t for t in shown)
    at.button(key="ai-summary").click().run()
    assert not at.exception
    assert any("FakeListChatModel" in c.value for c in at.caption)
    assert any("not about the session" in w.value for w in at.warning)


# --- metrics: the flash report narrative -------------------------------------------------------------------------

def test_the_flash_narrative_without_a_model_is_built_from_the_deck(state):
    from tests.metrics.risk_world import seed_risk_world

    seed_risk_world(state)
    at = app_test("pages/metrics.py").run()
    at.button(key="flash-narrative-btn").click().run()
    assert not at.exception
    assert any("largest movements and RAG" in c.value for c in at.caption)
    assert any("Partner requests resolved within SLA was 50.0% last week" in t.value for t in at.text)


def test_the_flash_narrative_with_a_model_drops_a_number_not_in_the_deck(state, fake_model):
    from tests.metrics.risk_world import seed_risk_world

    seed_risk_world(state)
    fake_model.append(json.dumps({"sections": [{"section": "Partner requests and escalations", "paragraph":
                                                "Requests resolved within SLA were 50.0%. We saved $9,999,999."}]}))
    at = app_test("pages/metrics.py").run()
    at.button(key="flash-narrative-btn").click().run()
    assert not at.exception
    shown = " ".join(m.value for m in [*at.markdown, *at.text])  # what was streamed is cleared for the checked text
    assert "Requests resolved within SLA were 50.0%." in [t.value for t in at.text]
    assert "9,999,999" not in shown
    assert any("not in the deck" in w.value for w in at.warning)


def test_ask_with_a_model_streams_the_answer_then_shows_the_checked_one(seeded, monkeypatch):
    """The page asks the model for a stream (st.write_stream shows it as it arrives); what stays on the page is the
    checked answer, not the raw stream (its invented citation is gone)."""
    streams: list[int] = []

    class Counting(FakeListChatModel):
        def _stream(self, *args, **kwargs):
            for n, chunk in enumerate(super()._stream(*args, **kwargs)):
                streams.append(n)
                yield chunk

    reply = json.dumps({"statements": [{"text": "Gift cards are resold.", "citations": ["MO-0002", "MO-0999"]}]})
    monkeypatch.setattr("rm_core.ai.assist.build_chat_model", lambda: Counting(responses=[reply]))
    at = app_test(PAGE).run()
    at.text_input(key="ask-q").input("gift card resale").run()
    at.button(key="ask-btn").click().run()
    assert not at.exception
    assert len(streams) == len(reply)  # the fake model streams a character at a time: every one was read
    assert [t.value for t in at.text if "resold" in t.value] == ["Gift cards are resold."]
    assert not any("writing" in c.value for c in at.caption)  # the streaming slot is cleared


UTILITY_NOTES = ("Utility bills edited in a PDF tool are uploaded by new sellers to pass the identity checks at "
                 "onboarding.")


def _check(at, notes=UTILITY_NOTES):
    at.text_area(key="notes").input(notes)
    next(b for b in at.button if b.label == "Check").click().run()
    assert not at.exception
    return next(m.value for m in [*at.success, *at.warning, *at.info] if "Evidence:" in m.value)


def test_the_known_mo_check_without_a_model_shows_no_judgement(seeded):
    verdict = _check(app_test(PAGE).run())
    assert "Model's judgement" not in verdict and "MO-0001" in verdict
    with read_session() as s:
        assert s.query(AIUsage).filter(AIUsage.feature == "mo_match").count() == 0  # no model asked: no assist


def test_the_known_mo_check_shows_the_models_judgement_and_reason(seeded, fake_model):
    fake_model.append(json.dumps({"candidates": [
        {"mo_id": "MO-0001", "verdict": "known", "reason": "Edited <b>utility bills</b> to pass identity checks."},
        {"mo_id": "MO-0999", "verdict": "known", "reason": "Made up."}]}))
    at = app_test(PAGE).run()
    verdict = _check(at)
    assert "Model's judgement (FakeListChatModel" in verdict and "known as MO-0001" in verdict
    assert "Edited \\<b\\>utility bills\\</b\\> to pass identity checks." in verdict  # text, never HTML
    assert any("FakeListChatModel" in c.value and "AI model" in c.value for c in at.caption)
    assert any("MO-0999" in w.value and "ignored" in w.value for w in at.warning)  # not among the candidates
    with read_session() as s:
        usage = s.query(AIUsage).filter(AIUsage.feature == "mo_match").one()
        assert usage.method.startswith("FakeListChatModel") and "MO-0999" in usage.fallback


def test_a_failing_model_leaves_the_offline_verdict_and_says_why(seeded, fake_model):
    fake_model += ["not json", "still not json"]
    at = app_test(PAGE).run()
    verdict = _check(at)
    assert "Model's judgement" not in verdict and "[MO-0001 · Forged utility bills at onboarding]" in verdict
    assert any("calibrated evidence" in c.value and "Written by" in c.value for c in at.caption)
    assert any("malformed" in w.value and "offline method's result" in w.value for w in at.warning)
    with read_session() as s:
        usage = s.query(AIUsage).filter(AIUsage.feature == "mo_match").one()
        assert usage.method.startswith("offline: calibrated") and "malformed" in usage.fallback
