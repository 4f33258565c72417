"""The Risk Mining deck's data: one DAILY polars frame built from the workbench's own records.

`build_risk_data` reads MOs, rules (with the current hit log), requests, gaps and SOPs once and lays them out as
rows of (Date, site, team, abuse_type, value columns…). Every value column adds up across rows of the same day —
events are counted on their day, stocks (requests open at the end of a day) are counted on every day they hold
— so a filter on any dimension followed by `daily_for` (sum per day) recomputes every metric exactly. Durations
whose median the deck reports (days to identify an MO) cannot be summed: they stay one row per record in
`samples`, and `daily_for` appends the rows the filters keep beside the day's sums.

A dimension that does not apply to a source (abuse type for SOP parity) is null, and a filter on it keeps
those rows: filtering on an abuse type does not blank SOP parity. The `team` dimension is the team involved:
the RM team of the site for MOs and rules, the requester team for requests, the owning team for gaps and the
rollout team for SOPs.

`records` keeps the rows behind each column (MOs, requests, rules, gaps, SOP cells) for the drill-down.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from rm_core.metrics.dataload import DATE_COLUMN
from rm_core.store.models import (MO, SOP, AIUsage, DemoMeta, Gap, GapEvidence, HitLog, IntakeIdea, Request, Rule,
                                  RuleEvent, RuleMO, SOPRollout)
from rm_core.trackers.sla import BUCKET_BOUNDS

DIMENSIONS = ("site", "team", "abuse_type")
DIMENSION_LABELS = {"site": "Site", "team": "Team", "abuse_type": "Abuse type"}
UNLINKED = "unlinked"
HISTORY_DAYS = 800  # twelve trailing months plus their prior year, and a little before
ESCALATION_KINDS = ("sev2_action", "coe_action", "exec_escalation")
BUCKET_COLUMNS = {name: "partner_open_" + name.replace("–", "_").replace("+", "_plus")
                  for name, _, _ in BUCKET_BOUNDS}
SOP_TEAM_SITES = {"RM India": "India", "RM Costa Rica": "Costa Rica"}
# the intake's sites, each with its own "submitted" column so one week's table shows them side by side
INTAKE_SITE_COLUMNS = {"India": "intake_submitted_india", "Costa Rica": "intake_submitted_costa_rica",
                       "Partner team": "intake_submitted_partner_team"}
NO_SITE = "no site"

# column -> what it counts (the drill-down and the deck's descriptions read this)
VALUE_COLUMNS: dict[str, str] = {
    "mos_documented": "MOs documented that day",
    "mos_mitigated": "MOs mitigated that day",
    "mos_known": "documented MOs not retired, at the end of the day",
    "mos_actioned": "documented MOs not retired that are actioned (a live covering rule, or mitigated) at the end "
                    "of the day",
    "mos_ai_assisted": "MOs documented that day whose source is ai_assist (saved from an AI-assist draft)",
    "hits_confirmed_bad": "rule hits labelled confirmed bad",
    "hits_false_positive": "rule hits labelled false positive",
    "rules_retired": "rules retired that day",
    "partner_open": "partner requests open at the end of the day",
    **{col: f"partner requests open at the end of the day, {name} days old" for name, col in BUCKET_COLUMNS.items()},
    "partner_resolved": "partner requests resolved that day",
    "partner_resolved_within_sla": "partner requests resolved that day on or before their SLA due time",
    "escalations_overdue": "Sev2 / COE / executive escalation action items open past their SLA at the end of the day",
    "gaps_identified": "upstream gaps identified that day",
    "gaps_quantified": "upstream gaps whose impact was quantified that day",
    "gaps_closed": "upstream gaps closed that day",
    "gaps_closed_quantified": "upstream gaps closed that day that carry a quantified impact",
    "gap_impact_usd": "impact ($) of the gaps quantified that day",
    "sop_cells": "SOP × team cells that should run the SOP (at the end of the day)",
    "sop_cells_live": "SOP × team cells live on the SOP's current version (at the end of the day)",
    "ai_assists": "AI-assisted actions logged that day (MO drafts, answers, theme names, summaries, narratives)",
    "ai_drafts_decided": "AI MO drafts the analyst decided on that day (accepted, edited or discarded)",
    "ai_drafts_kept": "AI MO drafts saved as an MO that day, as drafted or edited",
    "ai_minutes_saved": "analyst minutes saved that day: for each MO saved from an AI draft, the median minutes from "
                        "notes to saved MO without assist (whole usage log) minus that MO's minutes, floored at 0",
    "intake_submitted": "ideas submitted to the intake that day",
    **{col: f"ideas submitted to the intake that day from {site}" for site, col in INTAKE_SITE_COLUMNS.items()},
    "intake_decided": "intake ideas decided that day (their latest accept, merge or decline)",
    "intake_accepted": "intake ideas accepted for OP1 that day (and still accepted)",
}

# column -> what one row holds: one value per record, never summed (medians are taken over these rows)
SAMPLE_COLUMNS: dict[str, str] = {
    "identification_days": "days from first signal (first seen) to documented, one row per MO documented that day",
    "mitigation_days": "days from documented to mitigated, one row per MO mitigated that day",
    "minutes_to_mo_assisted": "minutes from notes to saved MO with an AI draft, one row per MO saved that day",
    "minutes_to_mo_unassisted": "minutes from notes to saved MO without a draft, one row per MO saved that day",
    "intake_triage_days": "days from an idea's submission to its first triage move, one row per idea triaged that day",
}
COLUMN_DESCRIPTIONS = {**VALUE_COLUMNS, **SAMPLE_COLUMNS}


@dataclass(frozen=True)
class DrillSpec:
    """Where the rows behind a value column live: a record frame, and how a row belongs to a week."""

    records: str          # key of RiskData.records
    kind: str             # "event": its `on` date falls in the week; "open": open at the week's end
    on: str               # event date column, or the column the open span starts on
    until: str | None = None      # open span end (exclusive), null = still open
    where: pl.Expr | None = None  # extra condition on the record rows


def _drill_specs() -> dict[str, DrillSpec]:
    specs = {
        "mos_documented": DrillSpec("mos", "event", "documented_at"),
        "identification_days": DrillSpec("mos", "event", "documented_at"),
        "mos_known": DrillSpec("mos", "open", "documented_at", where=pl.col("status") != "retired"),
        "mos_actioned": DrillSpec("mos", "open", "actioned_at", where=pl.col("status") != "retired"),
        "mos_ai_assisted": DrillSpec("mos", "event", "documented_at", where=pl.col("source") == "ai_assist"),
        "mos_mitigated": DrillSpec("mos", "event", "mitigated_at"),
        "ai_assists": DrillSpec("ai_usage", "event", DATE_COLUMN, where=pl.col("method") != "manual"),
        "ai_drafts_decided": DrillSpec("ai_usage", "event", "decided", where=pl.col("assisted_draft")),
        "ai_drafts_kept": DrillSpec("ai_usage", "event", "decided",
                                    where=pl.col("assisted_draft") & pl.col("outcome").is_in(["accepted", "edited"])),
        "ai_minutes_saved": DrillSpec("ai_usage", "event", "decided", where=pl.col("minutes_saved") > 0),
        "minutes_to_mo_assisted": DrillSpec("ai_usage", "event", "decided",
                                            where=pl.col("assisted_draft") & pl.col("minutes").is_not_null()),
        "minutes_to_mo_unassisted": DrillSpec("ai_usage", "event", "decided", where=pl.col("method") == "manual"),
        "mitigation_days": DrillSpec("mos", "event", "mitigated_at"),
        "hits_confirmed_bad": DrillSpec("rule_days", "event", DATE_COLUMN),
        "hits_false_positive": DrillSpec("rule_days", "event", DATE_COLUMN),
        "rules_retired": DrillSpec("retirements", "event", DATE_COLUMN),
        "partner_open": DrillSpec("requests", "open", "opened", "resolved", pl.col("kind") == "partner_request"),
        "partner_resolved": DrillSpec("requests", "event", "resolved", where=pl.col("kind") == "partner_request"),
        "partner_resolved_within_sla": DrillSpec("requests", "event", "resolved",
                                                 where=pl.col("kind") == "partner_request"),
        "escalations_overdue": DrillSpec("requests", "open", "overdue_from", "resolved",
                                         pl.col("kind").is_in(ESCALATION_KINDS)),
        "gaps_identified": DrillSpec("gaps", "event", "identified"),
        "gaps_quantified": DrillSpec("gaps", "event", "quantified"),
        "gap_impact_usd": DrillSpec("gaps", "event", "quantified"),
        "gaps_closed": DrillSpec("gaps", "event", "closed"),
        "gaps_closed_quantified": DrillSpec("gaps", "event", "closed", where=pl.col("impact_usd").is_not_null()),
        "sop_cells": DrillSpec("sop_cells", "open", "from"),
        "intake_submitted": DrillSpec("intake", "event", "submitted"),
        **{col: DrillSpec("intake", "event", "submitted", where=pl.col("site") == site)
           for site, col in INTAKE_SITE_COLUMNS.items()},
        "intake_triage_days": DrillSpec("intake", "event", "triaged"),
        "intake_decided": DrillSpec("intake", "event", "decided"),
        "intake_accepted": DrillSpec("intake", "event", "decided", where=pl.col("status") == "accepted"),
        "sop_cells_live": DrillSpec("sop_cells", "open", "live_from"),
    }
    for name, lo, hi in BUCKET_BOUNDS:
        specs[BUCKET_COLUMNS[name]] = DrillSpec("requests", "open", "opened", "resolved",
                                                pl.col("kind") == "partner_request")
    return specs


DRILL_SPECS = _drill_specs()


@dataclass(frozen=True)
class RiskData:
    """The deck's daily frame and the record frames behind it.

    `daily`: Date, site, team, abuse_type (String, null = does not apply), then the VALUE_COLUMNS (Float64).
    `start`/`end`: the calendar the frame covers (every day between counts, even without rows).
    `samples`: Date, the dimensions and the SAMPLE_COLUMNS, one row per record (a value column null where the
    row is about another one).
    """

    daily: pl.DataFrame
    records: dict[str, pl.DataFrame]
    start: dt.date
    end: dt.date
    samples: pl.DataFrame = field(default_factory=pl.DataFrame)
    options: dict[str, list[str]] = field(default_factory=dict)
    unavailable: frozenset[str] = frozenset()  # value columns no source fills here (shown as 0, but not charted)

    @property
    def is_empty(self) -> bool:
        values = [c for c in self.daily.columns if c not in (DATE_COLUMN, *DIMENSIONS)]
        return self.daily.is_empty() or not any(self.daily[c].sum() for c in values)

    def calendar(self) -> pl.Series:
        return pl.date_range(self.start, self.end, "1d", eager=True).alias(DATE_COLUMN)


# ----------------------------------------------------------------------------------------------------------------
# filtering and rolling up

def filter_rows(frame: pl.DataFrame, filters: dict[str, list[str]] | None) -> pl.DataFrame:
    """Rows whose dimensions are among the chosen values (a dimension that does not apply — null — is kept)."""
    for dim, allowed in (filters or {}).items():
        if allowed and dim in frame.columns:
            frame = frame.filter(pl.col(dim).is_in(list(allowed)) | pl.col(dim).is_null())
    return frame


def daily_for(data: RiskData, filters: dict[str, list[str]] | None = None) -> pl.DataFrame:
    """One row per calendar day with every value column summed over the rows the filters keep (0 when none),
    followed on the same day by the sample rows the filters keep (value columns null there, sample columns null
    on the day's sum row)."""
    values = [c for c in data.daily.columns if c not in (DATE_COLUMN, *DIMENSIONS)]
    rows = filter_rows(data.daily, filters)
    summed = rows.group_by(DATE_COLUMN).agg([pl.col(c).sum() for c in values])
    frame = (pl.DataFrame({DATE_COLUMN: data.calendar()}).join(summed, on=DATE_COLUMN, how="left")
             .with_columns([pl.col(c).fill_null(0.0).cast(pl.Float64) for c in values]))
    samples = [c for c in SAMPLE_COLUMNS if c in data.samples.columns]
    if samples:
        kept = filter_rows(data.samples, filters).select(DATE_COLUMN, *samples)
        frame = pl.concat([frame.with_columns([pl.lit(None, pl.Float64).alias(c) for c in samples]),
                           kept.select(DATE_COLUMN, *[pl.lit(None, pl.Float64).alias(c) for c in values],
                                       *samples)], how="vertical")
    return frame.sort(DATE_COLUMN, maintain_order=True)


def rows_behind(data: RiskData, column: str, week_ending: dt.date,
                filters: dict[str, list[str]] | None = None) -> pl.DataFrame:
    """The records behind a value column's number for the week ending `week_ending` (inclusive, seven days)."""
    spec = DRILL_SPECS.get(column)
    if spec is None or spec.records not in data.records:
        return pl.DataFrame()
    frame = filter_rows(data.records[spec.records], filters)
    week_start = week_ending - dt.timedelta(days=6)
    if spec.where is not None:
        frame = frame.filter(spec.where)
    if spec.kind == "event":
        frame = frame.filter(pl.col(spec.on).is_between(week_start, week_ending))
    else:
        frame = frame.filter(pl.col(spec.on).is_not_null() & (pl.col(spec.on) <= week_ending))
        if spec.until:
            frame = frame.filter(pl.col(spec.until).is_null() | (pl.col(spec.until) > week_ending))
    if column in BUCKET_COLUMNS.values():
        name = next(n for n, c in BUCKET_COLUMNS.items() if c == column)
        lo, hi = next((lo, hi) for n, lo, hi in BUCKET_BOUNDS if n == name)
        age = (pl.lit(week_ending) - pl.col("opened")).dt.total_days()
        frame = frame.filter((age >= lo) & ((age <= hi) if hi is not None else pl.lit(True)))
    return frame


# ----------------------------------------------------------------------------------------------------------------
# building blocks

def _events(frame: pl.DataFrame, on: str, values: dict[str, pl.Expr]) -> pl.DataFrame:
    """Daily sums of `values` over the rows of `frame`, dated by column `on` (rows without a date left out)."""
    # values are laid out per row first: a literal summed inside a group would count once, not once per row
    return (frame.filter(pl.col(on).is_not_null())
            .with_columns([expr.cast(pl.Float64).alias(f"__{name}") for name, expr in values.items()])
            .group_by(pl.col(on).alias(DATE_COLUMN), *DIMENSIONS)
            .agg([pl.col(f"__{name}").sum().alias(name) for name in values]))


def _stock(frame: pl.DataFrame, start: str, end: str | None, column: str, first: dt.date,
           last: dt.date) -> pl.DataFrame:
    """Rows held on each day d with start <= d < end (end null = still held): a count per day and dimensions."""
    end_expr = pl.col(end) if end else pl.lit(None, dtype=pl.Date)
    far = last + dt.timedelta(days=1)
    begin = pl.when(pl.col(start).is_not_null()).then(pl.max_horizontal(pl.col(start), pl.lit(first)))
    spans = (frame.select(*DIMENSIONS, s=begin,
                          e=pl.min_horizontal(end_expr.fill_null(far), pl.lit(far)))
             .filter(pl.col("s").is_not_null() & (pl.col("s") < pl.col("e"))))
    if spans.is_empty():
        return pl.DataFrame(schema={DATE_COLUMN: pl.Date, **{d: pl.String for d in DIMENSIONS}, column: pl.Float64})
    deltas = pl.concat([spans.select(*DIMENSIONS, d=pl.col("s"), delta=pl.lit(1, pl.Int64)),
                        spans.filter(pl.col("e") <= last).select(*DIMENSIONS, d=pl.col("e"),
                                                                  delta=pl.lit(-1, pl.Int64))])
    deltas = deltas.group_by(*DIMENSIONS, "d").agg(pl.col("delta").sum())
    days = pl.DataFrame({"d": pl.date_range(first, last, "1d", eager=True)})
    grid = deltas.select(DIMENSIONS).unique().join(days, how="cross")
    return (grid.join(deltas, on=[*DIMENSIONS, "d"], how="left", nulls_equal=True)
            .with_columns(pl.col("delta").fill_null(0))
            .sort(*DIMENSIONS, "d")
            .with_columns(pl.col("delta").cum_sum().over(list(DIMENSIONS)).cast(pl.Float64).alias(column))
            .filter(pl.col(column) != 0)
            .select(pl.col("d").alias(DATE_COLUMN), *DIMENSIONS, column))


def _date(expr: pl.Expr) -> pl.Expr:
    return expr.dt.date()


# ----------------------------------------------------------------------------------------------------------------
# the sources

def _mo_records(session: Session) -> pl.DataFrame:
    # an MO is actioned from the day a covering rule that is still live was created (not before it was
    # documented), or from its mitigation, whichever came first
    covered = pl.DataFrame(session.execute(
        select(RuleMO.mo_id, Rule.created_at).join(Rule, Rule.id == RuleMO.rule_id)
        .where(Rule.status != "retired")).all(), orient="row", schema={"mo_id": pl.String, "rule_from": pl.Date})
    covered = covered.group_by("mo_id").agg(pl.col("rule_from").min())
    rows = session.execute(select(MO.id, MO.title, MO.site, MO.abuse_family, MO.status, MO.severity, MO.source,
                                  MO.owner, MO.first_seen, MO.documented_at, MO.mitigated_at)).all()
    frame = pl.DataFrame(rows, orient="row", schema={
        "mo_id": pl.String, "title": pl.String, "site": pl.String, "abuse_type": pl.String, "status": pl.String,
        "severity": pl.String, "source": pl.String, "owner": pl.String, "first_seen": pl.Date,
        "documented_at": pl.Date, "mitigated_at": pl.Date})
    return frame.join(covered, on="mo_id", how="left").with_columns(
        team=pl.concat_str(pl.lit("RM "), pl.col("site")),
        identification_days=(pl.col("documented_at") - pl.col("first_seen")).dt.total_days().cast(pl.Float64),
        mitigation_days=(pl.col("mitigated_at") - pl.col("documented_at")).dt.total_days().cast(pl.Float64),
        actioned_at=pl.min_horizontal(
            pl.when(pl.col("rule_from").is_not_null() & pl.col("documented_at").is_not_null())
            .then(pl.max_horizontal("rule_from", "documented_at")), pl.col("mitigated_at")),
    ).drop("rule_from")


def _mo_daily(mos: pl.DataFrame, first: dt.date, last: dt.date) -> list[pl.DataFrame]:
    live = mos.filter(pl.col("status") != "retired")
    return [
        _stock(live, "documented_at", None, "mos_known", first, last),
        _stock(live, "actioned_at", None, "mos_actioned", first, last),
        _events(mos, "documented_at", {
            "mos_documented": pl.lit(1),
            "mos_ai_assisted": (pl.col("source") == "ai_assist").cast(pl.Int64)}),
        _events(mos, "mitigated_at", {"mos_mitigated": pl.lit(1)}),
    ]


def _mo_samples(mos: pl.DataFrame, first: dt.date, last: dt.date) -> pl.DataFrame:
    """One row per MO documented (its identification days) and per MO mitigated (its mitigation days)."""
    parts = [mos.filter(pl.col(on).is_not_null() & pl.col(column).is_not_null())
             .select(pl.col(on).alias(DATE_COLUMN), *DIMENSIONS, pl.col(column).cast(pl.Float64))
             for on, column in (("documented_at", "identification_days"), ("mitigated_at", "mitigation_days"))]
    return (pl.concat(parts, how="diagonal").filter(pl.col(DATE_COLUMN).is_between(first, last))
            .select(DATE_COLUMN, *[pl.col(d).cast(pl.String) for d in DIMENSIONS], "identification_days",
                    "mitigation_days")
            .sort(DATE_COLUMN, *DIMENSIONS, nulls_last=True))


def _rule_dims(session: Session, mos: pl.DataFrame) -> pl.DataFrame:
    """rule_id, name, owner, status and the dimensions of the MO it primarily covers (unlinked when none)."""
    rules = pl.DataFrame(session.execute(select(Rule.id, Rule.name, Rule.owner, Rule.status)).all(), orient="row",
                         schema={"rule_id": pl.String, "rule": pl.String, "owner": pl.String, "status": pl.String})
    links = pl.DataFrame(session.execute(select(RuleMO.rule_id, RuleMO.mo_id, RuleMO.role)).all(), orient="row",
                         schema={"rule_id": pl.String, "mo_id": pl.String, "role": pl.String})
    primary = (links.sort("role", "mo_id").group_by("rule_id", maintain_order=True).first()
               .join(mos.select("mo_id", "site", "team", "abuse_type"), on="mo_id", how="left"))
    return (rules.join(primary.select("rule_id", "mo_id", "site", "team", "abuse_type"), on="rule_id", how="left")
            .with_columns([pl.col(d).fill_null(UNLINKED) for d in DIMENSIONS]))


def _current_hit_log(session: Session) -> Path | None:
    from rm_core.rules.logs import stored_hit_log_path

    row = session.execute(select(HitLog.path).where(HitLog.current.is_(True)).order_by(HitLog.id.desc())).first()
    path = stored_hit_log_path(row[0]) if row else None
    return path if path is not None and path.exists() else None


def _rule_days(path: Path | None, rules: pl.DataFrame, first: dt.date, last: dt.date) -> pl.DataFrame:
    """Per day and rule: hits, confirmed bad, false positives (from the Parquet/CSV hit log, read lazily)."""
    schema = {DATE_COLUMN: pl.Date, "rule_id": pl.String, "hits": pl.Int64, "hits_confirmed_bad": pl.Int64,
              "hits_false_positive": pl.Int64}
    if path is None:
        frame = pl.DataFrame(schema=schema)
    else:
        scan = pl.scan_parquet(path) if path.suffix == ".parquet" else pl.scan_csv(path, try_parse_dates=True)
        frame = (scan.with_columns(pl.col("event_time").cast(pl.Datetime("us")))
                 .filter(pl.col("event_time").dt.date().is_between(first, last))
                 .group_by(pl.col("event_time").dt.date().alias(DATE_COLUMN), pl.col("rule_id").cast(pl.String))
                 .agg(hits=pl.len().cast(pl.Int64),
                      hits_confirmed_bad=(pl.col("label") == "confirmed_bad").sum().cast(pl.Int64),
                      hits_false_positive=(pl.col("label") == "false_positive").sum().cast(pl.Int64))
                 .collect())
    return frame.join(rules.select("rule_id", "rule", *DIMENSIONS), on="rule_id", how="left").with_columns(
        [pl.col(d).fill_null(UNLINKED) for d in DIMENSIONS],
        precision=pl.when((pl.col("hits_confirmed_bad") + pl.col("hits_false_positive")) > 0)
        .then(pl.col("hits_confirmed_bad") / (pl.col("hits_confirmed_bad") + pl.col("hits_false_positive"))))


def _retirements(session: Session, rules: pl.DataFrame) -> pl.DataFrame:
    rows = session.execute(select(RuleEvent.rule_id, RuleEvent.at, RuleEvent.actor, RuleEvent.reason,
                                  RuleEvent.approver).where(RuleEvent.to_status == "retired")).all()
    frame = pl.DataFrame(rows, orient="row", schema={"rule_id": pl.String, "at": pl.Datetime("us"),
                                                     "actor": pl.String, "reason": pl.String, "approver": pl.String})
    return (frame.with_columns(_date(pl.col("at")).alias(DATE_COLUMN)).drop("at")
            .join(rules.select("rule_id", "rule", *DIMENSIONS), on="rule_id", how="left")
            .with_columns([pl.col(d).fill_null(UNLINKED) for d in DIMENSIONS]))


def _request_records(session: Session, mos: pl.DataFrame) -> pl.DataFrame:
    rows = session.execute(select(Request.id, Request.kind, Request.title, Request.requester_team, Request.priority,
                                  Request.owner, Request.site, Request.status, Request.opened_at, Request.sla_due,
                                  Request.resolved_at, Request.mo_id)).all()
    frame = pl.DataFrame(rows, orient="row", schema={
        "request_id": pl.String, "kind": pl.String, "title": pl.String, "team": pl.String, "priority": pl.String,
        "owner": pl.String, "site": pl.String, "status": pl.String, "opened_at": pl.Datetime("us"),
        "sla_due": pl.Datetime("us"), "resolved_at": pl.Datetime("us"), "mo_id": pl.String})
    return (frame.join(mos.select("mo_id", "abuse_type"), on="mo_id", how="left")
            .with_columns(
                pl.col("abuse_type").fill_null(UNLINKED),
                pl.when(pl.col("site") == "").then(pl.lit(UNLINKED)).otherwise(pl.col("site")).alias("site"),
                opened=_date(pl.col("opened_at")), resolved=_date(pl.col("resolved_at")),
                # overdue from the day after the SLA fell due (a day counts at its end)
                overdue_from=_date(pl.col("sla_due")) + pl.duration(days=1),
                within_sla=pl.col("resolved_at") <= pl.col("sla_due")))


def _request_daily(requests: pl.DataFrame, first: dt.date, last: dt.date) -> list[pl.DataFrame]:
    partner = requests.filter(pl.col("kind") == "partner_request")
    out = [_stock(partner, "opened", "resolved", "partner_open", first, last)]
    for name, lo, hi in BUCKET_BOUNDS:
        aged = partner.with_columns(b_start=pl.col("opened") + pl.duration(days=lo),
                                    b_end=pl.min_horizontal(
                                        pl.col("resolved").fill_null(last + dt.timedelta(days=1)),
                                        (pl.col("opened") + pl.duration(days=hi + 1)) if hi is not None
                                        else pl.lit(last + dt.timedelta(days=1))))
        out.append(_stock(aged, "b_start", "b_end", BUCKET_COLUMNS[name], first, last))
    out.append(_events(partner, "resolved", {"partner_resolved": pl.lit(1),
                                             "partner_resolved_within_sla": pl.col("within_sla").cast(pl.Int64)}))
    escalations = requests.filter(pl.col("kind").is_in(ESCALATION_KINDS))
    out.append(_stock(escalations, "overdue_from", "resolved", "escalations_overdue", first, last))
    return out


def _gap_records(session: Session, mos: pl.DataFrame) -> pl.DataFrame:
    rows = session.execute(select(Gap.id, Gap.title, Gap.owning_team, Gap.status, Gap.impact_usd,
                                  Gap.impact_accounts, Gap.identified_at, Gap.quantified_at, Gap.closed_at,
                                  Gap.measured_usd)).all()
    frame = pl.DataFrame(rows, orient="row", schema={
        "gap_id": pl.String, "title": pl.String, "team": pl.String, "status": pl.String, "impact_usd": pl.Float64,
        "impact_accounts": pl.Int64, "identified_at": pl.Datetime("us"), "quantified_at": pl.Datetime("us"),
        "closed_at": pl.Datetime("us"), "measured_usd": pl.Float64})
    evidence = pl.DataFrame(session.execute(select(GapEvidence.gap_id, GapEvidence.mo_id)
                                            .where(GapEvidence.mo_id.is_not(None))).all(), orient="row",
                            schema={"gap_id": pl.String, "mo_id": pl.String})
    first_mo = (evidence.sort("gap_id", "mo_id").group_by("gap_id", maintain_order=True).first()
                .join(mos.select("mo_id", "site", "abuse_type"), on="mo_id", how="left"))
    return (frame.join(first_mo.select("gap_id", "site", "abuse_type"), on="gap_id", how="left")
            .with_columns(pl.col("site").fill_null(UNLINKED), pl.col("abuse_type").fill_null(UNLINKED),
                          identified=_date(pl.col("identified_at")), quantified=_date(pl.col("quantified_at")),
                          closed=_date(pl.col("closed_at"))))


def _gap_daily(gaps: pl.DataFrame) -> list[pl.DataFrame]:
    return [
        _events(gaps, "identified", {"gaps_identified": pl.lit(1)}),
        _events(gaps, "quantified", {"gaps_quantified": pl.lit(1),
                                     "gap_impact_usd": pl.col("impact_usd").fill_null(0)}),
        _events(gaps, "closed", {"gaps_closed": pl.lit(1),
                                 "gaps_closed_quantified": pl.col("impact_usd").is_not_null().cast(pl.Int64)}),
    ]


def _sop_cells(session: Session, first: dt.date) -> pl.DataFrame:
    """One row per SOP × team that should run it (retired cells left out): from when, and live on the current
    version from when (earlier versions are not kept, so a cell live today counts from its live date)."""
    rows = session.execute(select(SOPRollout.sop_id, SOP.title, SOP.version, SOPRollout.team, SOPRollout.status,
                                  SOPRollout.version, SOPRollout.live_date)
                           .join(SOP, SOP.id == SOPRollout.sop_id)).all()
    frame = pl.DataFrame(rows, orient="row", schema={
        "sop_id": pl.String, "title": pl.String, "current_version": pl.String, "team": pl.String,
        "status": pl.String, "team_version": pl.String, "live_date": pl.Date})
    return (frame.filter(pl.col("status") != "retired")
            .with_columns(
                site=pl.col("team").replace_strict(SOP_TEAM_SITES, default="partner teams"),
                abuse_type=pl.lit(None, dtype=pl.String),
                live_current=(pl.col("status") == "live")
                & (pl.col("team_version").is_null() | (pl.col("team_version") == pl.col("current_version"))),
                **{"from": pl.lit(first)})
            .with_columns(live_from=pl.when(pl.col("live_current")).then(pl.col("live_date").fill_null(first))))


def _ai_usage(session: Session, mos: pl.DataFrame) -> pl.DataFrame:
    """One row per AI usage log entry, with the dimensions of the MO it ended in (null when none) and, for MOs
    saved from a draft, the minutes saved against the median unassisted time (`ai_minutes_saved`'s method)."""
    rows = session.execute(select(AIUsage.id, AIUsage.at, AIUsage.actor, AIUsage.feature, AIUsage.method,
                                  AIUsage.outcome, AIUsage.decided_at, AIUsage.record_id, AIUsage.minutes,
                                  AIUsage.latency_ms)).all()
    frame = pl.DataFrame(rows, orient="row", schema={
        "usage_id": pl.Int64, "at": pl.Datetime, "actor": pl.String, "feature": pl.String, "method": pl.String,
        "outcome": pl.String, "decided_at": pl.Datetime, "mo_id": pl.String, "minutes": pl.Float64,
        "latency_ms": pl.Float64})
    manual = frame.filter((pl.col("method") == "manual") & pl.col("minutes").is_not_null())["minutes"]
    baseline = manual.median() if len(manual) else None
    frame = frame.join(mos.select("mo_id", *DIMENSIONS), on="mo_id", how="left").with_columns(
        pl.col("at").dt.date().alias(DATE_COLUMN), decided=pl.col("decided_at").dt.date(),
        assisted_draft=(pl.col("feature") == "mo_draft") & (pl.col("method") != "manual"))
    return frame.with_columns(minutes_saved=pl.when(
        pl.col("assisted_draft") & pl.col("minutes").is_not_null() & pl.lit(baseline is not None))
        .then(pl.max_horizontal(pl.lit(baseline if baseline is not None else 0.0) - pl.col("minutes"), pl.lit(0.0)))
        .otherwise(None))


def _ai_daily(usage: pl.DataFrame) -> list[pl.DataFrame]:
    """The AI ROI columns; none when nothing was ever logged (the deck then leaves the section out)."""
    if usage.is_empty():
        return []
    assisted = usage.filter(pl.col("method") != "manual")
    decided = usage.filter(pl.col("assisted_draft") & (pl.col("outcome") != "pending"))
    return [
        _events(assisted, DATE_COLUMN, {"ai_assists": pl.lit(1)}),
        _events(decided, "decided", {
            "ai_drafts_decided": pl.lit(1),
            "ai_drafts_kept": pl.col("outcome").is_in(["accepted", "edited"]).cast(pl.Int64),
            "ai_minutes_saved": pl.col("minutes_saved").fill_null(0.0)}),
    ]


def _ai_samples(usage: pl.DataFrame, first: dt.date, last: dt.date) -> pl.DataFrame:
    saved = usage.filter(pl.col("minutes").is_not_null() & pl.col("decided").is_not_null())
    return saved.select(pl.col("decided").alias(DATE_COLUMN), *[pl.col(d).cast(pl.String) for d in DIMENSIONS],
                        minutes_to_mo_assisted=pl.when(pl.col("assisted_draft")).then(pl.col("minutes")),
                        minutes_to_mo_unassisted=pl.when(pl.col("method") == "manual").then(pl.col("minutes"))
                        ).filter(pl.col(DATE_COLUMN).is_between(first, last))


def _intake_records(session: Session) -> pl.DataFrame:
    """One row per intake idea: its site and team (abuse type does not apply), when it was submitted, first
    triaged and (lastly) decided, in whole days as the deck counts them."""
    rows = session.execute(select(IntakeIdea.id, IntakeIdea.title, IntakeIdea.site, IntakeIdea.team,
                                  IntakeIdea.theme, IntakeIdea.status, IntakeIdea.submitter, IntakeIdea.submitted_at,
                                  IntakeIdea.triaged_at, IntakeIdea.decided_at)).all()
    frame = pl.DataFrame(rows, orient="row", schema={
        "idea_id": pl.String, "title": pl.String, "site": pl.String, "team": pl.String, "theme": pl.String,
        "status": pl.String, "submitter": pl.String, "submitted_at": pl.Datetime("us"),
        "triaged_at": pl.Datetime("us"), "decided_at": pl.Datetime("us")})
    return frame.with_columns(
        pl.when(pl.col("site") == "").then(pl.lit(NO_SITE)).otherwise(pl.col("site")).alias("site"),
        pl.when(pl.col("team") == "").then(pl.lit(None, pl.String)).otherwise(pl.col("team")).alias("team"),
        abuse_type=pl.lit(None, dtype=pl.String), submitted=_date(pl.col("submitted_at")),
        triaged=_date(pl.col("triaged_at")), decided=_date(pl.col("decided_at")),
    ).with_columns(intake_triage_days=(pl.col("triaged") - pl.col("submitted")).dt.total_days().cast(pl.Float64))


def _intake_daily(intake: pl.DataFrame) -> list[pl.DataFrame]:
    """The intake columns; none before the first idea (the deck then leaves the Idea intake section out)."""
    if intake.is_empty():
        return []
    return [
        _events(intake, "submitted", {"intake_submitted": pl.lit(1),
                                      **{col: (pl.col("site") == site).cast(pl.Int64)
                                         for site, col in INTAKE_SITE_COLUMNS.items()}}),
        _events(intake, "decided", {"intake_decided": pl.lit(1),
                                    "intake_accepted": (pl.col("status") == "accepted").cast(pl.Int64)}),
    ]


def _intake_samples(intake: pl.DataFrame, first: dt.date, last: dt.date) -> pl.DataFrame:
    return (intake.filter(pl.col("triaged").is_not_null() & pl.col("triaged").is_between(first, last))
            .select(pl.col("triaged").alias(DATE_COLUMN), *[pl.col(d).cast(pl.String) for d in DIMENSIONS],
                    "intake_triage_days"))


def data_end(session: Session) -> dt.date:
    """The last day the deck covers: the demo world's own "today" when seeded, else today."""
    anchor = session.get(DemoMeta, "demo.anchor")
    if anchor is not None:
        try:
            return dt.date.fromisoformat(anchor.value)
        except ValueError:
            pass
    return dt.date.today()


def build_risk_data(session: Session, *, end: dt.date | None = None, days: int = HISTORY_DAYS) -> RiskData:
    """Every source of the Risk Mining deck, from one read of the database and the current hit log."""
    last = end or data_end(session)
    first = last - dt.timedelta(days=days - 1)
    mos = _mo_records(session)
    rules = _rule_dims(session, mos)
    rule_days = _rule_days(_current_hit_log(session), rules, first, last)
    retirements = _retirements(session, rules)
    requests = _request_records(session, mos)
    gaps = _gap_records(session, mos)
    sop_cells = _sop_cells(session, first)

    parts: list[pl.DataFrame] = []
    parts += _mo_daily(mos, first, last)
    parts.append(rule_days.select(DATE_COLUMN, *DIMENSIONS, pl.col("hits_confirmed_bad").cast(pl.Float64),
                                  pl.col("hits_false_positive").cast(pl.Float64)))
    parts.append(_events(retirements, DATE_COLUMN, {"rules_retired": pl.lit(1)}))
    parts += _request_daily(requests, first, last)
    parts += _gap_daily(gaps)
    parts.append(_stock(sop_cells, "from", None, "sop_cells", first, last))
    parts.append(_stock(sop_cells, "live_from", None, "sop_cells_live", first, last))
    usage = _ai_usage(session, mos)
    parts += _ai_daily(usage)
    intake = _intake_records(session)
    parts += _intake_daily(intake)

    typed = []
    for part in parts:
        typed.append(part.with_columns(pl.col(DATE_COLUMN).cast(pl.Date),
                                       *[pl.col(d).cast(pl.String) for d in DIMENSIONS],
                                       *[pl.col(c).cast(pl.Float64) for c in part.columns
                                         if c not in (DATE_COLUMN, *DIMENSIONS)]))
    long = pl.concat(typed, how="diagonal_relaxed").filter(pl.col(DATE_COLUMN).is_between(first, last))
    values = [c for c in VALUE_COLUMNS if c in long.columns]
    missing = [c for c in VALUE_COLUMNS if c not in long.columns]
    daily = (long.with_columns([pl.lit(0.0).alias(c) for c in missing])
             .group_by(DATE_COLUMN, *DIMENSIONS)
             .agg([pl.col(c).fill_null(0).sum() for c in values + missing])
             .select(DATE_COLUMN, *DIMENSIONS, *VALUE_COLUMNS)
             .sort(DATE_COLUMN, *DIMENSIONS, nulls_last=True))
    options = {d: sorted(v for v in daily[d].unique().to_list() if v is not None) for d in DIMENSIONS}
    records = {
        "mos": mos.select("mo_id", "title", *DIMENSIONS, "status", "severity", "source", "owner", "first_seen",
                          "documented_at", "mitigated_at", "actioned_at", "identification_days", "mitigation_days"),
        "rule_days": rule_days.select(DATE_COLUMN, "rule_id", "rule", *DIMENSIONS, "hits", "hits_confirmed_bad",
                                      "hits_false_positive", "precision"),
        "retirements": retirements.select(DATE_COLUMN, "rule_id", "rule", *DIMENSIONS, "actor", "approver",
                                          "reason"),
        "requests": requests.select("request_id", "kind", "title", *DIMENSIONS, "priority", "owner", "status",
                                    "opened", "sla_due", "resolved", "within_sla", "overdue_from"),
        "gaps": gaps.select("gap_id", "title", *DIMENSIONS, "status", "impact_usd", "impact_accounts", "identified",
                            "quantified", "closed", "measured_usd"),
        "sop_cells": sop_cells.select("sop_id", "title", *DIMENSIONS, "status", "current_version", "team_version",
                                      "live_date", "from", "live_from"),
        "ai_usage": usage.select(DATE_COLUMN, "usage_id", "feature", "method", "actor", "outcome", "decided", "mo_id",
                                 *DIMENSIONS, "minutes", "minutes_saved", "latency_ms", "assisted_draft"),
        "intake": intake.select("idea_id", "title", *DIMENSIONS, "theme", "status", "submitter", "submitted",
                                "triaged", "decided", "intake_triage_days"),
    }
    return RiskData(daily=daily, records=records, start=first, end=last, options=options,
                    unavailable=frozenset(missing) | _samples_missing(usage)
                    | (frozenset() if intake["triaged"].is_not_null().any() else {"intake_triage_days"}),
                    samples=pl.concat([_mo_samples(mos, first, last), _ai_samples(usage, first, last),
                                       _intake_samples(intake, first, last)],
                                      how="diagonal_relaxed").select(DATE_COLUMN, *DIMENSIONS, *SAMPLE_COLUMNS)
                    .sort(DATE_COLUMN, *DIMENSIONS, nulls_last=True))


def _samples_missing(usage: pl.DataFrame) -> frozenset[str]:
    """Sample columns with no row at all (no MO saved from notes yet): their metrics are not charted."""
    saved = usage.filter(pl.col("minutes").is_not_null())
    return frozenset(c for c, present in (("minutes_to_mo_assisted", saved["assisted_draft"].any()),
                                          ("minutes_to_mo_unassisted", (saved["method"] == "manual").any()))
                     if not present)


def load_risk_data(end: dt.date | None = None) -> RiskData:
    """`build_risk_data` over the configured database (one read transaction)."""
    from rm_core.store.db import read_session

    with read_session() as session:
        return build_risk_data(session, end=end)
