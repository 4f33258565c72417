"""Properties of the what-if on random small logs, and agreement with a plain reading of the definitions."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rm_core.rules import (load_hit_log, prepare_hits, recommend_retirement, retire_whatif, rule_stats,
                           synth_hit_log)
from tests.rules.hitlogs import COLUMNS, reference_rule_stats, reference_whatif

RULES = ["R1", "R2", "R3", "R4", "R5", "R6"]
START = datetime(2026, 1, 1)

row = st.tuples(
    st.sampled_from(RULES),
    st.sampled_from([f"e{i}" for i in range(10)]),
    st.integers(0, 27).map(lambda d: START + timedelta(days=d, hours=d % 5)),
    st.sampled_from(["confirmed_bad", "false_positive", "unlabeled"]),
    st.sampled_from(["enforced", "enforced", "shadow"]),
    st.one_of(st.none(), st.floats(0, 1000, allow_nan=False).map(lambda v: round(v, 2))),
)
logs = st.lists(row, min_size=1, max_size=40)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def prepared_from(rows, since=None, until=None):
    frame = pl.DataFrame(rows, schema=COLUMNS, orient="row").with_columns(
        pl.col("event_time").dt.cast_time_unit("us"))
    return prepare_hits(load_hit_log(frame), since, until)


def known(prepared, rules):
    return [r for r in rules if r in prepared.rule_ids]


@SETTINGS
@given(logs)
def test_retiring_nothing_loses_nothing(rows):
    impact = retire_whatif(prepared_from(rows), [])
    assert impact.flagged_after == impact.flagged_before
    assert (impact.lost_confirmed_bad, impact.avoided_false_positive, impact.lost_unlabeled) == (0, 0, 0)
    assert impact.lost_exposure_usd == 0 and impact.precision_after == impact.precision_before


@SETTINGS
@given(logs)
def test_retiring_everything_loses_every_flagged_entity(rows):
    prepared = prepared_from(rows)
    impact = retire_whatif(prepared, prepared.rule_ids)
    assert impact.flagged_after == 0
    assert impact.lost_confirmed_bad + impact.avoided_false_positive + impact.lost_unlabeled == impact.flagged_before


@SETTINGS
@given(logs, st.lists(st.sampled_from(RULES), unique=True), st.lists(st.sampled_from(RULES), unique=True))
def test_lost_counts_grow_monotonically_with_the_retired_set(rows, some, more):
    prepared = prepared_from(rows)
    small = known(prepared, some)
    large = known(prepared, set(some) | set(more))
    a, b = retire_whatif(prepared, small), retire_whatif(prepared, large)
    assert a.lost_confirmed_bad <= b.lost_confirmed_bad
    assert a.avoided_false_positive <= b.avoided_false_positive
    assert a.lost_unlabeled <= b.lost_unlabeled
    assert a.lost_exposure_usd <= b.lost_exposure_usd + 1e-9
    assert a.flagged_after >= b.flagged_after


@SETTINGS
@given(logs, st.lists(st.sampled_from(RULES), unique=True), st.integers(0, 27), st.integers(0, 27))
def test_the_what_if_agrees_with_the_definitions_read_literally(rows, retire, first, last):
    since, until = sorted([(START + timedelta(days=first)).date(), (START + timedelta(days=last)).date()])
    prepared = prepared_from(rows, since, until)
    retire = known(prepared, retire)
    got = retire_whatif(prepared, retire).as_dict()
    got.pop("retired")
    want = reference_whatif(rows, retire, since, until)
    for name in ("precision_before", "precision_after"):
        assert (got.pop(name) is None) == (want[name] is None)
        want.pop(name)
    assert got == pytest.approx(want)


@SETTINGS
@given(logs)
def test_rule_stats_agree_with_the_definitions_read_literally(rows):
    prepared = prepared_from(rows)
    want = reference_rule_stats(rows, prepared.rule_ids)
    for got in rule_stats(prepared).to_dicts():
        expected = want[got["rule_id"]]
        assert {k: got[k] for k in expected} == pytest.approx(expected)
        assert sum(got["weekly_hits"]) == got["hits"]


@SETTINGS
@given(logs, st.integers(0, 4))
def test_a_recommendation_stays_within_budget_and_no_further_rule_fits(rows, budget):
    prepared = prepared_from(rows)
    result = recommend_retirement(prepared, max_lost_confirmed_bad=budget)
    assert result.impact.lost_confirmed_bad <= budget
    assert result.impact.as_dict() == retire_whatif(prepared, result.retire).as_dict()
    for rule in set(prepared.rule_ids) - set(result.retire):
        assert retire_whatif(prepared, [*result.retire, rule]).lost_confirmed_bad > budget


def test_the_reference_window_matches_whole_days():
    rows = [("R1", "e1", datetime(2026, 1, 3, 23, 59), "confirmed_bad", "enforced", 1.0)]
    prepared = prepared_from(rows, date(2026, 1, 3), date(2026, 1, 3))
    assert prepared.flagged == 1 == reference_whatif(rows, [], date(2026, 1, 3), date(2026, 1, 3))["flagged_before"]


def test_small_and_large_retirements_agree_with_the_definitions_on_a_generated_log():
    # Small sets take the "only the entities at stake" path, large ones the full scan: both must agree.
    frame = synth_hit_log(rows=20_000, rules=30, entities=4_000, seed=9)
    prepared = prepare_hits(load_hit_log(frame))
    rows = frame.rows()
    for retire in (["R001"], ["R002", "R017"], list(prepared.rule_ids[:20]), list(prepared.rule_ids[5:])):
        got = retire_whatif(prepared, retire).as_dict()
        got.pop("retired")
        assert got == pytest.approx(reference_whatif(rows, retire))
