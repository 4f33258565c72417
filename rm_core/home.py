"""What is in the workbench right now: the counts the Home page shows."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rm_core.audit import AuditEntry, latest_events
from rm_core.store.db import read_session
from rm_core.store.models import MO, Gap, Initiative, Request, Rule
from rm_core.trackers.gaps import OPEN_STATUSES as OPEN_GAP_STATUSES
from rm_core.trackers.requests import OPEN_STATUSES as OPEN_REQUEST_STATUSES
from rm_core.trackers.sla import AGEING_BUCKETS, ageing_bucket

@dataclass(frozen=True)
class WorkbenchSummary:
    mos: int
    mos_active: int
    rules_active: int
    rules_total: int
    open_requests_by_age: dict[str, int]
    open_gaps: int
    initiatives_by_status: dict[str, int]
    recent_changes: list[AuditEntry]

    @property
    def is_empty(self) -> bool:
        return self.mos == 0 and self.rules_total == 0 and not any(self.open_requests_by_age.values()) \
            and not self.initiatives_by_status


def workbench_summary(session: Session | None = None, today: dt.date | None = None,
                      changes: int = 15) -> WorkbenchSummary:
    """The Home page's figures; without a session, read in one read transaction of the configured database."""
    if session is None:
        with read_session() as s:
            return workbench_summary(s, today, changes)
    now = dt.datetime.combine(today or dt.date.today(), dt.time.max)

    def count(model, *where) -> int:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    by_age = dict.fromkeys(AGEING_BUCKETS, 0)
    for (opened,) in session.execute(select(Request.opened_at).where(Request.status.in_(OPEN_REQUEST_STATUSES))):
        by_age[ageing_bucket(max((now - opened).days, 0))] += 1
    by_status = dict(session.execute(select(Initiative.status, func.count()).group_by(Initiative.status)).all())
    return WorkbenchSummary(
        mos=count(MO),
        mos_active=count(MO, MO.status == "active"),
        rules_active=count(Rule, Rule.status == "active"),
        rules_total=count(Rule),
        open_requests_by_age=by_age,
        open_gaps=count(Gap, Gap.status.in_(OPEN_GAP_STATUSES)),
        initiatives_by_status={k: by_status[k] for k in
                               ("not_started", "on_track", "at_risk", "off_track", "done") if k in by_status},
        recent_changes=latest_events(session, limit=changes),
    )
