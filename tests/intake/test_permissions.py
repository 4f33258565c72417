"""Who may submit, support and triage intake ideas (README: Ideas intake → who may do what)."""
import pytest

from rm_core.errors import PermissionDenied
from rm_core.identity import Actor
from rm_core.intake import list_ideas, may_submit, may_triage, merge_idea, move_idea, support_idea
from rm_core.settings import get_settings
from tests.intake.conftest import submit


@pytest.mark.parametrize("role", ["viewer", "editor", "facilitator", "admin"])
def test_every_role_submits_by_default(state, role):
    actor = Actor(f"{role}1", role)
    assert may_submit(actor) and submit(actor).submitter == f"{role}1"


def test_viewers_only_read_when_the_team_sets_rm_intake_viewers_read(state, monkeypatch, viewer, editor):
    monkeypatch.setenv("RM_INTAKE_VIEWERS", "read")
    get_settings.cache_clear()
    assert not may_submit(viewer) and may_submit(editor)
    with pytest.raises(PermissionDenied, match="RM_INTAKE_VIEWERS=read"):
        submit(viewer)
    idea = submit(editor)
    with pytest.raises(PermissionDenied, match="RM_INTAKE_VIEWERS=read"):
        support_idea(viewer, idea.id)
    assert [i.submitter for i in list_ideas()] == ["eddie"]


@pytest.mark.parametrize("actor", [Actor("link", "admin", via="link", read_only=True),
                                   Actor("participant:3", "viewer", via="participant", workshop_session=1)],
                         ids=["share-link", "workshop-participant"])
def test_share_links_and_participant_links_never_submit(state, actor):
    assert not may_submit(actor)
    with pytest.raises(PermissionDenied):
        submit(actor)
    assert list_ideas() == []


@pytest.mark.parametrize("role, allowed", [("viewer", False), ("facilitator", False), ("editor", True),
                                           ("admin", True)])
def test_only_editors_and_admins_triage(state, viewer, role, allowed):
    actor = Actor(f"{role}1", role)
    a, b = submit(viewer), submit(viewer)
    assert may_triage(actor) is allowed
    if allowed:
        assert move_idea(actor, a.id, "under_review").status == "under_review"
        assert merge_idea(actor, b.id, a.id).id == a.id
    else:
        with pytest.raises(PermissionDenied, match="admin or editor role"):
            move_idea(actor, a.id, "under_review")
        with pytest.raises(PermissionDenied, match="admin or editor role"):
            merge_idea(actor, b.id, a.id)
        assert {i.status for i in list_ideas()} == {"new"}


def test_bad_rm_intake_viewers_names_the_variable(monkeypatch):
    from rm_core.errors import UserError
    from rm_core.settings import load_settings

    with pytest.raises(UserError, match="RM_INTAKE_VIEWERS"):
        load_settings({"RM_INTAKE_VIEWERS": "maybe"})
