"""What the roadmap page shows for a set of filters, computed in one call (the page's whole compute path)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import polars as pl

from rm_core.roadmap.charts import timeline_spec, window_for
from rm_core.roadmap.plan import (CHANGE_LABELS, STATUS_LABELS, ChainLink, DependencyConflict, Move, MoveSummary, Plan, PlanItem, chain_behind,
                                  compare_to_baseline, dependency_conflicts, is_late)

ZOOMS = ("all", "year", "quarter")


@dataclass
class RoadmapView:
    """The filtered plan and everything derived from it.

    `moves` is empty (and `summary` None) without a baseline. The chain behind a late initiative is computed
    on demand (`chain_behind(view.full_plan, id, today)`): hundreds of late items times long chains would cost
    more than the rest of the page.
    """

    plan: Plan
    today: dt.date
    workstreams: list[str]
    baseline_name: str | None
    window: tuple[dt.date, dt.date] | None
    timeline: dict[str, Any]
    moves: list[Move] = field(default_factory=list)
    summary: MoveSummary | None = None
    conflicts: list[DependencyConflict] = field(default_factory=list)
    late: list[PlanItem] = field(default_factory=list)
    full_plan: Plan | None = None

    def chain_behind(self, initiative_id: str) -> list[ChainLink]:
        return chain_behind(self.full_plan or self.plan, initiative_id, self.today)

    @cached_property
    def moved_frame(self) -> pl.DataFrame:
        """Initiatives that moved since the baseline: id, initiative, workstream, change (label), baseline_end,
        current_end, shift (days the end moved), status ("On track → At risk" when it changed, else "")."""
        moved = [m for m in self.moves if m.moved]
        return pl.DataFrame({
            "id": [m.initiative_id for m in moved], "initiative": [m.title for m in moved],
            "workstream": [m.workstream for m in moved], "change": [CHANGE_LABELS[m.change] for m in moved],
            "baseline_end": [m.baseline_end for m in moved], "current_end": [m.current_end for m in moved],
            "shift": [m.end_shift_days for m in moved],
            "status": [f"{STATUS_LABELS.get(m.baseline_status or '', '—')} → "
                       f"{STATUS_LABELS.get(m.current_status or '', '—')}" if m.status_changed else ""
                       for m in moved],
        }, schema={"id": pl.String, "initiative": pl.String, "workstream": pl.String, "change": pl.String,
                   "baseline_end": pl.Date, "current_end": pl.Date, "shift": pl.Int64, "status": pl.String})

    @cached_property
    def conflicts_frame(self) -> pl.DataFrame:
        """Dependency conflicts: successor, starts, waits_on, which_ends, overlap (days)."""
        c = self.conflicts
        return pl.DataFrame({
            "successor": [f"{x.successor_id} · {x.successor_title}" for x in c],
            "starts": [x.successor_start for x in c],
            "waits_on": [f"{x.predecessor_id} · {x.predecessor_title}" for x in c],
            "which_ends": [x.predecessor_end for x in c], "overlap": [x.overlap_days for x in c],
        }, schema={"successor": pl.String, "starts": pl.Date, "waits_on": pl.String, "which_ends": pl.Date,
                   "overlap": pl.Int64})

    @property
    def missing_path_to_green(self) -> list[PlanItem]:
        return [i for i in self.plan.items if i.status in ("at_risk", "off_track")
                and i.id not in self.plan.paths_to_green]


def roadmap_view(plan: Plan, *, today: dt.date, workstreams: Sequence[str] | None = None,
                 baseline_name: str | None = None, baseline_snapshot: Sequence[dict[str, Any]] | None = None,
                 zoom: str = "all", focus: dt.date | None = None, timeline_width: int | str = "container",
                 ghost_bars: bool = True) -> RoadmapView:
    """Filter by workstreams (None: all), compare with a baseline snapshot, check dependencies against the whole
    plan (a conflict with another workstream still matters), and build the timeline spec."""
    scoped = plan.only_workstreams(workstreams) if workstreams else plan
    moves: list[Move] = []
    if baseline_snapshot is not None:
        wanted = set(workstreams) if workstreams else None
        then = [r for r in baseline_snapshot if wanted is None or r.get("workstream") in wanted]
        moves = compare_to_baseline(then, scoped.items)
    window = window_for(zoom, today, focus)
    spec = timeline_spec(scoped, today=today, window=window, moves=moves if ghost_bars else None,
                         width=timeline_width)
    scoped_ids = {i.id for i in scoped.items}
    conflicts = [c for c in dependency_conflicts(plan)
                 if c.successor_id in scoped_ids or c.predecessor_id in scoped_ids]
    late = [i for i in scoped.items if is_late(i, today)]
    return RoadmapView(plan=scoped, today=today, workstreams=list(workstreams or plan.workstreams()),
                       baseline_name=baseline_name, window=window, timeline=spec, moves=moves,
                       summary=MoveSummary.of(moves) if baseline_snapshot is not None else None,
                       conflicts=conflicts, late=late, full_plan=plan)
