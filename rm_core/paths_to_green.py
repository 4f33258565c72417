"""Paths to green as the metrics and the roadmap read them: one saved version of a record's plan back to green
(actions, owner, due date, blockers, decision needed), its history and the current one of every record."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from rm_core.store.models import PathToGreen


@dataclass(frozen=True)
class PathToGreenNote:
    """One saved version of a record's path to green (the newest is the current one); `record_id` is the metric
    name or the initiative id."""

    id: int
    record_id: str
    rag: str
    actions: str
    owner: str
    due: dt.date | None
    blockers: str
    decision_needed: str
    created_at: dt.datetime
    created_by: str

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.due < dt.date.today()

    @classmethod
    def of(cls, row: PathToGreen) -> PathToGreenNote:
        return cls(id=row.id, record_id=row.record_id, rag=row.rag, actions=row.actions, owner=row.owner,
                   due=row.due, blockers=row.blockers, decision_needed=row.decision_needed,
                   created_at=row.created_at, created_by=row.created_by)


def _newest_first(record_type: str, record_id: str):
    return (select(PathToGreen).where(PathToGreen.record_type == record_type, PathToGreen.record_id == record_id)
            .order_by(PathToGreen.created_at.desc(), PathToGreen.id.desc()))


def latest_row(session: Session, record_type: str, record_id: str) -> PathToGreen | None:
    return session.scalars(_newest_first(record_type, record_id).limit(1)).first()


def history(session: Session, record_type: str, record_id: str) -> list[PathToGreenNote]:
    """Every saved version of the record's path to green, newest first."""
    return [PathToGreenNote.of(row) for row in session.scalars(_newest_first(record_type, record_id))]


def current(session: Session, record_type: str) -> dict[str, PathToGreenNote]:
    """The current path to green of every record of this type that has one."""
    rows = session.scalars(select(PathToGreen).where(PathToGreen.record_type == record_type)
                           .order_by(PathToGreen.created_at, PathToGreen.id))
    return {row.record_id: PathToGreenNote.of(row) for row in rows}
