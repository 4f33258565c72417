"""Roadmap services: initiatives, milestones, dependencies, status with path to green — role-checked, audited.

Every write: `require(actor, "roadmap.edit")` first, then one transaction holding the change and its audit
event (and a StatusChange row for a status move). Refused input raises ValidationFailed and writes nothing.
A status of at risk / off track is accepted without a path to green (a CSV import cannot carry one); the page
and the one-pager flag those as "path to green missing".
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rm_core import paths_to_green
from rm_core.audit import record_event, snapshot
from rm_core.errors import NotFound, Problem, UserError, ValidationFailed
from rm_core.identity import Actor, require
from rm_core.paths_to_green import PathToGreenNote
from rm_core.roadmap.plan import (STATUS_RAG, STATUSES, MilestonePoint, Plan, PlanItem,
                                  find_cycle, roll_up)
from rm_core.roadmap.validation import check_dates, clean_fields, parse_date
from rm_core.store.db import read_session, write_session
from rm_core.store.models import (AuditEvent, Dependency, Initiative, Milestone, PathToGreen, StatusChange, User,
                                  utcnow)

RECORD = "initiative"
ROADMAP_RECORD_TYPES = ("initiative", "milestone", "dependency", "baseline")
ID_PATTERN = re.compile(r"^INI-(\d+)$")


# --- reading -------------------------------------------------------------------------------------------------

def known_owners(session: Session) -> dict[str, str]:
    """Lower-cased name -> stored spelling, for every user (name and display name) and every initiative owner."""
    names: dict[str, str] = {}
    for (owner,) in session.execute(select(Initiative.owner).distinct()):
        if owner:
            names[owner.lower()] = owner
    for name, display in session.execute(select(User.name, User.display_name)):
        names[name.lower()] = name
        if display:
            names.setdefault(display.lower(), name)
    return names


def list_owners() -> list[str]:
    """Everyone who may own an initiative or a path to green (stored spellings, sorted)."""
    with read_session() as s:
        return sorted(set(known_owners(s).values()), key=str.lower)


def load_plan(session: Session | None = None) -> Plan:
    """The whole roadmap in one read, dates rolled up from milestones."""
    if session is None:
        with read_session() as s:
            return load_plan(s)
    milestones = [MilestonePoint(*row) for row in session.execute(
        select(Milestone.id, Milestone.initiative_id, Milestone.title, Milestone.due, Milestone.done)
        .order_by(Milestone.due, Milestone.id))]
    dues: dict[str, list[dt.date]] = {}
    for m in milestones:
        dues.setdefault(m.initiative_id, []).append(m.due)
    status_at = dict(session.execute(
        select(StatusChange.record_id, func.max(StatusChange.at)).where(StatusChange.record_type == RECORD)
        .group_by(StatusChange.record_id)).all())
    items = []
    for row in session.execute(select(
            Initiative.id, Initiative.title, Initiative.workstream, Initiative.owner, Initiative.horizon,
            Initiative.start, Initiative.end, Initiative.status, Initiative.status_note, Initiative.ai_based,
            Initiative.expected_roi_usd, Initiative.source_idea_id, Initiative.description,
            Initiative.updated_at).order_by(Initiative.workstream, Initiative.start, Initiative.id)):
        dates = roll_up(row.start, row.end, dues.get(row.id, ()))
        items.append(PlanItem(
            id=row.id, title=row.title, workstream=row.workstream, owner=row.owner or "", horizon=row.horizon,
            start=dates.start, end=dates.end, status=row.status, status_note=row.status_note or "",
            status_at=status_at.get(row.id) or row.updated_at, ai_based=bool(row.ai_based),
            expected_roi_usd=row.expected_roi_usd, source_idea_id=row.source_idea_id,
            description=row.description or "", declared_start=row.start, declared_end=row.end))
    dependencies = [tuple(r) for r in session.execute(
        select(Dependency.predecessor_id, Dependency.successor_id)
        .order_by(Dependency.predecessor_id, Dependency.successor_id))]
    return Plan(items=items, milestones=milestones, dependencies=dependencies,
                paths_to_green=paths_to_green.current(session, RECORD))


def plan_version() -> tuple[Any, ...]:
    """Changes whenever anything on the roadmap changes: a cheap cache key for the page.

    The newest roadmap audit event is the main signal (every service write records one); counts and the newest
    `updated_at` also catch rows written by other domains (a workshop promotion) without an event.
    """
    with read_session() as s:
        return (
            s.scalar(select(func.max(AuditEvent.id)).where(AuditEvent.record_type.in_(ROADMAP_RECORD_TYPES))),
            *s.execute(select(func.count(), func.max(Initiative.updated_at))).one(),
            s.scalar(select(func.count()).select_from(Milestone)),
            s.scalar(select(func.count()).select_from(Dependency)),
            s.scalar(select(func.max(StatusChange.id))),
            s.scalar(select(func.max(PathToGreen.id))),
        )


@dataclass(frozen=True)
class StatusEntry:
    at: dt.datetime
    actor: str
    from_status: str | None
    to_status: str
    note: str


def status_history(initiative_id: str) -> list[StatusEntry]:
    """Every status move with its dated note, newest first."""
    with read_session() as s:
        rows = s.scalars(select(StatusChange).where(StatusChange.record_type == RECORD,
                                                    StatusChange.record_id == initiative_id)
                         .order_by(StatusChange.at.desc(), StatusChange.id.desc()))
        return [StatusEntry(r.at, r.actor, r.from_status, r.to_status, r.note) for r in rows]


def path_to_green_history(initiative_id: str) -> list[PathToGreenNote]:
    """Every version of the initiative's path to green, newest first."""
    with read_session() as s:
        return paths_to_green.history(s, RECORD, initiative_id)


