"""Where each metric stands: its RAG, its path to green (actions, owner, due date, kept with history) and the PM's
free-text note for a week's flash report. Writes check `metrics.edit` and record an audit event.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from rm_core import paths_to_green
from rm_core.audit import record_event, snapshot
from rm_core.errors import Problem, ValidationFailed
from rm_core.identity import Actor, require
from rm_core.metrics.engine import judge_rag
from rm_core.metrics.formatting import format_value
from rm_core.metrics.results import DeckResult, MetricSeries
from rm_core.paths_to_green import PathToGreenNote
from rm_core.store.db import read_session, write_session
from rm_core.store.models import FlashNote, PathToGreen

RAGS = ("red", "amber", "green")
RECORD_TYPE = "metric"
MAX_NOTE = 20_000


def save_path_to_green(actor: Actor, metric: str, *, rag: str, actions: str, owner: str, due: dt.date | None,
                       blockers: str = "", decision_needed: str = "") -> PathToGreenNote:
    """Add a new version of `metric`'s path to green (earlier versions stay as its history)."""
    require(actor, "metrics.edit")
    metric, actions, owner = (metric or "").strip(), (actions or "").strip(), (owner or "").strip()
    problems = []
    if not metric:
        problems.append(Problem("name the metric", field="metric"))
    if rag not in RAGS:
        problems.append(Problem(f"status must be one of {', '.join(RAGS)}", field="rag"))
    if not actions:
        problems.append(Problem("write the actions that bring the metric back to target", field="actions"))
    if not owner:
        problems.append(Problem("name who owns the path to green", field="owner"))
    if rag in ("red", "amber") and due is None:
        problems.append(Problem("give a due date for a red or amber metric's path to green", field="due"))
    for name, text in (("actions", actions), ("blockers", blockers), ("decision_needed", decision_needed)):
        if len(text or "") > MAX_NOTE:
            problems.append(Problem(f"keep it under {MAX_NOTE:,} characters", field=name))
    if problems:
        raise ValidationFailed(problems)
    with write_session() as session:
        previous = paths_to_green.latest_row(session, RECORD_TYPE, metric)
        row = PathToGreen(record_type=RECORD_TYPE, record_id=metric[:120], rag=rag, actions=actions,
                          owner=owner[:64], due=due, blockers=(blockers or "").strip(),
                          decision_needed=(decision_needed or "").strip(), created_by=actor.name)
        session.add(row)
        session.flush()
        fields = ["rag", "actions", "owner", "due", "blockers", "decision_needed"]
        record_event(session, actor.name, "metrics.path_to_green", RECORD_TYPE, metric,
                     snapshot(previous, fields) if previous is not None else None, snapshot(row, fields))
        return PathToGreenNote.of(row)


def latest_paths(session: Session | None = None) -> dict[str, PathToGreenNote]:
    """The current path to green of every metric that has one."""
    if session is not None:
        return paths_to_green.current(session, RECORD_TYPE)
    with read_session() as s:
        return paths_to_green.current(s, RECORD_TYPE)


def path_history(metric: str) -> list[PathToGreenNote]:
    """Every saved version of a metric's path to green, newest first."""
    with read_session() as s:
        return paths_to_green.history(s, RECORD_TYPE, metric)


# ----------------------------------------------------------------------------------------------------------------
# RAG per metric

@dataclass(frozen=True)
class MetricStatus:
    """One charted metric's standing for the week: value, target, RAG and its current path to green."""

    metric: str
    title: str
    section: str
    rag: str | None
    owner: str | None
    value: float | None
    target: float | None
    unit: str | None
    direction: str | None
    series: MetricSeries
    path: PathToGreenNote | None

    @property
    def needs_path(self) -> bool:
        return self.rag in ("red", "amber")

    @property
    def value_text(self) -> str:
        return format_value(self.value, self.unit)

    @property
    def target_text(self) -> str:
        return format_value(self.target, self.unit) if self.target is not None else "–"


def metric_rag(series: MetricSeries, target: float | None = None) -> str | None:
    """green / amber / red for last week's value, from the rag thresholds, else the target and direction."""
    if series.rag is not None:
        return series.rag
    return judge_rag(series.boxes[0], series.info, target if target is not None else series.info.target)


def metric_statuses(result: DeckResult, paths: dict[str, PathToGreenNote] | None = None) -> list[MetricStatus]:
    """Every chart's primary metric in deck order, with its RAG and current path to green."""
    from rm_core.metrics.results import GraphBlock, SectionBlock

    paths = paths or {}
    out, section = [], ""
    for block in result.blocks:
        if isinstance(block, SectionBlock):
            section = block.title
            continue
        if not isinstance(block, GraphBlock):
            continue
        s = block.primary
        target = block.target.boxes[0] if block.target is not None else s.info.target
        out.append(MetricStatus(metric=s.name, title=block.title, section=section, rag=metric_rag(s, target),
                                owner=s.info.owner, value=s.boxes[0], target=target, unit=s.info.unit,
                                direction=s.info.direction, series=s, path=paths.get(s.name)))
    return out


# ----------------------------------------------------------------------------------------------------------------
# the PM's note for a week's flash report

@dataclass(frozen=True)
class FlashNoteText:
    week_ending: dt.date
    note: str
    updated_at: dt.datetime
    updated_by: str


def save_flash_note(actor: Actor, week_ending: dt.date, note: str) -> FlashNoteText:
    """Write (or replace) the PM's note for the week ending `week_ending`."""
    require(actor, "metrics.edit")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationFailed(Problem(f"keep the note under {MAX_NOTE:,} characters", field="note"))
    with write_session() as session:
        row = session.get(FlashNote, week_ending)
        before = snapshot(row, ["note", "updated_by"]) if row is not None else None
        if row is None:
            row = FlashNote(week_ending=week_ending, note=note, updated_by=actor.name)
            session.add(row)
        else:
            row.note, row.updated_by = note, actor.name
        row.updated_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        session.flush()
        record_event(session, actor.name, "metrics.flash_note", "flash_note", week_ending.isoformat(), before,
                     {"note": note, "updated_by": actor.name})
        return FlashNoteText(week_ending, row.note, row.updated_at, row.updated_by)


def flash_note(week_ending: dt.date) -> FlashNoteText | None:
    with read_session() as session:
        row = session.get(FlashNote, week_ending)
        if row is None:
            return None
        return FlashNoteText(row.week_ending, row.note, row.updated_at, row.updated_by)
