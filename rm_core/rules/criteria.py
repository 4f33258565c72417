"""Picking retirement candidates by a criterion: low precision, few unique catches, or silent for N days."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import polars as pl

from rm_core.errors import UserError
from rm_core.rules.whatif import PreparedHits, rule_stats


def rules_matching(prepared: PreparedHits, *, precision_below: float | None = None,
                   unique_confirmed_bad_below: int | None = None, no_hit_in_days: int | None = None,
                   combine: str = "all") -> list[str]:
    """Rule ids (rule order) meeting the given criteria; `combine` is "all" (every one) or "any".

    - precision_below x: precision known and < x (a rule with no confirmed_bad nor false_positive has no
      precision and is not matched);
    - unique_confirmed_bad_below y: fewer than y confirmed-bad entities that no other rule flags;
    - no_hit_in_days N: no hit (enforced or shadow) in the last N days of the window, ending on `until`.
    """
    if combine not in ("all", "any"):
        raise UserError(f"combine must be 'all' or 'any', not {combine!r}")
    stats = rule_stats(prepared)
    tests: list[pl.Expr] = []
    if precision_below is not None:
        tests.append(pl.col("precision").is_not_null() & (pl.col("precision") < precision_below))
    if unique_confirmed_bad_below is not None:
        tests.append(pl.col("unique_confirmed_bad") < unique_confirmed_bad_below)
    if no_hit_in_days is not None:
        if no_hit_in_days < 1:
            raise UserError(f"no hit in N days needs N of 1 or more, not {no_hit_in_days}")
        cutoff = datetime.combine(prepared.until + timedelta(days=1), time.min) - timedelta(days=no_hit_in_days)
        tests.append(pl.col("last_hit").is_null() | (pl.col("last_hit") < cutoff))
    if not tests:
        return []
    both = pl.all_horizontal(tests) if combine == "all" else pl.any_horizontal(tests)
    return stats.filter(both)["rule_id"].to_list()
