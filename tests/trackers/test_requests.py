"""Requests and escalations: intake with SLA, the status flow with dated moves, root cause at resolution."""
import datetime as dt

import pytest
from sqlalchemy import select

from rm_core.errors import NotFound, PermissionDenied, UserError
from rm_core.store.db import read_session
from rm_core.store.models import AuditEvent, GapEvidence, Request
from rm_core.trackers import (assign_request, file_request, get_request, link_request, move_request, record_gap)
from rm_core.trackers.sla import SlaTable
from tests.trackers.conftest import T0


def _file(actor, **kw):
    args = dict(kind="partner_request", title="Sellers with forged bills in DE", requester_team="BRP EU",
                priority="P2", opened_at=T0)
    args.update(kw)
    return file_request(actor, **args)


def test_filing_a_request_sets_its_sla_due_date_status_and_first_status_change(state, editor):
    req = _file(editor)
    assert req.id == "REQ-00001" and req.status == "new"
    assert req.sla_due == T0 + dt.timedelta(days=5)
    detail = get_request(req.id)
    assert [(m.from_status, m.to_status, m.at) for m in detail.history] == [(None, "new", T0)]
    assert _file(editor).id == "REQ-00002"


def test_business_day_sla_table_is_used_when_given(state, editor):
    req = _file(editor, sla_table=SlaTable.from_mapping({"business_days": True}))
    assert req.sla_due == dt.datetime(2026, 3, 9, 9, 0)  # 5 business days from Monday 2 March


def test_request_walks_the_whole_flow_with_timestamps(state, editor):
    req = _file(editor)
    steps = [("triaged", 1), ("in_progress", 2), ("blocked", 3), ("in_progress", 4)]
    for status, day in steps:
        move_request(editor, req.id, status, at=T0 + dt.timedelta(days=day), note=f"to {status}")
    resolved = move_request(editor, req.id, "resolved", root_cause_category="signal_gap",
                            root_cause_note="Bank-change events never reach risk", at=T0 + dt.timedelta(days=5))
    assert resolved.resolved_at == T0 + dt.timedelta(days=5)
    closed = move_request(editor, req.id, "closed", at=T0 + dt.timedelta(days=6))
    assert closed.status == "closed" and closed.closed_at == T0 + dt.timedelta(days=6)
    history = get_request(req.id).history
    assert [m.to_status for m in history] == ["new", "triaged", "in_progress", "blocked", "in_progress", "resolved",
                                             "closed"]
    assert history[1].note == "to triaged" and history[1].actor == "eddie"


@pytest.mark.parametrize("path, illegal", [([], "resolved"), ([], "in_progress"), (["triaged"], "closed"),
                                           (["triaged", "in_progress"], "new")])
def test_illegal_moves_are_refused_with_a_message_naming_the_allowed_next_steps(state, editor, path, illegal):
    req = _file(editor)
    for status in path:
        move_request(editor, req.id, status)
    with pytest.raises(UserError, match=r"cannot move to .*Next it can move to"):
        move_request(editor, req.id, illegal, root_cause_category="rule_gap", root_cause_note="x")
    with read_session() as s:
        assert s.get(Request, req.id).status == (path[-1] if path else "new")


def test_a_closed_request_cannot_move_at_all(state, editor):
    req = _file(editor)
    for status in ("triaged", "in_progress"):
        move_request(editor, req.id, status)
    move_request(editor, req.id, "resolved", root_cause_category="rule_gap", root_cause_note="no rule")
    move_request(editor, req.id, "closed")
    with pytest.raises(UserError, match="it is closed"):
        move_request(editor, req.id, "in_progress")


def test_resolving_needs_a_root_cause_category_and_a_note(state, editor):
    req = _file(editor)
    move_request(editor, req.id, "triaged")
    move_request(editor, req.id, "in_progress")
    with pytest.raises(UserError, match="root-cause category"):
        move_request(editor, req.id, "resolved", root_cause_note="found it")
    with pytest.raises(UserError, match="root-cause note"):
        move_request(editor, req.id, "resolved", root_cause_category="rule_gap")
    with pytest.raises(UserError, match="Unknown root-cause category"):
        move_request(editor, req.id, "resolved", root_cause_category="bad luck", root_cause_note="x")
    assert get_request(req.id).request.status == "in_progress"


