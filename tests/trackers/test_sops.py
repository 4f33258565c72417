"""SOP registry: versions, reviews, rollout per team, parity matrix and rollout plan."""
import datetime as dt

import pytest

from rm_core.errors import PermissionDenied, UserError
from rm_core.store.db import read_session
from rm_core.trackers import plan_rollout, register_sop, revise_sop, set_rollout
from rm_core.trackers.sops import (TEAMS, late_rollouts, overdue_reviews, parity_by_team, parity_matrix,
                                   parity_percent, rollout_plan, rollouts_frame, sops_frame)

TODAY = dt.date(2026, 6, 1)


def _frames():
    with read_session() as s:
        return sops_frame(s), rollouts_frame(s)


def test_registering_an_sop_starts_every_team_at_not_started(state, editor):
    sop = register_sop(editor, title="Account takeover triage", version="2.0", owner="priya",
                       last_review=dt.date(2026, 1, 10), next_review=dt.date(2026, 7, 10))
    assert sop.id == "SOP-001"
    matrix = parity_matrix(*_frames())
    assert matrix.height == len(TEAMS) and set(matrix["state"]) == {"not_started"}
    assert parity_percent(matrix) == 0.0


def test_parity_shows_live_current_older_version_pilot_and_retired(state, editor):
    sop = register_sop(editor, title="Forged document review", version="1.0")
    set_rollout(editor, sop.id, "RM India", "live", today=TODAY)
    set_rollout(editor, sop.id, "RM Costa Rica", "live", today=TODAY)
    set_rollout(editor, sop.id, "BRP NA", "pilot")
    set_rollout(editor, sop.id, "BRP APAC", "retired")
    revise_sop(editor, sop.id, version="1.1")
    set_rollout(editor, sop.id, "RM India", "live", version="1.1")
    matrix = parity_matrix(*_frames())
    states = dict(zip(matrix["team"], matrix["state"]))
    assert states == {"RM India": "live", "RM Costa Rica": "older_version", "BRP NA": "pilot",
                      "BRP EU": "not_started", "BRP APAC": "retired"}
    # 4 cells count (retired left out), 1 is live on the current version.
    assert parity_percent(matrix) == 25.0
    by_team = dict(zip(*parity_by_team(matrix).select("team", "parity_pct").to_dict(as_series=False).values()))
    assert by_team["RM India"] == 100.0 and by_team["RM Costa Rica"] == 0.0 and "BRP APAC" not in by_team


def test_going_live_records_the_current_version_and_date(state, editor):
    sop = register_sop(editor, title="Sev2 handover", version="3.2")
    set_rollout(editor, sop.id, "BRP EU", "live", today=TODAY)
    _, rollouts = _frames()
    row = rollouts.filter(team="BRP EU").row(0, named=True)
    assert row["version"] == "3.2" and row["live_date"] == TODAY


def test_overdue_reviews_list_past_due_and_unplanned_reviews_most_overdue_first(state, editor):
    register_sop(editor, title="fine", next_review=TODAY + dt.timedelta(days=5))
    register_sop(editor, title="late", next_review=TODAY - dt.timedelta(days=3))
    register_sop(editor, title="very late", next_review=TODAY - dt.timedelta(days=40))
    register_sop(editor, title="never planned")
    overdue = overdue_reviews(_frames()[0], TODAY)
    assert overdue["title"].to_list() == ["never planned", "very late", "late"]
    assert overdue["days_overdue"].to_list()[1:] == [40, 3]


def test_rollout_plan_has_one_row_per_team_with_dates_and_late_ones(state, editor):
    sop = register_sop(editor, title="COE write-up")
    plan_rollout(editor, sop.id, {"RM India": dt.date(2026, 5, 1), "BRP EU": dt.date(2026, 7, 1)})
    set_rollout(editor, sop.id, "RM Costa Rica", "live", today=TODAY)
    plan = rollout_plan(_frames()[1], sop.id)
    assert plan["team"].to_list() == list(TEAMS)
    assert late_rollouts(plan, TODAY)["team"].to_list() == ["RM India"]


def test_sop_input_is_checked_and_viewers_cannot_edit(state, editor, viewer):
    with pytest.raises(UserError, match="next review"):
        register_sop(editor, title="x", last_review=TODAY, next_review=TODAY - dt.timedelta(days=1))
    sop = register_sop(editor, title="x")
    with pytest.raises(UserError, match="rollout status"):
        set_rollout(editor, sop.id, "BRP NA", "done")
    with pytest.raises(PermissionDenied):
        set_rollout(viewer, sop.id, "BRP NA", "live")
    with pytest.raises(PermissionDenied):
        register_sop(viewer, title="y")