def _get(session: Session, initiative_id: str) -> Initiative:
    ini = session.get(Initiative, initiative_id)
    if ini is None:
        raise NotFound(f"No initiative {initiative_id!r}; check the id on the roadmap page.")
    return ini


def next_initiative_id(session: Session) -> str:
    highest = 0
    for (key,) in session.execute(select(Initiative.id)):
        match = ID_PATTERN.match(key)
        if match:
            highest = max(highest, int(match.group(1)))
    return f"INI-{highest + 1:03d}"


# --- initiatives ---------------------------------------------------------------------------------------------

def _add_initiative(session: Session, actor: Actor, clean: Mapping[str, Any], initiative_id: str | None = None,
                    note: str = "") -> Initiative:
    ini = Initiative(id=initiative_id or next_initiative_id(session), title=clean["title"],
                     description=clean.get("description", ""), workstream=clean["workstream"],
                     owner=clean.get("owner", ""), horizon=clean.get("horizon", "next"),
                     start=clean.get("start"), end=clean.get("end"), status=clean.get("status", "not_started"),
                     status_note=clean.get("status_note", ""), ai_based=clean.get("ai_based", False),
                     expected_roi_usd=clean.get("expected_roi_usd"), source_idea_id=clean.get("source_idea_id"),
                     updated_at=utcnow())
    session.add(ini)
    session.flush()
    session.add(StatusChange(record_type=RECORD, record_id=ini.id, from_status=None, to_status=ini.status,
                             actor=actor.name, note=ini.status_note or note))
    record_event(session, actor.name, "roadmap.create", RECORD, ini.id, None, snapshot(ini))
    return ini


def create_initiative(actor: Actor, **fields: Any) -> str:
    """Add an initiative; returns its id (INI-###). Title and workstream are required."""
    require(actor, "roadmap.edit")
    with write_session() as s:
        clean, problems = clean_fields(fields, known_owners=known_owners(s))
        if problems:
            raise ValidationFailed(problems)
        return _add_initiative(s, actor, clean, note="created").id


