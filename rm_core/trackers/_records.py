"""Shared plumbing for tracker services: next readable id, record lookup, status-change rows."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rm_core.errors import NotFound, UserError
from rm_core.store.models import StatusChange, utcnow


def next_id(session: Session, model, prefix: str, width: int) -> str:
    """`PREFIX-000N` one above the highest number in use (ids are zero-padded, so the longest sorts last)."""
    column = model.id
    last = session.scalar(select(column).where(column.like(f"{prefix}-%"))
                          .order_by(func.length(column).desc(), column.desc()).limit(1))
    number = 0
    if last:
        try:
            number = int(last.split("-", 1)[1])
        except ValueError:
            number = 0
    return f"{prefix}-{number + 1:0{width}d}"


def get_or_404(session: Session, model, record_id: str, noun: str):
    record = session.get(model, (record_id or "").strip())
    if record is None:
        raise NotFound(f"No {noun} {record_id!r}; check the id (list them on the page or with the CLI).")
    return record


def add_status_change(session: Session, record_type: str, record_id: str, from_status: str | None,
                      to_status: str, actor: str, at: dt.datetime, note: str = "") -> StatusChange:
    change = StatusChange(record_type=record_type, record_id=record_id, from_status=from_status,
                          to_status=to_status, at=at, actor=actor, note=note)
    session.add(change)
    return change


def when(at: dt.datetime | None) -> dt.datetime:
    """The moment a change happened: naive UTC (what the database stores); now when not given."""
    if at is None:
        return utcnow()
    if at.tzinfo is not None:
        at = at.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return at


def required_text(value: str | None, what: str, limit: int | None = None) -> str:
    text = (value or "").strip()
    if not text:
        raise UserError(f"{what} is required.")
    if limit and len(text) > limit:
        raise UserError(f"{what} is too long ({len(text)} characters; at most {limit}).")
    return text
