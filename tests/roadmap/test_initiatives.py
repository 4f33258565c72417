"""Roadmap services: writes are validated, audited and all-or-nothing; status history and path to green kept."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from rm_core.errors import NotFound, UserError, ValidationFailed
from rm_core.roadmap.initiatives import (PathToGreenInput, add_dependency, add_milestone, apply_grid_edits,
                                         create_initiative, drop_initiative, known_owners, load_plan,
                                         path_to_green_history, plan_version, remove_dependency,
                                         remove_milestone, save_path_to_green, set_status, status_history,
                                         update_initiative, update_milestone)
from rm_core.store.db import read_session
from rm_core.store.models import AuditEvent, Initiative, StatusChange

D = dt.date


def audit_actions(record_id: str | None = None) -> list[str]:
    with read_session() as s:
        query = select(AuditEvent.action).order_by(AuditEvent.id)
        if record_id:
            query = query.where(AuditEvent.record_id == record_id)
        return list(s.scalars(query))


@pytest.mark.postgres
def test_creating_an_initiative_gives_it_the_next_id_and_audits_it(owners, editor):
    first = create_initiative(editor, title="Seller identity graph", workstream="Detection", owner="Priya",
                              start="2026-01-05", end="2026-03-31", expected_roi_usd="$1,200,000", ai_based="yes")
    second = create_initiative(editor, title="Refund abuse model", workstream="ML")
    assert (first, second) == ("INI-001", "INI-002")
    with read_session() as s:
        ini = s.get(Initiative, first)
        assert (ini.owner, ini.start, ini.end, ini.expected_roi_usd, ini.ai_based) == \
            ("priya", D(2026, 1, 5), D(2026, 3, 31), 1_200_000.0, True)
    assert audit_actions(first) == ["roadmap.create"]


def test_an_end_before_the_start_is_refused_with_both_dates(owners, editor):
    with pytest.raises(ValidationFailed) as err:
        create_initiative(editor, title="Backwards", workstream="Detection", start="2026-05-01", end="2026-04-01")
    assert "end 2026-04-01 is before start 2026-05-01" in str(err.value)
    assert load_plan().items == []


def test_an_unknown_owner_is_refused_and_the_known_ones_are_suggested(owners, editor):
    with pytest.raises(ValidationFailed) as err:
        create_initiative(editor, title="Orphan", workstream="Detection", owner="nobody")
    assert "unknown owner 'nobody'" in str(err.value) and "priya" in str(err.value)


def test_an_owner_already_on_an_initiative_counts_as_known(state, editor):
    from rm_core.store.db import write_session
    with write_session() as s:  # as the workshop promotion writes it: a partner-team owner who never signs in
        s.add(Initiative(id="INI-050", title="Promoted idea", workstream="Workshop", owner="BRP Lead"))
    assert create_initiative(editor, title="Follow-up", workstream="Workshop", owner="brp lead") == "INI-051"
    with read_session() as s:
        assert s.get(Initiative, "INI-051").owner == "BRP Lead"
        assert known_owners(s)["brp lead"] == "BRP Lead"


def test_updating_dates_so_the_end_falls_before_the_start_is_refused(small_roadmap, editor):
    with pytest.raises(ValidationFailed, match="before start 2026-01-05"):
        update_initiative(editor, small_roadmap["a"], end="2025-12-01")


def test_an_update_audits_before_and_after(small_roadmap, editor):
    changed = update_initiative(editor, small_roadmap["c"], end="2026-10-31", title="SOP parity with BRP teams")
    assert changed == ["end", "title"]
    with read_session() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "roadmap.update")).one()
        assert (event.before["end"], event.after["end"]) == ("2026-09-30", "2026-10-31")


def test_an_update_changing_nothing_writes_no_audit_event(small_roadmap, editor):
    before = len(audit_actions())
    assert update_initiative(editor, small_roadmap["c"], title="SOP parity with BRP") == []
    assert len(audit_actions()) == before


@pytest.mark.postgres
def test_a_status_move_keeps_a_dated_history_with_the_note(small_roadmap, editor):
    key = small_roadmap["a"]
    set_status(editor, key, "at_risk", "Graph vendor late by three weeks",
               PathToGreenInput("Switch to in-house resolver", owner="carlos", due="2026-03-15",
                                blockers="Vendor contract", decision_needed="Director: approve budget"))
    set_status(editor, key, "on_track", "Resolver live")
    history = status_history(key)
    assert [(h.from_status, h.to_status, h.note) for h in history] == [
        ("at_risk", "on_track", "Resolver live"),
        ("on_track", "at_risk", "Graph vendor late by three weeks"),
        (None, "on_track", "created"),
    ]
    assert all(isinstance(h.at, dt.datetime) for h in history)
    [path] = path_to_green_history(key)
    assert (path.rag, path.owner, path.due, path.decision_needed) == \
        ("amber", "carlos", D(2026, 3, 15), "Director: approve budget")
    assert audit_actions(key)[-3:] == ["roadmap.status", "roadmap.path_to_green", "roadmap.status"]


def test_a_status_move_needs_a_note(small_roadmap, editor):
    with pytest.raises(ValidationFailed, match="status note"):
        set_status(editor, small_roadmap["a"], "off_track", "   ")


def test_a_path_to_green_without_owner_or_due_date_is_refused_and_the_status_is_not_moved(small_roadmap, editor):
    with pytest.raises(ValidationFailed) as err:
        set_status(editor, small_roadmap["a"], "off_track", "Blocked",
                   PathToGreenInput("Escalate", owner="", due=None))
    assert "needs an owner" in str(err.value) and "needs a due date" in str(err.value)
    assert load_plan().by_id()[small_roadmap["a"]].status == "on_track"


def test_a_new_path_to_green_keeps_the_old_one_in_history(small_roadmap, editor):
    key = small_roadmap["b"]
    set_status(editor, key, "off_track", "Payments API not ready")
    save_path_to_green(editor, key, PathToGreenInput("Use batch export", "priya", "2026-04-01"))
    save_path_to_green(editor, key, PathToGreenInput("Use streaming API v2", "priya", "2026-05-01"))
    assert [p.actions for p in path_to_green_history(key)] == ["Use streaming API v2", "Use batch export"]
    plan = load_plan()
    assert plan.paths_to_green[key].actions == "Use streaming API v2"
    assert plan.paths_to_green[key].rag == "red"


def test_milestones_roll_the_dates_up_on_load(small_roadmap, editor):
    key = small_roadmap["c"]
    milestone = add_milestone(editor, key, "Costa Rica live", "2026-11-15")
    assert load_plan().by_id()[key].end == D(2026, 11, 15)
    assert load_plan().by_id()[key].declared_end == D(2026, 9, 30)
    update_milestone(editor, milestone, due="2026-09-01", done=True)
    assert load_plan().by_id()[key].end == D(2026, 9, 30)
    remove_milestone(editor, milestone)
    assert [m.initiative_id for m in load_plan().milestones] == [small_roadmap["a"]]


@pytest.mark.postgres
def test_a_dependency_that_would_close_a_cycle_is_refused_with_the_cycle(small_roadmap, editor):
    add_dependency(editor, small_roadmap["b"], small_roadmap["c"])
    with pytest.raises(ValidationFailed) as err:
        add_dependency(editor, small_roadmap["c"], small_roadmap["a"])
    assert "cycle in dependencies" in str(err.value)
    assert "INI-003 → INI-001 → INI-002 → INI-003" in str(err.value)
    assert len(load_plan().dependencies) == 2


def test_depending_on_itself_or_on_an_unknown_initiative_is_refused(small_roadmap, editor):
    with pytest.raises(ValidationFailed, match="cannot depend on itself"):
        add_dependency(editor, small_roadmap["a"], small_roadmap["a"])
    with pytest.raises(ValidationFailed, match="no initiative 'INI-999'"):
        add_dependency(editor, "INI-999", small_roadmap["a"])
    with pytest.raises(UserError, match="already depends"):
        add_dependency(editor, small_roadmap["a"], small_roadmap["b"])


def test_removing_a_dependency_is_audited(small_roadmap, editor):
    remove_dependency(editor, small_roadmap["a"], small_roadmap["b"])
    assert load_plan().dependencies == []
    assert "roadmap.dependency_remove" in audit_actions()
    with pytest.raises(NotFound):
        remove_dependency(editor, small_roadmap["a"], small_roadmap["b"])


def test_grid_edits_apply_together(small_roadmap, editor):
    changed = apply_grid_edits(editor, [
        {"id": "INI-001", "end": dt.datetime(2026, 4, 30), "owner": "carlos"},
        {"id": "INI-003", "status": "at_risk", "status_note": "Waiting on BRP"},
        {"id": "INI-002", "title": "Payout bank-change alerts"},
    ])
    assert changed == ["INI-001", "INI-003"]
    plan = load_plan().by_id()
    assert (plan["INI-001"].end, plan["INI-001"].owner) == (D(2026, 4, 30), "carlos")
    assert status_history("INI-003")[0].note == "Waiting on BRP"


@pytest.mark.postgres
def test_one_bad_grid_row_rolls_back_every_row(small_roadmap, editor):
    with pytest.raises(ValidationFailed) as err:
        apply_grid_edits(editor, [
            {"id": "INI-001", "title": "Renamed"},
            {"id": "INI-002", "start": "2026-08-01"},  # after its end 2026-06-30
            {"id": "INI-003", "owner": "ghost"},
        ])
    message = str(err.value)
    assert "row 2, field 'end': end 2026-06-30 is before start 2026-08-01" in message
    assert "row 3, field 'owner': unknown owner 'ghost'" in message
    assert load_plan().by_id()["INI-001"].title == "Seller identity graph"


def test_dropping_an_initiative_takes_its_milestones_and_dependencies(small_roadmap, editor):
    drop_initiative(editor, small_roadmap["a"], reason="Merged into INI-002")
    plan = load_plan()
    assert [i.id for i in plan.items] == ["INI-002", "INI-003"]
    assert plan.milestones == [] and plan.dependencies == []
    assert audit_actions("INI-001")[-1] == "roadmap.drop"


def test_the_plan_version_changes_with_every_kind_of_write(small_roadmap, editor):
    versions = [plan_version()]
    add_milestone(editor, "INI-003", "Kick-off", "2026-07-01")
    versions.append(plan_version())
    add_dependency(editor, "INI-002", "INI-003")
    versions.append(plan_version())
    set_status(editor, "INI-003", "on_track", "Started")
    versions.append(plan_version())
    assert len(set(versions)) == 4


def test_status_moves_are_stored_as_status_changes(small_roadmap, editor):
    set_status(editor, "INI-002", "done", "Shipped")
    with read_session() as s:
        assert s.scalar(select(func.count()).select_from(StatusChange)
                        .where(StatusChange.record_id == "INI-002")) == 2


def test_the_plan_version_changes_even_when_an_edit_leaves_updated_at_behind_a_future_one(small_roadmap, editor):
    from rm_core.store.db import write_session
    with write_session() as s:  # e.g. demo data stamped later than the wall clock
        s.get(Initiative, "INI-003").updated_at = dt.datetime(2099, 1, 1)
    before = plan_version()
    update_initiative(editor, "INI-001", title="Renamed")
    assert plan_version() != before
