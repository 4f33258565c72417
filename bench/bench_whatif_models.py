"""Threshold what-if on a 10 M-row hit log with two models: re-evaluation after a threshold change (target ≤ 50 ms).

Rules from the synthetic generator (`rm_core.rules.synth`, 300 rules), plus two models whose scores (Beta(2, 3),
below-threshold ones kept) make up a tenth of the rows. Baseline in the same run: re-preparing the log with the
new threshold (what an engine without per-entity scores must do). Usage: bench_whatif_models.py [ROWS].
"""
from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rm_core.rules import load_hit_log, prepare_hits  # noqa: E402
from rm_core.rules.synth import synth_hit_log  # noqa: E402
from rm_core.rules.whatif import detector_whatif  # noqa: E402


def model_log(rows: int) -> pl.DataFrame:
    rules = synth_hit_log(rows=rows, rules=300, entities=rows // 10, weeks=26, seed=7)
    rng = np.random.default_rng(3)
    entities = rules["entity_id"].unique().sort()
    frames = []
    for model, threshold in (("M-REG", 0.8), ("M-PAY", 0.85)):
        n = rows // 20
        frames.append(pl.DataFrame({
            "detector_id": model, "entity_id": entities.gather(rng.integers(0, entities.len(), n)),
            "event_time": rules["event_time"].gather(rng.integers(0, rules.height, n)),
            "label": rules["label"].gather(rng.integers(0, rules.height, n)),
            "score": rng.beta(2, 3, n).round(4), "threshold": threshold}))
    empty = {"detector_id": pl.String, "score": pl.Float64, "threshold": pl.Float64}
    return pl.concat([rules.with_columns(pl.lit(None, t).alias(c) for c, t in empty.items()),
                      pl.concat(frames).with_columns(pl.lit(None, pl.String).alias("rule_id"))],
                     how="diagonal_relaxed")


def median_ms(fn, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2] * 1000


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    frame = model_log(rows)
    start = time.perf_counter()
    log = load_hit_log(frame)
    prepared = prepare_hits(log)
    print(f"{frame.height:,} rows, {len(prepared.rule_ids)} detectors (2 models), "
          f"{prepared.entity_count:,} entities: load + prepare {time.perf_counter() - start:.1f} s")
    for threshold in (0.9, 0.7, 0.95):
        ms = median_ms(lambda: detector_whatif(prepared, thresholds={"M-REG": threshold}))
        print(f"M-REG at {threshold}: median {ms:.1f} ms")
    both = median_ms(lambda: detector_whatif(prepared, prepared.rule_ids[3:5], {"M-REG": 0.9, "M-PAY": 0.9}))
    print(f"retire 2 rules + move both thresholds: median {both:.1f} ms")
    moved = dataclasses.replace(log, thresholds={**log.thresholds, "M-REG": 0.9})
    start = time.perf_counter()
    again = prepare_hits(moved)
    baseline = time.perf_counter() - start
    check = detector_whatif(prepared, thresholds={"M-REG": 0.9})
    assert check.flagged_after == again.flagged_entities, "threshold what-if disagrees with re-preparing"
    print(f"baseline, re-preparing at the new threshold: {baseline * 1000:,.0f} ms "
          f"({baseline * 1000 / ms:,.0f}× the threshold what-if); flagged after agree: {again.flagged_entities:,}")


if __name__ == "__main__":
    main()
