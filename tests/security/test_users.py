"""Who a signed-in person is (issuer + subject), how an admin gives access, and that one admin always remains."""
import pytest
from sqlalchemy import select

from rm_core.errors import PermissionDenied, UserError
from rm_core.identity import (provision_user, resolve_actor, resolve_signed_in, set_active, set_role, users)
from rm_core.settings import load_settings
from rm_core.store.db import read_session
from rm_core.store.models import AuditEvent

ISS = "https://idp.example.com"


def claims(sub, email=None, verified=True, iss=ISS, name=None):
    return {"iss": iss, "sub": sub, "email": email, "email_verified": verified, "name": name}


@pytest.fixture
def boss(state):
    return resolve_actor("tester")  # the machine's own user: first user of the empty workbench, admin


def test_an_unknown_signed_in_person_gets_no_role_but_is_listed_for_an_admin(boss):
    access = resolve_signed_in(claims("u-1", "new@example.com"))
    assert access.actor is None and access.reason == "pending" and access.email == "new@example.com"
    row = next(u for u in users(boss) if u.subject == "u-1")
    assert (row.role, row.active, row.email, row.email_verified, row.issuer) == (None, True, "new@example.com",
                                                                                  True, ISS)


def test_a_pre_provisioned_email_is_matched_only_when_verified(boss):
    provision_user(boss, "Priya@Example.com", "editor")
    unverified = resolve_signed_in(claims("attacker", "priya@example.com", verified=False))
    assert unverified.actor is None
    verified = resolve_signed_in(claims("priya-sub", "priya@example.com"))
    assert verified.actor.role == "editor" and verified.actor.via == "oidc"
    # the row is now bound to issuer + subject: the next sign-in finds it whatever the email says
    again = resolve_signed_in(claims("priya-sub", "priya.new@example.com"))
    assert again.actor.name == verified.actor.name and again.actor.role == "editor"
    # another provider account with the same verified email does not take over the bound row
    assert resolve_signed_in(claims("other", "priya@example.com", iss="https://other-idp.example")).actor is None


def test_long_emails_that_share_64_characters_are_two_users(boss):
    stem = "a" * 60
    one = resolve_signed_in(claims("s1", f"{stem}one@example.com"))
    two = resolve_signed_in(claims("s2", f"{stem}two@example.com"))
    rows = [u for u in users(boss) if u.subject in ("s1", "s2")]
    assert len({u.name for u in rows}) == 2 and all(len(u.name) <= 64 for u in rows)
    assert one.reason == two.reason == "pending"


def test_a_display_name_equal_to_a_local_user_does_not_take_their_role(boss):
    access = resolve_signed_in(claims("mallory", "mallory@example.com", name="tester"))
    assert access.actor is None
    assert resolve_actor("tester").role == "admin"


def test_an_unverified_email_never_becomes_the_user_name(boss):
    resolve_signed_in(claims("s9", "ceo@example.com", verified=False))
    row = next(u for u in users(boss) if u.subject == "s9")
    assert row.name != "ceo@example.com"
    set_role(boss, "ceo@example.com", "viewer")  # granting by that email pre-provisions a separate row
    assert resolve_signed_in(claims("s9", "ceo@example.com", verified=False)).actor is None


def test_rm_admins_names_the_first_admins_by_verified_email_or_subject(state):
    settings = load_settings({"RM_HOME": str(state.home), "RM_ADMINS": "Lead@Example.com, sub-42"})
    assert resolve_signed_in(claims("x1", "lead@example.com"), settings).actor.role == "admin"
    assert resolve_signed_in(claims("x2", "lead@example.com", verified=False), settings).actor is None
    assert resolve_signed_in(claims("sub-42"), settings).actor.role == "admin"


def test_the_default_role_setting_lets_unknown_people_in_as_it_says(state):
    settings = load_settings({"RM_HOME": str(state.home), "RM_DEFAULT_ROLE": "viewer"})
    assert resolve_signed_in(claims("v1", "v@example.com"), settings).actor.role == "viewer"
    with pytest.raises(UserError, match="RM_DEFAULT_ROLE"):
        load_settings({"RM_DEFAULT_ROLE": "admin"})


def test_granting_a_waiting_person_a_role_lets_them_in_and_is_audited(boss):
    resolve_signed_in(claims("w1", "wait@example.com"))
    set_role(boss, "wait@example.com", "facilitator")
    assert resolve_signed_in(claims("w1", "wait@example.com")).actor.role == "facilitator"
    with read_session() as s:
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "user.set_role")).one()
    assert (ev.actor, ev.before["role"], ev.after["role"]) == ("tester", None, "facilitator")


def test_a_deactivated_person_is_refused_at_their_next_run(boss):
    provision_user(boss, "gone@example.com", "editor")
    actor = resolve_signed_in(claims("g1", "gone@example.com")).actor
    set_active(boss, actor.name, False)
    assert resolve_signed_in(claims("g1", "gone@example.com")).reason == "deactivated"
    set_active(boss, actor.name, True)
    assert resolve_signed_in(claims("g1", "gone@example.com")).actor.role == "editor"


def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated(boss):
    with pytest.raises(UserError, match="last active admin"):
        set_role(boss, "tester", "editor")
    with pytest.raises(UserError, match="last active admin"):
        set_active(boss, "tester", False)
    set_role(boss, "second-admin", "admin")
    set_role(boss, "tester", "editor")
    assert resolve_actor("tester").role == "editor"
    with pytest.raises(UserError, match="last active admin"):
        set_active(resolve_actor("second-admin"), "second-admin", False)


def test_only_admins_list_or_change_users(boss):
    set_role(boss, "vic", "viewer")
    vic = resolve_actor("vic")
    for call in (lambda: users(vic), lambda: set_role(vic, "vic", "admin"),
                 lambda: provision_user(vic, "x@example.com", "admin"), lambda: set_active(vic, "tester", False)):
        with pytest.raises(PermissionDenied, match="admin"):
            call()
    assert resolve_actor("vic").role == "viewer"


def test_a_local_name_never_reaches_a_signed_in_users_row(boss):
    provision_user(boss, "ops@example.com", "admin")
    with pytest.raises(UserError, match="name of a user who signs in"):
        resolve_actor("ops@example.com")
