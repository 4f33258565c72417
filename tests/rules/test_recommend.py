"""The recommended retirement set and the criteria that pick candidates, on the hand-computed log."""
from __future__ import annotations

from datetime import date

import pytest

from rm_core.errors import UserError, ValidationFailed
from rm_core.rules import recommend_retirement, rules_matching, synth_hit_log
from rm_core.rules.whatif import retire_whatif
from tests.rules.hitlogs import hand_frame
from tests.rules.sources import ENGINES, prepare


@pytest.fixture(scope="module", params=ENGINES)
def engine(request):
    return request.param


@pytest.fixture(scope="module")
def pg(engine, request):
    return request.getfixturevalue("pg_database") if engine == "postgresql" else None


@pytest.fixture(scope="module")
def january(engine, pg):
    return prepare(engine, hand_frame(), date(2026, 1, 1), date(2026, 1, 31), pg_url=pg)


def test_with_no_loss_allowed_the_redundant_shadow_and_silent_rules_go(january):
    result = recommend_retirement(january, max_lost_confirmed_bad=0)
    # B's only confirmed-bad (e1) is also A's; D has no hit; S only runs in shadow.
    assert result.retire == ["B", "D", "S"]
    assert result.impact.lost_confirmed_bad == 0 and result.impact.lost_unlabeled == 1
    assert result.as_dict()["retire"] == ["B", "D", "S"] and result.as_dict()["flagged_after"] == 4


def test_a_budget_of_one_lets_one_more_rule_go(january):
    result = recommend_retirement(january, max_lost_confirmed_bad=1)
    assert len(result.retire) == 4 and result.impact.lost_confirmed_bad == 1
    assert [lost for _, lost in result.steps] == [0, 0, 0, 1]


def test_a_recall_budget_is_a_share_of_the_confirmed_bad_flagged_today(january):
    # 3 confirmed-bad are flagged; 34 % of 3 is 1.02 -> at most 1 may be lost.
    assert recommend_retirement(january, max_recall_loss_pct=34).max_lost_confirmed_bad == 1
    assert recommend_retirement(january, max_recall_loss_pct=33).max_lost_confirmed_bad == 0


def test_kept_rules_are_never_proposed(january):
    assert "B" not in recommend_retirement(january, max_lost_confirmed_bad=0, keep=["B"]).retire


def test_candidates_limit_the_search(january):
    assert recommend_retirement(january, max_lost_confirmed_bad=5, candidates=["A", "C"]).retire == ["A", "C"]


def test_a_budget_must_be_given_once_and_make_sense(january):
    with pytest.raises(UserError, match="one budget"):
        recommend_retirement(january)
    with pytest.raises(UserError, match="one budget"):
        recommend_retirement(january, max_lost_confirmed_bad=1, max_recall_loss_pct=5)
    with pytest.raises(UserError, match="0 or more"):
        recommend_retirement(january, max_lost_confirmed_bad=-1)
    with pytest.raises(UserError, match="between 0 and 100"):
        recommend_retirement(january, max_recall_loss_pct=150)
    with pytest.raises(ValidationFailed, match="unknown rule id 'Q'"):
        recommend_retirement(january, max_lost_confirmed_bad=0, keep=["Q"])


def test_on_a_generated_log_the_recommendation_respects_the_budget_and_matches_the_what_if(engine, pg):
    prepared = prepare(engine, synth_hit_log(rows=30_000, rules=40, entities=6_000, seed=3), pg_url=pg)
    result = recommend_retirement(prepared, max_lost_confirmed_bad=25)
    assert 0 < len(result.retire) < 40
    assert result.impact.lost_confirmed_bad <= 25
    assert result.impact.as_dict() == retire_whatif(prepared, result.retire).as_dict()


def test_precision_below_picks_rules_with_a_known_low_precision(january):
    # A: 2/3, B: 1, C: 1, S: 1, D: no precision.
    assert rules_matching(january, precision_below=0.9) == ["A"]


def test_unique_confirmed_bad_below_picks_rules_that_alone_catch_few(january):
    assert rules_matching(january, unique_confirmed_bad_below=1) == ["B", "D", "S"]


def test_no_hit_in_n_days_counts_back_from_the_end_of_the_window(january):
    # Last hits: A Jan 5, B Jan 16, C Jan 30, S Jan 31 23:59, D none in the window.
    assert rules_matching(january, no_hit_in_days=2) == ["A", "B", "D"]
    assert rules_matching(january, no_hit_in_days=20) == ["A", "D"]


def test_criteria_combine_with_all_or_any(january):
    assert rules_matching(january, precision_below=0.9, no_hit_in_days=20) == ["A"]
    assert rules_matching(january, precision_below=0.9, unique_confirmed_bad_below=1, combine="any") == \
        ["A", "B", "D", "S"]
    assert rules_matching(january) == []
