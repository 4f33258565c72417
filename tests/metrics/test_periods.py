"""Week, month, quarter and fiscal-year arithmetic of the WBR calendar."""
from datetime import date

import pytest

from rm_core.metrics import periods as P


@pytest.mark.parametrize("fy_end, day, year_start, quarter_start", [
    (12, date(2024, 5, 15), date(2024, 1, 1), date(2024, 4, 1)),
    (11, date(2024, 12, 14), date(2024, 12, 1), date(2024, 12, 1)),  # wbr-app crashes for November
    (11, date(2024, 11, 30), date(2023, 12, 1), date(2024, 9, 1)),
    (3, date(2024, 12, 21), date(2024, 4, 1), date(2024, 10, 1)),  # non-December year, week in December
    (2, date(2022, 4, 30), date(2022, 3, 1), date(2022, 3, 1)),
    (5, date(2021, 9, 25), date(2021, 6, 1), date(2021, 9, 1)),
    (1, date(2021, 1, 31), date(2020, 2, 1), date(2020, 11, 1)),
    (6, date(2024, 7, 1), date(2024, 7, 1), date(2024, 7, 1)),
])
def test_fiscal_year_and_quarter_start_for_any_year_end(fy_end, day, year_start, quarter_start):
    assert P.fiscal_year_start(day, fy_end) == year_start
    assert P.fiscal_quarter_start(day, fy_end) == quarter_start
    assert P.fiscal_year_end(day, fy_end) >= day


def test_trailing_weeks_end_on_the_week_ending_and_span_month_ends():
    weeks = P.trailing_weeks(date(2024, 3, 2))
    assert [(w.start, w.end) for w in weeks[-2:]] == [(date(2024, 2, 18), date(2024, 2, 24)),
                                                       (date(2024, 2, 25), date(2024, 3, 2))]
    assert all(w.days == 7 for w in weeks) and len(weeks) == 6


def test_prior_year_date_of_29_february_is_28_february():
    assert P.prior_year_date(date(2024, 2, 29)) == date(2023, 2, 28)
    assert P.prior_year_date(date(2025, 2, 28)) == date(2024, 2, 28)


def test_last_full_month_is_the_week_month_only_when_the_week_ends_on_its_last_day():
    assert P.last_full_month(date(2025, 2, 28)) == date(2025, 2, 1)
    assert P.last_full_month(date(2024, 2, 28)) == date(2024, 1, 1)  # 2024 is a leap year
    assert P.last_full_month(date(2021, 9, 25)) == date(2021, 8, 1)


def test_add_months_clamps_to_the_end_of_shorter_months():
    assert P.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert P.add_months(date(2023, 3, 31), -1) == date(2023, 2, 28)
    assert P.shift_month(date(2024, 12, 1), 1) == date(2025, 1, 1)


def test_week_labels_wrap_after_week_52_like_wbr_app():
    assert P.week_labels(1) == ["wk 48", "wk 49", "wk 50", "wk 51", "wk 52", "wk 1"]
    assert P.week_labels(38)[-1] == "wk 38"


@pytest.mark.parametrize("text, month", [("DEC", 12), ("nov", 11), ("February", 2), (3, 3), ("7", 7)])
def test_months_are_read_as_abbreviations_names_or_numbers(text, month):
    assert P.parse_month(text) == month


def test_a_word_that_is_no_month_is_not_read_as_one():
    assert P.parse_month("Smarch") is None
