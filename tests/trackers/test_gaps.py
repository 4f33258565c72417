"""Upstream gaps: identified → quantified → accepted → in progress → closed (or rejected), with evidence."""
import datetime as dt

import pytest

from rm_core.errors import PermissionDenied, UserError
from rm_core.trackers import (add_gap_evidence, file_request, get_gap, link_initiative, move_gap, quantify_gap,
                              record_gap, record_measured_impact, reject_gap)
from tests.trackers.conftest import T0


def _gap(actor, **kw):
    return record_gap(actor, title="Bank-change events not streamed to risk", owning_team="Engineering",
                      missing="Payout bank changes are batch-loaded daily", identified_at=T0, **kw)


def test_a_gap_is_recorded_with_its_evidence(state, editor, linkables):
    req = file_request(editor, kind="deep_dive", title="Payout change wave", requester_team="BRP NA", opened_at=T0)
    gap = _gap(editor, evidence_requests=[req.id], evidence_mos=[linkables["mo"]])
    assert gap.id == "GAP-0001" and gap.status == "identified"
    detail = get_gap(gap.id)
    assert detail.evidence_requests == [req.id] and detail.evidence_mos == ["MO-0142"]
    with pytest.raises(UserError, match="Nothing to add"):
        add_gap_evidence(editor, gap.id, request_ids=[req.id])


def test_the_whole_loop_from_identified_to_closed_with_measured_impact(state, editor, linkables):
    gap = _gap(editor)
    q = quantify_gap(editor, gap.id, accounts=420, usd=1_250_000, method="90-day actioned accounts × avg exposure",
                     at=T0 + dt.timedelta(days=3))
    assert q.status == "quantified" and q.quantified_at == T0 + dt.timedelta(days=3)
    move_gap(editor, gap.id, "accepted", at=T0 + dt.timedelta(days=10))
    move_gap(editor, gap.id, "in_progress", initiative_id=linkables["initiative"], at=T0 + dt.timedelta(days=12))
    closed = move_gap(editor, gap.id, "closed", at=T0 + dt.timedelta(days=40))
    assert closed.initiative_id == "INI-012" and closed.closed_at == T0 + dt.timedelta(days=40)
    measured = record_measured_impact(editor, gap.id, accounts=300, usd=900_000, note="60 days before vs after")
    assert measured.measured_usd == 900_000
    assert [h[1] for h in get_gap(gap.id).history] == ["identified", "quantified", "accepted", "in_progress",
                                                       "closed"]


def test_quantifying_needs_accounts_dollars_and_a_method(state, editor):
    gap = _gap(editor)
    with pytest.raises(UserError, match="method"):
        quantify_gap(editor, gap.id, accounts=10, usd=100.0, method="")
    with pytest.raises(UserError, match="≥ 0"):
        quantify_gap(editor, gap.id, accounts=-1, usd=100.0, method="m")
    with pytest.raises(UserError, match="Quantify"):
        move_gap(editor, gap.id, "quantified")


def test_requantifying_a_later_gap_changes_the_numbers_not_the_status(state, editor):
    gap = _gap(editor)
    quantify_gap(editor, gap.id, accounts=10, usd=100.0, method="first guess")
    move_gap(editor, gap.id, "accepted")
    again = quantify_gap(editor, gap.id, accounts=50, usd=900.0, method="measured on 30 days")
    assert again.status == "accepted" and again.impact_usd == 900.0


def test_skipping_a_stage_is_refused_with_a_message(state, editor):
    gap = _gap(editor)
    with pytest.raises(UserError, match="Identified; it cannot move to Accepted"):
        move_gap(editor, gap.id, "accepted")


def test_closing_needs_the_initiative_or_a_note(state, editor, linkables):
    gap = _gap(editor)
    quantify_gap(editor, gap.id, accounts=1, usd=1.0, method="m")
    move_gap(editor, gap.id, "accepted")
    move_gap(editor, gap.id, "in_progress")
    with pytest.raises(UserError, match="initiative that closed it or a note"):
        move_gap(editor, gap.id, "closed")
    link_initiative(editor, gap.id, linkables["initiative"])
    assert move_gap(editor, gap.id, "closed").status == "closed"


def test_rejecting_needs_a_reason_and_ends_the_flow(state, editor):
    gap = _gap(editor)
    with pytest.raises(UserError, match="reason"):
        reject_gap(editor, gap.id, " ")
    rejected = reject_gap(editor, gap.id, "Duplicate of GAP-0007")
    assert rejected.status == "rejected" and rejected.rejected_reason == "Duplicate of GAP-0007"
    with pytest.raises(UserError, match="it is rejected"):
        move_gap(editor, gap.id, "accepted")


def test_measured_impact_only_after_closing(state, editor):
    gap = _gap(editor)
    with pytest.raises(UserError, match="after it is closed"):
        record_measured_impact(editor, gap.id, accounts=1, usd=1.0, note="n")


def test_only_editors_and_admins_change_gaps(state, editor, viewer):
    gap = _gap(editor)
    with pytest.raises(PermissionDenied):
        _gap(viewer)
    with pytest.raises(PermissionDenied):
        quantify_gap(viewer, gap.id, accounts=1, usd=1.0, method="m")
    with pytest.raises(PermissionDenied):
        reject_gap(viewer, gap.id, "no")
    assert get_gap(gap.id).gap.status == "identified"