def test_reopening_a_resolved_request_clears_its_resolution_time(state, editor):
    req = _file(editor)
    move_request(editor, req.id, "triaged")
    move_request(editor, req.id, "in_progress")
    move_request(editor, req.id, "resolved", root_cause_category="rule_gap", root_cause_note="rule added")
    reopened = move_request(editor, req.id, "in_progress", note="fraud came back")
    assert reopened.resolved_at is None and reopened.status == "in_progress"


def test_a_move_cannot_be_dated_before_the_request_was_opened(state, editor):
    req = _file(editor)
    with pytest.raises(UserError, match="cannot be dated before"):
        move_request(editor, req.id, "triaged", at=T0 - dt.timedelta(days=1))


def test_intake_refuses_unknown_kind_priority_and_missing_title(state, editor):
    with pytest.raises(UserError, match="kind"):
        _file(editor, kind="complaint")
    with pytest.raises(UserError, match="priority"):
        _file(editor, priority="P0")
    with pytest.raises(UserError, match="title"):
        _file(editor, title="  ")
    with pytest.raises(NotFound, match="MO-9999"):
        _file(editor, mo_id="MO-9999")


def test_linking_mo_and_gap_makes_the_request_evidence_for_the_gap(state, editor, linkables):
    req = _file(editor, mo_id=linkables["mo"])
    gap = record_gap(editor, title="Bank-change events not streamed", owning_team="Engineering")
    linked = link_request(editor, req.id, gap_id=gap.id)
    assert linked.mo_id == "MO-0142" and linked.gap_id == gap.id
    link_request(editor, req.id, gap_id=gap.id)  # twice: still one evidence row
    with read_session() as s:
        rows = s.scalars(select(GapEvidence).where(GapEvidence.gap_id == gap.id)).all()
        assert [(e.request_id, e.mo_id) for e in rows] == [(req.id, None)]


def test_assigning_an_owner_is_audited(state, editor):
    req = _file(editor)
    assign_request(editor, req.id, "priya")
    with read_session() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.record_id == req.id).order_by(AuditEvent.id)).all()
        assert [e.action for e in events] == ["request.file", "request.assign"]
        assert events[1].before == {"owner": ""} and events[1].after == {"owner": "priya"}


def test_every_move_writes_an_audit_event_with_before_and_after(state, editor):
    req = _file(editor)
    move_request(editor, req.id, "triaged")
    with read_session() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "request.move")).one()
        assert event.before["status"] == "new" and event.after["status"] == "triaged"


def test_viewers_cannot_file_move_or_assign(state, editor, viewer, facilitator):
    req = _file(editor)
    for actor in (viewer, facilitator):
        with pytest.raises(PermissionDenied, match="admin or editor"):
            _file(actor)
        with pytest.raises(PermissionDenied):
            move_request(actor, req.id, "triaged")
        with pytest.raises(PermissionDenied):
            assign_request(actor, req.id, "priya")
    with read_session() as s:
        assert s.get(Request, req.id).status == "new"


@pytest.mark.postgres
def test_the_request_flow_works_on_both_databases(state, admin, backend):
    req = _file(admin)
    move_request(admin, req.id, "triaged", at=T0 + dt.timedelta(hours=1))
    move_request(admin, req.id, "in_progress", at=T0 + dt.timedelta(hours=2))
    done = move_request(admin, req.id, "resolved", root_cause_category="process_gap", root_cause_note="SOP gap",
                        at=T0 + dt.timedelta(days=1))
    assert done.resolved_at == T0 + dt.timedelta(days=1)
    assert len(get_request(req.id).history) == 4


def test_linking_to_an_unknown_mo_is_refused_with_a_message_and_changes_nothing(state, editor):
    from rm_core.errors import UserError as _UserError
    from rm_core.trackers.requests import file_request, link_request

    created = file_request(editor, kind="partner_request", title="Deep dive on payout swaps",
                             requester_team="BRP India", priority="P2")
    with pytest.raises(_UserError, match="MO-9999"):
        link_request(editor, created.id, mo_id="MO-9999")
