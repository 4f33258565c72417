"""The WBR engine: every metric type, boxes, calendar boundaries, missing days, and where wbr-app goes wrong."""
from datetime import date, datetime, timedelta

import polars as pl
import pytest

from rm_core.errors import UserError, ValidationFailed
from rm_core.metrics import GraphBlock, TableBlock, compute_deck, judge_rag, parse_deck
from rm_core.metrics.results import MetricInfo

START, END = date(2023, 1, 1), date(2025, 3, 31)
PER_DAY = {2023: 5.0, 2024: 10.0, 2025: 20.0}  # orders a day: easy sums, +100% year over year


def days(start=START, end=END):
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def frame(**columns):
    """A daily frame from START to END; each column is a function of the date (None = blank)."""
    ds = days()
    return pl.DataFrame({"Date": ds, **{name: [fn(d) for d in ds] for name, fn in columns.items()}},
                        schema_overrides={name: pl.Float64 for name in columns})


def orders(d):
    return PER_DAY[d.year]


def deck(metrics, blocks=None, **setup):
    if blocks is None:
        blocks = [{"block": {"ui_type": "6_12Graph", "title": name, "metrics": {name: {}}}} for name in metrics]
    return parse_deck({"setup": {"title": "Test", **setup}, "metrics": metrics, "deck": blocks})


def graph(result, title=None) -> GraphBlock:
    return next(b for b in result.blocks if isinstance(b, GraphBlock) and (title is None or b.title == title))


def test_a_summed_column_gives_weeks_months_prior_year_and_the_box_row():
    result = compute_deck(deck({"Orders": {"column": "orders", "aggf": "sum"}},
                               week_ending="15-MAR-2025", week_number=11), frame(orders=orders))
    g = graph(result)
    assert g.x_axis == ["wk 6", "wk 7", "wk 8", "wk 9", "wk 10", "wk 11",
                        "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb"]
    assert g.weekly_cy == [140.0] * 6 and g.weekly_py == [70.0] * 6
    assert g.monthly_cy[0] == 310.0 and g.monthly_cy[-2:] == [620.0, 560.0]  # Mar 2024 … Jan, Feb 2025
    assert g.monthly_py[0] == 155.0 and g.monthly_py[-1] == 290.0  # Mar 2023 … Feb 2024 (29 days)
    qtd, py_qtd = 74 * 20.0, 75 * 10.0  # 1 Jan – 15 Mar, 2024 being a leap year
    assert g.boxes == pytest.approx([140.0, 0.0, 100.0, 300.0, 100.0, qtd, (qtd / py_qtd - 1) * 100,
                                     qtd, (qtd / py_qtd - 1) * 100])
    assert g.primary.missing_days == []


@pytest.mark.parametrize("aggf, week_value", [
    ("mean", 12.0), ("min", 9.0), ("max", 15.0), ("first", 9.0), ("last", 15.0), ("median", 12.0), ("count", 7.0),
])
def test_each_aggregation_summarises_the_days_of_a_week(aggf, week_value):
    result = compute_deck(deck({"M": {"column": "v", "aggf": aggf}}, week_ending="2025-03-15"),
                          frame(v=lambda d: float(d.day)))
    assert graph(result).weekly_cy[-1] == week_value  # 9 … 15 March


def test_a_median_is_taken_over_the_rows_of_the_period_not_over_daily_medians():
    # one row per MO documented: Monday 10 March two MOs (10 and 20 days), Wednesday one (30), Friday one (90)
    rows = pl.DataFrame({"Date": days() + [date(2025, 3, 10), date(2025, 3, 12), date(2025, 3, 14)],
                         "team": ["sum row"] * len(days()) + ["IN", "CR", "IN"],
                         "days_to_document": [None] * len(days()) + [20.0, 30.0, 90.0]},
                        schema_overrides={"days_to_document": pl.Float64})
    rows = pl.concat([rows, pl.DataFrame({"Date": [date(2025, 3, 10)], "team": ["CR"],
                                          "days_to_document": [10.0]})])
    metrics = {"Speed": {"column": "days_to_document", "aggf": "median"},
               "SpeedIN": {"filter": {"base_column": "days_to_document", "query": "team == 'IN'"}, "aggf": "median"}}
    result = compute_deck(deck(metrics, week_ending="2025-03-15"), rows)
    speed = graph(result, "Speed")
    # the week's MOs: 10, 20, 30, 90 -> 25 (the median of the daily medians 15, 30, 90 would say 30)
    assert speed.weekly_cy[-1] == 25.0
    assert speed.weekly_cy[:5] == [None] * 5  # no MO documented: no observation, not 0
    assert speed.primary.missing_days == []   # rows without a value are not missing days
    assert speed.boxes[3] == 25.0             # MTD: the same four MOs
    assert graph(result, "SpeedIN").weekly_cy[-1] == 55.0  # IN only: 20 and 90


