"""Hand-computed cases for every definition of issue #5, on the log described in hitlogs.HAND_ROWS."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from rm_core.errors import ValidationFailed
from rm_core.rules import (lost_catches, overlap_matrix, retire_whatif, rule_stats,
                           shadow_catches, who_else_catches)
from tests.rules.hitlogs import hand_frame
from tests.rules.sources import ENGINES, prepare

JANUARY = (date(2026, 1, 1), date(2026, 1, 31))


@pytest.fixture(scope="module", params=ENGINES)
def engine(request):
    return request.param


@pytest.fixture(scope="module")
def build(engine, request):
    """prepare(frame, since, until) through this module's engine."""
    pg = request.getfixturevalue("pg_database") if engine == "postgresql" else None
    return lambda frame, since=None, until=None: prepare(engine, frame, since, until, pg_url=pg, name="hand.parquet")


@pytest.fixture(scope="module")
def january(build):
    return build(hand_frame(), *JANUARY)


def stats_by_rule(prepared) -> dict[str, dict]:
    return {row["rule_id"]: row for row in rule_stats(prepared).to_dicts()}


def test_every_rule_in_the_log_gets_a_row_in_rule_order(january):
    assert rule_stats(january)["rule_id"].to_list() == ["A", "B", "C", "D", "S"]


def test_rule_stats_count_rows_distinct_entities_and_entity_labels(january):
    a = stats_by_rule(january)["A"]
    # A hits e1 (confirmed_bad), e2 (false_positive) and e6 (confirmed_bad through S's shadow hit).
    assert (a["hits"], a["entities"], a["confirmed_bad"], a["false_positive"], a["unlabeled"]) == (3, 3, 2, 1, 0)
    assert a["precision"] == pytest.approx(2 / 3)
    assert a["last_hit"] == datetime(2026, 1, 5, 6)


def test_an_entity_with_mixed_labels_counts_as_confirmed_bad_for_every_rule_that_hit_it(january):
    b = stats_by_rule(january)["B"]
    # B's own hit on e1 says unlabeled, but A's says confirmed_bad: e1 is confirmed_bad.
    assert (b["confirmed_bad"], b["false_positive"], b["unlabeled"]) == (1, 0, 1)
    assert b["precision"] == 1.0


def test_a_duplicate_row_counts_as_a_hit_but_not_as_another_entity(january):
    b = stats_by_rule(january)["B"]
    assert (b["hits"], b["entities"]) == (3, 2)


def test_confirmed_bad_beats_false_positive_on_the_same_entity(january):
    c = stats_by_rule(january)["C"]
    assert (c["hits"], c["entities"], c["confirmed_bad"], c["false_positive"]) == (2, 1, 1, 0)


def test_a_rule_with_no_hit_in_the_window_has_zeros_and_no_precision_nor_last_hit(january):
    d = stats_by_rule(january)["D"]
    assert (d["hits"], d["entities"], d["confirmed_bad"], d["unique_confirmed_bad"]) == (0, 0, 0, 0)
    assert d["precision"] is None and d["last_hit"] is None
    assert d["weekly_hits"] == [0, 0, 0, 0, 0]


def test_shadow_hits_count_in_rule_stats_but_flag_nothing(january):
    s = stats_by_rule(january)["S"]
    assert (s["hits"], s["entities"], s["confirmed_bad"]) == (2, 2, 2)
    assert s["unique_confirmed_bad"] == 0
    assert january.flagged_entities == 5  # e5 is only hit in shadow


def test_unique_confirmed_bad_counts_entities_only_this_rule_flags(january):
    stats = stats_by_rule(january)
    # e6 only A flags (S is shadow); e1 A and B both flag; e4 only C flags.
    assert {r: stats[r]["unique_confirmed_bad"] for r in "ABCDS"} == {"A": 1, "B": 0, "C": 1, "D": 0, "S": 0}


def test_weekly_hits_count_rows_per_week_from_the_window_start(january):
    stats = stats_by_rule(january)
    assert january.week_starts[0] == date(2026, 1, 1) and len(january.week_starts) == 5
    assert stats["A"]["weekly_hits"] == [3, 0, 0, 0, 0]
    assert stats["B"]["weekly_hits"] == [0, 1, 2, 0, 0]
    assert stats["S"]["weekly_hits"] == [0, 0, 0, 1, 1]


def test_retiring_a_rule_that_shares_its_entity_with_another_loses_nothing_of_it(january):
    impact = retire_whatif(january, ["B"])
    # e1 is still flagged by A; only e3 (unlabeled) goes.
    assert impact.as_dict() == {
        "retired": ["B"], "flagged_before": 5, "flagged_after": 4, "lost_confirmed_bad": 0,
        "avoided_false_positive": 0, "lost_unlabeled": 1, "lost_exposure_usd": 0.0,
        "precision_before": 0.75, "precision_after": 0.75,
    }


def test_retiring_a_rule_that_alone_catches_an_entity_loses_that_catch(january):
    impact = retire_whatif(january, ["A"])
    assert impact.as_dict() == {
        "retired": ["A"], "flagged_before": 5, "flagged_after": 3, "lost_confirmed_bad": 1,
        "avoided_false_positive": 1, "lost_unlabeled": 0, "lost_exposure_usd": 70.0,
        "precision_before": 0.75, "precision_after": 1.0,
    }


def test_retiring_both_rules_of_a_shared_entity_loses_it(january):
    impact = retire_whatif(january, ["B", "A"])
    assert impact.retired == ["A", "B"]
    assert (impact.flagged_after, impact.lost_confirmed_bad, impact.avoided_false_positive,
            impact.lost_unlabeled) == (1, 2, 1, 1)
    assert impact.lost_exposure_usd == 90.0  # e1's largest $20 + e6's largest $70
    assert impact.precision_after == 1.0


