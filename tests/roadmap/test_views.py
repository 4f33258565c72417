"""The page's compute path: filters, baseline comparison, conflicts across workstreams, frames."""
from __future__ import annotations

import datetime as dt

from rm_core.roadmap.plan import Plan, PlanItem, snapshot_of
from rm_core.roadmap.views import roadmap_view

D = dt.date
TODAY = D(2026, 5, 15)


def plan() -> Plan:
    return Plan(items=[PlanItem("A", "Identity graph", "Detection", start=D(2026, 1, 1), end=D(2026, 4, 30),
                                status="off_track"),
                       PlanItem("B", "Payout alerts", "Payments", start=D(2026, 3, 1), end=D(2026, 6, 30)),
                       PlanItem("C", "SOP parity", "Operations", start=D(2026, 7, 1), end=D(2026, 9, 30))],
                dependencies=[("A", "B"), ("B", "C")])


def test_a_conflict_with_another_workstream_still_shows_when_filtering_to_one():
    view = roadmap_view(plan(), today=TODAY, workstreams=["Payments"])
    assert [i.id for i in view.plan.items] == ["B"]
    assert [(c.predecessor_id, c.successor_id) for c in view.conflicts] == [("A", "B")]
    assert view.chain_behind("B")[0].initiative_id == "A"  # the chain crosses workstreams too


def test_the_baseline_is_narrowed_to_the_same_workstreams():
    then = snapshot_of(plan().items)
    view = roadmap_view(plan(), today=TODAY, workstreams=["Payments"], baseline_name="OP1",
                        baseline_snapshot=then)
    assert [m.initiative_id for m in view.moves] == ["B"]  # A and C are not "dropped" from this view
    assert view.summary.unchanged == 1


def test_the_moved_frame_lists_only_what_moved_with_typed_columns():
    then = snapshot_of([PlanItem("A", "Identity graph", "Detection", start=D(2026, 1, 1), end=D(2026, 3, 31),
                                 status="on_track"),
                        PlanItem("Z", "Dropped idea", "Detection", start=D(2026, 1, 1), end=D(2026, 2, 1))])
    view = roadmap_view(plan(), today=TODAY, workstreams=["Detection"], baseline_name="OP1",
                        baseline_snapshot=then)
    frame = view.moved_frame
    assert frame.columns == ["id", "initiative", "workstream", "change", "baseline_end", "current_end", "shift",
                             "status"]
    assert frame.rows() == [
        ("Z", "Dropped idea", "Detection", "Dropped", D(2026, 2, 1), None, None, ""),
        ("A", "Identity graph", "Detection", "Slipped", D(2026, 3, 31), D(2026, 4, 30), 30, "On track → Off track"),
    ]


def test_late_initiatives_are_listed_and_zoom_sets_the_window():
    view = roadmap_view(plan(), today=TODAY, zoom="quarter")
    assert [i.id for i in view.late] == ["A"]
    assert view.window == (D(2026, 4, 1), D(2026, 6, 30))
    assert view.conflicts_frame.height == 1 and view.conflicts_frame["overlap"].to_list() == [60]
