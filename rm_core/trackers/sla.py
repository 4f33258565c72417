"""SLA arithmetic, pure: the due date from kind and priority, the SLA colour, and the ageing bucket.

Nothing here touches the database, so the queue, the metrics and the tests all share one definition.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from rm_core.errors import UserError

KINDS: dict[str, str] = {
    "partner_request": "Partner request",
    "deep_dive": "Deep dive",
    "sev2_action": "Sev2 action item",
    "exec_escalation": "Executive escalation",
    "coe_action": "COE action item",
}
PRIORITIES = ("P1", "P2", "P3", "P4")

# Days to resolve, by kind then priority: escalations and Sev2 items are tight, deep dives and COE actions are
# long work. (The demo world generates its requests against the same table.)
DEFAULT_SLA_DAYS: dict[str, dict[str, float]] = {
    "partner_request": {"P1": 2, "P2": 5, "P3": 10, "P4": 20},
    "deep_dive": {"P1": 4, "P2": 10, "P3": 20, "P4": 40},
    "sev2_action": {"P1": 1, "P2": 2.5, "P3": 5, "P4": 10},
    "exec_escalation": {"P1": 1, "P2": 2.5, "P3": 5, "P4": 10},
    "coe_action": {"P1": 6, "P2": 15, "P3": 30, "P4": 60},
}

SLA_COLOURS = ("green", "amber", "red")
GREEN_ABOVE = 0.25  # green while more than 25% of the SLA remains
AMBER_FROM = 0.10   # amber from 25% down to 10% remaining; below that (and once breached) red

AGEING_BUCKETS = ("0–7", "8–14", "15–30", "31–60", "60+")
# (label, first day, last day) in whole days open; "60+" means 61 days or more, since 60 belongs to 31–60.
BUCKET_BOUNDS: tuple[tuple[str, int, int | None], ...] = (
    ("0–7", 0, 7), ("8–14", 8, 14), ("15–30", 15, 30), ("31–60", 31, 60), ("60+", 61, None))

SLA_TABLE_FILE = "sla_table.json"


@dataclass(frozen=True)
class SlaTable:
    """Days allowed per (kind, priority); `business_days` counts Monday–Friday only, skipping `holidays`."""

    days: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: DEFAULT_SLA_DAYS)
    business_days: bool = False
    holidays: frozenset[dt.date] = frozenset()

    def days_for(self, kind: str, priority: str) -> float:
        if kind not in self.days:
            raise UserError(f"Unknown kind {kind!r}; use one of {', '.join(KINDS)}.")
        if priority not in self.days[kind]:
            raise UserError(f"Unknown priority {priority!r}; use one of {', '.join(PRIORITIES)}.")
        return float(self.days[kind][priority])

    def due(self, opened_at: dt.datetime, kind: str, priority: str) -> dt.datetime:
        return sla_due(opened_at, self.days_for(kind, priority), business_days=self.business_days,
                       holidays=self.holidays)

    @classmethod
    def from_mapping(cls, data: Mapping) -> SlaTable:
        """Build from `{"days": {kind: {priority: n}}, "business_days": bool, "holidays": [iso dates]}`;
        kinds or priorities left out keep their default."""
        days = {k: dict(v) for k, v in DEFAULT_SLA_DAYS.items()}
        for kind, row in (data.get("days") or {}).items():
            if kind not in KINDS:
                raise UserError(f"SLA table: unknown kind {kind!r}; use one of {', '.join(KINDS)}.")
            for priority, n in row.items():
                if priority not in PRIORITIES:
                    raise UserError(f"SLA table: unknown priority {priority!r} for {kind}.")
                if isinstance(n, bool) or not isinstance(n, (int, float)) or n < 0.5:
                    raise UserError(f"SLA table: {kind} {priority} must be a number of days ≥ 0.5, not {n!r}.")
                days[kind][priority] = n
        try:
            holidays = frozenset(dt.date.fromisoformat(d) for d in data.get("holidays") or [])
        except (TypeError, ValueError) as exc:
            raise UserError(f"SLA table: holidays must be ISO dates (YYYY-MM-DD): {exc}") from exc
        return cls(days=days, business_days=bool(data.get("business_days", False)), holidays=holidays)

    def to_mapping(self) -> dict:
        return {"days": {k: dict(v) for k, v in self.days.items()}, "business_days": self.business_days,
                "holidays": sorted(d.isoformat() for d in self.holidays)}

    def as_frame(self) -> pl.DataFrame:
        """kind, kind_label, then one column of days per priority."""
        return pl.DataFrame([{"kind": k, "kind_label": KINDS[k], **{p: self.days[k][p] for p in PRIORITIES}}
                             for k in KINDS])


def load_sla_table(home: Path) -> SlaTable:
    """The table configured in `$RM_HOME/sla_table.json`, or the default when there is none."""
    path = Path(home) / SLA_TABLE_FILE
    if not path.exists():
        return SlaTable()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path} is not valid JSON: {exc}") from exc
    return SlaTable.from_mapping(data)


def add_business_days(start: dt.datetime, days: float, holidays: Iterable[dt.date] = ()) -> dt.datetime:
    """`days` working days after `start`, keeping the time of day; weekends and holidays do not count.
    Part days round up to a whole working day (a 2.5-day SLA is due at the end of the third)."""
    off = set(holidays)
    current = start
    left = math.ceil(days)
    while left > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5 and current.date() not in off:
            left -= 1
    return current


def sla_due(opened_at: dt.datetime, days: float, *, business_days: bool = False,
            holidays: Iterable[dt.date] = ()) -> dt.datetime:
    if business_days:
        return add_business_days(opened_at, days, holidays)
    return opened_at + dt.timedelta(days=days)


def sla_remaining_fraction(opened_at: dt.datetime, due: dt.datetime, at: dt.datetime) -> float:
    """Share of the SLA window still left at `at`: 1.0 when just opened, 0 at the due time, negative after."""
    window = (due - opened_at).total_seconds()
    if window <= 0:
        return 0.0 if at <= due else -1.0
    return (due - at).total_seconds() / window


def sla_colour(opened_at: dt.datetime, due: dt.datetime, at: dt.datetime) -> str:
    """green while more than 25% of the SLA remains, amber from 25% to 10%, red below 10% and once breached.

    The issue names amber 10–25% and red when breached; the last 10% before breach is red too, because a
    request that close to its due time needs the same attention as a breached one.
    """
    return colour_for_fraction(sla_remaining_fraction(opened_at, due, at))


def colour_for_fraction(fraction: float) -> str:
    if fraction > GREEN_ABOVE:
        return "green"
    if fraction >= AMBER_FROM:
        return "amber"
    return "red"


def is_breached(due: dt.datetime, at: dt.datetime) -> bool:
    return at > due


def age_days(opened_at: dt.datetime, at: dt.datetime) -> int:
    """Whole days open (7 days 23 hours is 7), never negative."""
    return max((at - opened_at).days, 0)


def ageing_bucket(days: int) -> str:
    for label, first, last in BUCKET_BOUNDS:
        if last is None or days <= last:
            if days >= first:
                return label
    return AGEING_BUCKETS[0]


# --- the same rules as polars expressions, for frames of many requests -----------------------------------

def remaining_fraction_expr(opened: pl.Expr, due: pl.Expr, at: pl.Expr | dt.datetime) -> pl.Expr:
    at_expr = at if isinstance(at, pl.Expr) else pl.lit(at)
    window = (due - opened).dt.total_seconds()
    left = (due - at_expr).dt.total_seconds()
    return (pl.when(window > 0).then(left / window)
            .when(at_expr <= due).then(pl.lit(0.0)).otherwise(pl.lit(-1.0)))


def colour_expr(fraction: pl.Expr) -> pl.Expr:
    return (pl.when(fraction > GREEN_ABOVE).then(pl.lit("green"))
            .when(fraction >= AMBER_FROM).then(pl.lit("amber"))
            .otherwise(pl.lit("red")))


def age_days_expr(opened: pl.Expr, at: pl.Expr | dt.datetime) -> pl.Expr:
    at_expr = at if isinstance(at, pl.Expr) else pl.lit(at)
    return (at_expr - opened).dt.total_days().clip(lower_bound=0)


def bucket_expr(days: pl.Expr) -> pl.Expr:
    expr = pl.when(days <= 7).then(pl.lit("0–7"))
    for label, _first, last in BUCKET_BOUNDS[1:-1]:
        expr = expr.when(days <= last).then(pl.lit(label))
    return expr.otherwise(pl.lit("60+"))
