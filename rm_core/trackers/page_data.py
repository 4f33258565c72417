"""The figures the tracker pages show at the top, computed the way the WBR computes them (see metrics.py)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from rm_core.trackers import metrics, views


@dataclass(frozen=True)
class RequestHeadline:
    """Last 7 days ending today, as the WBR metrics define them; `None` when there is nothing to compute."""

    open_requests: int
    overdue: int
    resolved_7d: int
    within_sla_pct_7d: float | None
    median_days_7d: float | None
    open_over_30_days: int


def request_headline(requests: pl.DataFrame, now: dt.datetime) -> RequestHeadline:
    today = now.date()
    week_start = today - dt.timedelta(days=6)
    res = metrics.resolutions_daily(requests, week_start, today)
    times = metrics.resolution_times(requests, week_start, today)
    resolved = int(res["resolved"].sum()) if res.height else 0
    within = int(res["resolved_within_sla"].sum()) if res.height else 0
    ageing = views.ageing_totals(requests, now)
    return RequestHeadline(
        open_requests=sum(ageing.values()),
        overdue=views.overdue(requests, now).height,
        resolved_7d=resolved,
        within_sla_pct_7d=100.0 * within / resolved if resolved else None,
        median_days_7d=float(times["days_to_resolve"].median()) if times.height else None,
        open_over_30_days=ageing["31–60"] + ageing["60+"],
    )
