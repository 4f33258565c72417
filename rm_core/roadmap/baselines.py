"""Named baselines of the roadmap ("OP1 approved", "Q3 review") and what moved since one."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from rm_core.audit import record_event
from rm_core.errors import NotFound, UserError
from rm_core.identity import Actor, require
from rm_core.roadmap.initiatives import load_plan
from rm_core.roadmap.plan import Move, Plan, compare_to_baseline, snapshot_of
from rm_core.store.db import read_session, write_session
from rm_core.store.models import Baseline, utcnow


@dataclass(frozen=True)
class BaselineInfo:
    name: str
    created_at: dt.datetime
    created_by: str
    initiatives: int


@dataclass(frozen=True)
class SavedBaseline:
    name: str
    created_at: dt.datetime
    created_by: str
    snapshot: list[dict[str, Any]]


def save_baseline(actor: Actor, name: str) -> BaselineInfo:
    """Freeze the roadmap as it is now under a name; names are unique so leadership links stay stable."""
    require(actor, "roadmap.edit")
    name = " ".join(name.split())
    if not name:
        raise UserError("Give the baseline a name, e.g. 'OP1 approved' or 'Q3 review'.")
    if len(name) > 120:
        raise UserError("Keep the baseline name to 120 characters.")
    with write_session() as s:
        if s.scalar(select(Baseline.id).where(Baseline.name == name)) is not None:
            raise UserError(f"A baseline named {name!r} already exists; pick another name.")
        rows = snapshot_of(load_plan(s).items)
        baseline = Baseline(name=name, created_by=actor.name, snapshot=rows, created_at=utcnow())
        s.add(baseline)
        s.flush()
        record_event(s, actor.name, "roadmap.baseline_save", "baseline", baseline.id, None,
                     {"name": name, "initiatives": len(rows)})
        return BaselineInfo(name, baseline.created_at, actor.name, len(rows))


def delete_baseline(actor: Actor, name: str) -> None:
    require(actor, "roadmap.edit")
    with write_session() as s:
        baseline = s.scalar(select(Baseline).where(Baseline.name == name))
        if baseline is None:
            raise NotFound(f"No baseline named {name!r}.")
        record_event(s, actor.name, "roadmap.baseline_delete", "baseline", baseline.id,
                     {"name": name, "initiatives": len(baseline.snapshot or [])}, None)
        s.delete(baseline)


def list_baselines() -> list[BaselineInfo]:
    """Newest first."""
    with read_session() as s:
        rows = s.scalars(select(Baseline).order_by(Baseline.created_at.desc(), Baseline.id.desc()))
        return [BaselineInfo(b.name, b.created_at, b.created_by, len(b.snapshot or [])) for b in rows]


def get_baseline(name: str) -> SavedBaseline:
    with read_session() as s:
        baseline = s.scalar(select(Baseline).where(Baseline.name == name))
        if baseline is None:
            known = ", ".join(repr(b) for b in s.scalars(select(Baseline.name).order_by(Baseline.name))) or "none yet"
            raise NotFound(f"No baseline named {name!r} (saved baselines: {known}).")
        return SavedBaseline(baseline.name, baseline.created_at, baseline.created_by, list(baseline.snapshot))


def moved_since(name: str, plan: Plan | None = None) -> list[Move]:
    """Every initiative compared with the named baseline (see `plan.compare_to_baseline`)."""
    baseline = get_baseline(name)
    return compare_to_baseline(baseline.snapshot, (plan or load_plan()).items)
