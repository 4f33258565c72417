"""What was done: every write records an audit event in the same transaction as the change."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from rm_core.store.models import AuditEvent


def snapshot(record: Any, fields: list[str] | None = None) -> dict[str, Any]:
    """A JSON-safe copy of a record's columns (dates as ISO strings), for the before/after of an event."""
    mapper = inspect(type(record))
    names = fields or [c.key for c in mapper.column_attrs]
    return {name: _jsonable(getattr(record, name)) for name in names}


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def record_event(session: Session, actor: str, action: str, record_type: str, record_id: str | int,
                 before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> AuditEvent:
    """Add an audit event to the caller's transaction (it commits or rolls back with the change)."""
    event = AuditEvent(actor=actor, action=action, record_type=record_type, record_id=str(record_id),
                       before=_jsonable(before), after=_jsonable(after))
    session.add(event)
    return event


@dataclass(frozen=True)
class AuditEntry:
    at: dt.datetime
    actor: str
    action: str
    record_type: str
    record_id: str
    changed: list[str]


def latest_events(session: Session, limit: int = 20, record_type: str | None = None,
                  record_id: str | None = None) -> list[AuditEntry]:
    """Newest first; `changed` names the fields whose value differs between before and after."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if record_type:
        query = query.where(AuditEvent.record_type == record_type)
    if record_id:
        query = query.where(AuditEvent.record_id == str(record_id))
    entries = []
    for ev in session.scalars(query):
        before, after = ev.before or {}, ev.after or {}
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        entries.append(AuditEntry(ev.at, ev.actor, ev.action, ev.record_type, ev.record_id, changed))
    return entries