def test_a_median_lists_a_day_the_data_does_not_have_and_blanks_the_unfinished_month():
    data = frame(v=lambda d: float(d.day)).filter(pl.col("Date") != date(2025, 3, 12))
    result = compute_deck(deck({"M": {"column": "v", "aggf": "median"}}, week_ending="2025-03-15",
                               x_axis_monthly_display="fiscal_year"), data)
    g = graph(result)
    assert g.weekly_cy[-1] == 12.0  # 9, 10, 11, 13, 14, 15
    assert g.primary.missing_days == [date(2025, 3, 12)]
    assert g.monthly_cy[2] is None and g.monthly_cy[1] == 14.5  # March incomplete; February: days 1..28


def test_a_filter_metric_aggregates_only_the_matching_rows_of_each_day():
    ds = days()
    rows = pl.DataFrame({"Date": ds + ds, "country": ["US"] * len(ds) + ["UK"] * len(ds),
                         "latency": [80.0] * len(ds) + [60.0] * len(ds)})
    metrics = {"US": {"filter": {"base_column": "latency", "query": "country == 'US'"}, "aggf": "mean"},
               "UKsum": {"filter": {"base_column": "latency", "query": "`country` in ['UK'] and latency > 10"},
                         "aggf": "sum"}}
    result = compute_deck(deck(metrics, week_ending="2025-03-15"), rows)
    assert graph(result, "US").weekly_cy == [80.0] * 6
    assert graph(result, "UKsum").weekly_cy == [420.0] * 6


def test_a_filter_sum_counts_a_day_without_matching_rows_as_zero_not_missing():
    ds = days()
    us_only = [d for d in ds if d != date(2025, 3, 12)]
    rows = pl.DataFrame({"Date": ds + us_only, "country": ["US"] * len(ds) + ["UK"] * len(us_only),
                         "n": [1.0] * (len(ds) + len(us_only))})
    metrics = {"UK": {"filter": {"base_column": "n", "query": "country == 'UK'"}, "aggf": "sum"}}
    g = graph(compute_deck(deck(metrics, week_ending="2025-03-15"), rows))
    assert g.weekly_cy[-1] == 6.0 and g.primary.missing_days == []


def test_function_metrics_are_computed_from_aggregated_inputs_never_day_by_day():
    # one bad hit on Mondays, nine good hits on other days: the week's precision is 1/55, not the mean 1/7
    data = frame(bad=lambda d: 1.0 if d.weekday() == 0 else 0.0, hits=lambda d: 1.0 if d.weekday() == 0 else 9.0)
    metrics = {
        "Bad": {"column": "bad", "aggf": "sum"}, "Hits": {"column": "hits", "aggf": "sum"},
        "Share": {"function": {"divide": [{"metric": {"name": "Bad"}}, {"metric": {"name": "Hits"}}]}},
        "Good": {"function": {"difference": [{"metric": {"name": "Hits"}}, {"metric": {"name": "Bad"}}]}},
        "Both": {"function": {"sum": [{"metric": {"name": "Hits"}}, {"metric": {"name": "Bad"}}]}},
        "Prod": {"function": {"product": [{"metric": {"name": "Hits"}}, {"metric": {"name": "Bad"}}]}},
        "Nested": {"function": {"divide": [
            {"metric": {"name": "GoodInline", "function": {"difference": [{"metric": {"name": "Hits"}},
                                                                          {"metric": {"name": "Bad"}}]}}},
            {"metric": {"name": "Hits"}}]}},
    }
    result = compute_deck(deck(metrics, week_ending="2025-03-15"), data)
    assert graph(result, "Share").weekly_cy[-1] == pytest.approx(1 / 55)
    assert graph(result, "Good").weekly_cy[-1] == 54.0
    assert graph(result, "Both").weekly_cy[-1] == 56.0
    assert graph(result, "Prod").weekly_cy[-1] == 55.0
    assert graph(result, "Nested").weekly_cy[-1] == pytest.approx(54 / 55)
    march = graph(result, "Share").boxes[3]  # MTD: 2 Mondays in 1–15 March 2025
    assert march == pytest.approx(2 / (2 + 13 * 9))


