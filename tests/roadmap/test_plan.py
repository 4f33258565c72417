"""The pure roadmap reasoning: roll-up, slip since a baseline, dependency conflicts, chains and cycles."""
from __future__ import annotations

import datetime as dt

import pytest

from rm_core.roadmap.plan import (MilestonePoint, MoveSummary, Plan, PlanItem, chain_behind, compare_to_baseline,
                                  dependency_conflicts, find_cycle, is_late, parse_quarter, quarter_bounds,
                                  roll_up, snapshot_of, waiting_on)

D = dt.date
TODAY = D(2026, 6, 15)


def item(key: str, start: dt.date | None, end: dt.date | None, status: str = "on_track",
         workstream: str = "Detection", title: str | None = None) -> PlanItem:
    return PlanItem(id=key, title=title or f"Initiative {key}", workstream=workstream, start=start, end=end,
                    status=status)


# --- roll-up ------------------------------------------------------------------------------------------------

def test_a_milestone_after_the_declared_end_pushes_the_end_out():
    rolled = roll_up(D(2026, 1, 1), D(2026, 3, 31), [D(2026, 2, 1), D(2026, 4, 20)])
    assert (rolled.start, rolled.end, rolled.extended) == (D(2026, 1, 1), D(2026, 4, 20), True)


def test_a_milestone_before_the_declared_start_pulls_the_start_in():
    rolled = roll_up(D(2026, 2, 1), D(2026, 3, 31), [D(2026, 1, 10)])
    assert (rolled.start, rolled.end) == (D(2026, 1, 10), D(2026, 3, 31))


def test_milestones_inside_the_declared_dates_leave_them_alone():
    rolled = roll_up(D(2026, 1, 1), D(2026, 3, 31), [D(2026, 2, 1)])
    assert (rolled.start, rolled.end, rolled.extended) == (D(2026, 1, 1), D(2026, 3, 31), False)


def test_missing_dates_are_taken_from_the_earliest_and_latest_milestone():
    rolled = roll_up(None, None, [D(2026, 5, 1), D(2026, 2, 1), D(2026, 3, 1)])
    assert (rolled.start, rolled.end) == (D(2026, 2, 1), D(2026, 5, 1))


def test_no_milestones_and_no_dates_stays_unscheduled():
    assert roll_up(None, None, []) == roll_up(None, None, ())
    assert roll_up(None, None, []).start is None


def test_quarters_are_parsed_and_bounded():
    assert parse_quarter("2026-Q3") == (2026, 3)
    assert parse_quarter("Q4 2026") == (2026, 4)
    assert quarter_bounds(2026, 4) == (D(2026, 10, 1), D(2026, 12, 31))
    assert quarter_bounds(2026, 1) == (D(2026, 1, 1), D(2026, 3, 31))
    with pytest.raises(ValueError, match="2026-Q3"):
        parse_quarter("2026-Q5")


# --- slip since a baseline -------------------------------------------------------------------------------------

def baseline_of(*items: PlanItem) -> list[dict]:
    return snapshot_of(items)


def test_an_initiative_ending_later_than_in_the_baseline_slipped_by_the_difference():
    then = baseline_of(item("INI-001", D(2026, 1, 1), D(2026, 3, 31)))
    [move] = compare_to_baseline(then, [item("INI-001", D(2026, 1, 1), D(2026, 5, 15))])
    assert move.change == "slipped"
    assert move.end_shift_days == 45
    assert move.baseline_end == D(2026, 3, 31) and move.current_end == D(2026, 5, 15)


def test_an_initiative_ending_earlier_was_pulled_in():
    then = baseline_of(item("INI-001", D(2026, 1, 1), D(2026, 3, 31)))
    [move] = compare_to_baseline(then, [item("INI-001", D(2026, 1, 1), D(2026, 3, 1))])
    assert (move.change, move.end_shift_days) == ("pulled_in", -30)


def test_same_end_with_a_later_start_is_rescheduled_not_slipped():
    then = baseline_of(item("INI-001", D(2026, 1, 1), D(2026, 3, 31)))
    [move] = compare_to_baseline(then, [item("INI-001", D(2026, 2, 1), D(2026, 3, 31))])
    assert (move.change, move.start_shift_days) == ("rescheduled", 31)


def test_new_and_removed_initiatives_are_added_and_dropped():
    then = baseline_of(item("INI-001", D(2026, 1, 1), D(2026, 3, 31)), item("INI-002", D(2026, 1, 1), D(2026, 2, 1)))
    moves = compare_to_baseline(then, [item("INI-001", D(2026, 1, 1), D(2026, 3, 31)),
                                       item("INI-003", D(2026, 4, 1), D(2026, 6, 1))])
    by_id = {m.initiative_id: m.change for m in moves}
    assert by_id == {"INI-001": "unchanged", "INI-002": "dropped", "INI-003": "added"}


def test_a_status_move_is_reported_alongside_the_date_change():
    then = baseline_of(item("INI-001", D(2026, 1, 1), D(2026, 3, 31), status="on_track"))
    [move] = compare_to_baseline(then, [item("INI-001", D(2026, 1, 1), D(2026, 4, 30), status="at_risk")])
    assert move.change == "slipped" and move.status_changed
    assert (move.baseline_status, move.current_status) == ("on_track", "at_risk")


