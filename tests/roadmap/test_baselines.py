"""Named baselines: what moved since "OP1 approved"."""
from __future__ import annotations

import datetime as dt

import pytest

from rm_core.errors import NotFound, UserError
from rm_core.roadmap.baselines import delete_baseline, get_baseline, list_baselines, moved_since, save_baseline
from rm_core.roadmap.initiatives import (add_milestone, create_initiative, drop_initiative, set_status,
                                         update_initiative)
from rm_core.roadmap.plan import MoveSummary

D = dt.date


@pytest.mark.postgres
def test_what_moved_since_a_baseline_names_slipped_pulled_in_added_dropped_and_status_changes(small_roadmap,
                                                                                              editor):
    info = save_baseline(editor, "OP1 approved")
    assert (info.name, info.initiatives) == ("OP1 approved", 3)
    add_milestone(editor, "INI-002", "Alerts in all marketplaces", "2026-08-15")   # rolls the end out: slip
    update_initiative(editor, "INI-003", end="2026-08-31")                          # pulled in
    drop_initiative(editor, "INI-001")
    create_initiative(editor, title="Refund abuse model", workstream="ML", start="2026-05-01", end="2026-07-01")
    set_status(editor, "INI-003", "at_risk", "BRP staffing")

    moves = {m.initiative_id: m for m in moved_since("OP1 approved")}
    assert (moves["INI-002"].change, moves["INI-002"].end_shift_days) == ("slipped", 46)
    assert (moves["INI-003"].change, moves["INI-003"].end_shift_days) == ("pulled_in", -30)
    assert moves["INI-003"].status_changed
    assert moves["INI-001"].change == "dropped" and moves["INI-001"].title == "Seller identity graph"
    assert moves["INI-004"].change == "added"
    assert MoveSummary.of(moves.values()) == MoveSummary(1, 1, 0, 1, 1, 1, 0)


def test_a_baseline_keeps_the_rolled_up_dates_of_the_day_it_was_saved(small_roadmap, editor):
    save_baseline(editor, "Q1 review")
    [row] = [r for r in get_baseline("Q1 review").snapshot if r["id"] == "INI-001"]
    assert (row["start"], row["end"], row["status"]) == ("2026-01-05", "2026-03-31", "on_track")


def test_baseline_names_are_unique_and_trimmed(small_roadmap, editor):
    save_baseline(editor, "  Q3   review ")
    with pytest.raises(UserError, match="already exists"):
        save_baseline(editor, "Q3 review")
    with pytest.raises(UserError, match="Give the baseline a name"):
        save_baseline(editor, "   ")
    assert [b.name for b in list_baselines()] == ["Q3 review"]


def test_an_unknown_baseline_names_the_saved_ones(small_roadmap, editor):
    save_baseline(editor, "OP1 approved")
    with pytest.raises(NotFound, match="saved baselines: 'OP1 approved'"):
        get_baseline("OP2")
    delete_baseline(editor, "OP1 approved")
    assert list_baselines() == []
