""""Is this a known MO?" with a chat model's judgement as one more signal: LangChain's fake chat model agreeing,
moving a borderline verdict one step, naming an MO search did not put forward (ignored), and failing (offline)."""
import json

import pytest

from rm_core.ai.match_judge import JUDGED, OFFLINE_METHOD, judge_match
from rm_core.mos.match import (KNOWN_AT, MODEL_BAND, RELATED_AT, MatchCandidate, MatchResult, MatchSignals,
                               ModelJudgement, borderline, judged_verdict, with_judgement)
from tests.ai.conftest import NOTES, fake

# with the hash embeddings of the test index (figures of the offline verdict, checked in the tests below)
UTILITY = "Seller uploaded a utility bill edited in image software to pass KYC"   # known, strength 1.05: borderline
ADS = "bots click a rival seller's sponsored ads to drain its budget"            # new, strength 0.10: clear


def judged(*items) -> str:
    return json.dumps({"candidates": [{"mo_id": m, "verdict": v, "reason": r} for m, v, r in items]})


class Broken:
    """A chat model whose every call times out (a provider client raising its timeout error)."""

    model_name = "broken"

    def invoke(self, messages):
        raise TimeoutError("Request timed out.")


@pytest.mark.parametrize("offline,model,near,expected", [
    ("new", "known", True, "related"), ("new", "related", True, "related"), ("related", "known", True, "known"),
    ("related", "new", True, "new"), ("known", "new", True, "related"), ("known", "related", True, "related"),
    ("known", "known", True, "known"), ("new", "known", False, "new"), ("known", "new", False, "known")])
def test_a_judgement_moves_the_verdict_one_step_and_only_when_borderline(offline, model, near, expected):
    assert judged_verdict(offline, model, near) == expected


def test_borderline_is_the_band_around_related_and_known():
    def s(strength):
        return MatchSignals(strength, 0.0, False, 0.0, 1.0, strength)  # short text: strength = similarity

    assert borderline(s(RELATED_AT - MODEL_BAND)) and borderline(s(KNOWN_AT + MODEL_BAND - 0.001))
    assert not borderline(s(RELATED_AT - MODEL_BAND - 0.001)) and not borderline(s(KNOWN_AT + MODEL_BAND))
    assert not borderline(None)


def test_without_a_model_the_offline_verdict_is_the_answer_and_nothing_is_said(engine):
    result = judge_match(NOTES, engine)  # RM_CHAT_MODEL is unset: none
    assert result.method == OFFLINE_METHOD and not result.used_model and result.message == ""
    assert result.value == engine.match(NOTES, 5) and result.value.judgement is None
    assert "judgement" not in result.value.public()


def test_a_model_that_agrees_keeps_the_verdict_and_its_reason_joins_the_evidence(engine):
    offline = engine.match(UTILITY, 5)
    assert offline.verdict == "known" and offline.matches[0].mo_id == "MO-0004" and borderline(offline.signals)
    result = judge_match(UTILITY, engine, model=fake(judged(
        ("MO-0004", "known", "Both are utility bills edited in image software to pass KYC."),
        ("MO-0001", "new", "Gift cards are another pattern."))))
    match = result.value
    assert result.used_model and result.method.startswith("FakeListChatModel") and result.message == ""
    assert match.verdict == "known" and match.known_mo == "MO-0004"
    assert (match.judgement.verdict, match.judgement.mo_id, match.judgement.effect) == ("known", "MO-0004", "agrees")
    assert "model: FakeListChatModel" in match.reason and "utility bills edited in image software" in match.reason
    assert match.public()["judgement"] == {
        "verdict": "known", "mo_id": "MO-0004",
        "reason": "Both are utility bills edited in image software to pass KYC.", "method": result.method, "effect": "agrees", "ignored": []}


def test_a_model_moves_a_borderline_new_to_related_naming_its_candidate_first(engine):
    offline = engine.match(NOTES, 5)
    assert offline.verdict == "new" and borderline(offline.signals)  # strength 0.95, just under RELATED_AT
    result = judge_match(NOTES, engine, model=fake(judged(
        ("MO-0002", "known", "Discounted gift cards resold and the payout bank changed before settlement."))))
    match = result.value
    assert match.verdict == "related" and match.judgement.effect == "moved from new"
    assert [m.mo_id for m in match.named] == ["MO-0002", "MO-0001", "MO-0005"]  # the model's pick, then search's
    assert [m.mo_id for m in match.matches] == [m.mo_id for m in offline.matches]  # the ranking is untouched


