"""Intake ideas: submit, every triage move with its reason and timestamps, merge, support, history."""
import datetime as dt

import pytest
from sqlalchemy import select

from rm_core.errors import NotFound, UserError, ValidationFailed
from rm_core.intake import get_idea, list_ideas, merge_idea, move_idea, my_ideas, submit_idea, support_idea
from rm_core.store.db import read_session
from rm_core.store.models import AuditEvent, IntakeIdea
from tests.intake.conftest import T0, idea_fields, submit

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def test_submitting_an_idea_saves_it_as_new_with_its_first_history_entry(state, viewer, linkables):
    idea = submit(viewer, affected_mos="MO-0142; MO-0007", affected_rules=["R-0031"], affected_gaps="GAP-0042",
                  ai_based=True)
    assert idea.id == "IDEA-0001" and idea.status == "new" and idea.submitter == "vic"
    assert idea.submitter_label == "Vic Viewer" and idea.submitted_at == T0 and idea.triaged_at is None
    assert idea.affected_mos == ["MO-0142", "MO-0007"] and idea.affected_gaps == ["GAP-0042"] and idea.ai_based
    detail = get_idea(idea.id)
    assert [(m.from_status, m.to_status, m.at) for m in detail.moves] == [(None, "new", T0)]
    assert [h.action for h in detail.history] == ["intake.submit"]
    assert submit(viewer).id == "IDEA-0002"


@pytest.mark.parametrize("field, value, message", [
    ("title", "", "at least 3 characters"), ("problem", "  ", "at least 1 character"),
    ("proposed_change", "", "at least 1 character"), ("theme", "Cooking", "must be one of"),
    ("site", "Mars", "must be one of"), ("colour", "red", "Extra inputs are not permitted"),
    ("affected_mos", "MO 1;bad id!", "is not a record id"),
])
def test_a_bad_field_is_refused_naming_the_field_and_nothing_is_saved(state, editor, field, value, message):
    with pytest.raises(ValidationFailed) as err:
        submit_idea(editor, idea_fields(**{field: value}))
    assert err.value.problems[0].field == field and message in err.value.problems[0].message
    assert list_ideas() == []


def test_links_to_unknown_records_are_refused_each_named(state, editor, linkables):
    with pytest.raises(ValidationFailed) as err:
        submit(editor, affected_mos=["MO-0142", "MO-9999"], affected_rules="R-0404")
    assert [(p.field, p.message) for p in err.value.problems] == [("affected_mos", "no MO MO-9999"),
                                                                   ("affected_rules", "no rule R-0404")]
    assert list_ideas() == []


def test_every_status_move_is_dated_reasoned_and_seen_by_the_submitter(state, viewer, editor):
    idea = submit(viewer)
    reviewed = move_idea(editor, idea.id, "under_review", at=T0 + D)
    assert reviewed.status == "under_review" and reviewed.triaged_at == T0 + D and reviewed.triaged_by == "eddie"
    accepted = move_idea(editor, idea.id, "accepted", reason="Strong signal; plan it for OP1.", at=T0 + 2 * D)
    assert accepted.decided_at == T0 + 2 * D and accepted.triaged_at == T0 + D
    reopened = move_idea(editor, idea.id, "under_review", reason="Engineering asks for sizing first.",
                         at=T0 + 3 * D)
    assert reopened.decided_at is None
    declined = move_idea(editor, idea.id, "declined", reason="Covered by R-0031 since March.", at=T0 + 4 * D)
    mine = my_ideas(viewer)
    assert [(i.id, i.status, i.reason) for i in mine] == [(idea.id, "declined", "Covered by R-0031 since March.")]
    assert declined.triaged_at == T0 + D
    moves = get_idea(idea.id).moves
    assert [(m.to_status, m.at, m.note) for m in moves] == [
        ("new", T0, "submitted"), ("under_review", T0 + D, ""),
        ("accepted", T0 + 2 * D, "Strong signal; plan it for OP1."),
        ("under_review", T0 + 3 * D, "Engineering asks for sizing first."),
        ("declined", T0 + 4 * D, "Covered by R-0031 since March.")]
    with read_session() as s:
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.record_id == idea.id)
                                 .order_by(AuditEvent.id)))
    assert actions == ["intake.submit"] + ["intake.move"] * 4


def test_declining_straight_from_new_counts_as_triage(state, viewer, editor):
    idea = submit(viewer)
    out = move_idea(editor, idea.id, "declined", reason="Out of scope for Risk Mining.", at=T0 + 3 * H)
    assert out.triaged_at == T0 + 3 * H == out.decided_at


@pytest.mark.parametrize("path, illegal", [([], "accepted"), (["under_review"], "new"),
                                           (["under_review", "accepted"], "declined"), ([], "new")])
def test_illegal_moves_are_refused_naming_the_allowed_next_steps(state, viewer, editor, path, illegal):
    idea = submit(viewer)
    for status in path:
        move_idea(editor, idea.id, status, reason="ok")
    with pytest.raises(UserError, match=r"cannot move to .*Next it can move to"):
        move_idea(editor, idea.id, illegal, reason="x")
    assert get_idea(idea.id).idea.status == (path[-1] if path else "new")


