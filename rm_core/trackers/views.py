"""What the tracker pages show, as polars frames: queue by SLA risk, ageing, trend, time to resolve, gap loop.

Load once with `requests_frame` / `gaps_frame` (one query each), then every view is a pure function of the
frame and `now`, so a page rerun only recomputes what it shows.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rm_core.store.models import AuditEvent, Gap, GapEvidence, Request
from rm_core.trackers.gaps import LOOP_STAGES
from rm_core.trackers.gaps import OPEN_STATUSES as OPEN_GAP_STATUSES
from rm_core.trackers.requests import OPEN_STATUSES
from rm_core.trackers.sla import (AGEING_BUCKETS, SLA_COLOURS, age_days_expr, bucket_expr, colour_expr,
                                  remaining_fraction_expr)

REQUEST_SCHEMA = {
    "id": pl.String, "kind": pl.String, "title": pl.String, "requester_team": pl.String, "priority": pl.String,
    "owner": pl.String, "site": pl.String, "status": pl.String, "opened_at": pl.Datetime("us"),
    "sla_due": pl.Datetime("us"), "resolved_at": pl.Datetime("us"), "closed_at": pl.Datetime("us"),
    "root_cause_category": pl.String, "mo_id": pl.String, "gap_id": pl.String,
}
GAP_SCHEMA = {
    "id": pl.String, "title": pl.String, "owning_team": pl.String, "status": pl.String,
    "impact_accounts": pl.Int64, "impact_usd": pl.Float64, "identified_at": pl.Datetime("us"),
    "quantified_at": pl.Datetime("us"), "accepted_at": pl.Datetime("us"), "started_at": pl.Datetime("us"),
    "closed_at": pl.Datetime("us"), "initiative_id": pl.String, "measured_accounts": pl.Int64,
    "measured_usd": pl.Float64,
}


def data_version(session: Session) -> tuple[int, int, int]:
    """Changes whenever tracker data changes (every write records an audit event): a cache key for pages."""
    return (session.scalar(select(func.max(AuditEvent.id))) or 0,
            session.scalar(select(func.count()).select_from(Request)) or 0,
            session.scalar(select(func.count()).select_from(Gap)) or 0)


def _columns_frame(rows: list[tuple], schema: dict) -> pl.DataFrame:
    """Build column by column: far faster than row objects, and SQLite's date-time text parses vectorised."""
    if not rows:
        return pl.DataFrame(schema=schema)
    data = []
    for (name, dtype), values in zip(schema.items(), zip(*rows)):
        if isinstance(dtype, pl.Datetime):
            series = pl.Series(name, values)
            if series.dtype == pl.String:
                series = series.str.to_datetime(time_unit="us", format="%Y-%m-%d %H:%M:%S%.f", strict=False)
            elif series.dtype == pl.Null:
                series = series.cast(dtype)
            data.append(series.cast(dtype))
        else:
            data.append(pl.Series(name, values, dtype=dtype))
    return pl.DataFrame(data)


def _frame(session: Session, model, schema: dict, where=None) -> pl.DataFrame:
    # Raw driver rows: SQLAlchemy's per-value type processing dominates at 50k rows.
    query = select(*[getattr(model, name) for name in schema])
    if where is not None:
        query = query.where(where)
    compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    rows = session.connection().exec_driver_sql(str(compiled)).fetchall()
    return _columns_frame(rows, schema)


def requests_frame(session: Session) -> pl.DataFrame:
    """Every request, one row each, with the REQUEST_SCHEMA columns (description and notes left out)."""
    return _frame(session, Request, REQUEST_SCHEMA)


@dataclass(frozen=True)
class RequestsSnapshot:
    """The requests frame as of audit event `event_id` with `rows` requests: what a page keeps between reruns."""

    frame: pl.DataFrame
    event_id: int
    rows: int


INCREMENTAL_LIMIT = 2_000


