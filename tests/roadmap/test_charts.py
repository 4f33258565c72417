"""The Gantt spec: swimlanes, RAG colours, milestones, links, ghost bars, zoom."""
from __future__ import annotations

import datetime as dt

import altair as alt

from rm_core.roadmap.charts import STATUS_COLOURS, timeline_data, timeline_spec, window_for
from rm_core.roadmap.plan import MilestonePoint, Plan, PlanItem, compare_to_baseline, snapshot_of

D = dt.date
TODAY = D(2026, 5, 15)


def plan() -> Plan:
    return Plan(
        items=[PlanItem("INI-001", "Seller identity graph", "Detection", "priya", "now", D(2026, 1, 5),
                        D(2026, 3, 31), "on_track"),
               PlanItem("INI-002", "Payout alerts", "Detection", "carlos", "next", D(2026, 3, 1), D(2026, 6, 30),
                        "off_track"),
               PlanItem("INI-003", "SOP parity", "Operations", "priya", "later", D(2026, 10, 1), D(2026, 12, 31),
                        "not_started"),
               PlanItem("INI-004", "Unscheduled idea", "Operations")],
        milestones=[MilestonePoint(1, "INI-001", "Graph in shadow", D(2026, 2, 15), True)],
        dependencies=[("INI-001", "INI-002")])


def test_rows_are_grouped_by_workstream_with_a_lane_title_on_the_first_row():
    data = timeline_data(plan(), today=TODAY)
    assert data.rows == ["Seller identity graph · INI-001", "Payout alerts · INI-002", "SOP parity · INI-003"]
    assert [(r["lane"], r["lane_title"]) for r in data.lanes] == [(0, "Detection"), (0, ""), (1, "Operations")]


def test_bars_carry_owner_dates_status_and_note_for_the_tooltip_and_end_inclusively():
    bar = timeline_data(plan(), today=TODAY).bars[0]
    assert (bar["owner"], bar["start_text"], bar["end_text"], bar["status_label"]) == \
        ("priya", "2026-01-05", "2026-03-31", "On track")
    assert bar["end"] == "2026-04-01"  # the bar covers the whole last day


def test_a_conflicting_dependency_link_is_marked():
    [link] = timeline_data(plan(), today=TODAY).links
    assert (link["link"], link["conflict"]) == ("INI-002 waits on INI-001", "starts before predecessor ends")


def test_zooming_to_a_quarter_keeps_only_what_overlaps_it():
    window = window_for("quarter", TODAY)
    assert window == (D(2026, 4, 1), D(2026, 6, 30))
    data = timeline_data(plan(), today=TODAY, window=window)
    assert data.rows == ["Payout alerts · INI-002"]
    assert data.milestones == [] and data.links == []
    assert window_for("year", TODAY) == (D(2026, 1, 1), D(2026, 12, 31))


def test_ghost_bars_show_the_baseline_dates_and_dropped_initiatives_keep_a_row():
    base = plan()
    then = snapshot_of(base.items[:3] + [PlanItem("INI-009", "Dropped thing", "Detection", start=D(2026, 2, 1),
                                                  end=D(2026, 4, 1))])
    moves = compare_to_baseline(then, base.items)
    data = timeline_data(base, today=TODAY, moves=moves)
    assert "Dropped thing · INI-009 (dropped)" in data.rows
    assert {g["id"]: g["change"] for g in data.ghosts} == {"INI-001": "unchanged", "INI-002": "unchanged",
                                                          "INI-003": "unchanged", "INI-009": "dropped"}


def test_quarter_gridlines_span_the_plan_and_today():
    data = timeline_data(plan(), today=TODAY)
    assert [q["quarter"] for q in data.quarters] == ["Q1 2026", "Q2 2026", "Q3 2026", "Q4 2026", "Q1 2027"]


def test_the_spec_is_valid_vega_lite_with_its_rows_as_named_datasets():
    spec = timeline_spec(plan(), today=TODAY, moves=compare_to_baseline(snapshot_of(plan().items), plan().items))
    alt.LayerChart.from_dict({k: v for k, v in spec.items() if k != "datasets"})  # validates the schema
    assert set(spec["datasets"]) >= {"bars", "ghosts", "milestones", "links", "lanes", "quarters", "today"}
    bar_layer = next(layer for layer in spec["layer"] if layer.get("data", {}).get("name") == "bars")
    colour = bar_layer["encoding"]["color"]["scale"]
    assert dict(zip(colour["domain"], colour["range"], strict=True)) == STATUS_COLOURS
    assert bar_layer["encoding"]["y"]["scale"]["domain"] == timeline_data(plan(), today=TODAY).rows


def test_an_empty_plan_still_draws_an_empty_timeline():
    spec = timeline_spec(Plan(items=[]), today=TODAY)
    assert spec["datasets"]["bars"] == []
