import json

import pytest

from rm_core.errors import UserError
from rm_core.mos.match import (ALIGNMENT_WEIGHT, COVERAGE_WEIGHT, KNOWN_AT, NOTES_ALIGNMENT_WEIGHT, NOTES_DISCOUNT,
                               RELATED_AT,
                               MatchCandidate, MatchResult, MatchSignals, match_signals, note_units, term_alignment,
                               verdict_for)


def signals(similarity, margin=0.0, agree=False, coverage=0.0, votes=1.0, long_text=False, passages=1, alignment=0.0,
            shared=()):
    return MatchSignals(similarity, margin, agree, coverage, votes, similarity, passages=passages,
                        long_text=long_text, alignment=alignment, shared=shared)


def test_a_high_similarity_alone_is_not_enough_to_call_an_mo_known():
    # MiniLM gives near-topic no-match queries 0.4-0.59: without the MO's vocabulary that is not a match
    assert verdict_for(signals(0.59, margin=0.1, agree=True, alignment=0.40))[0] == "new"
    assert signals(0.59, alignment=0.40).strength == pytest.approx(0.59 + ALIGNMENT_WEIGHT * 0.40)


def test_words_close_to_the_mos_own_turn_a_paraphrase_into_known():
    # a paraphrase whose salient words have close words in the MO ("electricity" ~ "utility"), at a low cosine
    paraphrase = signals(0.38, alignment=0.70, shared=(("electricity", "utility"),))
    assert paraphrase.strength == pytest.approx(0.38 + ALIGNMENT_WEIGHT * 0.70 + COVERAGE_WEIGHT * 0.0)
    assert paraphrase.strength >= KNOWN_AT and verdict_for(paraphrase)[0] == "known"


def test_long_notes_are_weighed_on_their_own_terms_the_mos_exact_words_count_more():
    short = signals(0.47, alignment=0.60)
    assert verdict_for(short)[0] == "known"
    # the same cosine and alignment in pasted notes is not enough: every note shares some topic with many MOs
    notes = signals(0.47, alignment=0.60, long_text=True, passages=4, votes=0.25)
    assert notes.strength == pytest.approx(0.47 + NOTES_ALIGNMENT_WEIGHT * 0.60 - NOTES_DISCOUNT)
    assert verdict_for(notes)[0] == "new"
    # real seller notes (bench figures): a no-match note holds few of the MO's exact terms (coverage 0.08), a true
    # one more (0.14); coverage weighs NOTES_COVERAGE_WEIGHT there, nothing in a ten-word query
    assert verdict_for(signals(0.43, alignment=0.54, coverage=0.08, long_text=True, passages=4))[0] == "new"
    assert verdict_for(signals(0.54, alignment=0.63, coverage=0.14, long_text=True, passages=4))[0] == "known"
    assert signals(0.54, alignment=0.63, coverage=0.14).strength == pytest.approx(0.54 + 0.63)


def test_in_between_evidence_is_related_and_the_reason_names_the_evidence_and_the_signals():
    middle = signals(0.41, margin=0.02, coverage=0.02, votes=0.5, alignment=RELATED_AT - 0.41 + 0.005,
                     shared=(("budget", "budget"), ("clicks", "click")))
    verdict, reason = verdict_for(middle)
    assert RELATED_AT <= middle.strength < KNOWN_AT and verdict == "related"
    assert reason.startswith("shares: budget, clicks ~ click;")
    assert "margin 0.02" in reason and "keywords disagree" in reason and "2% of the key terms" in reason
    assert "higher bar" in verdict_for(signals(0.6, long_text=True))[1]
    assert verdict_for(signals(0.3))[1].startswith("nothing specific in common;")


def test_the_result_names_the_matched_mo_when_known_the_closest_when_related_and_none_when_new():
    candidates = [MatchCandidate(f"F100{i}.00{i}", f"title {i}", 0.9 - i / 10) for i in range(5)]
    known = MatchResult("known", candidates, signals(0.6, alignment=0.9, shared=(("cvv", "cvv"),)))
    assert [m.mo_id for m in known.named] == ["F1000.000"] and known.evidence == "shares: cvv"
    assert known.public()["named"] == ["F1000.000"] and known.public()["evidence"] == "shares: cvv"
    related = MatchResult("related", candidates, signals(0.5))
    assert [m.mo_id for m in related.named] == ["F1000.000", "F1001.001", "F1002.002"]
    assert related.evidence == "nothing specific in common"
    assert MatchResult("new", candidates, signals(0.2)).named == []


def test_alignment_finds_the_query_words_the_mo_holds_rarest_first(engine):
    score, shared = term_alignment(engine, "gift cards payout and a forklift", "MO-0001")
    words = [q for q, _ in shared]
    assert "gift" in words and "payout" in words and "forklift" not in words
    assert 0.0 < score < 1.0
    unrelated, nothing = term_alignment(engine, "forklift warehouse dock", "MO-0001")
    assert nothing == () and unrelated < 0.1


def test_an_empty_index_means_new():
    assert verdict_for(None)[0] == "new"


def test_long_notes_become_a_bounded_number_of_passages():
    notes = " ".join(f"Observation {i}: the seller changed the bank account again today." for i in range(400))
    units = note_units(notes)
    assert 1 < len(units) <= 48
    assert note_units("Short note.") == ["Short note."]


def test_matching_notes_returns_the_cli_shape(engine):
    result = engine.match("New seller listed discounted gift cards and changed the payout bank account to a mule "
                          "account right before the disbursement; buyers got invalid codes.")
    assert result.matches[0].mo_id == "MO-0001"
    assert result.verdict in ("known", "related", "new")
    public = json.loads(json.dumps(result.public()))
    assert {"verdict", "matches"} <= set(public)  # the CLI contract; named, evidence, strength were added
    assert public["named"] == ([result.matches[0].mo_id] if result.verdict == "known" else
                               [m.mo_id for m in result.matches[:3]] if result.verdict == "related" else [])
    assert set(public["matches"][0]) == {"mo_id", "title", "score"}


def test_empty_notes_are_refused(engine):
    with pytest.raises(UserError, match="empty"):
        engine.match("  ... ")


def test_signals_of_long_notes_count_their_passages_and_where_each_points(engine):
    notes = ("New seller listed discounted gift cards and changed the payout bank account to a mule account. "
             "Buyers received invalid codes for the gift cards they bought from this seller. "
             "The payout bank account was changed shortly before the disbursement was due.")
    ranked, _, sig = match_signals(engine, notes)
    assert ranked[0][0] == "MO-0001"
    assert sig.passages == 3 and sig.long_text
    assert 0.0 <= sig.passage_votes <= 1.0 and sig.passage_votes * 3 == pytest.approx(round(sig.passage_votes * 3))
    assert sig.best_passage >= sig.passage_similarity
    _, _, short = match_signals(engine, "gift cards then payout bank change")
    assert short.passages == 1 and not short.long_text and short.passage_votes in (0.0, 1.0)
