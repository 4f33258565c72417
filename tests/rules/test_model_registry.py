"""Models in the detector registry: a kind and a current threshold, the rules' lifecycle, threshold moves audited."""
import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from rm_core.errors import NotFound, PermissionDenied, UserError
from rm_core.rules.lifecycle import (move_rule, move_rules, register_model, rule_history, rule_records,
                                     set_model_threshold)
from rm_core.store.db import read_session, write_session
from rm_core.store.models import AuditEvent, Rule

pytestmark = pytest.mark.postgres
TODAY = dt.date(2026, 11, 28)


@pytest.fixture
def detectors(state, editor):
    with write_session() as s:
        s.add(Rule(id="R-1", name="new device + bank change", status="active"))
    register_model(editor, {"id": "M-REG", "name": "registration risk", "threshold": 0.8, "owner": "ml.wen"},
                   today=TODAY)


def test_a_registered_model_sits_in_the_registry_beside_the_rules(detectors, backend):
    records = rule_records()
    assert (records["R-1"].kind, records["R-1"].threshold) == ("rule", None)
    assert (records["M-REG"].kind, records["M-REG"].threshold, records["M-REG"].status) == ("model", 0.8, "active")
    with read_session() as s:
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.action == "model.register")).all()
        assert event.record_id == "M-REG"


def test_a_model_walks_the_same_lifecycle_as_a_rule_with_reasons_and_approver(detectors, backend, editor, admin):
    move_rules(editor, ["R-1", "M-REG"], "candidate", "both overlap the payout model", today=TODAY)
    move_rule(editor, "M-REG", "shadow", "watch would-have catches", shadow_days=14, today=TODAY)
    move_rule(admin, "M-REG", "retired", "no unique catches in shadow", today=TODAY + dt.timedelta(days=15))
    assert [(m.from_status, m.to_status, m.approver) for m in rule_history("M-REG")] == [
        ("shadow", "retired", "ada"), ("candidate", "shadow", None), ("active", "candidate", None)]
    assert rule_records()["M-REG"].status == "retired"
    assert rule_records()["M-REG"].threshold == 0.8  # retiring keeps the threshold it last enforced


def test_moving_a_threshold_is_an_admin_move_kept_in_the_models_history(detectors, backend, editor, admin):
    with pytest.raises(PermissionDenied, match="admin"):
        set_model_threshold(editor, "M-REG", 0.9, "cut review load")
    move = set_model_threshold(admin, "M-REG", 0.9, "what-if: loses 3 confirmed-bad, avoids 41 FP")
    assert (move.threshold_from, move.threshold_to, move.approver) == (0.8, 0.9, "ada")
    assert rule_records()["M-REG"].threshold == 0.9
    [latest] = rule_history("M-REG")
    assert (latest.from_status, latest.to_status, latest.threshold_from, latest.threshold_to) == (
        "active", "active", 0.8, 0.9)
    with read_session() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "model.threshold")).one()
        assert (event.before, event.after["threshold"]) == ({"threshold": 0.8}, 0.9)


@pytest.mark.parametrize("threshold, reason, error, match", [
    (1.2, "too noisy today", UserError, "threshold: 1.2 is not a number from 0 to 1"),
    (-0.1, "too noisy today", UserError, "not a number from 0 to 1"),
    (0.9, " ", UserError, "reason"),
])
def test_a_bad_threshold_move_is_refused_and_writes_nothing(detectors, admin, threshold, reason, error, match):
    with pytest.raises(error, match=match):
        set_model_threshold(admin, "M-REG", threshold, reason)
    assert rule_records()["M-REG"].threshold == 0.8
    assert len(rule_history("M-REG")) == 0


def test_a_rule_has_no_threshold_and_an_unknown_model_is_named(detectors, admin):
    with pytest.raises(UserError, match="R-1 is a rule; only a model has a threshold"):
        set_model_threshold(admin, "R-1", 0.5, "try a threshold")
    with pytest.raises(NotFound, match="M-NOPE"):
        set_model_threshold(admin, "M-NOPE", 0.5, "try a threshold")


def test_registering_needs_a_threshold_in_range_and_a_fresh_id(detectors, editor, viewer):
    with pytest.raises(UserError, match="threshold"):
        register_model(editor, {"id": "M-X", "name": "no threshold"})
    with pytest.raises(UserError, match="threshold"):
        register_model(editor, {"id": "M-X", "name": "out of range", "threshold": 1.5})
    with pytest.raises(UserError, match="already in the registry"):
        register_model(editor, {"id": "R-1", "name": "clash", "threshold": 0.5})
    with pytest.raises(PermissionDenied):
        register_model(viewer, {"id": "M-Y", "name": "viewer", "threshold": 0.5})
    assert set(rule_records()) == {"R-1", "M-REG"}


def test_the_database_itself_refuses_a_model_without_threshold_or_a_rule_with_one(state, backend):
    for row in (Rule(id="M-1", name="m", kind="model"), Rule(id="R-9", name="r", threshold=0.5),
                Rule(id="M-2", name="m", kind="model", threshold=2.0), Rule(id="X-1", name="x", kind="script")):
        with pytest.raises(IntegrityError):
            with write_session() as s:
                s.add(row)
    with read_session() as s:
        assert s.scalars(select(Rule)).all() == []
