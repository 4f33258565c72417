import json

import pytest

from rm_core.errors import UserError
from rm_core.mos.match import (COVERAGE_WEIGHT, KNOWN_AT, NOTES_DISCOUNT, RELATED_AT, MatchSignals,
                                match_signals, note_units, verdict_for)


def signals(similarity, margin=0.0, agree=False, coverage=0.0, votes=1.0, long_text=False, passages=1):
    return MatchSignals(similarity, margin, agree, coverage, votes, similarity, passages=passages,
                        long_text=long_text)


def test_a_high_similarity_alone_is_not_enough_to_call_an_mo_known():
    # MiniLM gives near-topic no-match queries 0.4-0.59: without any of the MO's key terms that is not a match
    assert verdict_for(signals(0.40, margin=0.1, agree=True))[0] == "new"
    assert signals(0.40).strength == pytest.approx(0.40)
    assert verdict_for(signals(0.43))[0] == "related"


def test_the_mos_own_key_terms_turn_a_close_paraphrase_into_known():
    # a paraphrase sharing one rare word ("ISBN") with the MO: 0.38 + 0.75 * 0.12 = 0.47
    paraphrase = signals(0.38, coverage=0.12)
    assert paraphrase.strength == pytest.approx(0.38 + COVERAGE_WEIGHT * 0.12)
    assert paraphrase.strength >= KNOWN_AT and verdict_for(paraphrase)[0] == "known"


def test_long_notes_must_clear_a_higher_bar_than_a_short_query():
    short = signals(0.47, coverage=0.02)
    notes = signals(0.47, coverage=0.02, long_text=True, passages=4, votes=0.25)
    assert verdict_for(short)[0] == "known"
    assert notes.strength == pytest.approx(0.47 + COVERAGE_WEIGHT * 0.02 - NOTES_DISCOUNT)
    assert verdict_for(notes)[0] == "new"
    # notes that share the MO's words and are close to it are still known
    assert verdict_for(signals(0.58, coverage=0.15, long_text=True, passages=5))[0] == "known"


def test_in_between_evidence_is_related_and_the_reason_names_the_signals():
    middle = signals(0.41, margin=0.02, coverage=0.02, votes=0.5)
    verdict, reason = verdict_for(middle)
    assert RELATED_AT <= middle.strength < KNOWN_AT and verdict == "related"
    assert "margin 0.02" in reason and "keywords disagree" in reason and "2% of the key terms" in reason
    assert "higher bar" in verdict_for(signals(0.6, long_text=True))[1]


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
    assert set(public) == {"verdict", "matches"}
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
