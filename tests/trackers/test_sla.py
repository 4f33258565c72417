"""SLA due dates, colours and ageing buckets: the arithmetic every tracker view shares."""
import datetime as dt

import polars as pl
import pytest

from rm_core.errors import UserError
from rm_core.trackers.sla import (AGEING_BUCKETS, SlaTable, add_business_days, age_days, age_days_expr,
                                  ageing_bucket, bucket_expr, colour_expr, load_sla_table, remaining_fraction_expr,
                                  sla_colour)

OPENED = dt.datetime(2026, 3, 2, 9, 0)  # a Monday
DUE = OPENED + dt.timedelta(days=10)


def test_due_date_follows_kind_and_priority_from_the_default_table():
    table = SlaTable()
    assert table.due(OPENED, "exec_escalation", "P1") == OPENED + dt.timedelta(days=1)
    assert table.due(OPENED, "partner_request", "P3") == OPENED + dt.timedelta(days=10)
    assert table.due(OPENED, "deep_dive", "P4") == OPENED + dt.timedelta(days=40)
    assert table.due(OPENED, "sev2_action", "P2") == OPENED + dt.timedelta(days=2, hours=12)


def test_a_configured_table_overrides_only_the_cells_it_names():
    table = SlaTable.from_mapping({"days": {"partner_request": {"P3": 5}}})
    assert table.days_for("partner_request", "P3") == 5
    assert table.days_for("partner_request", "P2") == 5


def test_business_days_skip_the_weekend_and_holidays():
    friday = dt.datetime(2026, 3, 6, 17, 0)
    assert add_business_days(friday, 1) == dt.datetime(2026, 3, 9, 17, 0)  # Monday
    assert add_business_days(friday, 1, holidays=[dt.date(2026, 3, 9)]) == dt.datetime(2026, 3, 10, 17, 0)
    table = SlaTable.from_mapping({"business_days": True})
    # 10 business days from Monday 2 March = Monday 16 March (two weekends skipped)
    assert table.due(OPENED, "partner_request", "P3") == dt.datetime(2026, 3, 16, 9, 0)
    # part days round up: 2.5 business days from Monday is Thursday
    assert table.due(OPENED, "sev2_action", "P2") == dt.datetime(2026, 3, 5, 9, 0)


def test_sla_table_is_read_from_the_state_folder(tmp_path):
    (tmp_path / "sla_table.json").write_text('{"days": {"sev2_action": {"P1": 1}}, "business_days": true}')
    table = load_sla_table(tmp_path)
    assert table.business_days and table.days_for("sev2_action", "P1") == 1
    assert load_sla_table(tmp_path / "missing") == SlaTable()


@pytest.mark.parametrize("bad", [{"days": {"nonsense": {"P1": 1}}}, {"days": {"deep_dive": {"P9": 1}}},
                                 {"days": {"deep_dive": {"P1": 0}}}, {"holidays": ["not a date"]}])
def test_a_bad_sla_table_is_refused_with_a_message(bad):
    with pytest.raises(UserError):
        SlaTable.from_mapping(bad)


@pytest.mark.parametrize("elapsed_days, colour", [
    (0, "green"), (7.4, "green"),    # 26% left
    (7.5, "amber"),                  # exactly 25% left: no longer "more than 25%"
    (9.0, "amber"),                  # exactly 10% left
    (9.1, "red"),                    # under 10% left
    (10, "red"), (12, "red"),        # due now, breached
])
def test_sla_colour_green_above_25_percent_amber_down_to_10_red_below_and_when_breached(elapsed_days, colour):
    at = OPENED + dt.timedelta(days=elapsed_days)
    assert sla_colour(OPENED, DUE, at) == colour


@pytest.mark.parametrize("days, bucket", [(0, "0–7"), (7, "0–7"), (8, "8–14"), (14, "8–14"), (15, "15–30"),
                                          (30, "15–30"), (31, "31–60"), (60, "31–60"), (61, "60+"), (400, "60+")])
def test_ageing_bucket_boundaries_are_exact(days, bucket):
    assert ageing_bucket(days) == bucket


def test_age_counts_whole_days_so_seven_days_and_23_hours_is_still_in_the_first_bucket():
    assert age_days(OPENED, OPENED + dt.timedelta(days=7, hours=23)) == 7
    assert ageing_bucket(age_days(OPENED, OPENED + dt.timedelta(days=8))) == "8–14"
    assert age_days(OPENED, OPENED - dt.timedelta(hours=1)) == 0


def test_polars_expressions_agree_with_the_scalar_rules():
    ats = [OPENED + dt.timedelta(days=d, hours=h) for d in range(0, 80, 3) for h in (0, 11, 23)]
    frame = pl.DataFrame({"opened": [OPENED] * len(ats), "due": [DUE] * len(ats), "at": ats})
    out = frame.with_columns(f=remaining_fraction_expr(pl.col("opened"), pl.col("due"), pl.col("at")),
                             age=age_days_expr(pl.col("opened"), pl.col("at"))) \
        .with_columns(colour=colour_expr(pl.col("f")), bucket=bucket_expr(pl.col("age")))
    assert out["colour"].to_list() == [sla_colour(OPENED, DUE, a) for a in ats]
    assert out["bucket"].to_list() == [ageing_bucket(age_days(OPENED, a)) for a in ats]
    assert set(out["bucket"]) == set(AGEING_BUCKETS)
