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
    at.text_area(key="notes").input(notes).run()
    at.button(key="draft-btn").click().run()
    assert not at.exception
    return at


def test_without_a_model_the_draft_is_offline_and_saving_it_creates_an_ai_assist_mo(seeded):
    at = _draft(app_test(PAGE).run())
    assert any("nearest-MO vote" in c.value for c in at.caption)
    assert at.selectbox[0].value == "payment and gift-card fraud"  # the family of the nearest MO
    next(b for b in at.button if b.label == "Create MO").click().run()  # the draft form's (New MO's comes later)
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
    title = next(t for t in at.text_input if t.label == "Title")
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
    assert at.selectbox[0].value == "review manipulation"


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
