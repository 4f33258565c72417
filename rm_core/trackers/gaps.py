"""Upstream gaps: record, quantify, accept, fix and close (or reject), with evidence and measured impact.

This is the feedback loop: a request reveals an MO, the MO exposes a gap upstream, an initiative closes the gap,
and the impact measured after the fix shows whether it worked.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from rm_core.audit import record_event, snapshot
from rm_core.errors import UserError
from rm_core.identity import Actor, require
from rm_core.store.db import read_session, write_session
from rm_core.store.models import MO, Gap, GapEvidence, Initiative, Request, StatusChange
from rm_core.trackers._records import add_status_change, get_or_404, next_id, required_text, when

RECORD_TYPE = "gap"
STATUSES = ("identified", "quantified", "accepted", "in_progress", "closed", "rejected")
OPEN_STATUSES = ("identified", "quantified", "accepted", "in_progress")
LOOP_STAGES = ("identified", "quantified", "accepted", "closed")
STATUS_LABELS = {"identified": "Identified", "quantified": "Quantified", "accepted": "Accepted",
                 "in_progress": "In progress", "closed": "Closed", "rejected": "Rejected"}
OWNING_TEAMS = ("ML", "Engineering", "Product", "BRP", "Policy", "Data platform")

# The timestamp column each forward move stamps.
STAGE_COLUMNS = {"identified": "identified_at", "quantified": "quantified_at", "accepted": "accepted_at",
                 "in_progress": "started_at", "closed": "closed_at"}
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    "identified": ("quantified", "rejected"),
    "quantified": ("accepted", "rejected"),
    "accepted": ("in_progress", "rejected"),
    "in_progress": ("closed", "rejected"),
    "closed": (),
    "rejected": (),
}


@dataclass(frozen=True)
class GapRecord:
    id: str
    title: str
    missing: str
    owning_team: str
    status: str
    impact_accounts: int | None
    impact_usd: float | None
    impact_method: str
    identified_at: dt.datetime
    quantified_at: dt.datetime | None
    accepted_at: dt.datetime | None
    started_at: dt.datetime | None
    closed_at: dt.datetime | None
    rejected_reason: str
    initiative_id: str | None
    measured_accounts: int | None
    measured_usd: float | None
    measured_note: str

    @classmethod
    def of(cls, g: Gap) -> GapRecord:
        return cls(g.id, g.title, g.missing, g.owning_team, g.status, g.impact_accounts, g.impact_usd,
                   g.impact_method, g.identified_at, g.quantified_at, g.accepted_at, g.started_at, g.closed_at,
                   g.rejected_reason, g.initiative_id, g.measured_accounts, g.measured_usd, g.measured_note)


@dataclass(frozen=True)
class GapDetail:
    gap: GapRecord
    evidence_requests: list[str]
    evidence_mos: list[str]
    history: list[tuple[str | None, str, dt.datetime, str, str]]  # from, to, at, actor, note


def _add_evidence(session: Session, gap_id: str, request_ids: Iterable[str], mo_ids: Iterable[str]) -> list[str]:
    """Attach evidence not attached yet; returns what was added as `request:ID` / `mo:ID`."""
    added = []
    have = {(e.request_id, e.mo_id) for e in session.scalars(select(GapEvidence).where(GapEvidence.gap_id == gap_id))}
    for rid in dict.fromkeys(r.strip() for r in request_ids if r and r.strip()):
        get_or_404(session, Request, rid, "request")
        if (rid, None) not in have:
            session.add(GapEvidence(gap_id=gap_id, request_id=rid))
            added.append(f"request:{rid}")
    for mid in dict.fromkeys(m.strip() for m in mo_ids if m and m.strip()):
        get_or_404(session, MO, mid, "MO")
        if (None, mid) not in have:
            session.add(GapEvidence(gap_id=gap_id, mo_id=mid))
            added.append(f"mo:{mid}")
    return added


def record_gap(actor: Actor, *, title: str, owning_team: str, missing: str = "",
               evidence_requests: Iterable[str] = (), evidence_mos: Iterable[str] = (),
               identified_at: dt.datetime | None = None) -> GapRecord:
    """Record what is missing upstream and which team owns the fix, with the requests and MOs that show it."""
    require(actor, "tracker.edit")
    title = required_text(title, "A title", 300)
    team = required_text(owning_team, "The owning team", 64)
    moment = when(identified_at)
    with write_session() as s:
        gap = Gap(id=next_id(s, Gap, "GAP", 4), title=title, missing=(missing or "").strip(), owning_team=team,
                  status="identified", identified_at=moment)
        s.add(gap)
        s.flush()
        evidence = _add_evidence(s, gap.id, evidence_requests, evidence_mos)
        add_status_change(s, RECORD_TYPE, gap.id, None, "identified", actor.name, moment, "recorded")
        record_event(s, actor.name, "gap.record", RECORD_TYPE, gap.id, None, {**snapshot(gap), "evidence": evidence})
        return GapRecord.of(gap)


def add_gap_evidence(actor: Actor, gap_id: str, *, request_ids: Iterable[str] = (),
                     mo_ids: Iterable[str] = ()) -> list[str]:
    require(actor, "tracker.edit")
    with write_session() as s:
        gap = get_or_404(s, Gap, gap_id, "gap")
        added = _add_evidence(s, gap.id, request_ids, mo_ids)
        if not added:
            raise UserError(f"Nothing to add: give a request or MO id not already linked to {gap.id}.")
        record_event(s, actor.name, "gap.evidence", RECORD_TYPE, gap.id, None, {"added": added})
        return added


def _move(session: Session, actor: Actor, gap: Gap, to_status: str, moment: dt.datetime, note: str) -> None:
    allowed = NEXT_STATUSES[gap.status]
    if to_status not in allowed:
        nxt = " or ".join(STATUS_LABELS[x] for x in allowed) if allowed else f"nothing (it is {gap.status})"
        raise UserError(f"{gap.id} is {STATUS_LABELS[gap.status]}; it cannot move to {STATUS_LABELS[to_status]}. "
                        f"Next it can move to {nxt}.")
    if moment < gap.identified_at:
        raise UserError(f"{gap.id} was identified {gap.identified_at:%Y-%m-%d}; a move cannot be dated before that.")
    if to_status in STAGE_COLUMNS:
        setattr(gap, STAGE_COLUMNS[to_status], moment)
    from_status, gap.status = gap.status, to_status
    add_status_change(session, RECORD_TYPE, gap.id, from_status, to_status, actor.name, moment, note)


def quantify_gap(actor: Actor, gap_id: str, *, accounts: int, usd: float, method: str,
                 at: dt.datetime | None = None) -> GapRecord:
    """Set the impact (accounts, exposure in $, how it was estimated); an identified gap becomes quantified.

    A gap further along can be re-quantified: the numbers change, the status does not.
    """
    require(actor, "tracker.edit")
    if accounts is None or int(accounts) < 0:
        raise UserError("Impact accounts must be a whole number ≥ 0.")
    if usd is None or float(usd) < 0:
        raise UserError("Impact in $ must be a number ≥ 0.")
    method = required_text(method, "A method note saying how the impact was estimated")
    with write_session() as s:
        gap = get_or_404(s, Gap, gap_id, "gap")
        if gap.status in ("closed", "rejected"):
            raise UserError(f"{gap.id} is {gap.status}; record the measured impact after the fix instead.")
        before = snapshot(gap, ["status", "impact_accounts", "impact_usd", "impact_method", "quantified_at"])
        gap.impact_accounts, gap.impact_usd, gap.impact_method = int(accounts), float(usd), method
        if gap.status == "identified":
            _move(s, actor, gap, "quantified", when(at), method)
        after = snapshot(gap, ["status", "impact_accounts", "impact_usd", "impact_method", "quantified_at"])
        record_event(s, actor.name, "gap.quantify", RECORD_TYPE, gap.id, before, after)
        return GapRecord.of(gap)


def move_gap(actor: Actor, gap_id: str, to_status: str, *, note: str = "", initiative_id: str | None = None,
             at: dt.datetime | None = None) -> GapRecord:
    """accepted → in progress → closed. Closing needs the closing initiative or a note on how it was closed;
    quantifying goes through `quantify_gap` and rejecting through `reject_gap`, which ask for what they need."""
    require(actor, "tracker.edit")
    if to_status not in STATUSES:
        raise UserError(f"Unknown status {to_status!r}; use one of {', '.join(STATUSES)}.")
    if to_status == "quantified":
        raise UserError("Quantify the gap's impact (accounts, $ and method) to move it to Quantified.")
    if to_status == "rejected":
        raise UserError("Reject the gap with a reason (reject_gap).")
    note = (note or "").strip()
    with write_session() as s:
        gap = get_or_404(s, Gap, gap_id, "gap")
        before = snapshot(gap)
        if initiative_id:
            get_or_404(s, Initiative, initiative_id, "initiative")
            gap.initiative_id = initiative_id
        if to_status == "closed" and not gap.initiative_id and not note:
            raise UserError(f"Closing {gap.id} needs the initiative that closed it or a note saying how it was "
                            "closed.")
        _move(s, actor, gap, to_status, when(at), note)
        record_event(s, actor.name, "gap.move", RECORD_TYPE, gap.id, before, snapshot(gap))
        return GapRecord.of(gap)


def reject_gap(actor: Actor, gap_id: str, reason: str, at: dt.datetime | None = None) -> GapRecord:
    require(actor, "tracker.edit")
    reason = required_text(reason, "A reason for rejecting the gap")
    with write_session() as s:
        gap = get_or_404(s, Gap, gap_id, "gap")
        before = snapshot(gap, ["status", "rejected_reason"])
        _move(s, actor, gap, "rejected", when(at), reason)
        gap.rejected_reason = reason
        record_event(s, actor.name, "gap.reject", RECORD_TYPE, gap.id, before,
                     snapshot(gap, ["status", "rejected_reason"]))
        return GapRecord.of(gap)


def link_initiative(actor: Actor, gap_id: str, initiative_id: str | None) -> GapRecord:
    """Name the roadmap initiative that closes the gap (None or empty unlinks)."""
    require(actor, "tracker.edit")
    with write_session() as s:
        gap = get_or_404(s, Gap, gap_id, "gap")
        initiative_id = (initiative_id or "").strip() or None
        if initiative_id:
            get_or_404(s, Initiative, initiative_id, "initiative")
        before = {"initiative_id": gap.initiative_id}
        gap.initiative_id = initiative_id
        record_event(s, actor.name, "gap.link_initiative", RECORD_TYPE, gap.id, before,
                     {"initiative_id": initiative_id})
        return GapRecord.of(gap)


def record_measured_impact(actor: Actor, gap_id: str, *, accounts: int, usd: float, note: str) -> GapRecord:
    """After the fix: the accounts and $ actually prevented, measured, with how they were measured."""
    require(actor, "tracker.edit")
    if accounts is None or int(accounts) < 0 or usd is None or float(usd) < 0:
        raise UserError("Measured accounts and $ must be numbers ≥ 0.")
    note = required_text(note, "A note saying how the impact was measured")
    with write_session() as s:
        gap = get_or_404(s, Gap, gap_id, "gap")
        if gap.status != "closed":
            raise UserError(f"{gap.id} is {STATUS_LABELS[gap.status]}; measured impact is recorded after it is "
                            "closed.")
        before = snapshot(gap, ["measured_accounts", "measured_usd", "measured_note"])
        gap.measured_accounts, gap.measured_usd, gap.measured_note = int(accounts), float(usd), note
        record_event(s, actor.name, "gap.measure", RECORD_TYPE, gap.id, before,
                     snapshot(gap, ["measured_accounts", "measured_usd", "measured_note"]))
        return GapRecord.of(gap)


def get_gap(gap_id: str) -> GapDetail:
    with read_session() as s:
        gap = get_or_404(s, Gap, gap_id, "gap")
        evidence = list(s.scalars(select(GapEvidence).where(GapEvidence.gap_id == gap.id).order_by(GapEvidence.id)))
        moves = s.scalars(select(StatusChange).where(StatusChange.record_type == RECORD_TYPE,
                                                     StatusChange.record_id == gap.id)
                          .order_by(StatusChange.at, StatusChange.id))
        return GapDetail(GapRecord.of(gap), [e.request_id for e in evidence if e.request_id],
                         [e.mo_id for e in evidence if e.mo_id],
                         [(m.from_status, m.to_status, m.at, m.actor, m.note) for m in moves])
