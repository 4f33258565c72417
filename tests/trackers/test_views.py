"""The tracker views on hand-built cases: queue order, ageing, trend, time to resolve, the gap loop."""
import datetime as dt

import polars as pl
import pytest

from rm_core.store.db import read_session
from rm_core.trackers import (file_request, move_gap, move_request, quantify_gap, record_gap, reject_gap)
from rm_core.trackers import views
from tests.trackers.conftest import T0

NOW = dt.datetime(2026, 5, 1, 12, 0)


def _req(id, opened_days_ago, sla_days, status="new", resolved_days_ago=None, owner="", kind="partner_request",
         team="BRP EU"):
    opened = NOW - dt.timedelta(days=opened_days_ago)
    return {"id": id, "kind": kind, "title": id, "requester_team": team, "priority": "P3", "owner": owner,
            "site": "India", "status": status, "opened_at": opened, "sla_due": opened + dt.timedelta(days=sla_days),
            "resolved_at": None if resolved_days_ago is None else NOW - dt.timedelta(days=resolved_days_ago),
            "closed_at": None, "root_cause_category": None, "mo_id": None, "gap_id": None}


def _frame(rows):
    return pl.DataFrame(rows, schema=views.REQUEST_SCHEMA)


REQUESTS = _frame([
    _req("A", 1, 10, owner="priya"),                   # 90% left: green, 0–7
    _req("B", 8, 10, status="triaged"),                # 20% left: amber, 8–14
    _req("C", 40, 30, status="blocked", owner="priya"),  # breached 10 days: red, 31–60
    _req("D", 61, 90, status="in_progress"),           # 32% left: green, 60+
    _req("E", 20, 10, status="resolved", resolved_days_ago=15),  # done in 5 days, within SLA
    _req("F", 30, 10, status="closed", resolved_days_ago=5),     # done in 25 days, late
])


def test_queue_puts_the_most_at_risk_first_and_leaves_out_finished_requests():
    q = views.queue(REQUESTS, NOW)
    assert q["id"].to_list() == ["C", "B", "D", "A"]
    assert q["sla_colour"].to_list() == ["red", "amber", "green", "green"]
    assert q["breached"].to_list() == [True, False, False, False]


def test_my_items_and_overdue():
    assert views.my_items(REQUESTS, "priya", NOW)["id"].to_list() == ["C", "A"]
    over = views.overdue(REQUESTS, NOW)
    assert over["id"].to_list() == ["C"] and over["days_overdue"][0] == pytest.approx(10.0)


def test_ageing_counts_open_requests_per_bucket_and_colour_with_zeros():
    ageing = views.ageing(REQUESTS, NOW)
    assert ageing.height == 15
    assert views.ageing_totals(REQUESTS, NOW) == {"0–7": 1, "8–14": 1, "15–30": 0, "31–60": 1, "60+": 1}
    red = ageing.filter(sla_colour="red", age_bucket="31–60")["requests"][0]
    assert red == 1


def test_weekly_trend_counts_created_and_resolved_per_week_and_what_stayed_open():
    trend = views.weekly_trend(REQUESTS, NOW, weeks=12)
    assert trend.height == 12 and trend["week"][-1] == dt.date(2026, 4, 27)
    assert trend["created"].sum() == 6
    assert views.weekly_trend(REQUESTS, NOW, weeks=4)["created"].sum() == 3  # A, B, E within 4 weeks
    assert trend["resolved"].sum() == 2
    assert trend["open_at_end"][-1] == 4


def test_time_to_resolve_by_kind_and_team():
    ttr = views.time_to_resolve(REQUESTS)
    row = ttr.row(0, named=True)
    assert (row["kind"], row["requester_team"], row["resolved"]) == ("partner_request", "BRP EU", 2)
    assert row["median_days"] == pytest.approx(15.0)  # 5 and 25 days
    assert row["within_sla_pct"] == pytest.approx(50.0)


def _hand_built_loop(editor):
    """Q1 2026: four gaps reach identified/quantified/accepted/closed as 4/3/2/1; Q2: one quantified then rejected."""
    day = lambda n: T0 + dt.timedelta(days=n)  # noqa: E731
    a = record_gap(editor, title="A", owning_team="ML", identified_at=day(0))
    b = record_gap(editor, title="B", owning_team="ML", identified_at=day(1))
    c = record_gap(editor, title="C", owning_team="Engineering", identified_at=day(2))
    record_gap(editor, title="D", owning_team="Product", identified_at=day(3))
    e = record_gap(editor, title="E", owning_team="Engineering", identified_at=dt.datetime(2026, 4, 2))
    quantify_gap(editor, a.id, accounts=100, usd=1000.0, method="m", at=day(2))
    move_gap(editor, a.id, "accepted", at=day(7))
    move_gap(editor, a.id, "in_progress", at=day(8))
    move_gap(editor, a.id, "closed", note="fixed by config", at=day(18))
    quantify_gap(editor, b.id, accounts=50, usd=5000.0, method="m", at=day(5))
    move_gap(editor, b.id, "accepted", at=day(12))
    quantify_gap(editor, c.id, accounts=10, usd=300.0, method="m", at=day(8))
    quantify_gap(editor, e.id, accounts=1, usd=10.0, method="m", at=dt.datetime(2026, 4, 5))
    reject_gap(editor, e.id, "too small", at=dt.datetime(2026, 4, 6))


