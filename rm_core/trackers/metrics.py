"""What the trackers feed into the WBR: DAILY polars frames (date + dimensions + value columns) and their
declarations, so the metrics page can declare them as WBR metrics like any other source.

How each frame aggregates over a week, month or year is part of its declaration (`TRACKER_METRICS`):
- counts of events (requests resolved, gaps identified…) add up: `sum`;
- stocks (requests open at the end of a day) must not be added across days: take the value on the period's
  last day (`last`);
- rates are computed from the summed inputs, never per day (`ratio` of numerator over denominator), and a
  rate of two stocks from their values on the period's last day (`last_ratio`);
- medians need the individual values: `median` over the rows whose date falls in the period.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
from sqlalchemy.orm import Session

from rm_core.trackers.sla import AGEING_BUCKETS, BUCKET_BOUNDS
from rm_core.trackers.sops import TEAMS, parity_matrix, rollouts_frame, sops_frame
from rm_core.trackers.views import gaps_frame, requests_frame

REQUEST_DIMENSIONS = ("site", "requester_team", "kind")
DEFAULT_DAYS = 731  # two years: the WBR's prior-year comparisons need the year before the trailing twelve months


def _window(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    end = end or dt.date.today()
    return start or end - dt.timedelta(days=DEFAULT_DAYS - 1), end


# --- requests ----------------------------------------------------------------------------------------------

def open_requests_daily(requests: pl.DataFrame, start: dt.date, end: dt.date) -> pl.DataFrame:
    """date, site, requester_team, kind, age_bucket, open_requests: requests open at the END of each day, by
    how many whole calendar days they had been open then (a request opened on day d is 0 days old on d).

    A request is open on day d when it was opened on or before d and not resolved on or before d. Every
    dimension combination that ever has an open request gets a row for every day (zeros included), so `last`
    over a period is exact. Aggregate with `last`.
    """
    dims = list(REQUEST_DIMENSIONS)
    buckets = pl.DataFrame({"age_bucket": [b for b, _, _ in BUCKET_BOUNDS],
                            "lo": [lo for _, lo, _ in BUCKET_BOUNDS],
                            "hi": [hi if hi is not None else 1_000_000 for _, _, hi in BUCKET_BOUNDS]})
    far = end + dt.timedelta(days=1)
    spans = (requests.select(*dims, opened=pl.col("opened_at").dt.date(), done=pl.col("resolved_at").dt.date())
             .join(buckets, how="cross")
             .with_columns(s=pl.col("opened") + pl.duration(days=pl.col("lo")),
                           e=pl.min_horizontal(pl.col("opened") + pl.duration(days=pl.col("hi") + 1),
                                               pl.col("done").fill_null(far), pl.lit(far)))
             .with_columns(s=pl.max_horizontal(pl.col("s"), pl.lit(start)))
             .filter(pl.col("s") < pl.col("e")))
    schema = {"date": pl.Date, **{d: pl.String for d in dims}, "age_bucket": pl.String, "open_requests": pl.Int64}
    if spans.is_empty():
        return pl.DataFrame(schema=schema)
    keys = [*dims, "age_bucket"]
    deltas = pl.concat([spans.select(*keys, date=pl.col("s"), delta=pl.lit(1, pl.Int64)),
                        spans.filter(pl.col("e") <= end).select(*keys, date=pl.col("e"), delta=pl.lit(-1, pl.Int64))])
    # One integer per dimension combination, numbered in output order: sorting integers, not strings, is what
    # keeps two years × every combination fast.
    order = {b: i for i, b in enumerate(AGEING_BUCKETS)}
    combos = (deltas.select(keys).unique()
              .with_columns(_b=pl.col("age_bucket").replace_strict(order, return_dtype=pl.Int64))
              .sort(*dims, "_b").drop("_b").with_row_index("g"))
    deltas = (deltas.join(combos, on=keys).group_by("g", "date").agg(pl.col("delta").sum()))
    days = pl.DataFrame({"date": pl.date_range(start, end, "1d", eager=True)})
    counts = (combos.select("g").join(days, how="cross")
              .join(deltas, on=["g", "date"], how="left")
              .with_columns(pl.col("delta").fill_null(0))
              .sort("g", "date")
              .with_columns(open_requests=pl.col("delta").cum_sum().over("g"))
              .sort("date", "g"))
    return counts.join(combos, on="g", how="left", maintain_order="left").select(schema.keys())


def resolutions_daily(requests: pl.DataFrame, start: dt.date, end: dt.date) -> pl.DataFrame:
    """date (resolution day), site, requester_team, kind, resolved, resolved_within_sla, days_to_resolve_sum.

    `% resolved within SLA` = ratio of the sums of resolved_within_sla over resolved; mean time to resolve =
    days_to_resolve_sum over resolved. Days without resolutions have no row. Aggregate with `sum`/`ratio`.
    """
    days = (pl.col("resolved_at") - pl.col("opened_at")).dt.total_seconds() / 86_400.0
    return (requests.filter(pl.col("resolved_at").is_not_null())
            .with_columns(date=pl.col("resolved_at").dt.date())
            .filter(pl.col("date").is_between(start, end))
            .group_by("date", *REQUEST_DIMENSIONS)
            .agg(resolved=pl.len().cast(pl.Int64),
                 resolved_within_sla=(pl.col("resolved_at") <= pl.col("sla_due")).sum().cast(pl.Int64),
                 days_to_resolve_sum=days.sum())
            .sort("date", *REQUEST_DIMENSIONS))


def resolution_times(requests: pl.DataFrame, start: dt.date, end: dt.date) -> pl.DataFrame:
    """One row per resolved request: date (resolution day), site, requester_team, kind, request_id,
    days_to_resolve. Median time to resolve = `median` of days_to_resolve over the rows in the period."""
    return (requests.filter(pl.col("resolved_at").is_not_null())
            .with_columns(date=pl.col("resolved_at").dt.date(),
                          days_to_resolve=(pl.col("resolved_at") - pl.col("opened_at")).dt.total_seconds()
                          / 86_400.0)
            .filter(pl.col("date").is_between(start, end))
            .select("date", *REQUEST_DIMENSIONS, request_id=pl.col("id"), days_to_resolve=pl.col("days_to_resolve"))
            .sort("date", "request_id"))


# --- gaps --------------------------------------------------------------------------------------------------

def gap_loop_daily(gaps: pl.DataFrame, start: dt.date, end: dt.date) -> pl.DataFrame:
    """date, owning_team, identified, quantified, accepted, closed (gaps reaching each stage that day),
    quantified_usd and quantified_accounts (the impact of the gaps quantified that day), measured_usd (after
    the fix, by closing day). Days without events have no row. Aggregate with `sum`."""
    events = []
    for stage, column in (("identified", "identified_at"), ("quantified", "quantified_at"),
                          ("accepted", "accepted_at"), ("closed", "closed_at")):
        e = gaps.filter(pl.col(column).is_not_null()).select(
            date=pl.col(column).dt.date(), owning_team=pl.col("owning_team"), stage=pl.lit(stage),
            usd=pl.when(pl.lit(stage) == "quantified").then(pl.col("impact_usd"))
            .when(pl.lit(stage) == "closed").then(pl.col("measured_usd")).otherwise(None).cast(pl.Float64),
            accounts=pl.when(pl.lit(stage) == "quantified").then(pl.col("impact_accounts"))
            .otherwise(None).cast(pl.Int64))
        events.append(e)
    every = pl.concat(events).filter(pl.col("date").is_between(start, end))
    return (every.group_by("date", "owning_team")
            .agg(identified=(pl.col("stage") == "identified").sum().cast(pl.Int64),
                 quantified=(pl.col("stage") == "quantified").sum().cast(pl.Int64),
                 accepted=(pl.col("stage") == "accepted").sum().cast(pl.Int64),
                 closed=(pl.col("stage") == "closed").sum().cast(pl.Int64),
                 quantified_usd=pl.col("usd").filter(pl.col("stage") == "quantified").sum(),
                 quantified_accounts=pl.col("accounts").filter(pl.col("stage") == "quantified").sum().cast(pl.Int64),
                 measured_usd=pl.col("usd").filter(pl.col("stage") == "closed").sum())
            .sort("date", "owning_team"))


# --- SOPs --------------------------------------------------------------------------------------------------

def sop_parity_daily(sops: pl.DataFrame, rollouts: pl.DataFrame, start: dt.date, end: dt.date,
                     teams: tuple[str, ...] = TEAMS) -> pl.DataFrame:
    """date, team, sop_cells, live_current: SOP parity % = ratio of the sums of live_current over sop_cells.

    Rebuilt from today's registry: a cell (SOP × team, retired cells left out) counts as live on the current
    version from its live date onwards when it is live on the current version today (earlier versions are not
    kept, so a team that lags today lags in the history too). Aggregate with `last_ratio` (it is a stock).
    """
    matrix = parity_matrix(sops, rollouts, teams).filter(pl.col("state") != "retired")
    schema = {"date": pl.Date, "team": pl.String, "sop_cells": pl.Int64, "live_current": pl.Int64}
    if matrix.is_empty():
        return pl.DataFrame(schema=schema)
    cells = matrix.join(rollouts.select("sop_id", "team", "live_date"), on=["sop_id", "team"], how="left")
    days = pl.DataFrame({"date": pl.date_range(start, end, "1d", eager=True)})
    per_team = cells.group_by("team").agg(sop_cells=pl.len().cast(pl.Int64))
    live = (cells.filter((pl.col("state") == "live") & pl.col("live_date").is_not_null())
            .select("team", "live_date").sort("live_date"))
    out = days.join(per_team, how="cross")
    live_counts = []
    for team in per_team["team"]:
        dates = live.filter(pl.col("team") == team)["live_date"]
        live_counts.append(pl.DataFrame({"date": days["date"], "team": team,
                                         "live_current": dates.search_sorted(days["date"], side="right")
                                         .cast(pl.Int64)}))
    return (out.join(pl.concat(live_counts), on=["date", "team"]).sort("date", "team").select(schema.keys()))


# --- declarations ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TrackerMetric:
    """A WBR metric the trackers provide: where its daily values come from and how they roll up."""

    name: str
    title: str
    source: str          # key of SOURCES
    aggregation: str     # sum | last | ratio | last_ratio | median
    value: str           # column summed / taken last / medianed; the numerator for a ratio
    denominator: str | None
    dimensions: tuple[str, ...]
    filter: dict[str, str] | None
    direction: str       # higher_is_better | lower_is_better
    unit: str            # count | pct | usd | days
    comparison: str      # pct for counts and amounts, bps for rates (PRODUCT.md)


TRACKER_METRICS: tuple[TrackerMetric, ...] = (
    TrackerMetric("open_requests", "Open requests", "open_requests", "last", "open_requests", None,
                  ("site", "requester_team", "kind", "age_bucket"), None, "lower_is_better", "count", "pct"),
    TrackerMetric("open_requests_over_30_days", "Open requests older than 30 days", "open_requests", "last",
                  "open_requests", None, ("site", "requester_team", "kind"),
                  {"age_bucket": "31–60|60+"}, "lower_is_better", "count", "pct"),
    TrackerMetric("requests_resolved", "Requests resolved", "resolutions", "sum", "resolved", None,
                  REQUEST_DIMENSIONS, None, "higher_is_better", "count", "pct"),
    TrackerMetric("resolved_within_sla_pct", "% resolved within SLA", "resolutions", "ratio",
                  "resolved_within_sla", "resolved", REQUEST_DIMENSIONS, None, "higher_is_better", "pct", "bps"),
    TrackerMetric("median_days_to_resolve", "Median time to resolve (days)", "resolution_times", "median",
                  "days_to_resolve", None, REQUEST_DIMENSIONS, None, "lower_is_better", "days", "pct"),
    TrackerMetric("gaps_identified", "Upstream gaps identified", "gap_loop", "sum", "identified", None,
                  ("owning_team",), None, "higher_is_better", "count", "pct"),
    TrackerMetric("gaps_quantified", "Upstream gaps quantified", "gap_loop", "sum", "quantified", None,
                  ("owning_team",), None, "higher_is_better", "count", "pct"),
    TrackerMetric("gaps_closed", "Upstream gaps closed", "gap_loop", "sum", "closed", None,
                  ("owning_team",), None, "higher_is_better", "count", "pct"),
    TrackerMetric("quantified_impact_usd", "Quantified gap impact ($)", "gap_loop", "sum", "quantified_usd", None,
                  ("owning_team",), None, "higher_is_better", "usd", "pct"),
    TrackerMetric("sop_parity_pct", "SOP parity %", "sop_parity", "last_ratio", "live_current", "sop_cells",
                  ("team",), None, "higher_is_better", "pct", "bps"),
)


@dataclass(frozen=True)
class TrackerFrames:
    open_requests: pl.DataFrame
    resolutions: pl.DataFrame
    resolution_times: pl.DataFrame
    gap_loop: pl.DataFrame
    sop_parity: pl.DataFrame

    def source(self, name: str) -> pl.DataFrame:
        return getattr(self, name)


def tracker_frames(session: Session, start: dt.date | None = None, end: dt.date | None = None) -> TrackerFrames:
    """Every daily source the declarations name, from one read of the database."""
    start, end = _window(start, end)
    requests, gaps = requests_frame(session), gaps_frame(session)
    return TrackerFrames(
        open_requests=open_requests_daily(requests, start, end),
        resolutions=resolutions_daily(requests, start, end),
        resolution_times=resolution_times(requests, start, end),
        gap_loop=gap_loop_daily(gaps, start, end),
        sop_parity=sop_parity_daily(sops_frame(session), rollouts_frame(session), start, end),
    )


SOURCES: dict[str, Callable[[TrackerFrames], pl.DataFrame]] = {
    name: (lambda frames, n=name: frames.source(n))
    for name in ("open_requests", "resolutions", "resolution_times", "gap_loop", "sop_parity")
}


def metric_value(frames: TrackerFrames, metric: TrackerMetric, start: dt.date, end: dt.date,
                 where: dict[str, list[str]] | None = None) -> float | None:
    """The metric over [start, end] as the WBR would compute it — for the pages' headline figures and tests.

    `where` filters dimensions (column -> allowed values). None when there is nothing to compute from.
    """
    frame = frames.source(metric.source).filter(pl.col("date").is_between(start, end))
    for column, allowed in {**{k: v.split("|") for k, v in (metric.filter or {}).items()}, **(where or {})}.items():
        frame = frame.filter(pl.col(column).is_in(allowed))
    if frame.is_empty():
        return None
    if metric.aggregation == "sum":
        return float(frame[metric.value].sum())
    if metric.aggregation == "last":
        last_day = frame["date"].max()
        return float(frame.filter(pl.col("date") == last_day)[metric.value].sum())
    if metric.aggregation == "median":
        return float(frame[metric.value].median())
    if metric.aggregation in ("ratio", "last_ratio"):
        if metric.aggregation == "last_ratio":
            frame = frame.filter(pl.col("date") == frame["date"].max())
        denominator = frame[metric.denominator].sum()
        return None if not denominator else 100.0 * float(frame[metric.value].sum()) / float(denominator)
    raise ValueError(f"unknown aggregation {metric.aggregation}")


def metric(name: str) -> TrackerMetric:
    for m in TRACKER_METRICS:
        if m.name == name:
            return m
    raise KeyError(name)
