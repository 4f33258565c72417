import json

import pytest

from rm_core.errors import UserError
from rm_core.mos.match import KNOWN_AT, RELATED_AT, MatchSignals, note_units, verdict_for


def signals(similarity, margin=0.0, agree=False, coverage=0.0, votes=1.0):
    return MatchSignals(similarity, margin, agree, coverage, votes, similarity)


def test_a_high_similarity_alone_is_not_enough_to_call_an_mo_known():
    # unrelated notes reached 0.59 cosine in the evaluation set: with no margin and no keyword support -> not known
    assert verdict_for(signals(0.45, margin=0.0, votes=0.0))[0] == "new"
    assert signals(0.45, votes=0.0).strength < RELATED_AT


def test_margin_and_keyword_agreement_turn_a_close_match_into_known():
    weak = signals(0.45, margin=0.0, votes=0.0)
    strong = signals(0.45, margin=0.12, agree=True, coverage=0.3, votes=1.0)
    assert verdict_for(weak)[0] == "new"
    assert strong.strength >= KNOWN_AT and verdict_for(strong)[0] == "known"


def test_in_between_evidence_is_related_and_the_reason_names_the_signals():
    middle = signals(0.46, margin=0.02, votes=0.5)
    verdict, reason = verdict_for(middle)
    assert RELATED_AT <= middle.strength < KNOWN_AT and verdict == "related"
    assert "margin" in reason and "keywords disagree" in reason


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