def refresh_requests(session: Session, previous: RequestsSnapshot | None = None) -> RequestsSnapshot:
    """The current requests frame, re-reading only what changed since `previous`.

    Every service write records an audit event naming the request, so after an edit only those rows are read
    again; an import, a large batch or rows written without events (seeding) fall back to a full read.
    """
    event_id = session.scalar(select(func.max(AuditEvent.id))) or 0
    rows = session.scalar(select(func.count()).select_from(Request)) or 0
    if previous is not None and (previous.event_id, previous.rows) == (event_id, rows):
        return previous
    if previous is not None and event_id > previous.event_id:
        changed = session.execute(select(AuditEvent.record_id, AuditEvent.action).where(
            AuditEvent.id > previous.event_id, AuditEvent.record_type == "request")).all()
        ids = {rid for rid, _ in changed}
        if len(ids) <= INCREMENTAL_LIMIT and not any(a == "request.import" for _, a in changed):
            fresh = _frame(session, Request, REQUEST_SCHEMA, Request.id.in_(sorted(ids))) if ids else None
            frame = previous.frame
            if fresh is not None:
                frame = pl.concat([frame.filter(~pl.col("id").is_in(list(ids))), fresh])
            if frame.height == rows:
                return RequestsSnapshot(frame, event_id, rows)
    return RequestsSnapshot(requests_frame(session), event_id, rows)


def gaps_frame(session: Session) -> pl.DataFrame:
    """Every gap with the GAP_SCHEMA columns plus `evidence` (number of linked requests and MOs)."""
    gaps = _frame(session, Gap, GAP_SCHEMA)
    counts = session.execute(select(GapEvidence.gap_id, func.count()).group_by(GapEvidence.gap_id)).all()
    evidence = pl.DataFrame(counts, schema={"id": pl.String, "evidence": pl.Int64}, orient="row")
    return gaps.join(evidence, on="id", how="left").with_columns(pl.col("evidence").fill_null(0))


# --- requests ----------------------------------------------------------------------------------------------

def with_sla(requests: pl.DataFrame, now: dt.datetime) -> pl.DataFrame:
    """Adds sla_left (share of the SLA window left; negative once breached), sla_colour, breached, age_days,
    age_bucket and days_to_due. Finished requests are judged at the moment they were resolved."""
    at = pl.coalesce(pl.col("resolved_at"), pl.lit(now))
    return (requests
            .with_columns(sla_left=remaining_fraction_expr(pl.col("opened_at"), pl.col("sla_due"), at),
                          breached=at > pl.col("sla_due"),
                          age_days=age_days_expr(pl.col("opened_at"), at),
                          days_to_due=(pl.col("sla_due") - pl.lit(now)).dt.total_hours() / 24.0)
            .with_columns(sla_colour=colour_expr(pl.col("sla_left")), age_bucket=bucket_expr(pl.col("age_days"))))


def open_requests(requests: pl.DataFrame) -> pl.DataFrame:
    return requests.filter(pl.col("status").is_in(OPEN_STATUSES))


def queue(requests: pl.DataFrame, now: dt.datetime, *, owner: str | None = None, kinds: list[str] | None = None,
          teams: list[str] | None = None, colours: list[str] | None = None) -> pl.DataFrame:
    """Open requests, most at risk first: breached (most overdue first), then least SLA left."""
    frame = open_requests(requests)
    if owner:
        frame = frame.filter(pl.col("owner") == owner)
    if kinds:
        frame = frame.filter(pl.col("kind").is_in(kinds))
    if teams:
        frame = frame.filter(pl.col("requester_team").is_in(teams))
    frame = with_sla(frame, now)
    if colours:
        frame = frame.filter(pl.col("sla_colour").is_in(colours))
    return frame.sort(["sla_left", "opened_at"])


def my_items(requests: pl.DataFrame, owner: str, now: dt.datetime) -> pl.DataFrame:
    return queue(requests, now, owner=owner)


