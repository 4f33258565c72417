"""Roadmap fixtures: owners the workbench knows, and a small seeded roadmap."""
from __future__ import annotations

import datetime as dt

import pytest

from rm_core.identity import set_role
from rm_core.roadmap.initiatives import add_dependency, add_milestone, create_initiative

D = dt.date


@pytest.fixture
def owners(state, admin):
    """Priya and Carlos are users, so they can own initiatives."""
    set_role(admin, "priya", "editor")
    set_role(admin, "carlos", "viewer")
    return ["priya", "carlos"]


@pytest.fixture
def small_roadmap(owners, editor):
    """Three initiatives in two workstreams; INI-002 waits on INI-001 and starts before it ends."""
    a = create_initiative(editor, title="Seller identity graph", workstream="Detection", owner="priya",
                          horizon="now", start="2026-01-05", end="2026-03-31", status="on_track",
                          ai_based=True, expected_roi_usd=1_200_000)
    b = create_initiative(editor, title="Payout bank-change alerts", workstream="Detection", owner="carlos",
                          horizon="next", start="2026-03-01", end="2026-06-30", status="not_started")
    c = create_initiative(editor, title="SOP parity with BRP", workstream="Operations", owner="priya",
                          horizon="later", start="2026-07-01", end="2026-09-30")
    add_milestone(editor, a, "Graph in shadow", "2026-02-15")
    add_dependency(editor, a, b)
    return {"a": a, "b": b, "c": c}
