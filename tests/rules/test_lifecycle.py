"""Rule lifecycle: legal moves by the right role, reasons kept, audited, shadow period respected."""
import datetime as dt

import pytest
from sqlalchemy import select

from rm_core.errors import NotFound, PermissionDenied, UserError
from rm_core.rules.lifecycle import mos_left_without_active_rule, move_rule, move_rules, rule_history
from rm_core.store.db import read_session, write_session
from rm_core.store.models import MO, AuditEvent, Rule, RuleMO

pytestmark = pytest.mark.postgres
TODAY = dt.date(2026, 11, 28)


@pytest.fixture
def rules(state):
    with write_session() as s:
        s.add_all([Rule(id=f"R-{i}", name=f"rule {i}", status="active") for i in (1, 2, 3)])
        s.add_all([MO(id="MO-1", title="only R-1 covers me"), MO(id="MO-2", title="R-1 and R-2 cover me")])
        s.flush()
        s.add_all([RuleMO(rule_id="R-1", mo_id="MO-1"), RuleMO(rule_id="R-1", mo_id="MO-2"),
                   RuleMO(rule_id="R-2", mo_id="MO-2")])


def test_full_path_to_retirement_records_who_why_and_approver(rules, backend, editor, admin):
    move_rule(editor, "R-1", "candidate", "precision 3% over 26 weeks", today=TODAY)
    move_rule(editor, "R-1", "shadow", "watch would-have catches", shadow_days=14, today=TODAY)
    with read_session() as s:
        assert s.get(Rule, "R-1").shadow_until == dt.date(2026, 12, 12)
    move_rule(admin, "R-1", "retired", "no unique catches in shadow", today=dt.date(2026, 12, 13))
    history = rule_history("R-1")
    assert [(m.from_status, m.to_status, m.actor, m.approver) for m in history] == [
        ("shadow", "retired", "ada", "ada"), ("candidate", "shadow", "eddie", None),
        ("active", "candidate", "eddie", None)]
    with read_session() as s:
        actions = s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["rule.candidate", "rule.shadow", "rule.retired"]


def test_an_editor_cannot_retire(rules, editor):
    move_rule(editor, "R-1", "candidate", "low precision", today=TODAY)
    move_rule(editor, "R-1", "shadow", "watch it", shadow_days=7, today=TODAY)
    with pytest.raises(PermissionDenied, match="admin"):
        move_rule(editor, "R-1", "retired", "done watching", today=TODAY + dt.timedelta(days=8))


def test_a_viewer_cannot_propose(rules, viewer):
    with pytest.raises(PermissionDenied):
        move_rule(viewer, "R-1", "candidate", "low precision")


def test_skipping_shadow_is_refused_with_the_allowed_moves(rules, admin):
    with pytest.raises(UserError, match="R-2 is active; it cannot move to retired \\(allowed: candidate\\)"):
        move_rule(admin, "R-2", "retired", "straight to retirement")


def test_retiring_before_the_shadow_period_ends_needs_confirmation(rules, editor, admin):
    move_rule(editor, "R-1", "candidate", "low precision", today=TODAY)
    move_rule(editor, "R-1", "shadow", "watch it", shadow_days=30, today=TODAY)
    with pytest.raises(UserError, match="in shadow until 2026-12-28"):
        move_rule(admin, "R-1", "retired", "seen enough", today=TODAY + dt.timedelta(days=3))
    move_rule(admin, "R-1", "retired", "seen enough", today=TODAY + dt.timedelta(days=3), end_shadow_early=True)


def test_a_move_needs_a_reason_and_a_known_rule(rules, editor):
    with pytest.raises(UserError, match="reason"):
        move_rule(editor, "R-1", "candidate", "  ")
    with pytest.raises(NotFound, match="R-99"):
        move_rule(editor, "R-99", "candidate", "low precision")


def test_moving_several_rules_is_all_or_nothing(rules, editor):
    move_rule(editor, "R-3", "candidate", "low precision", today=TODAY)
    with pytest.raises(UserError):
        move_rules(editor, ["R-1", "R-3"], "candidate", "accepted recommendation")  # R-3 already candidate
    with read_session() as s:
        assert s.get(Rule, "R-1").status == "active"


def test_mos_left_without_an_active_rule(rules):
    assert mos_left_without_active_rule(["R-1"]) == [("MO-1", "only R-1 covers me")]
    assert mos_left_without_active_rule(["R-1", "R-2"]) == [("MO-1", "only R-1 covers me"),
                                                            ("MO-2", "R-1 and R-2 cover me")]
