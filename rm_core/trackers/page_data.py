"""What the tracker pages read: frames and exports in their own read transaction, and the figures shown at the
top, computed the way the WBR computes them (see metrics.py). Pages call these and never open a session."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from rm_core.store.db import read_session
from rm_core.store.models import utcnow
from rm_core.trackers import metrics, views
from rm_core.trackers.export import export_csv
from rm_core.trackers.sops import rollouts_frame, sops_frame


def now() -> dt.datetime:
    """The moment ages and SLA colours are measured against: UTC, naive like the stored times."""
    return utcnow()


def requests_snapshot(previous: views.RequestsSnapshot | None = None) -> views.RequestsSnapshot:
    """`views.refresh_requests` over the configured database: only what changed since `previous` is read."""
    with read_session() as session:
        return views.refresh_requests(session, previous)


def tracker_version() -> tuple[int, int, int]:
    """`views.data_version`: changes whenever tracker data changes (a cache key)."""
    with read_session() as session:
        return views.data_version(session)


def current_gaps() -> pl.DataFrame:
    """`views.gaps_frame`: every gap with its evidence count."""
    with read_session() as session:
        return views.gaps_frame(session)


def current_sops() -> tuple[pl.DataFrame, pl.DataFrame]:
    """(`sops_frame`, `rollouts_frame`), read in one transaction so they agree."""
    with read_session() as session:
        return sops_frame(session), rollouts_frame(session)


def export_table(what: str) -> str:
    """`export_csv` of `requests`, `gaps` or `sops` (formula cells neutralised)."""
    with read_session() as session:
        return export_csv(session, what)


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
