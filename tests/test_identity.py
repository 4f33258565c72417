import pytest
from sqlalchemy import select

from rm_core.errors import PermissionDenied
from rm_core.identity import PERMISSIONS, ROLES, Actor, can, require, resolve_actor, resolve_signed_in, set_role
from rm_core.store.db import read_session
from rm_core.store.models import AuditEvent

EXPECTED = {  # role -> permissions it must hold; everything else must be refused
    "viewer": {"read", "workshop.participate", "intake.submit"},
    "editor": {"read", "workshop.participate", "mo.edit", "metrics.edit", "rule.propose", "hitlog.upload",
               "roadmap.edit", "tracker.edit", "intake.submit", "intake.triage"},
    "facilitator": {"read", "workshop.participate", "workshop.facilitate", "roadmap.edit", "intake.submit"},
    "admin": set(PERMISSIONS),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("permission", sorted(PERMISSIONS))
def test_role_permission_matrix(role, permission):
    actor = Actor("someone", role)
    allowed = permission in EXPECTED[role]
    assert can(actor, permission) is allowed
    if allowed:
        require(actor, permission)
    else:
        with pytest.raises(PermissionDenied, match=f"signed in as {role}"):
            require(actor, permission)


def test_first_local_user_is_admin_and_the_next_a_viewer(state):
    assert resolve_actor("Priya").role == "admin"
    assert resolve_actor("carlos").role == "viewer"
    assert resolve_actor("priya").role == "admin"  # names are case-insensitive


def test_first_signed_in_user_of_an_empty_workbench_gets_no_role(state):
    access = resolve_signed_in({"iss": "https://idp.example", "sub": "1", "email": "lead@example.com",
                                "email_verified": True})
    assert (access.actor, access.reason) == (None, "pending")


def test_only_an_admin_changes_roles_and_it_is_audited(state, admin, editor):
    with pytest.raises(PermissionDenied):
        set_role(editor, "carlos", "admin")
    set_role(admin, "carlos", "editor")
    assert resolve_actor("carlos").role == "editor"
    with read_session() as s:
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "user.set_role")).one()
        assert (ev.actor, ev.record_id, ev.after) == ("ada", "carlos", {"role": "editor", "active": True})


def test_a_read_only_link_session_is_refused_every_write_whatever_its_role():
    link = Actor("leadership-link", "admin", via="link", read_only=True)
    assert can(link, "read")
    assert [p for p in PERMISSIONS if p != "read" and can(link, p)] == []
    with pytest.raises(PermissionDenied, match="read-only share link"):
        require(link, "roadmap.edit")


def test_a_participant_session_may_only_take_part_in_a_workshop():
    guest = Actor("guest", "admin", via="participant", workshop_session=7)
    assert [p for p in PERMISSIONS if can(guest, p)] == ["workshop.participate"]
    with pytest.raises(PermissionDenied, match="participant link"):
        require(guest, "workshop.facilitate")
