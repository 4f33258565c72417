"""The daily frames the trackers feed into the WBR, and the metric values computed from them."""
import datetime as dt

import polars as pl
import pytest

from rm_core.store.db import read_session
from rm_core.trackers import (file_request, move_gap, move_request, quantify_gap, record_gap, register_sop,
                              revise_sop, set_rollout)
from rm_core.trackers import metrics
from rm_core.trackers.sops import rollouts_frame, sops_frame
from rm_core.trackers.views import REQUEST_SCHEMA, requests_frame

D0 = dt.date(2026, 3, 1)


def _req(id, opened: dt.datetime, resolved: dt.datetime | None = None, sla_days=10, team="BRP EU"):
    return {"id": id, "kind": "partner_request", "title": id, "requester_team": team, "priority": "P3",
            "owner": "", "site": "India", "status": "resolved" if resolved else "new", "opened_at": opened,
            "sla_due": opened + dt.timedelta(days=sla_days), "resolved_at": resolved, "closed_at": None,
            "root_cause_category": None, "mo_id": None, "gap_id": None}


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(D0 + dt.timedelta(days=day), dt.time(hour))


REQUESTS = pl.DataFrame([
    _req("A", at(0)),                       # open throughout
    _req("B", at(0), resolved=at(5)),       # resolved on day 5 within SLA
    _req("C", at(2), resolved=at(20)),      # resolved on day 20, late
    _req("D", at(3), team="ML"),
], schema=REQUEST_SCHEMA)


def _open_on(frame: pl.DataFrame, day: int, bucket: str | None = None) -> int:
    f = frame.filter(pl.col("date") == D0 + dt.timedelta(days=day))
    if bucket:
        f = f.filter(age_bucket=bucket)
    return int(f["open_requests"].sum())


def test_open_requests_daily_counts_requests_open_at_the_end_of_each_day():
    daily = metrics.open_requests_daily(REQUESTS, D0, D0 + dt.timedelta(days=30))
    assert daily.columns == ["date", "site", "requester_team", "kind", "age_bucket", "open_requests"]
    assert _open_on(daily, 0) == 2          # A, B
    assert _open_on(daily, 4) == 4          # A, B, C, D
    assert _open_on(daily, 5) == 3          # B resolved on day 5
    assert _open_on(daily, 20) == 2         # C resolved on day 20
    assert _open_on(daily, 7, "0–7") == 3 and _open_on(daily, 8, "0–7") == 2  # A ages out of 0–7 on day 8
    assert _open_on(daily, 8, "8–14") == 1
    assert _open_on(daily, 30, "15–30") == 2 and _open_on(daily, 30, "31–60") == 0  # A is 30 days old, D 27
    # every combination has a row every day, so "last" over any period is exact
    assert daily.group_by("date").len()["len"].n_unique() == 1


def test_open_requests_daily_counts_requests_opened_before_the_window():
    daily = metrics.open_requests_daily(REQUESTS, D0 + dt.timedelta(days=10), D0 + dt.timedelta(days=12))
    assert _open_on(daily, 10) == 3 and _open_on(daily, 10, "8–14") == 2


def test_resolutions_give_the_within_sla_rate_and_the_median():
    start, end = D0, D0 + dt.timedelta(days=30)
    res = metrics.resolutions_daily(REQUESTS, start, end)
    assert res["resolved"].sum() == 2 and res["resolved_within_sla"].sum() == 1
    times = metrics.resolution_times(REQUESTS, start, end)
    assert times["days_to_resolve"].to_list() == pytest.approx([5.0, 18.0])


def _world(editor):
    t = dt.datetime(2026, 3, 2, 9)
    for i in range(3):
        r = file_request(editor, kind="partner_request", title=f"r{i}", requester_team="BRP NA", opened_at=t)
        move_request(editor, r.id, "triaged", at=t)
        move_request(editor, r.id, "in_progress", at=t)
        if i < 2:
            move_request(editor, r.id, "resolved", root_cause_category="rule_gap", root_cause_note="n",
                         at=t + dt.timedelta(days=3 + 10 * i))  # 3 days (within the 10-day SLA) and 13 (late)
    g = record_gap(editor, title="g", owning_team="ML", identified_at=t)
    quantify_gap(editor, g.id, accounts=40, usd=2500.0, method="m", at=t + dt.timedelta(days=1))
    move_gap(editor, g.id, "accepted", at=t + dt.timedelta(days=2))
    move_gap(editor, g.id, "in_progress", at=t + dt.timedelta(days=3))
    move_gap(editor, g.id, "closed", note="done", at=t + dt.timedelta(days=4))
    record_gap(editor, title="h", owning_team="Product", identified_at=t)
    sop = register_sop(editor, title="ATO triage", version="1.0")
    set_rollout(editor, sop.id, "RM India", "live", live_date=dt.date(2026, 3, 5))
    set_rollout(editor, sop.id, "RM Costa Rica", "live", live_date=dt.date(2026, 3, 10))
    set_rollout(editor, sop.id, "BRP APAC", "retired")


