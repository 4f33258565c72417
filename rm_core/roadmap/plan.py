"""The roadmap as plain data and the pure reasoning over it: date roll-up, slip since a baseline, dependencies.

Nothing here touches the database: services load a `Plan`, these functions answer questions about it, so the
page, the CLI, the exports and the tests all reason the same way.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rm_core.paths_to_green import PathToGreenNote

STATUSES = ("not_started", "on_track", "at_risk", "off_track", "done")
STATUS_LABELS = {"not_started": "Not started", "on_track": "On track", "at_risk": "At risk",
                 "off_track": "Off track", "done": "Done"}
# RAG as leadership reads it; amber and red are the ones that owe a path to green.
STATUS_RAG = {"not_started": "green", "on_track": "green", "at_risk": "amber", "off_track": "red", "done": "green"}
NEEDS_PATH_TO_GREEN = frozenset({"at_risk", "off_track"})
HORIZONS = ("now", "next", "later")
HORIZON_LABELS = {"now": "Now", "next": "Next", "later": "Later"}


@dataclass(frozen=True)
class PlanItem:
    """One initiative as the plan sees it.

    `start`/`end` are the rolled-up dates (declared dates widened to cover every milestone); `declared_start`/
    `declared_end` are what the owner typed. `status_at` is when the current status was last set.
    """

    id: str
    title: str
    workstream: str
    owner: str = ""
    horizon: str = "next"
    start: dt.date | None = None
    end: dt.date | None = None
    status: str = "not_started"
    status_note: str = ""
    status_at: dt.datetime | None = None
    ai_based: bool = False
    expected_roi_usd: float | None = None
    source_idea_id: int | None = None
    description: str = ""
    declared_start: dt.date | None = None
    declared_end: dt.date | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def rag(self) -> str:
        return STATUS_RAG.get(self.status, "green")


@dataclass(frozen=True)
class MilestonePoint:
    id: int
    initiative_id: str
    title: str
    due: dt.date
    done: bool = False


@dataclass
class Plan:
    """Everything the roadmap page shows, loaded in one read: initiatives, milestones, dependency edges
    (predecessor, successor), the current path to green per initiative."""

    items: list[PlanItem]
    milestones: list[MilestonePoint] = field(default_factory=list)
    dependencies: list[tuple[str, str]] = field(default_factory=list)
    paths_to_green: dict[str, PathToGreenNote] = field(default_factory=dict)

    def by_id(self) -> dict[str, PlanItem]:
        return {item.id: item for item in self.items}

    def workstreams(self) -> list[str]:
        return sorted({item.workstream for item in self.items})

    def only_workstreams(self, workstreams: Iterable[str]) -> Plan:
        """The part of the plan in these workstreams (dependencies kept only when both ends remain)."""
        keep = set(workstreams)
        items = [i for i in self.items if i.workstream in keep]
        ids = {i.id for i in items}
        return Plan(items=items,
                    milestones=[m for m in self.milestones if m.initiative_id in ids],
                    dependencies=[(p, s) for p, s in self.dependencies if p in ids and s in ids],
                    paths_to_green={k: v for k, v in self.paths_to_green.items() if k in ids})


# --- dates ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RolledDates:
    start: dt.date | None
    end: dt.date | None
    extended: bool  # a milestone fell outside the declared dates (or supplied a missing one)


def roll_up(declared_start: dt.date | None, declared_end: dt.date | None,
            milestone_dues: Iterable[dt.date]) -> RolledDates:
    """An initiative spans its declared dates and every milestone: a milestone outside them widens the span,
    a missing date is taken from the earliest/latest milestone (as Jira Plans rolls dates up from children)."""
    dues = sorted(milestone_dues)
    if not dues:
        return RolledDates(declared_start, declared_end, False)
    start = dues[0] if declared_start is None else min(declared_start, dues[0])
    end = dues[-1] if declared_end is None else max(declared_end, dues[-1])
    return RolledDates(start, end, (start, end) != (declared_start, declared_end))


def quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """First and last day of a calendar quarter."""
    first = dt.date(year, 3 * (quarter - 1) + 1, 1)
    after = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
    return first, after - dt.timedelta(days=1)


def parse_quarter(text: str) -> tuple[int, int]:
    """'2026-Q3', '2026Q3' or 'Q3 2026' -> (2026, 3); ValueError with the accepted forms otherwise."""
    cleaned = text.strip().upper().replace(" ", "").replace("-", "")
    for year_part, q_part in ((cleaned[:4], cleaned[4:]), (cleaned[2:], cleaned[:2])):
        if q_part.startswith("Q") and q_part[1:].isdigit() and year_part.isdigit():
            quarter = int(q_part[1:])
            if 1 <= quarter <= 4:
                return int(year_part), quarter
    raise ValueError(f"{text!r} is not a quarter; write it like 2026-Q3")


def overlaps(item: PlanItem, first: dt.date, last: dt.date) -> bool:
    if item.start is None and item.end is None:
        return False
    start = item.start or item.end
    end = item.end or item.start
    return start <= last and end >= first


# --- baselines and slip ----------------------------------------------------------------------------------------

SNAPSHOT_FIELDS = ("id", "title", "workstream", "owner", "horizon", "start", "end", "status")
CHANGES = ("slipped", "pulled_in", "rescheduled", "added", "dropped", "unchanged")
CHANGE_LABELS = {"slipped": "Slipped", "pulled_in": "Pulled in", "rescheduled": "Rescheduled", "added": "Added",
                 "dropped": "Dropped", "unchanged": "Unchanged"}


def snapshot_of(items: Iterable[PlanItem]) -> list[dict[str, Any]]:
    """What a baseline keeps of each initiative (rolled-up dates as ISO strings), JSON-ready."""
    rows = []
    for item in items:
        row = {name: getattr(item, name) for name in SNAPSHOT_FIELDS}
        row["start"] = item.start.isoformat() if item.start else None
        row["end"] = item.end.isoformat() if item.end else None
        rows.append(row)
    return rows


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class Move:
    """How one initiative changed between a baseline and now.

    `change` is slipped (ends later), pulled_in (ends earlier), rescheduled (same end, other start), added (not in
    the baseline), dropped (no longer on the roadmap) or unchanged; `end_shift_days` is positive for a slip.
    A status move is reported by `status_changed` alongside any date change.
    """

    initiative_id: str
    title: str
    workstream: str
    change: str
    baseline_start: dt.date | None
    baseline_end: dt.date | None
    current_start: dt.date | None
    current_end: dt.date | None
    end_shift_days: int | None
    start_shift_days: int | None
    baseline_status: str | None
    current_status: str | None

    @property
    def status_changed(self) -> bool:
        return (self.baseline_status is not None and self.current_status is not None
                and self.baseline_status != self.current_status)

    @property
    def moved(self) -> bool:
        return self.change != "unchanged" or self.status_changed


def _shift(before: dt.date | None, after: dt.date | None) -> int | None:
    if before is None or after is None:
        return None
    return (after - before).days


def compare_to_baseline(baseline: Sequence[Mapping[str, Any]], current: Iterable[PlanItem]) -> list[Move]:
    """Every initiative in the baseline or now, classified; sorted dropped, slipped (largest first), added,
    pulled in, rescheduled, then status-only changes and unchanged ones."""
    then = {str(row["id"]): row for row in baseline}
    moves: list[Move] = []
    seen: set[str] = set()
    for item in current:
        seen.add(item.id)
        row = then.get(item.id)
        if row is None:
            moves.append(Move(item.id, item.title, item.workstream, "added", None, None, item.start, item.end,
                              None, None, None, item.status))
            continue
        b_start, b_end = _date(row.get("start")), _date(row.get("end"))
        end_shift, start_shift = _shift(b_end, item.end), _shift(b_start, item.start)
        if end_shift is not None and end_shift > 0:
            change = "slipped"
        elif end_shift is not None and end_shift < 0:
            change = "pulled_in"
        elif (start_shift not in (None, 0)) or (b_start is None) != (item.start is None) \
                or (b_end is None) != (item.end is None):
            change = "rescheduled"
        else:
            change = "unchanged"
        moves.append(Move(item.id, item.title, item.workstream, change, b_start, b_end, item.start, item.end,
                          end_shift, start_shift, row.get("status"), item.status))
    for key, row in then.items():
        if key not in seen:
            moves.append(Move(key, str(row.get("title", "")), str(row.get("workstream", "")), "dropped",
                              _date(row.get("start")), _date(row.get("end")), None, None, None, None,
                              row.get("status"), None))
    order = {"dropped": 0, "slipped": 1, "added": 2, "pulled_in": 3, "rescheduled": 4, "unchanged": 5}
    moves.sort(key=lambda m: (order[m.change], 0 if m.status_changed else 1, -(m.end_shift_days or 0),
                              m.workstream, m.title))
    return moves


@dataclass(frozen=True)
class MoveSummary:
    slipped: int
    pulled_in: int
    rescheduled: int
    added: int
    dropped: int
    status_changes: int
    unchanged: int

    @classmethod
    def of(cls, moves: Iterable[Move]) -> MoveSummary:
        counts: dict[str, int] = defaultdict(int)
        status_changes = 0
        for m in moves:
            counts[m.change] += 1
            status_changes += m.status_changed
        return cls(counts["slipped"], counts["pulled_in"], counts["rescheduled"], counts["added"],
                   counts["dropped"], status_changes, counts["unchanged"])


# --- dependencies ----------------------------------------------------------------------------------------------

def find_cycle(edges: Iterable[tuple[str, str]]) -> list[str] | None:
    """One dependency cycle as a path that returns to its start (['A', 'B', 'A']), or None if there is none."""
    graph: dict[str, list[str]] = defaultdict(list)
    for pred, succ in edges:
        graph[pred].append(succ)
    WHITE, GREY, BLACK = 0, 1, 2
    colour: dict[str, int] = defaultdict(int)
    for root in list(graph):
        if colour[root] != WHITE:
            continue
        # Iterative DFS: a long chain of 1,000 dependencies must not hit Python's recursion limit.
        path: list[str] = [root]
        stack = [iter(graph[root])]
        colour[root] = GREY
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                colour[path.pop()] = BLACK
                stack.pop()
                continue
            if colour[nxt] == GREY:
                return path[path.index(nxt):] + [nxt]
            if colour[nxt] == WHITE:
                colour[nxt] = GREY
                path.append(nxt)
                stack.append(iter(graph.get(nxt, ())))
    return None


@dataclass(frozen=True)
class DependencyConflict:
    """A successor planned to start before its predecessor ends (by `overlap_days`)."""

    predecessor_id: str
    predecessor_title: str
    predecessor_end: dt.date
    successor_id: str
    successor_title: str
    successor_start: dt.date

    @property
    def overlap_days(self) -> int:
        return (self.predecessor_end - self.successor_start).days


def dependency_conflicts(plan: Plan) -> list[DependencyConflict]:
    """Dependencies whose predecessor ends after the successor starts, worst overlap first."""
    items = plan.by_id()
    found = []
    for pred_id, succ_id in plan.dependencies:
        pred, succ = items.get(pred_id), items.get(succ_id)
        if pred is None or succ is None or pred.end is None or succ.start is None:
            continue
        if pred.end > succ.start:
            found.append(DependencyConflict(pred.id, pred.title, pred.end, succ.id, succ.title, succ.start))
    found.sort(key=lambda c: (-c.overlap_days, c.successor_id))
    return found


def is_late(item: PlanItem, today: dt.date) -> bool:
    """Off track, or past its end date and not done."""
    if item.status == "done":
        return False
    return item.status == "off_track" or (item.end is not None and item.end < today)


@dataclass(frozen=True)
class ChainLink:
    """One initiative upstream of the one asked about: `depth` 1 is a direct predecessor, `feeds` the
    initiative it is a predecessor of on the way."""

    initiative_id: str
    title: str
    workstream: str
    owner: str
    end: dt.date | None
    status: str
    depth: int
    feeds: str
    late: bool


def chain_behind(plan: Plan, initiative_id: str, today: dt.date) -> list[ChainLink]:
    """Every initiative the given one waits on, directly or through others, nearest first (each once)."""
    preds: dict[str, list[str]] = defaultdict(list)
    for pred, succ in plan.dependencies:
        preds[succ].append(pred)
    items = plan.by_id()
    seen = {initiative_id}
    queue = deque([(initiative_id, 0)])
    chain: list[ChainLink] = []
    while queue:
        current, depth = queue.popleft()
        for pred_id in sorted(preds.get(current, ())):
            if pred_id in seen or pred_id not in items:
                continue
            seen.add(pred_id)
            p = items[pred_id]
            chain.append(ChainLink(p.id, p.title, p.workstream, p.owner, p.end, p.status, depth + 1, current,
                                   is_late(p, today)))
            queue.append((pred_id, depth + 1))
    return chain


def waiting_on(plan: Plan, initiative_id: str) -> list[str]:
    """Every initiative downstream of the given one (what its lateness delays), nearest first."""
    succs: dict[str, list[str]] = defaultdict(list)
    for pred, succ in plan.dependencies:
        succs[pred].append(succ)
    seen = {initiative_id}
    order: list[str] = []
    queue = deque([initiative_id])
    while queue:
        current = queue.popleft()
        for nxt in sorted(succs.get(current, ())):
            if nxt not in seen:
                seen.add(nxt)
                order.append(nxt)
                queue.append(nxt)
    return order
