"""MO history: each version's changes field by field (text as a line diff), and restore as a new, audited version."""
import pytest
from sqlalchemy import select

from rm_core.errors import NotFound, PermissionDenied, UserError
from rm_core.mos.engine import MOSearchEngine
from rm_core.mos.history import restore_version, version_changes
from rm_core.mos.repository import create_mo, mo_detail, update_mo
from rm_core.store.db import read_session
from rm_core.store.models import MO, AuditEvent

pytestmark = pytest.mark.postgres

FIRST = {"title": "Gift card listings then payout bank change", "severity": "S2", "status": "active",
         "narrative": "Sellers list gift cards.\nThey collect sales.\nThen they change the payout bank."}


@pytest.fixture
def engine(state):
    return MOSearchEngine(state)


@pytest.fixture
def edited(state, editor, engine):
    mo = create_mo(editor, FIRST, engine)
    update_mo(editor, mo.id, {"severity": "S1", "narrative": FIRST["narrative"].replace(
        "They collect sales.", "They collect sales for two weeks.")}, engine, note="sized after Sev2")
    return mo.id


def test_a_version_lists_each_changed_field_with_before_and_after(state, edited):
    changes = {c.field: c for c in version_changes(edited, 2)}
    assert set(changes) == {"severity", "narrative"}
    assert (changes["severity"].before, changes["severity"].after) == ("S2", "S1")
    diff = changes["narrative"].text_diff().splitlines()
    assert "-They collect sales." in diff and "+They collect sales for two weeks." in diff
    assert " Sellers list gift cards." in diff  # context line, unchanged


def test_the_first_version_lists_what_it_set(state, edited):
    changes = {c.field: c for c in version_changes(edited, 1)}
    assert changes["title"].before is None and changes["title"].after == FIRST["title"]
    assert "mitigated_at" not in changes  # never set


def test_restoring_saves_the_old_content_as_a_new_audited_version(state, edited, editor, engine):
    restored = restore_version(editor, edited, 1, engine, expected_version=2)
    assert restored.version == 3
    with read_session() as s:
        mo = s.get(MO, edited)
        assert (mo.severity, mo.narrative) == ("S2", FIRST["narrative"])
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "mo.restore")).one()
    assert (event.actor, event.record_id, event.before["severity"], event.after["severity"]) == \
        ("eddie", edited, "S1", "S2")
    assert event.after["restored_version"] == 1
    history = mo_detail(edited).history
    assert [h.version for h in history] == [3, 2, 1]
    assert history[0].note == "restored version 1" and history[0].changed_fields == ["narrative", "severity"]
    assert {c.field for c in version_changes(edited, 3)} == {"narrative", "severity"}
    # the search index follows the restore
    hit = engine.search("collect sales", k=1).hits[0]
    assert hit.mo_id == edited and "two weeks" not in hit.snippet


def test_a_restore_needs_the_editor_role_and_a_fresh_view(state, edited, viewer, editor, engine):
    with pytest.raises(PermissionDenied):
        restore_version(viewer, edited, 1, engine)
    with pytest.raises(UserError, match="while you were looking"):
        restore_version(editor, edited, 1, engine, expected_version=1)
    with pytest.raises(UserError, match="current version"):
        restore_version(editor, edited, 2, engine)
    with pytest.raises(NotFound):
        restore_version(editor, edited, 9, engine)
    with read_session() as s:
        assert s.get(MO, edited).version == 2
        assert s.scalars(select(AuditEvent).where(AuditEvent.action == "mo.restore")).first() is None
