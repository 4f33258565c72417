"""Requests and escalations: intake, owner, the status flow with dated moves, root cause, links to MO and gap."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from rm_core.audit import record_event, snapshot
from rm_core.errors import UserError
from rm_core.identity import Actor, require
from rm_core.store.db import read_session, write_session
from rm_core.store.models import MO, Gap, GapEvidence, Request, StatusChange
from rm_core.trackers._records import add_status_change, get_or_404, next_id, required_text, when
from rm_core.trackers.sla import KINDS, PRIORITIES, SlaTable, sla_colour

RECORD_TYPE = "request"
STATUSES = ("new", "triaged", "in_progress", "blocked", "resolved", "closed")
OPEN_STATUSES = ("new", "triaged", "in_progress", "blocked")
STATUS_LABELS = {"new": "New", "triaged": "Triaged", "in_progress": "In progress", "blocked": "Blocked",
                 "resolved": "Resolved", "closed": "Closed"}

# Where a request may go next. Work moves forward one step, blocked returns to in progress, and a resolution
# that did not hold is reopened to in progress; a closed request stays closed (file a new one).
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    "new": ("triaged",),
    "triaged": ("in_progress", "blocked"),
    "in_progress": ("blocked", "resolved"),
    "blocked": ("in_progress", "resolved"),
    "resolved": ("closed", "in_progress"),
    "closed": (),
}

ROOT_CAUSES: dict[str, str] = {
    "rule_gap": "Detection gap: no or weak rule",
    "model_gap": "Model gap (ML)",
    "signal_gap": "Missing data or signal upstream",
    "process_gap": "Process or SOP gap",
    "tooling_gap": "Tooling gap",
    "policy_gap": "Policy gap",
    "partner_side": "Partner-side issue",
    "working_as_intended": "Working as intended",
}

REQUESTER_TEAMS = ("BRP NA", "BRP EU", "BRP APAC", "ML", "Engineering", "Product", "Policy", "RM leadership")
SITES = ("India", "Costa Rica")


@dataclass(frozen=True)
class RequestRecord:
    id: str
    kind: str
    title: str
    description: str
    requester_team: str
    priority: str
    owner: str
    site: str
    status: str
    opened_at: dt.datetime
    sla_due: dt.datetime
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    root_cause_category: str | None
    root_cause_note: str
    mo_id: str | None
    gap_id: str | None

    @classmethod
    def of(cls, r: Request) -> RequestRecord:
        return cls(r.id, r.kind, r.title, r.description, r.requester_team, r.priority, r.owner, r.site, r.status,
                   r.opened_at, r.sla_due, r.resolved_at, r.closed_at, r.root_cause_category, r.root_cause_note,
                   r.mo_id, r.gap_id)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def sla_colour(self, at: dt.datetime) -> str:
        """The colour now for an open request; for a finished one, the colour it had when resolved."""
        return sla_colour(self.opened_at, self.sla_due, self.resolved_at or at)


@dataclass(frozen=True)
class StatusMove:
    from_status: str | None
    to_status: str
    at: dt.datetime
    actor: str
    note: str


@dataclass(frozen=True)
class RequestDetail:
    request: RequestRecord
    history: list[StatusMove]


def _check_choice(value: str, choices, what: str) -> str:
    if value not in choices:
        raise UserError(f"Unknown {what} {value!r}; use one of {', '.join(choices)}.")
    return value


def _check_links(session: Session, mo_id: str | None, gap_id: str | None) -> None:
    if mo_id:
        get_or_404(session, MO, mo_id, "MO")
    if gap_id:
        get_or_404(session, Gap, gap_id, "gap")


def file_request(actor: Actor, *, kind: str, title: str, requester_team: str, priority: str = "P3",
                 description: str = "", owner: str = "", site: str = "", mo_id: str | None = None,
                 gap_id: str | None = None, opened_at: dt.datetime | None = None,
                 sla_table: SlaTable | None = None) -> RequestRecord:
    """Take in a request or escalation; its SLA due date follows from kind and priority."""
    require(actor, "tracker.edit")
    _check_choice(kind, tuple(KINDS), "kind")
    _check_choice(priority, PRIORITIES, "priority")
    title = required_text(title, "A title", 300)
    team = required_text(requester_team, "The requester team", 64)
    opened = when(opened_at)
    due = (sla_table or SlaTable()).due(opened, kind, priority)
    mo_id, gap_id = (mo_id or "").strip() or None, (gap_id or "").strip() or None
    with write_session() as s:
        _check_links(s, mo_id, gap_id)
        request = Request(id=next_id(s, Request, "REQ", 5), kind=kind, title=title,
                          description=(description or "").strip(), requester_team=team, priority=priority,
                          owner=(owner or "").strip(), site=(site or "").strip(), status="new", opened_at=opened,
                          sla_due=due, mo_id=mo_id, gap_id=gap_id)
        s.add(request)
        s.flush()
        add_status_change(s, RECORD_TYPE, request.id, None, "new", actor.name, opened, "filed")
        if gap_id:
            _add_gap_evidence(s, gap_id, request.id)
        record_event(s, actor.name, "request.file", RECORD_TYPE, request.id, None, snapshot(request))
        return RequestRecord.of(request)


def assign_request(actor: Actor, request_id: str, owner: str) -> RequestRecord:
    require(actor, "tracker.edit")
    owner = required_text(owner, "An owner", 64)
    with write_session() as s:
        request = get_or_404(s, Request, request_id, "request")
        before = {"owner": request.owner}
        request.owner = owner
        record_event(s, actor.name, "request.assign", RECORD_TYPE, request.id, before, {"owner": owner})
        return RequestRecord.of(request)


def move_request(actor: Actor, request_id: str, to_status: str, *, note: str = "",
                 root_cause_category: str | None = None, root_cause_note: str = "",
                 at: dt.datetime | None = None) -> RequestRecord:
    """Move a request one step along its flow; resolving needs a root-cause category and a note."""
    require(actor, "tracker.edit")
    _check_choice(to_status, STATUSES, "status")
    moment = when(at)
    with write_session() as s:
        request = get_or_404(s, Request, request_id, "request")
        allowed = NEXT_STATUSES[request.status]
        if to_status not in allowed:
            nxt = " or ".join(STATUS_LABELS[x] for x in allowed) if allowed else "nothing (it is closed)"
            raise UserError(f"{request.id} is {STATUS_LABELS[request.status]}; it cannot move to "
                            f"{STATUS_LABELS[to_status]}. Next it can move to {nxt}.")
        if moment < request.opened_at:
            raise UserError(f"{request.id} was opened {request.opened_at:%Y-%m-%d %H:%M}; a move cannot be dated "
                            "before that.")
        before = snapshot(request, ["status", "resolved_at", "closed_at", "root_cause_category", "root_cause_note"])
        if to_status == "resolved":
            if not root_cause_category:
                raise UserError(f"Resolving {request.id} needs a root-cause category "
                                f"({', '.join(ROOT_CAUSES)}).")
            _check_choice(root_cause_category, tuple(ROOT_CAUSES), "root-cause category")
            request.root_cause_category = root_cause_category
            request.root_cause_note = required_text(root_cause_note, f"Resolving {request.id} needs a root-cause "
                                                                     "note, which")
            request.resolved_at = moment
        elif to_status == "closed":
            request.closed_at = moment
        elif request.status == "resolved":  # reopened: the earlier resolution no longer counts
            request.resolved_at = None
        from_status, request.status = request.status, to_status
        add_status_change(s, RECORD_TYPE, request.id, from_status, to_status, actor.name, moment,
                          (note or "").strip())
        after = snapshot(request, ["status", "resolved_at", "closed_at", "root_cause_category", "root_cause_note"])
        record_event(s, actor.name, "request.move", RECORD_TYPE, request.id, before, after)
        return RequestRecord.of(request)


def link_request(actor: Actor, request_id: str, *, mo_id: str | None = None,
                 gap_id: str | None = None) -> RequestRecord:
    """Link the MO the request revealed and/or the upstream gap it is evidence for (empty string unlinks)."""
    require(actor, "tracker.edit")
    with write_session() as s:
        request = get_or_404(s, Request, request_id, "request")
        before = {"mo_id": request.mo_id, "gap_id": request.gap_id}
        new_mo = request.mo_id if mo_id is None else (mo_id.strip() or None)
        new_gap = request.gap_id if gap_id is None else (gap_id.strip() or None)
        _check_links(s, new_mo, new_gap)  # before assigning: an unknown id is a message, not a foreign-key error
        request.mo_id, request.gap_id = new_mo, new_gap
        if request.gap_id:
            _add_gap_evidence(s, request.gap_id, request.id)
        record_event(s, actor.name, "request.link", RECORD_TYPE, request.id, before,
                     {"mo_id": request.mo_id, "gap_id": request.gap_id})
        return RequestRecord.of(request)


def _add_gap_evidence(session: Session, gap_id: str, request_id: str) -> None:
    exists = session.scalar(select(GapEvidence.id).where(GapEvidence.gap_id == gap_id,
                                                          GapEvidence.request_id == request_id))
    if exists is None:
        session.add(GapEvidence(gap_id=gap_id, request_id=request_id))


def get_request(request_id: str) -> RequestDetail:
    with read_session() as s:
        request = get_or_404(s, Request, request_id, "request")
        moves = s.scalars(select(StatusChange).where(StatusChange.record_type == RECORD_TYPE,
                                                     StatusChange.record_id == request.id)
                          .order_by(StatusChange.at, StatusChange.id))
        return RequestDetail(RequestRecord.of(request),
                             [StatusMove(m.from_status, m.to_status, m.at, m.actor, m.note) for m in moves])
