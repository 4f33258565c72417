"""Model detectors on the rules path (#18): hand-computed threshold what-ifs, ties, validation, a property."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from rm_core.errors import ValidationFailed
from rm_core.rules.hitlog import load_hit_log
from rm_core.rules.whatif import detector_whatif, only_this_model, prepare_hits, retire_whatif, threshold_curve

# Rule A flags e1 (cb) and e2 (fp). Model M (threshold 0.9):
#   e1 0.95 (cb, also A) · e3 0.90 (cb, tie: flagged) and 0.40 (max counts) · e4 0.70 (fp) · e5 0.85 (cb, $500)
HAND = b"""rule_id,detector_id,entity_id,event_time,label,score,threshold,amount_usd
A,,e1,2026-01-02,confirmed_bad,,,10
A,,e2,2026-01-02,false_positive,,,5
,M,e1,2026-01-03,confirmed_bad,0.95,0.9,10
,M,e3,2026-01-04,confirmed_bad,0.9,0.9,200
,M,e3,2026-01-05,unlabeled,0.4,0.9,
,M,e4,2026-01-06,false_positive,0.7,0.9,50
,M,e5,2026-01-07,confirmed_bad,0.85,0.9,500
"""


@pytest.fixture(scope="module")
def hand():
    return prepare_hits(load_hit_log(HAND, name="hand.csv"))


def test_a_score_equal_to_the_threshold_flags_and_the_highest_score_counts(hand):
    assert hand.flagged_entities == 3  # e1, e2 by A; e3 by M at 0.90 == 0.9
    assert hand.cb_entities == 2


def test_raising_the_threshold_loses_the_entity_only_the_model_catches(hand):
    impact = detector_whatif(hand, thresholds={"M": 0.91})
    assert (impact.flagged_after, impact.lost_confirmed_bad, impact.lost_exposure_usd) == (2, 1, 200.0)
    assert impact.gained_confirmed_bad == 0
    model = impact.models[0]
    assert (model["flagged"], model["flagged_proposed"], model["only_this_model_proposed"]) == (2, 1, 0)


def test_lowering_the_threshold_adds_scored_entities_below_it(hand):
    impact = detector_whatif(hand, thresholds={"M": 0.7})
    assert impact.flagged_after == 5
    assert (impact.gained_confirmed_bad, impact.added_false_positive) == (1, 1)
    assert impact.precision_after == pytest.approx(3 / 5)
    assert impact.models[0]["only_this_model_proposed"] == 2  # e3 and e5; e1 is also A's


def test_retiring_the_rule_and_moving_the_threshold_together(hand):
    impact = detector_whatif(hand, retire=["A"], thresholds={"M": 0.85})
    # A's e2 (fp) is lost, e1 kept by M (0.95), e5 gained at 0.85
    assert (impact.avoided_false_positive, impact.lost_confirmed_bad, impact.gained_confirmed_bad) == (1, 0, 1)
    assert impact.flagged_after == 3
    assert set(impact.as_dict()) >= {"retired", "lost_exposure_usd", "models", "gained_confirmed_bad"}


def test_retiring_a_model_drops_its_catches_like_a_rule(hand):
    assert retire_whatif(hand, ["M"]).lost_confirmed_bad == 1


def test_entities_only_this_model_catches_and_its_curve(hand):
    assert only_this_model(hand, "M", 0.85)["entity_id"].to_list() == ["e5", "e3"]
    curve = threshold_curve(hand, "M").filter(threshold=0.9)
    assert curve.row(0, named=True) == {"threshold": 0.9, "flagged": 2, "precision": 1.0, "recall": 2 / 3}


def test_a_threshold_for_a_rule_or_outside_0_1_is_refused(hand):
    with pytest.raises(ValidationFailed, match="is a rule"):
        detector_whatif(hand, thresholds={"A": 0.5})
    with pytest.raises(ValidationFailed, match="from 0 to 1"):
        detector_whatif(hand, thresholds={"M": 1.5})


@pytest.mark.parametrize("row, field", [
    (b"A,,e9,2026-01-02,confirmed_bad,0.3,,\n", "rule_id"),
    (b",M,e9,2026-01-02,confirmed_bad,1.3,0.9,\n", "score"),
    (b",N,e9,2026-01-02,confirmed_bad,0.3,,\n", "threshold"),
])
def test_bad_model_rows_are_refused_naming_row_and_field(row, field):
    with pytest.raises(ValidationFailed) as err:
        load_hit_log(HAND + row, name="hand.csv")
    assert f"row 8, field '{field}'" in str(err.value)


@settings(max_examples=60, deadline=None)
@given(scores=st.lists(st.floats(0, 1), min_size=1, max_size=30), t1=st.floats(0, 1), t2=st.floats(0, 1))
def test_raising_a_threshold_never_flags_more_entities(scores, t1, t2):
    lines = ["detector_id,entity_id,event_time,label,score,threshold"]
    lines += [f"M,e{i % 7},2026-01-01,{'confirmed_bad' if i % 3 else 'false_positive'},{s!r},0.5"
              for i, s in enumerate(scores)]
    prepared = prepare_hits(load_hit_log("\n".join(lines).encode()))
    low, high = sorted((t1, t2))
    assert (detector_whatif(prepared, thresholds={"M": high}).flagged_after
            <= detector_whatif(prepared, thresholds={"M": low}).flagged_after)