def _apply_changes(session: Session, actor: Actor, ini: Initiative, clean: Mapping[str, Any],
                   row: int | None = None) -> tuple[dict[str, Any], list[Problem]]:
    """Merge clean values into `ini` (not yet flushed); returns the fields that changed and any problems."""
    changed = {k: v for k, v in clean.items() if getattr(ini, k) != v}
    problems = check_dates(changed.get("start", ini.start), changed.get("end", ini.end), row=row)
    if problems or not changed:
        return changed, problems
    before = snapshot(ini)
    old_status = ini.status
    for key, value in changed.items():
        setattr(ini, key, value)
    ini.updated_at = utcnow()
    if "status" in changed:
        session.add(StatusChange(record_type=RECORD, record_id=ini.id, from_status=old_status,
                                 to_status=ini.status, actor=actor.name, note=ini.status_note))
    record_event(session, actor.name, "roadmap.update", RECORD, ini.id, before, snapshot(ini))
    return changed, problems


def update_initiative(actor: Actor, initiative_id: str, **changes: Any) -> list[str]:
    """Change some fields of an initiative; returns the names of the fields that changed."""
    require(actor, "roadmap.edit")
    with write_session() as s:
        ini = _get(s, initiative_id)
        clean, problems = clean_fields(changes, known_owners=known_owners(s), partial=True)
        if problems:
            raise ValidationFailed(problems)
        changed, problems = _apply_changes(s, actor, ini, clean)
        if problems:
            raise ValidationFailed(problems)
        return sorted(changed)