def test_rate_metrics_marked_bps_compare_in_basis_points_others_in_percent():
    data = frame(rate=lambda d: 0.50 if d.year == 2025 else 0.45)
    metrics = {"Bps": {"column": "rate", "aggf": "mean", "metric_comparison_method": "bps"},
               "Pct": {"column": "rate", "aggf": "mean"}}
    result = compute_deck(deck(metrics, week_ending="2025-03-15"), data)
    assert graph(result, "Bps").boxes[2] == pytest.approx(500.0)
    assert graph(result, "Pct").boxes[2] == pytest.approx((0.50 / 0.45 - 1) * 100)
    assert graph(result, "Bps").boxes[4] == pytest.approx(500.0)


def test_comparison_lines_wow_yoy_and_mom_are_derived_from_any_metric():
    metrics = {"Orders": {"column": "orders", "aggf": "sum"}}
    blocks = [{"block": {"ui_type": "6_12Graph", "title": t, "metrics": {t: {"graph_prior_year_flag": False}}}}
              for t in ("OrdersYOY", "OrdersWOW", "OrdersMOM")]
    result = compute_deck(deck(metrics, blocks, week_ending="2025-03-15"), frame(orders=orders))
    yoy, wow, mom = (graph(result, t) for t in ("OrdersYOY", "OrdersWOW", "OrdersMOM"))
    assert yoy.weekly_cy == [1.0] * 6 and yoy.boxes[0] == 1.0 and yoy.boxes[3] == 1.0
    assert wow.weekly_cy == [0.0] * 6 and wow.boxes == [None] * 9
    assert mom.monthly_cy[-1] == pytest.approx(560 / 620 - 1)  # Feb 2025 vs Jan 2025
    assert mom.monthly_cy[-2] == pytest.approx(620 / 310 - 1)  # Jan 2025 vs Dec 2024