def overdue(requests: pl.DataFrame, now: dt.datetime) -> pl.DataFrame:
    """Open requests past their SLA due time, most overdue first, with days_overdue."""
    return (queue(requests, now).filter(pl.col("breached"))
            .with_columns(days_overdue=-pl.col("days_to_due")).sort("days_overdue", descending=True))


def ageing(requests: pl.DataFrame, now: dt.datetime) -> pl.DataFrame:
    """Open requests by age_bucket × sla_colour (every combination present, zeros included): age_bucket,
    sla_colour, requests — the ageing chart."""
    frame = with_sla(open_requests(requests), now)
    counts = frame.group_by("age_bucket", "sla_colour").agg(requests=pl.len().cast(pl.Int64))
    grid = pl.DataFrame({"age_bucket": list(AGEING_BUCKETS)}).join(
        pl.DataFrame({"sla_colour": list(SLA_COLOURS)}), how="cross")
    return (grid.join(counts, on=["age_bucket", "sla_colour"], how="left")
            .with_columns(pl.col("requests").fill_null(0)))


def ageing_totals(requests: pl.DataFrame, now: dt.datetime) -> dict[str, int]:
    """Open requests per age bucket, in bucket order."""
    totals = ageing(requests, now).group_by("age_bucket").agg(pl.col("requests").sum())
    found = dict(totals.iter_rows())
    return {b: int(found.get(b, 0)) for b in AGEING_BUCKETS}


def _week_start(expr: pl.Expr) -> pl.Expr:
    return expr.dt.date().dt.truncate("1w")  # weeks start on Monday


def weekly_trend(requests: pl.DataFrame, now: dt.datetime, weeks: int = 12) -> pl.DataFrame:
    """week (Monday), created, resolved, open_at_end for the last `weeks` weeks, the current week included."""
    this_week = now.date() - dt.timedelta(days=now.weekday())
    first = this_week - dt.timedelta(weeks=weeks - 1)
    grid = pl.DataFrame({"week": pl.date_range(first, this_week, "1w", eager=True)})
    created = (requests.with_columns(week=_week_start(pl.col("opened_at")))
               .group_by("week").agg(created=pl.len().cast(pl.Int64)))
    resolved = (requests.filter(pl.col("resolved_at").is_not_null())
                .with_columns(week=_week_start(pl.col("resolved_at")))
                .group_by("week").agg(resolved=pl.len().cast(pl.Int64)))
    out = (grid.join(created, on="week", how="left").join(resolved, on="week", how="left")
           .with_columns(pl.col("created").fill_null(0), pl.col("resolved").fill_null(0)))
    # Open at the end of each week: opened before the week ended and not resolved by then.
    ends = [dt.datetime.combine(w + dt.timedelta(days=7), dt.time()) for w in out["week"]]
    opened = requests["opened_at"].sort()
    resolved_at = requests["resolved_at"].drop_nulls().sort()
    open_at_end = [int(opened.search_sorted(e, side="left")) - int(resolved_at.search_sorted(e, side="left"))
                   for e in ends]
    return out.with_columns(open_at_end=pl.Series(open_at_end, dtype=pl.Int64))


def time_to_resolve(requests: pl.DataFrame, *, since: dt.datetime | None = None,
                    by: tuple[str, ...] = ("kind", "requester_team")) -> pl.DataFrame:
    """Resolved requests grouped `by`: resolved, median_days, p90_days, within_sla_pct (resolved by the due
    time), sorted slowest first. `since` keeps requests resolved from then on."""
    done = requests.filter(pl.col("resolved_at").is_not_null())
    if since is not None:
        done = done.filter(pl.col("resolved_at") >= since)
    days = (pl.col("resolved_at") - pl.col("opened_at")).dt.total_seconds() / 86_400.0
    return (done.group_by(list(by))
            .agg(resolved=pl.len().cast(pl.Int64), median_days=days.median(), p90_days=days.quantile(0.9),
                 within_sla_pct=100.0 * (pl.col("resolved_at") <= pl.col("sla_due")).mean())
            .sort("median_days", descending=True))


