"""The generated hit log: deterministic for a seed, and shaped like the real thing."""
from __future__ import annotations

import polars as pl

from rm_core.rules import load_hit_log, prepare_hits, rule_stats, synth_hit_log, write_synth_hit_log
from rm_core.rules.synth import synth_shape


def test_the_same_seed_gives_the_same_log_and_another_seed_another():
    a = synth_hit_log(rows=5_000, rules=30, entities=1_000, seed=11)
    assert a.equals(synth_hit_log(rows=5_000, rules=30, entities=1_000, seed=11))
    assert not a.equals(synth_hit_log(rows=5_000, rules=30, entities=1_000, seed=12))


def test_the_log_has_the_documented_columns_and_values():
    log = synth_hit_log(rows=20_000, rules=50, entities=4_000, weeks=26, seed=5)
    assert log.columns == ["rule_id", "entity_id", "event_time", "label", "action", "amount_usd"]
    assert set(log["label"].unique()) == {"confirmed_bad", "false_positive", "unlabeled"}
    assert set(log["action"].unique()) == {"enforced", "shadow"}
    shape = synth_shape(log)
    assert shape.rows == 20_000 and shape.rules == 50 and shape.weeks == 26
    assert shape.shadow_rules and shape.quiet_rules  # something to watch in shadow, something gone silent


def test_rules_differ_in_precision_and_some_catch_bad_actors_no_other_rule_catches():
    stats = rule_stats(prepare_hits(load_hit_log(synth_hit_log(rows=40_000, rules=40, entities=8_000, seed=2))))
    precision = stats["precision"].drop_nulls()
    assert precision.min() < 0.2 and precision.max() > 0.6
    assert (stats["unique_confirmed_bad"] > 0).sum() >= 10
    assert (stats["unique_confirmed_bad"] == 0).sum() >= 1


def test_it_writes_parquet_or_csv_by_extension(tmp_path):
    parquet = write_synth_hit_log(tmp_path / "h.parquet", rows=500, rules=8, entities=100)
    csv = write_synth_hit_log(tmp_path / "h.csv", rows=500, rules=8, entities=100)
    assert pl.read_parquet(parquet).height == 500 and load_hit_log(csv).rows == 500
