"""Uploading a hit log: validated whole, stored, made current; a bad file replaces nothing."""
import pytest
from sqlalchemy import select

from rm_core.errors import PermissionDenied, ValidationFailed
from rm_core.rules.logs import current_hit_log, upload_hit_log
from rm_core.store.db import read_session
from rm_core.store.models import AuditEvent

GOOD = b"rule_id,entity_id,event_time,label\nR-1,E1,2026-10-01,confirmed_bad\n"


def test_a_valid_upload_becomes_current_and_is_audited(state, editor):
    info = upload_hit_log(editor, GOOD, "week42.csv")
    assert current_hit_log().id == info.id and info.rows == 1 and info.path.exists()
    with read_session() as s:
        assert s.scalars(select(AuditEvent.action)).all() == ["hitlog.upload"]


def test_a_bad_upload_names_the_problem_and_keeps_the_current_log(state, editor):
    first = upload_hit_log(editor, GOOD, "week42.csv")
    with pytest.raises(ValidationFailed, match="label"):
        upload_hit_log(editor, b"rule_id,entity_id,event_time,label\nR-1,E1,2026-10-01,fraud\n", "bad.csv")
    assert current_hit_log().id == first.id
    assert sorted(p.name for p in state.hits_path.iterdir()) == [first.path.name]


def test_a_viewer_cannot_upload(state, viewer):
    with pytest.raises(PermissionDenied):
        upload_hit_log(viewer, GOOD, "week42.csv")