@pytest.mark.parametrize("to_status", ["accepted", "declined"])
def test_a_decision_without_a_reason_is_refused(state, viewer, editor, to_status):
    idea = submit(viewer)
    move_idea(editor, idea.id, "under_review")
    with pytest.raises(UserError, match="needs a reason; the submitter sees it"):
        move_idea(editor, idea.id, to_status, reason="  ")
    assert get_idea(idea.id).idea.status == "under_review"


def test_a_move_dated_before_submission_or_on_an_unknown_idea_is_refused(state, viewer, editor):
    idea = submit(viewer)
    with pytest.raises(UserError, match="cannot be dated before"):
        move_idea(editor, idea.id, "under_review", at=T0 - D)
    with pytest.raises(NotFound, match="IDEA-0404"):
        move_idea(editor, "IDEA-0404", "under_review")
    with pytest.raises(UserError, match="needs the idea to merge into"):
        move_idea(editor, idea.id, "merged")


def test_merging_carries_supporters_and_links_over_and_keeps_both_histories(state, viewer, editor, facilitator,
                                                                            admin, linkables):
    keep = submit(editor, affected_mos=["MO-0142"])
    dupe = submit(viewer, at=T0 + D, affected_mos=["MO-0007"], affected_rules=["R-0031"], ai_based=True)
    support_idea(facilitator, dupe.id)
    support_idea(admin, dupe.id)
    support_idea(admin, keep.id)
    merged = merge_idea(editor, dupe.id, keep.id, at=T0 + 2 * D)
    assert merged.id == keep.id and merged.supporters == 3  # admin once, fran, and vic who raised the duplicate
    assert merged.affected_mos == ["MO-0142", "MO-0007"] and merged.affected_rules == ["R-0031"] and merged.ai_based
    source = get_idea(dupe.id)
    assert source.idea.status == "merged" and source.idea.merged_into == keep.id
    assert source.idea.reason == f"Merged into {keep.id} ({keep.title})." and source.idea.triaged_at == T0 + 2 * D
    assert [h.action for h in source.history] == ["intake.submit", "intake.support", "intake.support", "intake.merge"]
    target = get_idea(keep.id)
    assert target.merged_from == [dupe.id] and sorted(target.supporters) == ["ada", "fran", "vic"]
    assert target.history[-1].action == "intake.absorb"
    assert [m.to_status for m in target.moves] == ["new"]  # the survivor's own status did not move
    assert my_ideas(viewer)[0].reason.startswith(f"Merged into {keep.id}")


def test_merge_refuses_itself_a_closed_target_and_a_second_merge(state, viewer, editor):
    a, b, c = submit(viewer), submit(viewer), submit(viewer)
    with pytest.raises(UserError, match="into itself"):
        merge_idea(editor, a.id, a.id)
    move_idea(editor, c.id, "declined", reason="No.")
    with pytest.raises(UserError, match="merge into an idea that is still open or accepted"):
        merge_idea(editor, a.id, c.id)
    merge_idea(editor, a.id, b.id)
    with pytest.raises(UserError, match="cannot move to Merged"):
        merge_idea(editor, a.id, b.id)
    with pytest.raises(UserError, match=f"lives on in {b.id}"):
        merge_idea(editor, b.id, a.id)


def test_support_is_a_single_plus_one_and_can_be_taken_back(state, viewer, editor, facilitator):
    idea = submit(viewer)
    assert support_idea(editor, idea.id) == 1
    assert support_idea(editor, idea.id) == 1
    assert support_idea(facilitator, idea.id) == 2
    assert support_idea(editor, idea.id, supported=False) == 1
    with pytest.raises(UserError, match="already counts you"):
        support_idea(viewer, idea.id)


def test_list_filters_by_status_theme_site_and_age(state, viewer, editor):
    old = submit(viewer, at=T0 - 60 * D, site="Costa Rica", theme="AI & Automation")
    new = submit(viewer, at=T0)
    move_idea(editor, new.id, "under_review", at=T0 + H)
    assert [i.id for i in list_ideas()] == [new.id, old.id]
    assert [i.id for i in list_ideas(statuses=["under_review"])] == [new.id]
    assert [i.id for i in list_ideas(site="Costa Rica")] == [old.id]
    assert [i.id for i in list_ideas(theme="Detection & Rules")] == [new.id]
    assert [i.id for i in list_ideas(submitted_since=T0 - D)] == [new.id]


@pytest.mark.postgres
def test_the_intake_flow_works_on_both_databases(state, backend, viewer, editor, admin):
    a = submit(viewer)
    b = submit(editor, at=T0 + H)
    support_idea(admin, a.id)
    move_idea(editor, a.id, "under_review", at=T0 + D)
    move_idea(editor, a.id, "accepted", reason="Yes", at=T0 + 2 * D)
    merged = merge_idea(admin, b.id, a.id, at=T0 + 3 * D)
    assert merged.supporters == 2
    with read_session() as s:
        assert s.get(IntakeIdea, b.id).merged_into == a.id
    assert [m.to_status for m in get_idea(a.id).moves] == ["new", "under_review", "accepted"]