def test_a_fiscal_year_ending_in_november_works():
    # wbr-app crashes for a November year end
    result = compute_deck(deck({"Orders": {"column": "orders", "aggf": "sum"}}, week_ending="14-DEC-2024",
                               fiscal_year_end_month="NOV", x_axis_monthly_display="fiscal_year"),
                          frame(orders=orders))
    g = graph(result)
    assert g.month_labels == ["Dec", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov"]
    assert g.x_axis[6:] == ["Dec", "Jan", "Feb", "Mar"]  # named up to the data's last month, as wbr-app does
    assert g.boxes[5] == 140.0 and g.boxes[7] == 140.0  # QTD and YTD both start on 1 December
    assert g.boxes[6] == pytest.approx(100.0)


def test_a_march_fiscal_year_with_the_week_ending_in_december_works():
    # wbr-app crashes for a non-December year end when the week ends in December
    result = compute_deck(deck({"Orders": {"column": "orders", "aggf": "sum"}}, week_ending="2024-12-21",
                               fiscal_year_end_month="MAR"), frame(orders=orders))
    g = graph(result)
    assert g.boxes[5] == (31 + 30 + 21) * 10.0  # QTD from 1 October
    assert g.boxes[7] == ((date(2024, 12, 21) - date(2024, 4, 1)).days + 1) * 10.0  # YTD from 1 April


def test_a_week_spanning_a_month_end_counts_in_the_week_and_mtd_starts_on_the_first():
    g = graph(compute_deck(deck({"Orders": {"column": "orders", "aggf": "sum"}}, week_ending="2025-03-01"),
                           frame(orders=orders)))
    assert g.boxes[0] == 140.0 and g.boxes[3] == 20.0  # 23 Feb – 1 Mar; MTD is 1 March alone
    assert g.boxes[4] == pytest.approx(100.0)  # against 1 March 2024


def test_a_blank_day_in_the_last_week_is_missing_and_named_not_a_zero():
    blank = date(2025, 3, 12)
    data = frame(orders=lambda d: None if d == blank else orders(d))
    g = graph(compute_deck(deck({"Orders": {"column": "orders", "aggf": "sum"}}, week_ending="2025-03-15"), data))
    assert g.weekly_cy[:5] == [140.0] * 5 and g.weekly_cy[5] is None
    assert g.boxes[0] is None and g.boxes[1] is None and g.boxes[2] is None
    assert g.boxes[3] is None and g.boxes[7] is None  # MTD and YTD contain the day too
    assert g.primary.weekly_missing[5] == [blank] and g.primary.box_missing["LastWk"] == [blank]
    assert g.primary.missing_days == [blank]


def test_a_day_without_any_row_inside_the_data_is_missing_too():
    data = frame(orders=orders).filter(pl.col("Date") != date(2025, 3, 10))
    g = graph(compute_deck(deck({"Orders": {"column": "orders", "aggf": "sum"}}, week_ending="2025-03-15"), data))
    assert g.weekly_cy[5] is None and g.primary.missing_days == [date(2025, 3, 10)]


def test_a_blank_day_leaves_an_average_computed_from_the_other_days_but_listed():
    data = frame(v=lambda d: None if d == date(2025, 3, 12) else float(d.day))
    g = graph(compute_deck(deck({"M": {"column": "v", "aggf": "mean"}}, week_ending="2025-03-15"), data))
    assert g.weekly_cy[5] == pytest.approx((9 + 10 + 11 + 13 + 14 + 15) / 6)
    assert g.primary.missing_days == [date(2025, 3, 12)]


def test_a_week_ending_after_the_data_ends_is_refused_not_shifted():
    with pytest.raises(UserError, match="data ends on Mon 31 Mar 2025") as err:
        compute_deck(deck({"Orders": {"column": "orders", "aggf": "sum"}}, week_ending="2025-04-05"),
                     frame(orders=orders))
    assert "29 Mar 2025" in str(err.value)


def test_without_a_week_ending_the_last_complete_week_of_the_data_is_reviewed():
    result = compute_deck(deck({"Orders": {"column": "orders", "aggf": "sum"}}), frame(orders=orders))
    assert result.week_ending == date(2025, 3, 29)  # the data ends on Monday 31 March; weeks end on Saturday
    later = compute_deck(deck({"Orders": {"column": "orders", "aggf": "sum"}}, week_ends_on="Monday"),
                         frame(orders=orders))
    assert later.week_ending == date(2025, 3, 31)


def test_prior_year_months_are_calendar_months_after_a_leap_year():
    # wbr-app shows January 2024 beside February 2025 when the week ends on 28 February 2025
    g = graph(compute_deck(deck({"Orders": {"column": "orders", "aggf": "sum"}}, week_ending="2025-02-28"),
                           frame(orders=orders)))
    assert g.month_labels[0] == "Mar" and g.month_labels[-1] == "Feb"
    assert g.months[-1] == date(2025, 2, 1)
    assert g.monthly_cy[-1] == 560.0 and g.monthly_py[-1] == 290.0  # February 2025 and February 2024, whole
    assert g.boxes[3] == 560.0 and g.boxes[4] == pytest.approx((560 / 290 - 1) * 100)


def test_the_month_of_the_week_ending_shows_only_when_all_its_days_have_values():
    metrics = {"Orders": {"column": "orders", "aggf": "sum"}, "Avg": {"column": "orders", "aggf": "mean"}}
    full = compute_deck(deck(metrics, week_ending="2025-03-15", x_axis_monthly_display="fiscal_year"),
                        frame(orders=orders))
    assert graph(full, "Orders").monthly_cy[:3] == [620.0, 560.0, 620.0]  # March 2025 is in the data entirely
    cut = frame(orders=lambda d: None if d > date(2025, 3, 15) else orders(d))
    part = compute_deck(deck(metrics, week_ending="2025-03-15", x_axis_monthly_display="fiscal_year"), cut)
    assert graph(part, "Orders").monthly_cy[2] is None and graph(part, "Avg").monthly_cy[2] is None
    assert graph(part, "Avg").monthly_cy[1] == 20.0


def test_a_filtered_part_counts_a_source_day_it_has_no_rows_for_as_zero():
    ds = days()
    rows = pl.DataFrame({"Date": ds + ds, "site": ["IN"] * len(ds) + ["CR"] * len(ds), "n": [1.0] * (2 * len(ds))})
    rows = rows.filter(~((pl.col("site") == "CR") & (pl.col("Date") == date(2025, 3, 12))))
    d = deck({"N": {"column": "n", "aggf": "sum"}}, week_ending="2025-03-15")
    cr = rows.filter(pl.col("site") == "CR")
    g = graph(compute_deck(d, cr, calendar_days=rows["Date"].unique()))
    assert g.weekly_cy[-1] == 6.0 and g.primary.missing_days == []
    alone = graph(compute_deck(d, cr))  # without the source's days, a day absent from the data is a gap
    assert alone.weekly_cy[-1] is None and alone.primary.missing_days == [date(2025, 3, 12)]


def test_targets_come_from_the_declared_target_else_a_target_column_and_set_rag():
    data = frame(orders=orders, orders__Target=lambda d: 25.0)
    metrics = {"Orders": {"column": "orders", "aggf": "sum", "direction": "higher"},
               "Rate": {"column": "orders", "aggf": "mean", "direction": "lower", "target": 21.0}}
    result = compute_deck(deck(metrics, week_ending="2025-03-15"), data)
    orders_block, rate_block = graph(result, "Orders"), graph(result, "Rate")
    assert orders_block.target.weekly_cy == [175.0] * 6 and orders_block.target.boxes[3] == 375.0
    assert orders_block.target.monthly_cy[-1] == 25.0 * 28
    assert orders_block.primary.rag == "red"  # 140 against 175, more than 5% short
    assert rate_block.target.weekly_cy == [21.0] * 6 and rate_block.primary.rag == "green"


def test_a_declared_target_of_a_count_is_a_weekly_one_taken_pro_rata_for_months_and_boxes():
    metrics = {"Orders": {"column": "orders", "aggf": "sum", "target": 70.0},
               "Both": {"function": {"sum": [{"metric": {"name": "Orders"}}, {"metric": {"name": "Orders"}}]},
                        "target": 7.0},
               "Share": {"function": {"divide": [{"metric": {"name": "Orders"}}, {"metric": {"name": "Orders"}}]},
                         "target": 0.5},
               "Avg": {"column": "orders", "aggf": "mean", "target": 21.0}}
    result = compute_deck(deck(metrics, week_ending="2025-03-15"), frame(orders=orders))
    target = graph(result, "Orders").target
    assert target.weekly_cy == [70.0] * 6
    assert target.monthly_cy[-1] == 280.0 and target.monthly_cy[-2] == 310.0  # February (28 days), January (31)
    assert target.boxes[3] == 150.0 and target.boxes[7] == 740.0  # MTD 1–15 March; YTD 74 days
    assert graph(result, "Both").target.monthly_cy[-1] == 28.0  # a sum of counts adds up too
    assert graph(result, "Share").target.monthly_cy == [0.5] * 12  # a ratio keeps its target in every period
    assert graph(result, "Avg").target.boxes[3] == 21.0 and graph(result, "Avg").target.monthly_cy[0] == 21.0


def test_rag_reads_thresholds_in_the_metric_direction():
    higher = MetricInfo("p", "column", "mean", "pct", direction="higher", rag_green=0.8, rag_amber=0.7)
    lower = MetricInfo("d", "column", "mean", "pct", direction="lower", rag_green=2.0, rag_amber=3.0)
    assert [judge_rag(v, higher, None) for v in (0.85, 0.75, 0.6, None)] == ["green", "amber", "red", None]
    assert [judge_rag(v, lower, None) for v in (1.5, 2.5, 4.0)] == ["green", "amber", "red"]
    plain = MetricInfo("x", "column", "sum", "pct", direction="higher")
    assert [judge_rag(v, plain, 100.0) for v in (100.0, 96.0, 90.0)] == ["green", "amber", "red"]


def test_six_week_and_twelve_month_tables():
    metrics = {"Orders": {"column": "orders", "aggf": "sum"}}
    blocks = [{"block": {"ui_type": "6_WeeksTable", "title": "weeks", "rows": [
                  {"row": {"header": "Orders", "metric": "Orders"}}, {"row": {"header": "WoW", "metric": "OrdersWOW"}}]}},
              {"block": {"ui_type": "12_MonthsTable", "title": "months", "x_axis_monthly_display": "fiscal_year",
                         "rows": [{"row": {"header": "Orders", "metric": "Orders"}}]}}]
    result = compute_deck(deck(metrics, blocks, week_ending="2025-03-15", week_number=11), frame(orders=orders))
    weeks, months = (b for b in result.blocks if isinstance(b, TableBlock))
    assert weeks.headers == ["wk 6", "wk 7", "wk 8", "wk 9", "wk 10", "wk 11", "QTD", "YTD"]
    assert weeks.rows[0].values == [140.0] * 6 + [74 * 20.0, 74 * 20.0]
    assert weeks.rows[1].values == [0.0] * 6 + [None, None]
    assert months.headers[0] == "Jan" and months.rows[0].values[:2] == [620.0, 560.0]
    assert months.rows[0].values[3:] == [None] * 9  # April onwards is after the data


def test_a_datetime_date_column_and_a_text_metric_column():
    data = frame(orders=orders).with_columns(pl.col("Date").cast(pl.Datetime))
    g = graph(compute_deck(deck({"Orders": {"column": "orders", "aggf": "sum"}}, week_ending="2025-03-15"), data))
    assert g.weekly_cy[-1] == 140.0
    text = frame(orders=orders).with_columns(pl.col("orders").cast(pl.String))
    with pytest.raises(ValidationFailed, match="holds text"):
        compute_deck(deck({"Orders": {"column": "orders", "aggf": "sum"}}, week_ending="2025-03-15"), text)


def test_the_week_number_moves_with_a_chosen_week_ending():
    d = deck({"Orders": {"column": "orders", "aggf": "sum"}}, week_ending="2025-03-15", week_number=11)
    result = compute_deck(d, frame(orders=orders), datetime(2025, 1, 4))
    assert result.week_number == 1 and graph(result).x_axis[5] == "wk 1"


def test_the_rows_behind_a_filtered_number_are_the_rows_its_query_keeps():
    from rm_core.metrics import rows_behind

    ds = days()
    rows = pl.DataFrame({"Date": ds + ds, "country": ["US"] * len(ds) + ["UK"] * len(ds),
                         "latency": [80.0] * len(ds) + [60.0] * len(ds), "other": [1.0] * (2 * len(ds))})
    d = deck({"US": {"filter": {"base_column": "latency", "query": "country == 'US'"}, "aggf": "mean"}})
    behind = rows_behind(d, rows, "US", date(2025, 3, 9), date(2025, 3, 15))
    assert behind.columns == ["Date", "country", "latency"]
    assert behind.height == 7 and set(behind["country"]) == {"US"}


def test_moves_rank_by_size_and_say_whether_they_are_good_for_the_metric():
    from rm_core.metrics import metric_moves

    metrics = {"Orders": {"column": "orders", "aggf": "sum", "direction": "higher"},
               "Defects": {"column": "defects", "aggf": "sum", "direction": "lower"}}
    data = frame(orders=orders, defects=lambda d: 3.0 if d.year == 2025 else 1.0)
    moves = metric_moves(compute_deck(deck(metrics, week_ending="2025-03-15"), data))
    top = moves[0]
    assert (top.metric, top.against, top.change, top.favourable) == ("Defects", "prior year", 200.0, False)
    orders_yoy = next(m for m in moves if m.metric == "Orders" and m.against == "prior year")
    assert orders_yoy.change == 100.0 and orders_yoy.favourable is True


def test_events_of_a_charted_metric_inside_its_weeks_or_months_become_annotations():
    events = [{"Date": "2025-03-11", "MetricName": "Orders", "EventDescription": "Site outage"},
              {"Date": "2024-03-12", "MetricName": "Orders", "EventDescription": "Last year's outage"},
              {"Date": "2021-01-01", "MetricName": "Orders", "EventDescription": "Too old"},
              {"Date": "2025-03-11", "MetricName": "Other", "EventDescription": "Not this chart"}]
    g = graph(compute_deck(deck({"Orders": {"column": "orders", "aggf": "sum"}}, week_ending="2025-03-15"),
                           frame(orders=orders), events=events))
    assert [(a.day, a.description) for a in g.annotations] == [(date(2025, 3, 11), "Site outage"),
                                                                (date(2024, 3, 12), "Last year's outage")]