def apply_grid_edits(actor: Actor, rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Apply edited grid rows (each with `id` and any editable fields) all at once, or none of them.

    Returns the ids that changed. Problems name the grid row (1-based) and field.
    """
    require(actor, "roadmap.edit")
    with write_session() as s:
        owners = known_owners(s)
        problems: list[Problem] = []
        changed_ids: list[str] = []
        for number, row in enumerate(rows, start=1):
            values = {k: v for k, v in row.items() if k != "id"}
            ini = s.get(Initiative, str(row.get("id", "")))
            if ini is None:
                problems.append(Problem(f"no initiative {row.get('id')!r}", row=number, field="id"))
                continue
            clean, found = clean_fields(values, known_owners=owners, partial=True, row=number)
            if found:
                problems.extend(found)
                continue
            changed, found = _apply_changes(s, actor, ini, clean, row=number)
            problems.extend(found)
            if changed:
                changed_ids.append(ini.id)
        if problems:
            raise ValidationFailed(problems)  # rolls back every row already applied
        return changed_ids


def drop_initiative(actor: Actor, initiative_id: str, reason: str = "") -> None:
    """Take an initiative off the roadmap (its milestones and dependencies go with it; baselines keep it)."""
    require(actor, "roadmap.edit")
    with write_session() as s:
        ini = _get(s, initiative_id)
        before = snapshot(ini)
        s.delete(ini)
        record_event(s, actor.name, "roadmap.drop", RECORD, initiative_id, before, {"reason": reason})


# --- status and path to green -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PathToGreenInput:
    """What brings an amber/red initiative back to green: actions with an owner and due date, blockers, and
    the decision needed from whom."""

    actions: str
    owner: str
    due: dt.date | str | None
    blockers: str = ""
    decision_needed: str = ""


def _add_path(session: Session, actor: Actor, ini: Initiative, path: PathToGreenInput) -> PathToGreen:
    problems = []
    if not path.actions.strip():
        problems.append(Problem("say which actions bring it back to green", field="actions"))
    owner = path.owner.strip()
    owners = known_owners(session)
    if not owner:
        problems.append(Problem("the path to green needs an owner", field="owner"))
    elif owner.lower() not in owners:
        problems.append(Problem(f"unknown owner {owner!r}: add them as a user first, or pick a known owner",
                                field="owner"))
    try:
        due = parse_date(path.due)
    except (TypeError, ValueError):
        due = None
        problems.append(Problem(f"due date {path.due!r} is not a date; write it as YYYY-MM-DD", field="due"))
    else:
        if due is None:
            problems.append(Problem("the path to green needs a due date", field="due"))
    if problems:
        raise ValidationFailed(problems)
    row = PathToGreen(record_type=RECORD, record_id=ini.id, rag=STATUS_RAG.get(ini.status, "green"),
                      actions=path.actions.strip(), owner=owners[owner.lower()], due=due,
                      blockers=path.blockers.strip(), decision_needed=path.decision_needed.strip(),
                      created_by=actor.name, created_at=utcnow())
    session.add(row)
    session.flush()
    record_event(session, actor.name, "roadmap.path_to_green", RECORD, ini.id, None,
                 snapshot(row, ["rag", "actions", "owner", "due", "blockers", "decision_needed"]))
    return row


def set_status(actor: Actor, initiative_id: str, status: str, note: str,
               path_to_green: PathToGreenInput | None = None) -> None:
    """Move an initiative's RAG status with a dated note (history kept), optionally with its path to green."""
    require(actor, "roadmap.edit")
    status = status.strip().lower().replace(" ", "_")
    problems = []
    if status not in STATUSES:
        problems.append(Problem(f"status {status!r} is not one of {', '.join(STATUSES)}", field="status"))
    if not note.strip():
        problems.append(Problem("write a short status note (what changed and why)", field="note"))
    if problems:
        raise ValidationFailed(problems)
    with write_session() as s:
        ini = _get(s, initiative_id)
        before = snapshot(ini, ["status", "status_note"])
        s.add(StatusChange(record_type=RECORD, record_id=ini.id, from_status=ini.status, to_status=status,
                           actor=actor.name, note=note.strip(), at=utcnow()))
        ini.status, ini.status_note, ini.updated_at = status, note.strip(), utcnow()
        record_event(s, actor.name, "roadmap.status", RECORD, ini.id, before,
                     snapshot(ini, ["status", "status_note"]))
        if path_to_green is not None:
            _add_path(s, actor, ini, path_to_green)


def save_path_to_green(actor: Actor, initiative_id: str, path: PathToGreenInput) -> None:
    """Record a new version of the path to green (older versions stay in the history)."""
    require(actor, "roadmap.edit")
    with write_session() as s:
        ini = _get(s, initiative_id)
        _add_path(s, actor, ini, path)
        ini.updated_at = utcnow()


# --- milestones ----------------------------------------------------------------------------------------------------

def add_milestone(actor: Actor, initiative_id: str, title: str, due: dt.date | str) -> int:
    require(actor, "roadmap.edit")
    problems = []
    if not title.strip():
        problems.append(Problem("the milestone needs a title", field="title"))
    try:
        due_date = parse_date(due)
    except (TypeError, ValueError):
        due_date = None
    if due_date is None:
        problems.append(Problem(f"due date {due!r} is not a date; write it as YYYY-MM-DD", field="due"))
    if problems:
        raise ValidationFailed(problems)
    with write_session() as s:
        ini = _get(s, initiative_id)
        m = Milestone(initiative_id=ini.id, title=title.strip()[:300], due=due_date, done=False)
        s.add(m)
        s.flush()
        ini.updated_at = utcnow()
        record_event(s, actor.name, "roadmap.milestone_add", "milestone", m.id, None, snapshot(m))
        return m.id


def update_milestone(actor: Actor, milestone_id: int, *, title: str | None = None,
                     due: dt.date | str | None = None, done: bool | None = None) -> None:
    require(actor, "roadmap.edit")
    with write_session() as s:
        m = s.get(Milestone, milestone_id)
        if m is None:
            raise NotFound(f"No milestone {milestone_id}.")
        before = snapshot(m)
        if title is not None:
            if not title.strip():
                raise ValidationFailed(Problem("the milestone needs a title", field="title"))
            m.title = title.strip()[:300]
        if due is not None:
            try:
                m.due = parse_date(due) or m.due
            except (TypeError, ValueError):
                raise ValidationFailed(Problem(f"due date {due!r} is not a date; write it as YYYY-MM-DD",
                                               field="due")) from None
        if done is not None:
            m.done = bool(done)
        s.get(Initiative, m.initiative_id).updated_at = utcnow()
        record_event(s, actor.name, "roadmap.milestone_update", "milestone", m.id, before, snapshot(m))


def remove_milestone(actor: Actor, milestone_id: int) -> None:
    require(actor, "roadmap.edit")
    with write_session() as s:
        m = s.get(Milestone, milestone_id)
        if m is None:
            raise NotFound(f"No milestone {milestone_id}.")
        before = snapshot(m)
        s.get(Initiative, m.initiative_id).updated_at = utcnow()
        s.delete(m)
        record_event(s, actor.name, "roadmap.milestone_remove", "milestone", milestone_id, before, None)


# --- dependencies ------------------------------------------------------------------------------------------------

def check_new_dependencies(existing: Iterable[tuple[str, str]], new: Iterable[tuple[str, str]],
                           known_ids: set[str], *, file: str | None = None,
                           rows: list[int | None] | None = None) -> list[Problem]:
    """Unknown ids, self-dependencies, duplicates and cycles among `new` edges added to `existing`."""
    problems: list[Problem] = []
    edges = set(existing)
    new = list(new)
    for index, (pred, succ) in enumerate(new):
        row = rows[index] if rows else None
        for key in (pred, succ):
            if key not in known_ids:
                problems.append(Problem(f"no initiative {key!r}", file=file, row=row, field="depends_on"))
        if pred == succ:
            problems.append(Problem(f"{succ} cannot depend on itself", file=file, row=row, field="depends_on"))
        edges.add((pred, succ))
    if not problems:
        cycle = find_cycle(edges)
        if cycle:
            # Read it from the link being added, so the message starts where the user acted.
            ring = cycle[:-1]
            starts = [pred for pred, _ in new if pred in ring]
            if starts:
                at = ring.index(starts[0])
                ring = ring[at:] + ring[:at]
                cycle = ring + ring[:1]
            problems.append(Problem("cycle in dependencies: " + " → ".join(cycle) + "; remove one of these links",
                                    file=file, field="depends_on"))
    return problems


def add_dependency(actor: Actor, predecessor_id: str, successor_id: str) -> None:
    """`successor_id` waits on `predecessor_id`; refused if it closes a cycle."""
    require(actor, "roadmap.edit")
    with write_session() as s:
        existing = [tuple(r) for r in s.execute(select(Dependency.predecessor_id, Dependency.successor_id))]
        if (predecessor_id, successor_id) in existing:
            raise UserError(f"{successor_id} already depends on {predecessor_id}.")
        ids = set(s.scalars(select(Initiative.id)))
        problems = check_new_dependencies(existing, [(predecessor_id, successor_id)], ids)
        if problems:
            raise ValidationFailed(problems)
        s.add(Dependency(predecessor_id=predecessor_id, successor_id=successor_id))
        for key in (predecessor_id, successor_id):
            s.get(Initiative, key).updated_at = utcnow()
        record_event(s, actor.name, "roadmap.dependency_add", "dependency", f"{predecessor_id}>{successor_id}",
                     None, {"predecessor_id": predecessor_id, "successor_id": successor_id})


def remove_dependency(actor: Actor, predecessor_id: str, successor_id: str) -> None:
    require(actor, "roadmap.edit")
    with write_session() as s:
        dep = s.get(Dependency, (predecessor_id, successor_id))
        if dep is None:
            raise NotFound(f"{successor_id} does not depend on {predecessor_id}.")
        s.delete(dep)
        for key in (predecessor_id, successor_id):
            ini = s.get(Initiative, key)
            if ini is not None:
                ini.updated_at = utcnow()
        record_event(s, actor.name, "roadmap.dependency_remove", "dependency",
                     f"{predecessor_id}>{successor_id}",
                     {"predecessor_id": predecessor_id, "successor_id": successor_id}, None)


# --- links back to workshops -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SourceIdea:
    idea_id: int
    session_id: int
    session_title: str
    text: str


def source_ideas(idea_ids: Iterable[int]) -> dict[int, SourceIdea]:
    """The workshop ideas initiatives were promoted from, so the page can link back to their session."""
    from rm_core.store.models import Idea, WorkshopSession

    wanted = sorted({i for i in idea_ids if i is not None})
    if not wanted:
        return {}
    with read_session() as s:
        rows = s.execute(select(Idea.id, Idea.session_id, WorkshopSession.title, Idea.text)
                         .join(WorkshopSession, WorkshopSession.id == Idea.session_id)
                         .where(Idea.id.in_(wanted)))
        return {r[0]: SourceIdea(*r) for r in rows}
