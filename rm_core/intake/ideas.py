"""Intake ideas: submit any day of the year, back with a +1, triage (new → under review → accepted / merged /
declined, with a reason the submitter sees), merge duplicates, and read one idea's history.

Who may do what (documented in the README, tested in tests/intake/test_permissions.py):

- submit and support: every role (viewer, editor, facilitator, admin); viewers only while RM_INTAKE_VIEWERS is
  `submit` (the default). A share link or a workshop participant link never submits.
- triage (move, merge): editors and admins (`intake.triage`).
- read: everyone with a role; the page's "My ideas" lists the caller's own ideas with the triage reason.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rm_core.audit import latest_events, record_event, snapshot
from rm_core.errors import NotFound, PermissionDenied, Problem, UserError, ValidationFailed
from rm_core.identity import Actor, require
from rm_core.settings import get_settings
from rm_core.store.db import read_session, writing
from rm_core.store.models import (MO, Gap, Idea, Initiative, IntakeIdea, IntakeSupporter, Rule, StatusChange,
                                  WorkshopSession)
from rm_core.trackers._records import add_status_change, next_id, when

RECORD_TYPE = "intake_idea"
ID_PREFIX, ID_WIDTH = "IDEA", 4
STATUSES = ("new", "under_review", "accepted", "merged", "declined")
STATUS_LABELS = {"new": "New", "under_review": "Under review", "accepted": "Accepted for OP1", "merged": "Merged",
                 "declined": "Declined"}
OPEN_STATUSES = ("new", "under_review")
DECISIONS = ("accepted", "merged", "declined")

# Where an idea may go next. Triage starts by taking it under review; an obvious duplicate or an idea out of
# scope may be merged or declined straight from new. Accepted and declined ideas can be reopened (under review)
# with a reason; a merged idea lives on in the one it merged into, so it stays merged.
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    "new": ("under_review", "merged", "declined"),
    "under_review": ("accepted", "merged", "declined"),
    "accepted": ("under_review",),
    "declined": ("under_review",),
    "merged": (),
}

THEMES = ("Detection & Rules", "MO Intelligence", "Partner Enablement", "AI & Automation", "Process & SOPs",
          "Data & Signals")
SITES = ("India", "Costa Rica", "Partner team")
TEXT_MAX = 4_000
ID_LIST_MAX = 50
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


class IdeaInput(BaseModel):
    """What a submitter writes; every field is checked before anything is saved."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=3, max_length=200)
    problem: str = Field(min_length=1, max_length=TEXT_MAX)
    proposed_change: str = Field(min_length=1, max_length=TEXT_MAX)
    expected_impact: str = Field(default="", max_length=TEXT_MAX)
    affected_mos: list[str] = []
    affected_rules: list[str] = []
    affected_gaps: list[str] = []
    ai_based: bool = False
    theme: str = ""
    site: str = ""
    team: str = Field(default="", max_length=64)

    @field_validator("affected_mos", "affected_rules", "affected_gaps", mode="before")
    @classmethod
    def _ids(cls, v: Any) -> list[str]:
        if v is None:
            return []
        items = v if isinstance(v, (list, tuple)) else str(v).replace(",", ";").split(";")
        out = list(dict.fromkeys(str(i).strip() for i in items if str(i).strip()))
        if len(out) > ID_LIST_MAX:
            raise ValueError(f"at most {ID_LIST_MAX} ids")
        bad = [i for i in out if not _ID.fullmatch(i)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a record id")
        return out

    @field_validator("theme")
    @classmethod
    def _theme(cls, v: str) -> str:
        if v and v not in THEMES:
            raise ValueError(f"must be one of {', '.join(THEMES)} (or empty)")
        return v

    @field_validator("site")
    @classmethod
    def _site(cls, v: str) -> str:
        if v and v not in SITES:
            raise ValueError(f"must be one of {', '.join(SITES)} (or empty)")
        return v


def validate_idea(data: dict[str, Any], file: str | None = None, row: int | None = None) -> IdeaInput:
    try:
        return IdeaInput.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed([Problem(e["msg"].removeprefix("Value error, "), file=file, row=row,
                                        field=".".join(str(p) for p in e["loc"]) or None)
                                for e in exc.errors()]) from None


@dataclass(frozen=True)
class IntakeRecord:
    id: str
    title: str
    problem: str
    proposed_change: str
    expected_impact: str
    affected_mos: list[str]
    affected_rules: list[str]
    affected_gaps: list[str]
    ai_based: bool
    theme: str
    site: str
    team: str
    submitter: str
    submitter_label: str
    status: str
    reason: str
    merged_into: str | None
    submitted_at: dt.datetime
    updated_at: dt.datetime
    triaged_at: dt.datetime | None
    triaged_by: str | None
    decided_at: dt.datetime | None
    supporters: int = 0

    @classmethod
    def of(cls, r: IntakeIdea, supporters: int = 0) -> IntakeRecord:
        return cls(r.id, r.title, r.problem, r.proposed_change, r.expected_impact, list(r.affected_mos or []),
                   list(r.affected_rules or []), list(r.affected_gaps or []), bool(r.ai_based), r.theme, r.site,
                   r.team, r.submitter, r.submitter_label, r.status, r.reason, r.merged_into, r.submitted_at,
                   r.updated_at, r.triaged_at, r.triaged_by, r.decided_at, supporters)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def text(self) -> str:
        """What the idea says, as one text (duplicate suggestions embed this)."""
        return "\n".join(p for p in (self.title, self.problem, self.proposed_change) if p)


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    actor: str
    action: str
    changed: list[str]


@dataclass(frozen=True)
class StatusMove:
    from_status: str | None
    to_status: str
    at: dt.datetime
    actor: str
    note: str


@dataclass(frozen=True)
class WorkshopUse:
    """Where an intake idea went after acceptance: the workshop card seeded from it, and its initiative."""

    session_id: int
    session_title: str
    idea_id: int
    initiative_id: str | None


@dataclass(frozen=True)
class IntakeDetail:
    idea: IntakeRecord
    moves: list[StatusMove]
    history: list[HistoryEntry]
    supporters: list[str]
    merged_from: list[str]
    workshops: list[WorkshopUse]


# --- who may ------------------------------------------------------------------------------------------------

def may_submit(actor: Actor) -> bool:
    try:
        _require_submit(actor)
    except PermissionDenied:
        return False
    return True


def _require_submit(actor: Actor) -> None:
    require(actor, "intake.submit")
    if actor.role == "viewer" and not get_settings().intake_viewers_submit:
        raise PermissionDenied(f"{actor.label} is signed in as viewer, and this workbench lets viewers read ideas "
                               "but not submit them (RM_INTAKE_VIEWERS=read). Ask an editor to submit it, or an "
                               "admin for the editor role.")


def may_triage(actor: Actor) -> bool:
    from rm_core.identity import can

    return can(actor, "intake.triage")


# --- writes -------------------------------------------------------------------------------------------------

def _check_links(s: Session, clean: IdeaInput, *, file: str | None = None, row: int | None = None) -> None:
    problems = []
    for field, model, noun in (("affected_mos", MO, "MO"), ("affected_rules", Rule, "rule"),
                               ("affected_gaps", Gap, "gap")):
        wanted = getattr(clean, field)
        if wanted:
            found = set(s.scalars(select(model.id).where(model.id.in_(wanted))))
            problems += [Problem(f"no {noun} {i}", file=file, row=row, field=field) for i in wanted if i not in found]
    if problems:
        raise ValidationFailed(problems)



def submit_idea(actor: Actor, data: IdeaInput | dict[str, Any], *, at: dt.datetime | None = None,
                session: Session | None = None) -> IntakeRecord:
    """Save a new idea (status new). Show `similar_ideas` first: the page asks before it calls this."""
    _require_submit(actor)
    clean = data if isinstance(data, IdeaInput) else validate_idea(data)
    moment = when(at)
    with writing(session) as s:
        _check_links(s, clean)
        idea = IntakeIdea(id=next_id(s, IntakeIdea, ID_PREFIX, ID_WIDTH), **clean.model_dump(),
                          submitter=actor.name, submitter_label=actor.label[:120], status="new", reason="",
                          submitted_at=moment, updated_at=moment)
        s.add(idea)
        s.flush()
        add_status_change(s, RECORD_TYPE, idea.id, None, "new", actor.name, moment, "submitted")
        record_event(s, actor.name, "intake.submit", RECORD_TYPE, idea.id, None, snapshot(idea))
        return IntakeRecord.of(idea)


def _load(s: Session, idea_id: str, *, lock: bool = False) -> IntakeIdea:
    key = (idea_id or "").strip().upper()
    idea = s.get(IntakeIdea, key, with_for_update=True) if lock else s.get(IntakeIdea, key)
    if idea is None:
        raise NotFound(f"No idea {idea_id!r}; check the id on the Ideas page.")
    return idea


def _not_allowed(idea: IntakeIdea, to_status: str) -> UserError:
    allowed = NEXT_STATUSES[idea.status]
    nxt = " or ".join(STATUS_LABELS[x] for x in allowed) if allowed else \
        f"nothing (it lives on in {idea.merged_into})"
    return UserError(f"{idea.id} is {STATUS_LABELS[idea.status]}; it cannot move to {STATUS_LABELS[to_status]}. "
                     f"Next it can move to {nxt}.")


def _apply_move(s: Session, actor: Actor, idea: IntakeIdea, to_status: str, reason: str, moment: dt.datetime,
                note: str = "") -> None:
    if moment < idea.submitted_at:
        raise UserError(f"{idea.id} was submitted {idea.submitted_at:%Y-%m-%d %H:%M}; a move cannot be dated "
                        "before that.")
    from_status = idea.status
    idea.status, idea.updated_at = to_status, moment
    if idea.triaged_at is None:
        idea.triaged_at, idea.triaged_by = moment, actor.name
    if to_status in DECISIONS:
        idea.decided_at = moment
    if reason:
        idea.reason = reason
    add_status_change(s, RECORD_TYPE, idea.id, from_status, to_status, actor.name, moment, note or reason)


def move_idea(actor: Actor, idea_id: str, to_status: str, *, reason: str = "",
              at: dt.datetime | None = None, session: Session | None = None) -> IntakeRecord:
    """Triage one step: the reason (required to accept, decline or reopen) is what the submitter reads.
    Merging is `merge_idea`, which also needs the idea it merges into."""
    require(actor, "intake.triage")
    if to_status not in STATUSES:
        raise UserError(f"Unknown status {to_status!r}; use one of {', '.join(STATUSES)}.")
    if to_status == "merged":
        raise UserError("Merging needs the idea to merge into: use merge (the page's Merge into…).")
    reason = (reason or "").strip()
    moment = when(at)
    with writing(session) as s:
        idea = _load(s, idea_id, lock=True)
        if to_status not in NEXT_STATUSES[idea.status]:
            raise _not_allowed(idea, to_status)
        reopening = idea.status in ("accepted", "declined")
        if (to_status in ("accepted", "declined") or reopening) and not reason:
            verb = "Reopening" if reopening else {"accepted": "Accepting", "declined": "Declining"}[to_status]
            raise UserError(f"{verb} {idea.id} needs a reason; the submitter sees it.")
        if len(reason) > TEXT_MAX:
            raise UserError(f"A reason is at most {TEXT_MAX} characters.")
        before = snapshot(idea, ["status", "reason", "triaged_at", "decided_at"])
        _apply_move(s, actor, idea, to_status, reason, moment)
        if reopening:
            idea.decided_at = None
        record_event(s, actor.name, "intake.move", RECORD_TYPE, idea.id, before,
                     snapshot(idea, ["status", "reason", "triaged_at", "decided_at"]))
        return IntakeRecord.of(idea, _supporter_count(s, idea.id))


def merge_idea(actor: Actor, idea_id: str, into_id: str, *, reason: str = "",
               at: dt.datetime | None = None, session: Session | None = None) -> IntakeRecord:
    """Merge a duplicate into another open or accepted idea: its supporters (and its submitter, as a supporter)
    and its affected MOs, rules and gaps carry over; workshop cards seeded from it point at the survivor; both
    ideas keep their history. Returns the idea merged into."""
    require(actor, "intake.triage")
    moment = when(at)
    with writing(session) as s:
        source = _load(s, idea_id, lock=True)
        target = _load(s, into_id, lock=True)
        if source.id == target.id:
            raise UserError("An idea cannot be merged into itself.")
        if "merged" not in NEXT_STATUSES[source.status]:
            raise _not_allowed(source, "merged")
        if target.status in ("merged", "declined"):
            raise UserError(f"{target.id} is {STATUS_LABELS[target.status]}; merge into an idea that is still "
                            "open or accepted" + (f" (it lives on in {target.merged_into})."
                                                  if target.merged_into else "."))
        text = (reason or "").strip() or f"Merged into {target.id} ({target.title})."
        before_source = snapshot(source, ["status", "reason", "merged_into"])
        before_target = snapshot(target, ["affected_mos", "affected_rules", "affected_gaps"])
        _apply_move(s, actor, source, "merged", text, moment)
        source.merged_into = target.id
        for field in ("affected_mos", "affected_rules", "affected_gaps"):
            setattr(target, field, list(dict.fromkeys([*(getattr(target, field) or []),
                                                       *(getattr(source, field) or [])])))
        target.ai_based = bool(target.ai_based or source.ai_based)
        target.updated_at = moment
        have = set(s.scalars(select(IntakeSupporter.user_name).where(IntakeSupporter.idea_id == target.id)))
        carried = []
        backers = [(p.user_name, p.at) for p in s.scalars(select(IntakeSupporter)
                                                           .where(IntakeSupporter.idea_id == source.id)
                                                           .order_by(IntakeSupporter.at))]
        for name, since in [(source.submitter, source.submitted_at), *backers]:
            if name != target.submitter and name not in have:
                s.add(IntakeSupporter(idea_id=target.id, user_name=name, at=since, via=f"merged from {source.id}"))
                have.add(name)
                carried.append(name)
        cards = list(s.scalars(select(Idea).where(Idea.intake_idea_id == source.id)))
        for card in cards:
            card.intake_idea_id = target.id
        record_event(s, actor.name, "intake.merge", RECORD_TYPE, source.id, before_source,
                     {**snapshot(source, ["status", "reason", "merged_into"])})
        record_event(s, actor.name, "intake.absorb", RECORD_TYPE, target.id, before_target,
                     {**snapshot(target, ["affected_mos", "affected_rules", "affected_gaps"]),
                      "merged_from": source.id, "supporters_carried": carried,
                      "workshop_cards": [c.id for c in cards]})
        s.flush()
        return IntakeRecord.of(target, _supporter_count(s, target.id))


def support_idea(actor: Actor, idea_id: str, *, supported: bool = True, at: dt.datetime | None = None,
                 session: Session | None = None) -> int:
    """Back an idea with a +1 (or take it back); returns its supporter count. Submitters back their own idea
    already; merged and declined ideas take no more support."""
    _require_submit(actor)
    with writing(session) as s:
        idea = _load(s, idea_id)
        if idea.status in ("merged", "declined"):
            where = f" back {idea.merged_into} instead" if idea.merged_into else ""
            raise UserError(f"{idea.id} is {STATUS_LABELS[idea.status]};{where or ' it takes no more support'}.")
        if idea.submitter == actor.name:
            raise UserError("You raised this idea, so it already counts you.")
        row = s.get(IntakeSupporter, (idea.id, actor.name))
        if supported and row is None:
            s.add(IntakeSupporter(idea_id=idea.id, user_name=actor.name, at=when(at), via="support"))
            record_event(s, actor.name, "intake.support", RECORD_TYPE, idea.id, None, {"supporter": actor.name})
        elif not supported and row is not None:
            s.delete(row)
            record_event(s, actor.name, "intake.unsupport", RECORD_TYPE, idea.id, {"supporter": actor.name}, None)
        s.flush()
        return _supporter_count(s, idea.id)


# --- reads --------------------------------------------------------------------------------------------------

def _supporter_count(s: Session, idea_id: str) -> int:
    return s.scalar(select(func.count()).select_from(IntakeSupporter).where(IntakeSupporter.idea_id == idea_id)) or 0


def list_ideas(*, statuses: tuple[str, ...] | list[str] | None = None, submitter: str | None = None,
               theme: str | None = None, site: str | None = None,
               submitted_since: dt.datetime | None = None) -> list[IntakeRecord]:
    """Ideas, newest first, with their supporter counts."""
    with read_session() as s:
        query = select(IntakeIdea)
        if statuses:
            query = query.where(IntakeIdea.status.in_(list(statuses)))
        if submitter:
            query = query.where(IntakeIdea.submitter == submitter)
        if theme:
            query = query.where(IntakeIdea.theme == theme)
        if site:
            query = query.where(IntakeIdea.site == site)
        if submitted_since:
            query = query.where(IntakeIdea.submitted_at >= submitted_since)
        ideas = list(s.scalars(query.order_by(IntakeIdea.submitted_at.desc(), IntakeIdea.id.desc())))
        counts = dict(s.execute(select(IntakeSupporter.idea_id, func.count()).group_by(IntakeSupporter.idea_id))
                      .all())
        return [IntakeRecord.of(i, counts.get(i.id, 0)) for i in ideas]


def my_ideas(actor: Actor) -> list[IntakeRecord]:
    """The caller's own ideas with their status and the triage reason."""
    return list_ideas(submitter=actor.name)


def get_idea(idea_id: str) -> IntakeDetail:
    with read_session() as s:
        idea = _load(s, idea_id)
        moves = [StatusMove(m.from_status, m.to_status, m.at, m.actor, m.note) for m in s.scalars(
            select(StatusChange).where(StatusChange.record_type == RECORD_TYPE, StatusChange.record_id == idea.id)
            .order_by(StatusChange.at, StatusChange.id))]
        supporters = list(s.scalars(select(IntakeSupporter.user_name).where(IntakeSupporter.idea_id == idea.id)
                                    .order_by(IntakeSupporter.at, IntakeSupporter.user_name)))
        merged_from = list(s.scalars(select(IntakeIdea.id).where(IntakeIdea.merged_into == idea.id)
                                     .order_by(IntakeIdea.id)))
        uses = [WorkshopUse(sid, title, card, ini) for card, sid, title, ini in s.execute(
            select(Idea.id, WorkshopSession.id, WorkshopSession.title, Initiative.id)
            .join(WorkshopSession, WorkshopSession.id == Idea.session_id)
            .outerjoin(Initiative, Initiative.source_idea_id == Idea.id)
            .where(Idea.intake_idea_id == idea.id).order_by(Idea.id))]
        history = [HistoryEntry(e.at, e.actor, e.action, e.changed)
                   for e in reversed(latest_events(s, limit=500, record_type=RECORD_TYPE, record_id=idea.id))]
        return IntakeDetail(IntakeRecord.of(idea, len(supporters)), moves, history, supporters, merged_from, uses)


def intake_counts() -> dict[str, int]:
    """Ideas per status (every status present, 0 when none)."""
    with read_session() as s:
        found = dict(s.execute(select(IntakeIdea.status, func.count()).group_by(IntakeIdea.status)).all())
    return {status: found.get(status, 0) for status in STATUSES}
