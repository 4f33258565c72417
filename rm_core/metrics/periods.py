"""Calendar arithmetic of a WBR: trailing weeks, calendar months, fiscal quarters and years, prior-year dates."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

PRIOR_YEAR_WEEK_OFFSET_DAYS = 364  # 52 weeks: the prior-year week ends on the same weekday
TRAILING_WEEKS = 6
TRAILING_MONTHS = 12
MONTH_ABBR = tuple(calendar.month_abbr)  # ("", "Jan", ..., "Dec")


@dataclass(frozen=True)
class Period:
    """An inclusive range of days that one number summarises (a week, a month, month-to-date …)."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def last_day_of_month(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def is_last_day_of_month(d: date) -> bool:
    return d.day == calendar.monthrange(d.year, d.month)[1]


def add_months(d: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def month_start(d: date) -> date:
    return d.replace(day=1)


def month_period(year: int, month: int) -> Period:
    first = date(year, month, 1)
    return Period(first, last_day_of_month(first))


def shift_month(first_of_month: date, months: int) -> date:
    return add_months(first_of_month.replace(day=1), months)


def prior_year_date(d: date) -> date:
    """The same calendar day one year earlier (29 Feb becomes 28 Feb)."""
    try:
        return d.replace(year=d.year - 1)
    except ValueError:
        return d.replace(year=d.year - 1, day=28)


def week_ending_on_or_after(d: date, weekday: int) -> date:
    """The first date on or after `d` that falls on `weekday` (Monday=0 … Sunday=6)."""
    return d + timedelta(days=(weekday - d.weekday()) % 7)


def trailing_weeks(week_ending: date, count: int = TRAILING_WEEKS) -> list[Period]:
    """`count` consecutive 7-day weeks, oldest first, the last one ending on `week_ending`."""
    return [Period(week_ending - timedelta(days=7 * k + 6), week_ending - timedelta(days=7 * k))
            for k in range(count - 1, -1, -1)]


def last_full_month(week_ending: date) -> date:
    """First day of the latest calendar month that is complete on `week_ending`."""
    if is_last_day_of_month(week_ending):
        return month_start(week_ending)
    return shift_month(month_start(week_ending), -1)


def fiscal_year_start(d: date, fiscal_year_end_month: int) -> date:
    """First day of the fiscal year that contains `d` (the year ends with month `fiscal_year_end_month`)."""
    start_month = fiscal_year_end_month % 12 + 1
    year = d.year if d.month >= start_month else d.year - 1
    return date(year, start_month, 1)


def fiscal_year_end(d: date, fiscal_year_end_month: int) -> date:
    """Last day of the fiscal year that contains `d`."""
    start = fiscal_year_start(d, fiscal_year_end_month)
    return last_day_of_month(shift_month(start, 11))


def fiscal_quarter_start(d: date, fiscal_year_end_month: int) -> date:
    """First day of the fiscal quarter that contains `d` (quarters end 3, 6, 9 and 12 months into the year)."""
    fy_start = fiscal_year_start(d, fiscal_year_end_month)
    months_in = (d.year - fy_start.year) * 12 + d.month - fy_start.month
    return shift_month(fy_start, months_in - months_in % 3)


def week_labels(week_number: int, count: int = TRAILING_WEEKS) -> list[str]:
    """'wk N' labels of the trailing weeks, oldest first; week numbers wrap after 52 as wbr-app's do."""
    return [f"wk {(week_number - i) % 52 + 1}" for i in range(count, 0, -1)]


def month_label(first_of_month: date) -> str:
    return MONTH_ABBR[first_of_month.month]


MONTH_NUMBERS = {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
MONTH_NUMBERS.update({name.lower(): i for i, name in enumerate(calendar.month_name) if name})


def parse_month(value: object) -> int | None:
    """A month given as 'DEC', 'December' or 12; None when it is none of those."""
    if isinstance(value, int) and 1 <= value <= 12:
        return value
    text = str(value).strip().lower()
    if text.isdigit() and 1 <= int(text) <= 12:
        return int(text)
    return MONTH_NUMBERS.get(text)
