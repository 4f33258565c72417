"""MO drafts from notes: the offline method on fixed inputs, and the model path with LangChain's fake chat model."""
import json

import pytest

from rm_core.ai.draft import MAX_NOTES_CHARS, OFFLINE_METHOD, draft_mo, offline_draft
from rm_core.errors import UserError
from rm_core.mos.repository import ABUSE_FAMILIES, STAGES
from tests.ai.conftest import NOTES, fake, good_draft


def test_the_offline_draft_votes_family_stage_and_severity_from_the_nearest_mos(engine):
    draft = offline_draft(NOTES, engine)
    assert (draft.abuse_family, draft.stage) == ("payment and gift-card fraud", "monetization")
    assert draft.severity in ("S1", "S2")  # the two gift-card MOs outvote the rest
    assert draft.method == OFFLINE_METHOD
    assert "US" in draft.marketplaces and {"device", "bank account", "gift card"} <= set(draft.mediums)
    assert "discounted gift cards" in draft.signals


def test_every_evidence_sentence_is_a_sentence_of_the_notes(engine):
    draft = offline_draft(NOTES, engine)
    assert set(draft.evidence) >= {"title", "summary", "abuse_family", "signals", "marketplaces"}
    assert all(s in NOTES for sentences in draft.evidence.values() for s in sentences)
    assert draft.evidence["marketplaces"] == ["A new storefront listed discounted gift cards in the US store."]


def test_the_offline_draft_is_the_same_every_time(engine):
    assert offline_draft(NOTES, engine) == offline_draft(NOTES, engine)


@pytest.mark.parametrize("notes,words", [("", "empty"), ("   \n ", "empty"), ("x" * (MAX_NOTES_CHARS + 1), "limit")])
def test_empty_or_oversized_notes_are_refused_with_a_sentence(engine, notes, words):
    with pytest.raises(UserError, match=words):
        draft_mo(notes, engine, model=None)


def test_no_model_configured_gives_the_offline_draft_and_no_message(engine):
    result = draft_mo(NOTES, engine)  # RM_CHAT_MODEL is unset: none
    assert result.method == OFFLINE_METHOD and result.message == "" and not result.used_model


def test_a_good_model_answer_is_used_and_labelled_with_the_model(engine):
    result = draft_mo(NOTES, engine, model=fake(good_draft()))
    assert result.used_model and result.method.startswith("FakeListChatModel")
    assert result.value.title == "Gift card cash-out with a late payout bank change"
    assert result.value.evidence["abuse_family"] == ["Buyers report the codes as invalid."]
    # a field the model gave no evidence for keeps the offline method's sentences
    assert all(s in NOTES for s in result.value.evidence["summary"])


def test_evidence_the_model_invented_is_replaced_by_the_offline_evidence(engine):
    reply = good_draft(evidence={"stage": ["The seller confessed everything."]})
    result = draft_mo(NOTES, engine, model=fake(reply))
    assert "The seller confessed everything." not in json.dumps(result.value.evidence)
    assert "stage" in result.message


def test_one_malformed_answer_is_repaired_by_the_retry(engine):
    result = draft_mo(NOTES, engine, model=fake("Sure! Here is the MO: {not json", good_draft()))
    assert result.used_model and result.value.abuse_family == "payment and gift-card fraud"


def test_two_malformed_answers_fall_back_to_the_offline_draft_with_a_message(engine):
    result = draft_mo(NOTES, engine, model=fake("{not json", good_draft(abuse_family="made-up family")))
    assert result.method == OFFLINE_METHOD and not result.used_model
    assert "malformed" in result.message and "offline" in result.message
    assert result.value == offline_draft(NOTES, engine).model_copy(update={"method": OFFLINE_METHOD})


def test_the_model_can_only_choose_allowed_families_and_stages(engine):
    result = draft_mo(NOTES, engine, model=fake(good_draft(stage="exfiltration"), good_draft(stage="space")))
    assert result.value.stage in STAGES and result.value.abuse_family in ABUSE_FAMILIES
    assert not result.used_model
