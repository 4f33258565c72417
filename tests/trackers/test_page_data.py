"""What the tracker pages read without opening a session: the same frames and exports as the session-taking views."""
from rm_core.store.db import read_session
from rm_core.trackers import file_request, record_gap, register_sop, views
from rm_core.trackers.export import export_csv
from rm_core.trackers.page_data import (current_gaps, current_sops, export_table, requests_snapshot,
                                        tracker_version)
from rm_core.trackers.sops import rollouts_frame, sops_frame


def test_the_pages_entry_points_read_what_the_views_read(state, editor):
    file_request(editor, kind="deep_dive", title="=cmd()", requester_team="ML")
    record_gap(editor, title="Bank-change events not streamed", owning_team="ML")
    register_sop(editor, title="Payout holds")
    snap = requests_snapshot()
    assert snap.frame.height == 1 and requests_snapshot(snap) is snap  # nothing changed: the same object back
    with read_session() as s:
        assert tracker_version() == views.data_version(s)
        assert current_gaps().equals(views.gaps_frame(s))
        sops, rollouts = current_sops()
        assert sops.equals(sops_frame(s)) and rollouts.equals(rollouts_frame(s))
        assert export_table("requests") == export_csv(s, "requests")
    assert "'=cmd()" in export_table("requests")
    before = tracker_version()
    file_request(editor, kind="deep_dive", title="another", requester_team="ML")
    assert tracker_version() != before and requests_snapshot(snap).frame.height == 2