def test_metric_values_as_the_wbr_would_compute_them(state, editor):
    _world(editor)
    with read_session() as s:
        frames = metrics.tracker_frames(s, D0, D0 + dt.timedelta(days=30))
    week = (D0 + dt.timedelta(days=24), D0 + dt.timedelta(days=30))
    value = lambda name, span=(D0, D0 + dt.timedelta(days=30)): metrics.metric_value(  # noqa: E731
        frames, metrics.metric(name), *span)
    assert value("open_requests", week) == 1
    assert value("requests_resolved") == 2
    assert value("resolved_within_sla_pct") == 50.0
    assert value("median_days_to_resolve") == pytest.approx(8.0)
    assert value("gaps_identified") == 2 and value("gaps_quantified") == 1 and value("gaps_closed") == 1
    assert value("quantified_impact_usd") == 2500.0
    # 4 cells (BRP APAC retired); RM India and RM Costa Rica live on the current version by 10 March.
    assert value("sop_parity_pct", (D0, dt.date(2026, 3, 6))) == 25.0
    assert value("sop_parity_pct", week) == 50.0


def test_sop_parity_history_counts_a_team_from_its_live_date(state, editor):
    _world(editor)
    with read_session() as s:
        daily = metrics.sop_parity_daily(sops_frame(s), rollouts_frame(s), D0, dt.date(2026, 3, 12))
    india = daily.filter(team="RM India")
    assert india.filter(date=dt.date(2026, 3, 4))["live_current"][0] == 0
    assert india.filter(date=dt.date(2026, 3, 5))["live_current"][0] == 1
    assert daily.filter(team="BRP APAC").is_empty()


def test_a_new_sop_version_drops_parity_until_teams_move_to_it(state, editor):
    _world(editor)
    revise_sop(editor, "SOP-001", version="1.1")
    with read_session() as s:
        frames = metrics.tracker_frames(s, D0, D0 + dt.timedelta(days=30))
    assert metrics.metric_value(frames, metrics.metric("sop_parity_pct"), D0, D0 + dt.timedelta(days=30)) == 0.0


def test_every_declared_metric_names_columns_its_source_has(state, editor):
    _world(editor)
    with read_session() as s:
        frames = metrics.tracker_frames(s, D0, D0 + dt.timedelta(days=30))
    for m in metrics.TRACKER_METRICS:
        frame = frames.source(m.source)
        assert "date" in frame.columns and m.value in frame.columns, m.name
        assert all(d in frame.columns for d in m.dimensions), m.name
        if m.denominator:
            assert m.denominator in frame.columns
        assert m.aggregation in ("sum", "last", "ratio", "last_ratio", "median")


def test_requests_frame_feeds_the_open_requests_metric_after_a_resolution(state, editor):
    r = file_request(editor, kind="deep_dive", title="x", requester_team="ML", opened_at=dt.datetime(2026, 3, 2))
    with read_session() as s:
        before = metrics.open_requests_daily(requests_frame(s), D0, dt.date(2026, 3, 10))
    move_request(editor, r.id, "triaged", at=dt.datetime(2026, 3, 3))
    move_request(editor, r.id, "in_progress", at=dt.datetime(2026, 3, 3))
    move_request(editor, r.id, "resolved", root_cause_category="model_gap", root_cause_note="n",
                 at=dt.datetime(2026, 3, 6))
    with read_session() as s:
        after = metrics.open_requests_daily(requests_frame(s), D0, dt.date(2026, 3, 10))
    last = lambda f: int(f.filter(date=dt.date(2026, 3, 10))["open_requests"].sum())  # noqa: E731
    assert last(before) == 1 and last(after) == 0
