"""Share links are signed, stored, revocable capabilities: a valid one yields a read-only actor for its scope;
an altered, expired, revoked or absent one yields nothing; and a link actor can write through no service."""
from __future__ import annotations

import datetime as dt
import os
import stat

import pytest
from sqlalchemy import func, select

from rm_core import links
from rm_core import roadmap as rm
from rm_core import workshops as wk
from rm_core.errors import PermissionDenied, UserError
from rm_core.identity import Actor
from rm_core.links import LinkScope
from rm_core.signing import SECRET_FILE, link_key
from rm_core.store.db import read_session
from rm_core.store.models import AuditEvent

ROADMAP_OPS = LinkScope(("roadmap",), {"workstream": ["Operations"], "baseline": "OP1 approved"})


def test_a_valid_token_gives_a_read_only_actor_for_exactly_its_scope(state, editor):
    made = links.create_link(editor, ROADMAP_OPS, days=3)
    got = links.link_from_token(made.token)
    assert got is not None and got.id == made.id
    assert got.scope.views == ("roadmap",)
    assert got.scope.roadmap["workstream"] == ["Operations"] and got.scope.roadmap["baseline"] == "OP1 approved"
    actor = got.actor
    assert (actor.via, actor.read_only, actor.role) == ("link", True, "viewer")
    assert links.link_path(made) == f"?share={made.token}"


def test_an_altered_absent_or_foreign_token_gives_nothing(state, editor, facilitator):
    token = links.create_link(editor, ROADMAP_OPS).token
    assert links.link_from_token(None) is None and links.link_from_token("") is None
    for i in range(len(token) - 1):
        if "." in token[i:i + 2]:
            continue  # a segment's last base64 character may carry only padding bits
        altered = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]
        assert links.link_from_token(altered) is None, altered
    # a workshop join token is signed by the same key for another purpose: it is no share link
    ws = wk.create_session(facilitator, "Board", "op1_ideation")
    assert links.link_from_token(wk.join_token(ws.id)) is None


def test_an_expired_link_gives_nothing(state, editor):
    made = links.create_link(editor, ROADMAP_OPS, days=1)
    assert links.link_from_token(made.token, now=made.expires_at - dt.timedelta(seconds=1)) is not None
    assert links.link_from_token(made.token, now=made.expires_at) is None
    assert made.status(now=made.expires_at) == "expired"


def test_the_creator_or_an_admin_revokes_and_the_token_stops_at_once(state, editor, admin):
    mine = links.create_link(editor, ROADMAP_OPS)
    other_editor = Actor("erin", "editor")
    with pytest.raises(PermissionDenied, match="Only eddie"):
        links.revoke_link(other_editor, mine.id)
    revoked = links.revoke_link(editor, mine.id)
    assert revoked.status() == "revoked" and revoked.revoked_by == editor.name
    assert links.link_from_token(mine.token) is None
    second = links.create_link(editor, ROADMAP_OPS)
    links.revoke_link(admin, second.id)
    assert links.link_from_token(second.token) is None
    with read_session() as s:
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.record_type == "share_link")))
    assert actions == ["link.create", "link.revoke", "link.create", "link.revoke"]


def test_creators_see_their_own_links_and_an_admin_sees_everyones(state, editor, admin):
    links.create_link(editor, ROADMAP_OPS)
    links.create_link(admin, LinkScope(("metrics",)))
    assert [link.created_by for link in links.list_links(editor)] == [editor.name]
    assert {link.created_by for link in links.list_links(admin)} == {editor.name, admin.name}
    assert links.list_links(Actor("vic", "viewer")) == []


def test_only_those_who_maintain_a_view_may_share_it_and_no_link_session_makes_links(state, editor):
    with pytest.raises(PermissionDenied):
        links.create_link(Actor("vic", "viewer"), ROADMAP_OPS)
    with pytest.raises(PermissionDenied):
        links.create_link(Actor("fran", "facilitator"), LinkScope(("metrics",)))  # roadmap yes, metrics no
    link_actor = links.create_link(editor, ROADMAP_OPS).actor
    for call in (lambda: links.create_link(link_actor, ROADMAP_OPS), lambda: links.list_links(link_actor)):
        with pytest.raises(PermissionDenied):
            call()
    with pytest.raises(UserError, match="shows roadmap"):
        links.create_link(editor, LinkScope(("users",)))
    with pytest.raises(UserError, match="1 to 90 days"):
        links.create_link(editor, ROADMAP_OPS, days=365)


def test_the_key_lives_in_a_0600_file_in_the_state_folder_unless_set(state, editor, monkeypatch):
    from rm_core.settings import get_settings

    token = links.create_link(editor, ROADMAP_OPS).token
    path = state.home / SECRET_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert link_key() == path.read_text().encode()
    # every replica sets the same RM_LINK_SECRET; a different key makes every earlier token worthless
    monkeypatch.setenv("RM_LINK_SECRET", "x" * 40)
    get_settings.cache_clear()
    assert link_key() == b"x" * 40
    assert links.link_from_token(token) is None


# --- a read-only actor writes through no service ------------------------------------------------------------

def _writes(editor, facilitator):
    """One write per domain, as a page or script would call it with the link's actor."""
    import datetime as dt

    from rm_core.metrics.status import save_flash_note
    from rm_core.mos.repository import create_mo
    from rm_core.rules.lifecycle import move_rule
    from rm_core.trackers.gaps import record_gap
    from rm_core.trackers.requests import file_request
    from rm_core.trackers.sops import register_sop

    from rm_core.store.db import write_session
    from rm_core.store.models import Rule

    with write_session() as s:
        s.add(Rule(id="R-0001", name="velocity", status="active"))
    ws = wk.create_session(facilitator, "Board", "op1_ideation")
    return {
        "roadmap.create_initiative": lambda a: rm.create_initiative(a, title="x", workstream="Ops"),
        "roadmap.save_baseline": lambda a: rm.save_baseline(a, "B"),
        "mos.create_mo": lambda a: create_mo(a, {"title": "x"}),
        "rules.move_rule": lambda a: move_rule(a, "R-0001", "candidate", "because"),
        "trackers.record_gap": lambda a: record_gap(a, title="x", owning_team="Eng"),
        "trackers.file_request": lambda a: file_request(a, kind="partner_request", title="x", requester_team="T"),
        "trackers.register_sop": lambda a: register_sop(a, title="x"),
        "metrics.save_flash_note": lambda a: save_flash_note(a, dt.date(2026, 11, 28), "x"),
        "workshops.create_session": lambda a: wk.create_session(a, "Board", "op1_ideation"),
        "workshops.set_phase": lambda a: wk.set_phase(ws.id, "group", a),
        "workshops.close_session": lambda a: wk.close_session(ws.id, a),
        "links.create_link": lambda a: links.create_link(a, ROADMAP_OPS),
    }


@pytest.mark.parametrize("role", ["admin", "editor"])
def test_a_link_session_is_refused_by_every_service_whatever_its_role(state, editor, facilitator, role):
    writes = _writes(editor, facilitator)
    with read_session() as s:
        events_before = s.scalar(select(func.count()).select_from(AuditEvent))
    # even an actor whose role could write is refused once it is read-only
    read_only = Actor("link:abc", role, via="link", read_only=True)
    for name, write in writes.items():
        with pytest.raises(PermissionDenied, match="read-only share link|participant link only|link session"):
            write(read_only)
    with read_session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == events_before  # nothing written
    assert wk.get_session(wk.list_sessions()[0].session.id).phase == "brainstorm"