# --- gaps --------------------------------------------------------------------------------------------------

def open_gaps_by_team(gaps: pl.DataFrame) -> pl.DataFrame:
    """owning_team, open_gaps, quantified (open gaps with an impact), impact_accounts, impact_usd — largest
    exposure first."""
    return (gaps.filter(pl.col("status").is_in(OPEN_GAP_STATUSES)).group_by("owning_team")
            .agg(open_gaps=pl.len().cast(pl.Int64), quantified=pl.col("impact_usd").is_not_null().sum(),
                 impact_accounts=pl.col("impact_accounts").sum(), impact_usd=pl.col("impact_usd").sum())
            .sort("impact_usd", "open_gaps", descending=True))


def _quarter(expr: pl.Expr) -> pl.Expr:
    return pl.format("{}-Q{}", expr.dt.year(), expr.dt.quarter())


def loop_funnel(gaps: pl.DataFrame) -> pl.DataFrame:
    """Per quarter the gaps were identified in: quarter, stage (identified → quantified → accepted → closed),
    stage_order, gaps that reached the stage, pct_of_identified. A gap counts at every stage it passed."""
    reached = {"identified": pl.len(), "quantified": pl.col("quantified_at").is_not_null().sum(),
               "accepted": pl.col("accepted_at").is_not_null().sum(),
               "closed": pl.col("closed_at").is_not_null().sum()}
    wide = (gaps.with_columns(quarter=_quarter(pl.col("identified_at"))).group_by("quarter")
            .agg(**{stage: expr.cast(pl.Int64) for stage, expr in reached.items()}))
    long = wide.unpivot(index="quarter", on=list(LOOP_STAGES), variable_name="stage", value_name="gaps")
    order = {s: i for i, s in enumerate(LOOP_STAGES)}
    return (long.join(wide.select("quarter", "identified"), on="quarter")
            .with_columns(stage_order=pl.col("stage").replace_strict(order, return_dtype=pl.Int64),
                          pct_of_identified=100.0 * pl.col("gaps") / pl.col("identified"))
            .drop("identified").sort("quarter", "stage_order"))


STAGE_SPANS = (("identified", "identified_at", "quantified_at"), ("quantified", "quantified_at", "accepted_at"),
               ("accepted", "accepted_at", "started_at"), ("in_progress", "started_at", "closed_at"))


def stage_times(gaps: pl.DataFrame, now: dt.datetime) -> pl.DataFrame:
    """Time spent in each stage: stage, passed (gaps that left the stage), median_days and mean_days among
    them, waiting (gaps in the stage now) and waiting_median_days (how long they have been there)."""
    rows = []
    for stage, start, end in STAGE_SPANS:
        spans = gaps.filter(pl.col(start).is_not_null() & pl.col(end).is_not_null()).select(
            d=(pl.col(end) - pl.col(start)).dt.total_seconds() / 86_400.0)["d"]
        waiting = gaps.filter(pl.col("status") == stage).select(
            d=(pl.lit(now) - pl.col(start)).dt.total_seconds() / 86_400.0)["d"]
        rows.append({"stage": stage, "passed": spans.len(), "median_days": spans.median(),
                     "mean_days": spans.mean(), "waiting": waiting.len(), "waiting_median_days": waiting.median()})
    return pl.DataFrame(rows, schema={"stage": pl.String, "passed": pl.Int64, "median_days": pl.Float64,
                                      "mean_days": pl.Float64, "waiting": pl.Int64,
                                      "waiting_median_days": pl.Float64})


def gap_list(gaps: pl.DataFrame, *, statuses: list[str] | None = None, teams: list[str] | None = None) -> pl.DataFrame:
    frame = gaps
    if statuses:
        frame = frame.filter(pl.col("status").is_in(statuses))
    if teams:
        frame = frame.filter(pl.col("owning_team").is_in(teams))
    return frame.sort(pl.col("impact_usd").fill_null(-1.0), "identified_at", descending=[True, False])
