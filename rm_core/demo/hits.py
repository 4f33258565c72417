"""The demo hit log: 26 weeks of rule hits that agree with the demo rules' statuses, dates and MOs.

Bad actors belong to their MO's ring, so rules covering the same MO catch the same entities (overlap), and each
abuse family has repeat offenders that all its rules meet; each rule also owns a small private slice of bad
actors (its unique catches; redundant rules have none and are safe to retire). Precision is
high for most active rules and low for the rules already on their way out. Hits stop at retirement; hits in a
shadow period carry action `shadow`. Labels lag: the last two weeks are mostly unlabeled.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from rm_core.demo.mos import DemoMO
from rm_core.demo.rules import DemoRule

WEEKS = 26
HIT_COLUMNS = {"rule_id": pl.String, "entity_id": pl.String, "event_time": pl.Datetime("us"),
               "label": pl.String, "action": pl.String, "amount_usd": pl.Float64}
LABELS = ("confirmed_bad", "false_positive", "unlabeled")
_US = 1_000_000


def _micros(when: dt.datetime, origin: dt.datetime) -> int:
    return int((when - origin).total_seconds()) * _US


def build_hits(seed: int, anchor: dt.date, rules: list[DemoRule], mos: list[DemoMO], rows: int) -> pl.DataFrame:
    """A frame with exactly HIT_COLUMNS, sorted by event_time, about `rows` rows (rounded per rule)."""
    rng = np.random.default_rng([seed, 26])
    n_rules = len(rules)
    origin = dt.datetime.combine(anchor + dt.timedelta(days=1), dt.time()) - dt.timedelta(weeks=WEEKS)
    end = dt.datetime.combine(anchor + dt.timedelta(days=1), dt.time())  # exclusive: the anchor's last second
    end_us = _micros(end, origin)

    # --- rule windows, loudness, precision --------------------------------------------------------------
    start_us = np.zeros(n_rules, dtype=np.int64)
    stop_us = np.full(n_rules, end_us, dtype=np.int64)
    shadow_us = np.full(n_rules, np.iinfo(np.int64).max, dtype=np.int64)
    leaving = np.zeros(n_rules, dtype=bool)
    for k, rule in enumerate(rules):
        created = dt.datetime.combine(rule.row["created_at"], dt.time())
        start_us[k] = max(0, _micros(created, origin))
        if rule.retired_at:
            stop_us[k] = min(end_us, _micros(rule.retired_at, origin))
        if rule.shadow_at:
            shadow_us[k] = _micros(rule.shadow_at, origin)
        leaving[k] = rule.row["status"] != "active"
    # A few active rules went quiet weeks ago (the "no hit in N days" criterion needs somebody to find).
    quiet = (~leaving) & (rng.random(n_rules) < 0.05)
    stop_us[quiet] = end_us - rng.integers(21, 100, n_rules)[quiet] * 86_400 * _US
    span = np.clip(stop_us - start_us, 0, None)

    loud = rng.lognormal(0.0, 1.25, n_rules) * (span / end_us)
    loud[leaving] *= 0.45
    # Some active rules are as poor as the ones already leaving: what the what-if page should find.
    poor = leaving | (rng.random(n_rules) < 0.12)
    precision = np.where(poor, rng.beta(1.4, 4.0, n_rules) * 0.8 + 0.02, rng.beta(4.0, 1.8, n_rules) * 0.9 + 0.08)
    private_share = np.where(rng.random(n_rules) < 0.35, 0.0, rng.beta(1.2, 8.0, n_rules))
    trend = rng.normal(0.0, 1.0, n_rules)
    if loud.sum() == 0:
        raise ValueError("no rule is live inside the hit log window")
    counts = rng.multinomial(rows, loud / loud.sum())

    # --- entity space: MO rings | private slices | good sellers ------------------------------------------
    ring_size = np.array([max(8, int(np.sqrt(m.row["est_accounts"]) * 6)) for m in mos], dtype=np.int64)
    ring_size = np.maximum(8, (ring_size * (rows / 400_000) ** 0.5).astype(np.int64))
    ring_off = np.concatenate([[0], np.cumsum(ring_size)[:-1]])
    n_ring = int(ring_size.sum())
    # Each abuse family also has a pool of repeat offenders that every rule of the family runs into.
    families = sorted({m.row["abuse_family"] for m in mos})
    family_of_mo = np.array([families.index(m.row["abuse_family"]) for m in mos], dtype=np.int64)
    family_size = np.full(len(families), max(20, int(150 * (rows / 400_000) ** 0.5)), dtype=np.int64)
    family_off = n_ring + np.arange(len(families), dtype=np.int64) * family_size[0]
    n_ring += int(family_size.sum())
    private_size = np.where(private_share > 0, rng.integers(5, 60, n_rules), 1)
    private_off = n_ring + np.concatenate([[0], np.cumsum(private_size)[:-1]])
    n_bad = n_ring + int(private_size.sum())
    n_good = max(5_000, rows // 6)

    primary = np.array([r.primary for r in rules], dtype=np.int64)
    support = np.array([r.supporting[0] if r.supporting else r.primary for r in rules], dtype=np.int64)

    # --- one row per hit ---------------------------------------------------------------------------------
    rule = np.repeat(np.arange(n_rules, dtype=np.int64), counts)
    n = rule.size
    u = rng.random(n)
    k = trend[rule]
    safe_k = np.where(np.abs(k) < 1e-6, 1e-6, k)
    frac = np.log1p(u * np.expm1(safe_k)) / safe_k  # density ~ exp(k t): rising or fading rules
    t_us = (start_us[rule] + (frac * span[rule]).astype(np.int64)) // _US * _US  # whole seconds

    is_bad = rng.random(n) < precision[rule]
    pick = rng.random(n)
    pos = rng.random(n) ** 1.7  # a few ring members are caught by many rules, most by few
    private_hit = pick < private_share[rule]
    support_hit = (~private_hit) & (pick < private_share[rule] + 0.18)
    # Redundant rules (no private slice) mostly meet offenders other rules catch too: safe to retire.
    redundant = private_share[rule] == 0
    family_hit = redundant | ((~private_hit) & (~support_hit) & (pick < private_share[rule] + 0.40))
    pos = np.where(redundant, pos ** 2, pos)
    ring = np.where(support_hit, support[rule], primary[rule])
    ring_entity = ring_off[ring] + (pos * ring_size[ring]).astype(np.int64)
    fam = family_of_mo[primary[rule]]
    ring_entity = np.where(family_hit, family_off[fam] + (pos * family_size[fam]).astype(np.int64), ring_entity)
    private_entity = private_off[rule] + (rng.random(n) * private_size[rule]).astype(np.int64)
    bad_entity = np.where(private_hit, private_entity, ring_entity)
    good_entity = n_bad + (rng.random(n) ** 2.2 * n_good).astype(np.int64)  # big legit sellers trip rules often
    entity = np.where(is_bad, bad_entity, good_entity)

    recent = t_us > end_us - 14 * 86_400 * _US
    lab = rng.random(n)
    label = np.where(is_bad, np.where(lab < np.where(recent, 0.3, 0.74), 0, 2),
                     np.where(lab < np.where(recent, 0.2, 0.55), 1, 2)).astype(np.int8)
    shadow = (t_us >= shadow_us[rule]) & (t_us < stop_us[rule])

    entity_amount = np.round(np.concatenate([rng.lognormal(5.4, 1.2, n_bad), rng.lognormal(4.2, 1.0, n_good)]), 2)
    amount = np.round(entity_amount[entity] * rng.uniform(0.6, 1.4, n), 2)
    # Entity ids look like seller account numbers; multiplying by a number coprime with 10^9 scrambles them
    # without collisions, so bad rings do not sit in consecutive ids.
    entity_number = (entity * 387_420_489 + 100_000_007) % 1_000_000_000

    order = np.lexsort((rule, t_us))  # by time, then rule: time filters can skip row groups
    rule_ids = pl.Series([r.row["id"] for r in rules], dtype=pl.String)
    frame = pl.DataFrame({
        "rule_code": rule[order].astype(np.uint32),
        "entity_number": entity_number[order].astype(np.int64),
        "event_time": np.datetime64(origin, "us") + t_us[order].astype("timedelta64[us]"),
        "label_code": label[order].astype(np.uint32),
        "shadow": shadow[order],
        "amount_usd": amount[order],
    })
    labels = pl.Series(list(LABELS), dtype=pl.String)
    return frame.select(
        pl.lit(rule_ids).gather(pl.col("rule_code")).alias("rule_id"),
        ("A" + pl.col("entity_number").cast(pl.String).str.zfill(9)).alias("entity_id"),
        pl.col("event_time").cast(pl.Datetime("us")),
        pl.lit(labels).gather(pl.col("label_code")).alias("label"),
        pl.when(pl.col("shadow")).then(pl.lit("shadow")).otherwise(pl.lit("enforced")).alias("action"),
        pl.col("amount_usd").cast(pl.Float64),
    )