def test_loop_funnel_per_quarter_on_a_hand_built_case(state, editor):
    _hand_built_loop(editor)
    with read_session() as s:
        gaps = views.gaps_frame(s)
    funnel = views.loop_funnel(gaps)
    got = {(q, st): n for q, st, n in funnel.select("quarter", "stage", "gaps").iter_rows()}
    assert got == {("2026-Q1", "identified"): 4, ("2026-Q1", "quantified"): 3, ("2026-Q1", "accepted"): 2,
                   ("2026-Q1", "closed"): 1, ("2026-Q2", "identified"): 1, ("2026-Q2", "quantified"): 1,
                   ("2026-Q2", "accepted"): 0, ("2026-Q2", "closed"): 0}
    q1 = funnel.filter(quarter="2026-Q1")
    assert q1["pct_of_identified"].to_list() == [100.0, 75.0, 50.0, 25.0]


def test_time_in_each_stage_on_a_hand_built_case(state, editor):
    _hand_built_loop(editor)
    with read_session() as s:
        gaps = views.gaps_frame(s)
    now = T0 + dt.timedelta(days=30)
    stages = {r["stage"]: r for r in views.stage_times(gaps, now).iter_rows(named=True)}
    # identified → quantified took A 2, B 4, C 6 days and E 3 days.
    assert stages["identified"]["passed"] == 4 and stages["identified"]["median_days"] == pytest.approx(3.5)
    assert stages["quantified"]["median_days"] == pytest.approx(6.0)  # A 5, B 7
    assert stages["in_progress"]["median_days"] == pytest.approx(10.0)
    # D is still identified (27 days), C still quantified (22 days), B still accepted (18 days).
    assert stages["identified"]["waiting"] == 1 and stages["identified"]["waiting_median_days"] == pytest.approx(27)
    assert stages["accepted"]["waiting_median_days"] == pytest.approx(18)


def test_open_gaps_by_team_sums_impact(state, editor):
    _hand_built_loop(editor)
    with read_session() as s:
        by_team = views.open_gaps_by_team(views.gaps_frame(s))
    rows = {r["owning_team"]: r for r in by_team.iter_rows(named=True)}
    assert rows["ML"]["open_gaps"] == 1 and rows["ML"]["impact_usd"] == 5000.0  # B; A is closed
    assert rows["Engineering"]["open_gaps"] == 1 and rows["Engineering"]["impact_usd"] == 300.0  # C; E rejected
    assert rows["Product"]["quantified"] == 0
    assert by_team["owning_team"][0] == "ML"


def test_frames_from_the_database_match_what_services_wrote(state, editor):
    req = file_request(editor, kind="sev2_action", title="t", requester_team="ML", priority="P1", opened_at=T0)
    move_request(editor, req.id, "triaged", at=T0 + dt.timedelta(hours=1))
    with read_session() as s:
        frame = views.requests_frame(s)
        version = views.data_version(s)
    assert frame.row(0, named=True)["sla_due"] == T0 + dt.timedelta(days=1)
    assert frame.row(0, named=True)["status"] == "triaged"
    move_request(editor, req.id, "in_progress")
    with read_session() as s:
        assert views.data_version(s) != version


def test_refreshing_after_an_edit_rereads_only_that_request_and_matches_a_full_read(state, editor):
    from rm_core.trackers import import_requests
    first = file_request(editor, kind="deep_dive", title="a", requester_team="ML", opened_at=T0)
    file_request(editor, kind="deep_dive", title="b", requester_team="ML", opened_at=T0)
    with read_session() as s:
        snap = views.refresh_requests(s)
    assert snap.frame.height == 2
    with read_session() as s:
        assert views.refresh_requests(s, snap) is snap  # nothing changed: the same object back
    move_request(editor, first.id, "triaged", at=T0 + dt.timedelta(hours=2))
    file_request(editor, kind="coe_action", title="c", requester_team="ML", opened_at=T0)
    with read_session() as s:
        again = views.refresh_requests(s, snap)
        assert again.frame.sort("id").equals(views.requests_frame(s).sort("id"))
    assert again.frame.filter(id=first.id)["status"][0] == "triaged" and again.frame.height == 3
    import_requests(editor, "kind,title,requester_team\ndeep_dive,d,ML\n", "more.csv")  # falls back to a full read
    with read_session() as s:
        assert views.refresh_requests(s, again).frame.sort("id").equals(views.requests_frame(s).sort("id"))


@pytest.mark.postgres
def test_frames_and_incremental_refresh_agree_on_both_databases(state, editor, backend):
    from rm_core.trackers import import_gaps
    a = file_request(editor, kind="deep_dive", title="a", requester_team="ML", opened_at=T0)
    with read_session() as s:
        snap = views.refresh_requests(s)
    move_request(editor, a.id, "triaged", at=T0 + dt.timedelta(minutes=90, microseconds=250))
    import_gaps(editor, "title,owning_team,status,identified_at,quantified_at,impact_accounts,impact_usd,"
                        "impact_method\nx,ML,quantified,2026-01-05,2026-01-20,3,100.5,m\n", "g.csv")
    with read_session() as s:
        again = views.refresh_requests(s, snap)
        gaps = views.gaps_frame(s)
    row = again.frame.row(0, named=True)
    assert (row["status"], row["opened_at"], row["sla_due"]) == ("triaged", T0, T0 + dt.timedelta(days=20))
    g = gaps.row(0, named=True)
    assert (g["impact_accounts"], g["impact_usd"], g["quantified_at"]) == (3, 100.5, dt.datetime(2026, 1, 20))