def test_the_summary_counts_each_kind_of_move():
    then = baseline_of(item("A", D(2026, 1, 1), D(2026, 3, 31)), item("B", D(2026, 1, 1), D(2026, 3, 31)),
                       item("C", D(2026, 1, 1), D(2026, 3, 31)), item("D", D(2026, 1, 1), D(2026, 3, 31)))
    now = [item("A", D(2026, 1, 1), D(2026, 4, 30)), item("B", D(2026, 1, 1), D(2026, 6, 30)),
           item("C", D(2026, 1, 1), D(2026, 2, 28)), item("D", D(2026, 1, 1), D(2026, 3, 31), status="off_track"),
           item("E", D(2026, 5, 1), D(2026, 7, 1))]
    moves = compare_to_baseline(then, now)
    assert MoveSummary.of(moves) == MoveSummary(slipped=2, pulled_in=1, rescheduled=0, added=1, dropped=0,
                                                status_changes=1, unchanged=1)
    # Slips first, largest first, so the table opens with what leadership asks about.
    assert [m.initiative_id for m in moves[:2]] == ["B", "A"]


def test_a_baseline_snapshot_round_trips_through_json_text():
    import json
    snap = json.loads(json.dumps(baseline_of(item("INI-001", D(2026, 1, 1), D(2026, 3, 31)))))
    [move] = compare_to_baseline(snap, [item("INI-001", D(2026, 1, 1), D(2026, 3, 31))])
    assert move.change == "unchanged"


# --- dependencies ---------------------------------------------------------------------------------------------

def test_a_successor_that_starts_before_its_predecessor_ends_is_flagged_with_the_overlap():
    plan = Plan(items=[item("A", D(2026, 1, 1), D(2026, 3, 31)), item("B", D(2026, 3, 1), D(2026, 5, 1)),
                       item("C", D(2026, 4, 1), D(2026, 6, 1))],
                dependencies=[("A", "B"), ("A", "C")])
    [conflict] = dependency_conflicts(plan)
    assert (conflict.predecessor_id, conflict.successor_id, conflict.overlap_days) == ("A", "B", 30)


def test_a_successor_starting_the_day_its_predecessor_ends_is_not_a_conflict():
    plan = Plan(items=[item("A", D(2026, 1, 1), D(2026, 3, 31)), item("B", D(2026, 3, 31), D(2026, 5, 1))],
                dependencies=[("A", "B")])
    assert dependency_conflicts(plan) == []


def test_the_chain_behind_a_late_initiative_lists_every_predecessor_nearest_first():
    plan = Plan(items=[item("A", D(2026, 1, 1), D(2026, 5, 1), status="off_track"),
                       item("B", D(2026, 2, 1), D(2026, 7, 1)), item("C", D(2026, 3, 1), D(2026, 8, 1)),
                       item("X", D(2026, 1, 1), D(2026, 2, 1)), item("D", D(2026, 1, 1), D(2026, 12, 1))],
                dependencies=[("A", "B"), ("B", "C"), ("X", "B"), ("C", "D")])
    chain = chain_behind(plan, "C", TODAY)
    assert [(c.initiative_id, c.depth, c.feeds) for c in chain] == [("B", 1, "C"), ("A", 2, "B"), ("X", 2, "B")]
    assert [c.late for c in chain] == [False, True, True]  # A is off track, X ended in February
    assert waiting_on(plan, "A") == ["B", "C", "D"]


def test_late_means_off_track_or_past_its_end_and_not_done():
    assert is_late(item("A", D(2026, 1, 1), D(2026, 5, 1)), TODAY)
    assert not is_late(item("A", D(2026, 1, 1), D(2026, 5, 1), status="done"), TODAY)
    assert is_late(item("A", D(2026, 1, 1), D(2026, 12, 1), status="off_track"), TODAY)
    assert not is_late(item("A", D(2026, 1, 1), D(2026, 12, 1), status="at_risk"), TODAY)


def test_a_cycle_is_found_and_returned_as_a_closed_path():
    cycle = find_cycle([("A", "B"), ("B", "C"), ("C", "A"), ("C", "D")])
    assert cycle[0] == cycle[-1]
    assert set(cycle) == {"A", "B", "C"} and len(cycle) == 4


def test_a_diamond_is_not_a_cycle():
    assert find_cycle([("A", "B"), ("A", "C"), ("B", "D"), ("C", "D")]) is None


def test_a_self_loop_is_a_cycle():
    assert find_cycle([("A", "A")]) == ["A", "A"]


def test_a_chain_of_five_thousand_dependencies_does_not_hit_the_recursion_limit():
    edges = [(f"N{i}", f"N{i + 1}") for i in range(5000)]
    assert find_cycle(edges) is None
    assert find_cycle(edges + [("N5000", "N0")]) is not None


def test_narrowing_to_a_workstream_keeps_only_dependencies_inside_it():
    plan = Plan(items=[item("A", None, None, workstream="X"), item("B", None, None, workstream="X"),
                       item("C", None, None, workstream="Y")],
                milestones=[MilestonePoint(1, "C", "m", D(2026, 1, 1))],
                dependencies=[("A", "B"), ("B", "C")])
    narrow = plan.only_workstreams(["X"])
    assert [i.id for i in narrow.items] == ["A", "B"]
    assert narrow.dependencies == [("A", "B")] and narrow.milestones == []