def test_a_model_disagreeing_with_clear_offline_evidence_is_shown_not_followed(engine):
    offline = engine.match(ADS, 5)
    assert offline.verdict == "new" and not borderline(offline.signals)
    result = judge_match(ADS, engine, model=fake(judged(("MO-0001", "known", "Both are fraud."))))
    assert result.value.verdict == "new" and result.value.named == []
    assert result.value.judgement.effect == "not applied: the offline evidence is not borderline"
    assert "not applied" in result.value.reason


def test_an_mo_the_model_names_outside_the_candidates_is_ignored_and_said(engine):
    result = judge_match(NOTES, engine, model=fake(judged(
        ("MO-0666", "known", "An MO I remember."), ("MO-0001", "new", "Only gift cards in common."))))
    match = result.value
    assert result.used_model and match.verdict == "new" and match.judgement.ignored == ("MO-0666",)
    assert match.judgement.verdict == "new" and match.judgement.mo_id is None
    assert "MO-0666" in result.message and "ignored" in result.message
    assert all(m.mo_id != "MO-0666" for m in [*match.matches, *match.named])


def test_a_model_that_names_only_outside_mos_gives_the_offline_verdict_and_why(engine):
    result = judge_match(NOTES, engine, model=fake(judged(("MO-0666", "known", "An MO I remember."))))
    assert result.method == OFFLINE_METHOD and not result.used_model
    assert "MO-0666" in result.message and "offline" in result.message
    assert result.value == engine.match(NOTES, 5)


def test_the_model_is_shown_the_notes_and_the_top_candidates_as_data(engine):
    seen = []  # FakeListChatModel keeps no prompt: a recording model around it does

    class Recording:
        model_name = "recording"

        def invoke(self, messages):
            seen.append(messages)
            return fake(judged(("MO-0001", "related", "Gift cards."))).invoke(messages)

    judge_match(NOTES, engine, model=Recording())
    human = seen[0][1][1]
    assert "<data>\n" + NOTES in human
    assert human.count("[MO-0") == JUDGED and "[MO-0001] Gift card listings then payout bank change:" in human


@pytest.mark.parametrize("model,words", [
    (fake("{not json", '{"candidates": []}'), "malformed"),
    (fake('{"candidates": [{"mo_id": "MO-0001", "verdict": "maybe"}]}', "no"), "malformed"),
    (Broken(), "RM_CHAT_TIMEOUT_S")])
def test_a_failing_model_gives_the_offline_verdict_with_a_visible_note(engine, model, words):
    result = judge_match(NOTES, engine, model=model)
    assert result.method == OFFLINE_METHOD and not result.used_model
    assert words in result.message and "offline method's result" in result.message
    assert result.value == engine.match(NOTES, 5) and result.value.judgement is None


def test_an_empty_index_asks_no_model(tmp_path):
    from rm_core.mos.engine import MOSearchEngine
    from rm_core.settings import load_settings

    empty = MOSearchEngine(load_settings({"RM_HOME": str(tmp_path / "empty"), "RM_EMBEDDINGS": "hash"}))
    result = judge_match("gift cards resold", empty, model=Broken())
    assert result.value.verdict == "new" and result.message == "" and not result.used_model


def test_with_judgement_keeps_a_clear_known_whatever_the_model_says():
    strong = MatchSignals(0.9, 0.2, True, 0.3, 1.0, 0.9, alignment=0.9)
    offline = MatchResult("known", [MatchCandidate("F1007.001", "Account takeover", 0.9)], strong, "shares: otp")
    after = with_judgement(offline, ModelJudgement("new", None, "Different.", "fake:m"))
    assert after.verdict == "known" and after.known_mo == "F1007.001"
    assert after.reason.startswith("shares: otp; model: fake:m judged it new: Different. [not applied")


def test_a_model_that_agrees_on_a_borderline_known_but_picks_another_candidate_names_that_one():
    borderline_known = MatchSignals(0.5, 0.01, False, 0.1, 1.0, 0.5, alignment=0.55, salient_alignment=0.55)
    assert borderline(borderline_known) and borderline_known.strength >= KNOWN_AT
    candidates = [MatchCandidate("MO-0115", "Coupon stacking", 0.8), MatchCandidate("MO-0102", "Gift cards", 0.7)]
    offline = MatchResult("known", candidates, borderline_known, "shares: discounted")
    after = with_judgement(offline, ModelJudgement("known", "MO-0102", "Gift cards then a payout swap.", "fake:m"))
    assert after.verdict == "known" and after.known_mo == "MO-0102"
    assert after.judgement.effect == "agrees, and names its candidate first"
    assert [m.mo_id for m in after.matches] == ["MO-0115", "MO-0102"]  # search's ranking stays as it was