def test_lost_exposure_uses_the_largest_amount_of_the_entity_whatever_the_hit_label(january):
    assert retire_whatif(january, ["C"]).lost_exposure_usd == 250.0


def test_retiring_a_shadow_rule_or_a_silent_rule_changes_nothing(january):
    impact = retire_whatif(january, ["S", "D"])
    assert (impact.flagged_after, impact.lost_confirmed_bad, impact.avoided_false_positive,
            impact.lost_unlabeled) == (5, 0, 0, 0)


def test_retiring_every_rule_leaves_nothing_flagged_and_no_precision(january):
    impact = retire_whatif(january, ["A", "B", "C", "D", "S"])
    assert (impact.flagged_after, impact.lost_confirmed_bad, impact.avoided_false_positive,
            impact.lost_unlabeled) == (0, 3, 1, 1)
    assert impact.precision_after is None and impact.lost_exposure_usd == 340.0  # $20 + $250 + $70


def test_an_unknown_rule_id_is_refused_by_name(january):
    with pytest.raises(ValidationFailed, match="unknown rule id 'Z9'") as err:
        retire_whatif(january, ["A", "Z9"])
    assert err.value.problems[0].field == "rule_id"


def test_lost_catches_list_each_lost_confirmed_bad_entity_with_the_rules_that_caught_it(january):
    lost = lost_catches(january, retire_whatif(january, ["A", "B"]))
    assert lost.to_dicts() == [
        {"entity_id": "e6", "label": "confirmed_bad", "amount_usd": 70.0, "caught_by": ["A"]},
        {"entity_id": "e1", "label": "confirmed_bad", "amount_usd": 20.0, "caught_by": ["A", "B"]},
    ]


def test_without_an_amount_column_exposure_is_zero(build):
    prepared = build(hand_frame().drop("amount_usd"), *JANUARY)
    assert retire_whatif(prepared, ["A"]).lost_exposure_usd == 0.0
    assert lost_catches(prepared, retire_whatif(prepared, ["A"]))["amount_usd"].to_list() == [0.0]


def test_without_an_action_column_every_hit_is_enforced(build):
    prepared = build(hand_frame().drop("action"), *JANUARY)
    # S now flags e5 and e6 itself.
    assert prepared.flagged_entities == 6
    assert stats_by_rule(prepared)["S"]["unique_confirmed_bad"] == 1


def test_an_empty_window_gives_zeros_everywhere(build):
    prepared = build(hand_frame(), date(2027, 1, 1), date(2027, 1, 31))
    stats = rule_stats(prepared)
    assert stats["hits"].sum() == 0 and stats["entities"].sum() == 0
    assert stats["precision"].null_count() == 5
    assert retire_whatif(prepared, ["A"]).as_dict() == {
        "retired": ["A"], "flagged_before": 0, "flagged_after": 0, "lost_confirmed_bad": 0,
        "avoided_false_positive": 0, "lost_unlabeled": 0, "lost_exposure_usd": 0.0,
        "precision_before": None, "precision_after": None,
    }
    assert shadow_catches(prepared).height == 0


def test_the_window_is_inclusive_of_both_days(build):
    prepared = build(hand_frame(), date(2026, 1, 31), date(2026, 1, 31))
    # Only S's hit at 23:59 on the 31st is inside.
    assert stats_by_rule(prepared)["S"]["hits"] == 1 and rule_stats(prepared)["hits"].sum() == 1


def test_without_a_window_the_whole_log_counts(build):
    prepared = build(hand_frame())
    assert (prepared.since, prepared.until) == (date(2025, 12, 15), date(2026, 1, 31))
    assert stats_by_rule(prepared)["D"]["hits"] == 1 and prepared.flagged_entities == 6


def test_a_window_that_ends_before_it_starts_is_refused(build):
    with pytest.raises(ValidationFailed, match="starts"):
        build(hand_frame(), date(2026, 2, 1), date(2026, 1, 1))


def test_overlap_is_the_share_of_rule_a_entities_also_flagged_by_rule_b(january):
    pairs = {(r["rule_a"], r["rule_b"]): r for r in overlap_matrix(january, ["A", "B"]).to_dicts()}
    assert pairs[("A", "B")]["shared"] == 1 and pairs[("A", "B")]["share"] == pytest.approx(1 / 3)
    assert pairs[("B", "A")]["share"] == pytest.approx(1 / 2)
    assert pairs[("A", "A")]["share"] == 1.0


def test_overlap_defaults_to_the_rules_flagging_most_entities(january):
    top = overlap_matrix(january, top=2)
    assert top["rule_a"].unique(maintain_order=True).to_list() == ["A", "B"]


def test_who_else_catches_lists_other_rules_flagging_this_rules_entities(january):
    assert who_else_catches(january, "A").to_dicts() == [
        {"rule_id": "B", "shared": 1, "share": pytest.approx(1 / 3), "shared_confirmed_bad": 1}]
    assert who_else_catches(january, "C").height == 0


def test_shadow_catches_show_what_a_muted_rule_would_have_caught(january):
    rows = shadow_catches(january).to_dicts()
    assert len(rows) == 1
    s = rows[0]
    assert (s["rule_id"], s["shadow_hits"], s["entities"], s["confirmed_bad"], s["false_positive"]) == \
        ("S", 2, 2, 2, 0)
    assert s["confirmed_bad_not_flagged"] == 1  # e5: nothing enforced flags it; e6 is A's already
    assert s["last_shadow_hit"] == datetime(2026, 1, 31, 23, 59)
