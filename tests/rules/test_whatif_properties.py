"""Properties of the what-if on random small logs, and agreement with a plain reading of the definitions."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rm_core.rules import (recommend_retirement, retire_whatif, rule_stats,
                           synth_hit_log)
from tests.rules.hitlogs import COLUMNS, reference_rule_stats, reference_whatif
from tests.rules.sources import ENGINES, prepare

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
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(params=ENGINES)
def engine(request):
    """Every property holds on each path (pg_url is the PostgreSQL database when that path runs)."""
    pg = request.getfixturevalue("pg_database") if request.param == "postgresql" else None
    return request.param, pg


def on_each_engine(*strategies):
    """A property over random logs, run on every engine: 60 examples in memory, 12 through each SQL engine
    (every example there writes a table and asks the engine, so it costs ~0.2 s)."""
    def wrap(check):
        def test(engine):
            runs = SETTINGS.max_examples if engine[0] == "memory" else 12
            drawn = st.tuples(*strategies)
            settings(SETTINGS, max_examples=runs)(given(drawn)(lambda values: check(engine, *values)))()
        test.__name__, test.__doc__ = check.__name__, check.__doc__
        return test
    return wrap


def prepared_from(engine, rows, since=None, until=None):
    frame = pl.DataFrame(rows, schema=COLUMNS, orient="row").with_columns(
        pl.col("event_time").dt.cast_time_unit("us"))
    name, pg = engine
    return prepare(name, frame, since, until, pg_url=pg)


def known(prepared, rules):
    return [r for r in rules if r in prepared.rule_ids]


@on_each_engine(logs)
def test_retiring_nothing_loses_nothing(engine, rows):
    impact = retire_whatif(prepared_from(engine, rows), [])
    assert impact.flagged_after == impact.flagged_before
    assert (impact.lost_confirmed_bad, impact.avoided_false_positive, impact.lost_unlabeled) == (0, 0, 0)
    assert impact.lost_exposure_usd == 0 and impact.precision_after == impact.precision_before


@on_each_engine(logs)
def test_retiring_everything_loses_every_flagged_entity(engine, rows):
    prepared = prepared_from(engine, rows)
    impact = retire_whatif(prepared, prepared.rule_ids)
    assert impact.flagged_after == 0
    assert impact.lost_confirmed_bad + impact.avoided_false_positive + impact.lost_unlabeled == impact.flagged_before


@on_each_engine(logs, st.lists(st.sampled_from(RULES), unique=True), st.lists(st.sampled_from(RULES), unique=True))
def test_lost_counts_grow_monotonically_with_the_retired_set(engine, rows, some, more):
    prepared = prepared_from(engine, rows)
    small = known(prepared, some)
    large = known(prepared, set(some) | set(more))
    a, b = retire_whatif(prepared, small), retire_whatif(prepared, large)
    assert a.lost_confirmed_bad <= b.lost_confirmed_bad
    assert a.avoided_false_positive <= b.avoided_false_positive
    assert a.lost_unlabeled <= b.lost_unlabeled
    assert a.lost_exposure_usd <= b.lost_exposure_usd + 1e-9
    assert a.flagged_after >= b.flagged_after


@on_each_engine(logs, st.lists(st.sampled_from(RULES), unique=True), st.integers(0, 27), st.integers(0, 27))
def test_the_what_if_agrees_with_the_definitions_read_literally(engine, rows, retire, first, last):
    since, until = sorted([(START + timedelta(days=first)).date(), (START + timedelta(days=last)).date()])
    prepared = prepared_from(engine, rows, since, until)
    retire = known(prepared, retire)
    got = retire_whatif(prepared, retire).as_dict()
    got.pop("retired")
    want = reference_whatif(rows, retire, since, until)
    for name in ("precision_before", "precision_after"):
        assert (got.pop(name) is None) == (want[name] is None)
        want.pop(name)
    assert got == pytest.approx(want)


@on_each_engine(logs)
def test_rule_stats_agree_with_the_definitions_read_literally(engine, rows):
    prepared = prepared_from(engine, rows)
    want = reference_rule_stats(rows, prepared.rule_ids)
    for got in rule_stats(prepared).to_dicts():
        expected = want[got["rule_id"]]
        assert {k: got[k] for k in expected} == pytest.approx(expected)
        assert sum(got["weekly_hits"]) == got["hits"]


@on_each_engine(logs, st.integers(0, 4))
def test_a_recommendation_stays_within_budget_and_no_further_rule_fits(engine, rows, budget):
    prepared = prepared_from(engine, rows)
    result = recommend_retirement(prepared, max_lost_confirmed_bad=budget)
    assert result.impact.lost_confirmed_bad <= budget
    assert result.impact.as_dict() == retire_whatif(prepared, result.retire).as_dict()
    for rule in set(prepared.rule_ids) - set(result.retire):
        assert retire_whatif(prepared, [*result.retire, rule]).lost_confirmed_bad > budget


def test_the_reference_window_matches_whole_days(engine):
    rows = [("R1", "e1", datetime(2026, 1, 3, 23, 59), "confirmed_bad", "enforced", 1.0)]
    prepared = prepared_from(engine, rows, date(2026, 1, 3), date(2026, 1, 3))
    assert prepared.flagged_entities == 1 == reference_whatif(rows, [], date(2026, 1, 3), date(2026, 1, 3))["flagged_before"]


def test_small_and_large_retirements_agree_with_the_definitions_on_a_generated_log(engine):
    # Small sets take the "only the entities at stake" path, large ones the full scan: both must agree.
    frame = synth_hit_log(rows=20_000, rules=30, entities=4_000, seed=9)
    prepared = prepare(engine[0], frame, pg_url=engine[1])
    rows = frame.rows()
    for retire in (["R001"], ["R002", "R017"], list(prepared.rule_ids[:20]), list(prepared.rule_ids[5:])):
        got = retire_whatif(prepared, retire).as_dict()
        got.pop("retired")
        assert got == pytest.approx(reference_whatif(rows, retire))
