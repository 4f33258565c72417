"""SOPs: the registry (version, owner, reviews), rollout per team, the parity matrix and the rollout plan."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from rm_core.audit import record_event, snapshot
from rm_core.errors import UserError
from rm_core.identity import Actor, require
from rm_core.store.db import write_session
from rm_core.store.models import SOP, SOPRollout
from rm_core.trackers._records import get_or_404, next_id, required_text

RECORD_TYPE = "sop"
# The RM sites and the partner BRP teams that should all run the same SOPs.
TEAMS = ("RM India", "RM Costa Rica", "BRP NA", "BRP EU", "BRP APAC")
ROLLOUT_STATUSES = ("not_started", "pilot", "live", "retired")
ROLLOUT_LABELS = {"not_started": "Not started", "pilot": "Pilot", "live": "Live", "retired": "Retired"}
# Parity cell states, worst first; the heatmap colours them red → green.
PARITY_STATES = ("not_started", "pilot", "older_version", "live", "retired")
PARITY_LABELS = {"not_started": "Not started", "pilot": "Pilot", "older_version": "Live, older version",
                 "live": "Live, current version", "retired": "Retired"}
PARITY_SCORE = {"not_started": 0.0, "pilot": 0.5, "older_version": 0.75, "live": 1.0}


@dataclass(frozen=True)
class SOPRecord:
    id: str
    title: str
    version: str
    owner: str
    last_review: dt.date | None
    next_review: dt.date | None

    @classmethod
    def of(cls, s: SOP) -> SOPRecord:
        return cls(s.id, s.title, s.version, s.owner, s.last_review, s.next_review)


def _check_version(version: str) -> str:
    version = required_text(version, "A version", 16)
    return version


def _check_reviews(last_review: dt.date | None, next_review: dt.date | None) -> None:
    if last_review and next_review and next_review < last_review:
        raise UserError(f"The next review ({next_review}) cannot be before the last review ({last_review}).")


def register_sop(actor: Actor, *, title: str, version: str = "1.0", owner: str = "",
                 last_review: dt.date | None = None, next_review: dt.date | None = None,
                 teams: tuple[str, ...] = TEAMS) -> SOPRecord:
    """Add an SOP to the registry, with a not-started rollout row for every team that should run it."""
    require(actor, "tracker.edit")
    title = required_text(title, "A title", 300)
    version = _check_version(version)
    _check_reviews(last_review, next_review)
    with write_session() as s:
        sop = SOP(id=next_id(s, SOP, "SOP", 3), title=title, version=version, owner=(owner or "").strip(),
                  last_review=last_review, next_review=next_review)
        s.add(sop)
        s.flush()
        for team in teams:
            s.add(SOPRollout(sop_id=sop.id, team=team, status="not_started"))
        record_event(s, actor.name, "sop.register", RECORD_TYPE, sop.id, None, snapshot(sop))
        return SOPRecord.of(sop)


def revise_sop(actor: Actor, sop_id: str, *, version: str | None = None, owner: str | None = None,
               last_review: dt.date | None = None, next_review: dt.date | None = None) -> SOPRecord:
    """A new version or a review. Teams live on the previous version show as 'older version' until updated."""
    require(actor, "tracker.edit")
    with write_session() as s:
        sop = get_or_404(s, SOP, sop_id, "SOP")
        before = snapshot(sop)
        if version is not None:
            sop.version = _check_version(version)
        if owner is not None:
            sop.owner = owner.strip()
        if last_review is not None:
            sop.last_review = last_review
        if next_review is not None:
            sop.next_review = next_review
        _check_reviews(sop.last_review, sop.next_review)
        record_event(s, actor.name, "sop.revise", RECORD_TYPE, sop.id, before, snapshot(sop))
        return SOPRecord.of(sop)


def set_rollout(actor: Actor, sop_id: str, team: str, status: str, *, version: str | None = None,
                planned_date: dt.date | None = None, live_date: dt.date | None = None,
                today: dt.date | None = None) -> None:
    """Where one team is with one SOP. Going live without a version means the SOP's current version, and
    without a date means today."""
    require(actor, "tracker.edit")
    if status not in ROLLOUT_STATUSES:
        raise UserError(f"Unknown rollout status {status!r}; use one of {', '.join(ROLLOUT_STATUSES)}.")
    team = required_text(team, "A team", 64)
    with write_session() as s:
        sop = get_or_404(s, SOP, sop_id, "SOP")
        rollout = s.get(SOPRollout, (sop.id, team))
        before = snapshot(rollout) if rollout else None
        if rollout is None:
            rollout = SOPRollout(sop_id=sop.id, team=team)
            s.add(rollout)
        rollout.status = status
        if status in ("live", "pilot"):
            rollout.version = (version or "").strip() or sop.version
        elif version:
            rollout.version = version.strip()
        if planned_date is not None:
            rollout.planned_date = planned_date
        if status == "live":
            rollout.live_date = live_date or rollout.live_date or today or dt.date.today()
        elif live_date is not None:
            rollout.live_date = live_date
        s.flush()
        record_event(s, actor.name, "sop.rollout", RECORD_TYPE, sop.id, before, snapshot(rollout))


def plan_rollout(actor: Actor, sop_id: str, planned: dict[str, dt.date]) -> None:
    """Set the planned go-live date per team in one go (the rollout plan)."""
    require(actor, "tracker.edit")
    with write_session() as s:
        sop = get_or_404(s, SOP, sop_id, "SOP")
        before, after = {}, {}
        for team, day in planned.items():
            rollout = s.get(SOPRollout, (sop.id, team))
            if rollout is None:
                rollout = SOPRollout(sop_id=sop.id, team=team, status="not_started")
                s.add(rollout)
            before[team] = rollout.planned_date
            rollout.planned_date = day
            after[team] = day
        record_event(s, actor.name, "sop.plan", RECORD_TYPE, sop.id, before, after)


# --- reads -------------------------------------------------------------------------------------------------

def sops_frame(session: Session) -> pl.DataFrame:
    """One row per SOP: id, title, version, owner, last_review, next_review."""
    rows = session.execute(select(SOP.id, SOP.title, SOP.version, SOP.owner, SOP.last_review, SOP.next_review)
                           .order_by(SOP.id)).all()
    return pl.DataFrame(rows, schema={"id": pl.String, "title": pl.String, "version": pl.String,
                                      "owner": pl.String, "last_review": pl.Date, "next_review": pl.Date},
                        orient="row")


def rollouts_frame(session: Session) -> pl.DataFrame:
    """One row per (SOP, team): sop_id, team, status, version, planned_date, live_date."""
    rows = session.execute(select(SOPRollout.sop_id, SOPRollout.team, SOPRollout.status, SOPRollout.version,
                                  SOPRollout.planned_date, SOPRollout.live_date)).all()
    return pl.DataFrame(rows, schema={"sop_id": pl.String, "team": pl.String, "status": pl.String,
                                      "version": pl.String, "planned_date": pl.Date, "live_date": pl.Date},
                        orient="row")


def parity_matrix(sops: pl.DataFrame, rollouts: pl.DataFrame, teams: tuple[str, ...] = TEAMS) -> pl.DataFrame:
    """Every SOP × team cell: sop_id, title, team, status, version, current_version, state (PARITY_STATES),
    state_label, score (0 not started … 1 live on the current version; null when retired).

    A team with no rollout row for an SOP counts as not started: the point is that every team runs every SOP.
    """
    if sops.is_empty():
        return pl.DataFrame(schema={"sop_id": pl.String, "title": pl.String, "team": pl.String,
                                    "status": pl.String, "version": pl.String, "current_version": pl.String,
                                    "state": pl.String, "state_label": pl.String, "score": pl.Float64})
    grid = (sops.select(pl.col("id").alias("sop_id"), "title", pl.col("version").alias("current_version"))
            .join(pl.DataFrame({"team": list(teams)}), how="cross"))
    cells = grid.join(rollouts.select("sop_id", "team", "status", "version"), on=["sop_id", "team"], how="left")
    cells = cells.with_columns(pl.col("status").fill_null("not_started"))
    state = (pl.when(pl.col("status") == "live")
             .then(pl.when(pl.col("version") == pl.col("current_version")).then(pl.lit("live"))
                   .otherwise(pl.lit("older_version")))
             .otherwise(pl.col("status")))
    cells = cells.with_columns(state=state)
    return cells.with_columns(
        state_label=pl.col("state").replace_strict(PARITY_LABELS, default=pl.col("state")),
        score=pl.col("state").replace_strict(PARITY_SCORE, default=None, return_dtype=pl.Float64),
    ).select("sop_id", "title", "team", "status", "version", "current_version", "state", "state_label", "score")


def parity_percent(matrix: pl.DataFrame) -> float | None:
    """Share of SOP × team cells live on the current version, retired cells left out; None when no cells."""
    active = matrix.filter(pl.col("state") != "retired")
    if active.is_empty():
        return None
    return 100.0 * active.filter(pl.col("state") == "live").height / active.height


def parity_by_team(matrix: pl.DataFrame) -> pl.DataFrame:
    """team, cells, live_current, lagging (not live on the current version), parity_pct."""
    return (matrix.filter(pl.col("state") != "retired").group_by("team")
            .agg(cells=pl.len(), live_current=(pl.col("state") == "live").sum())
            .with_columns(lagging=pl.col("cells") - pl.col("live_current"),
                          parity_pct=100.0 * pl.col("live_current") / pl.col("cells"))
            .sort("team"))


def overdue_reviews(sops: pl.DataFrame, today: dt.date) -> pl.DataFrame:
    """SOPs whose next review date has passed, most overdue first, with days_overdue; SOPs with no next review
    date are listed too (nobody has planned the review)."""
    return (sops.filter(pl.col("next_review").is_null() | (pl.col("next_review") < today))
            .with_columns(days_overdue=(pl.lit(today) - pl.col("next_review")).dt.total_days())
            .sort("days_overdue", descending=True, nulls_last=False))


def rollout_plan(rollouts: pl.DataFrame, sop_id: str, teams: tuple[str, ...] = TEAMS) -> pl.DataFrame:
    """The plan for one SOP: team, status, version, planned_date, live_date, late (planned date passed and not
    live) — one row per team, in team order."""
    plan = pl.DataFrame({"team": list(teams)}).join(
        rollouts.filter(pl.col("sop_id") == sop_id).drop("sop_id"), on="team", how="full", coalesce=True)
    order = {t: i for i, t in enumerate(teams)}
    return (plan.with_columns(pl.col("status").fill_null("not_started"),
                              _order=pl.col("team").replace_strict(order, default=len(teams), return_dtype=pl.Int64))
            .sort("_order", "team").drop("_order"))


def late_rollouts(plan: pl.DataFrame, today: dt.date) -> pl.DataFrame:
    return plan.filter(pl.col("planned_date").is_not_null() & (pl.col("planned_date") < today)
                       & ~pl.col("status").is_in(["live", "retired"]))
