"""A believable, deterministic rule hit log for the demo world, tests and benchmarks.

The shape mimics what Risk Mining sees: a few loud rules and a long tail, precision from excellent to
useless, rules of one family catching the same bad actors (so some can be retired safely), some rules in
shadow mode, a few that went quiet weeks ago and a few that started recently.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

# Fixed so that one seed gives one log everywhere; the demo seeder may pass its own `end`.
DEFAULT_END = date(2026, 11, 22)


@dataclass(frozen=True)
class SynthShape:
    """What the generated log looks like (handy for tests and the benchmark's printout)."""

    rows: int
    rules: int
    entities: int
    weeks: int
    shadow_rules: tuple[str, ...]
    quiet_rules: tuple[str, ...]


def synth_hit_log(rows: int = 20_000, rules: int = 40, entities: int = 5_000, weeks: int = 26, *,
                  seed: int = 7, end: date = DEFAULT_END, shadow_share: float = 0.06,
                  families: int | None = None) -> pl.DataFrame:
    """A hit log with columns rule_id, entity_id, event_time, label, action, amount_usd.

    `entities` is the size of the entity pool; with several hits per entity almost all of them appear.
    Same arguments, same frame (numpy's PCG64 with `seed`).
    """
    if rows < 1 or rules < 1 or entities < 1 or weeks < 1:
        raise ValueError("rows, rules, entities and weeks must all be at least 1")
    rng = np.random.default_rng(seed)
    n_fam = families or max(1, rules // 12)

    # Rules: loudness (lognormal: a few loud, a long tail), true precision (Beta: spread from 5 % to 95 %),
    # a family (which slice of bad actors it looks at) and an active period.
    loud = rng.lognormal(0.0, 1.1, rules)
    loud /= loud.sum()
    true_precision = rng.beta(1.3, 1.6, rules) * 0.9 + 0.03
    family = rng.integers(0, n_fam, rules)
    first_week = np.zeros(rules, dtype=np.int64)
    last_week = np.full(rules, weeks - 1, dtype=np.int64)
    if weeks >= 6 and rules >= 10:
        quiet = rng.choice(rules, max(1, rules // 25), replace=False)
        last_week[quiet] = rng.integers(0, weeks // 2, quiet.size)
        fresh = np.setdiff1d(rng.choice(rules, max(1, rules // 25), replace=False), quiet)
        first_week[fresh] = rng.integers(weeks // 2, weeks, fresh.size)
    else:
        quiet = np.array([], dtype=np.int64)
    n_shadow = int(round(rules * shadow_share)) if rules >= 5 else 0
    shadow = rng.choice(rules, n_shadow, replace=False) if n_shadow else np.array([], dtype=np.int64)
    is_shadow = np.zeros(rules, dtype=bool)
    is_shadow[shadow] = True

    # Entities: the first `n_bad` are bad actors, split into family slices; the rest are good sellers.
    n_bad = max(1, int(entities * 0.3))
    n_good = max(1, entities - n_bad)
    bad_edges = np.linspace(0, n_bad, n_fam + 1).astype(np.int64)
    entity_amount = np.round(rng.lognormal(5.5, 1.3, n_bad + n_good), 2)
    # Each rule watches a niche of its family's slice; niches of one family overlap in places, so a bad
    # actor may be caught by one rule only (a unique catch) or by several (safe to retire one of them).
    fam_lo, fam_size = bad_edges[family], np.maximum(bad_edges[family + 1] - bad_edges[family], 1)
    niche_centre = rng.random(rules)
    niche_width = rng.uniform(0.03, 0.25, rules)

    rule = rng.choice(rules, size=rows, p=loud)
    picks_bad = rng.random(rows) < true_precision[rule]
    where = rng.random(rows)
    spot = np.where(where < 0.75, niche_centre[rule] + (rng.random(rows) - 0.5) * niche_width[rule],
                    rng.random(rows)) % 1.0
    bad_entity = np.where(where < 0.93, fam_lo[rule] + (spot * fam_size[rule]).astype(np.int64),
                          rng.integers(0, n_bad, rows))
    bad_entity = np.minimum(bad_entity, n_bad - 1)
    good_entity = n_bad + rng.integers(0, n_good, rows)
    entity = np.where(picks_bad, bad_entity, good_entity)

    # Labels on each hit: investigations confirm most bad actors and clear some good sellers; the rest wait.
    u = rng.random(rows)
    label_code = np.where(picks_bad, np.where(u < 0.7, 0, 2), np.where(u < 0.45, 1, 2)).astype(np.int8)

    span = last_week[rule] - first_week[rule] + 1
    week = first_week[rule] + (rng.random(rows) * span).astype(np.int64)
    start = datetime.combine(end, datetime.min.time()) - timedelta(weeks=weeks) + timedelta(days=1)
    offset_s = week * 7 * 86_400 + rng.integers(0, 7 * 86_400, rows)
    event_time = np.datetime64(start, "us") + (offset_s * 1_000_000).astype("timedelta64[us]")

    amount = np.round(entity_amount[entity] * rng.uniform(0.6, 1.4, rows), 2)

    width_r = max(3, len(str(rules)))
    width_e = max(6, len(str(n_bad + n_good)))
    return pl.DataFrame({
        "rule_code": rule.astype(np.int32),
        "entity_code": entity.astype(np.int64),
        "event_time": event_time,
        "label_code": label_code,
        "shadow": is_shadow[rule],
        "amount_usd": amount,
    }).select(
        ("R" + pl.col("rule_code").cast(pl.String).str.zfill(width_r)).alias("rule_id"),
        ("S" + pl.col("entity_code").cast(pl.String).str.zfill(width_e)).alias("entity_id"),
        pl.col("event_time").cast(pl.Datetime("us")),
        pl.col("label_code").replace_strict([0, 1, 2], ["confirmed_bad", "false_positive", "unlabeled"],
                                            return_dtype=pl.String).alias("label"),
        pl.when(pl.col("shadow")).then(pl.lit("shadow")).otherwise(pl.lit("enforced")).alias("action"),
        pl.col("amount_usd"),
    )


def synth_shape(frame: pl.DataFrame) -> SynthShape:
    """Summarise a generated (or any) hit log frame."""
    last = frame.group_by("rule_id").agg(pl.col("event_time").max())
    cutoff = frame["event_time"].max() - timedelta(days=28)
    return SynthShape(
        rows=frame.height,
        rules=frame["rule_id"].n_unique(),
        entities=frame["entity_id"].n_unique(),
        weeks=int((frame["event_time"].max() - frame["event_time"].min()).days // 7 + 1),
        shadow_rules=tuple(sorted(frame.filter(pl.col("action") == "shadow")["rule_id"].unique().to_list())),
        quiet_rules=tuple(sorted(last.filter(pl.col("event_time") < cutoff)["rule_id"].to_list())),
    )


def write_synth_hit_log(path: str | Path, **kwargs) -> Path:
    """Generate with `synth_hit_log(**kwargs)` and write Parquet (or CSV when the name ends in .csv)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = synth_hit_log(**kwargs)
    if path.suffix.lower() == ".csv":
        frame.write_csv(path)
    else:
        frame.write_parquet(path, row_group_size=1_000_000)
    return path
