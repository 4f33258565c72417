"""The WBR engine: a deck and a daily polars frame in, one typed result per deck block out.

It computes what working-backwards/wbr-app computes (six trailing weeks, twelve months, prior year, the box row)
and is right where wbr-app is not:
- any fiscal year end month works, in every month of the year;
- a day without a value inside a summed period makes that number missing (None) and is listed, never a 0;
- a week ending after the last day of the data is refused, never shifted silently;
- prior-year months are calendar months one year earlier (also after 29 February);
- `median` is the median of the period's rows (one row per day: the same as wbr-app; several: the true median).
Aggregation is done by polars in one pass over all the periods a deck needs.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable

import polars as pl

from rm_core.errors import Problem, UserError, ValidationFailed
from rm_core.metrics import periods as P
from rm_core.metrics.dataload import DATE_COLUMN
from rm_core.metrics.deck import Block, Deck, MetricDecl, parse_week_ending
from rm_core.metrics.query import query_expression
from rm_core.metrics.results import (
    Annotation, DeckResult, EmbeddedBlock, GraphBlock, MetricInfo, MetricSeries, SectionBlock, TableBlock, TableRowResult,
)

BPS = 10_000
PCT = 100
TARGET_SUFFIXES = ("__Target", "__target")
POOLED_AGGREGATIONS = ("median",)  # taken over a period's rows, not over its daily values
DEFAULT_WEEK_END_DAY = 5  # Saturday, when a deck names neither a week ending nor a weekday


# ----------------------------------------------------------------------------------------------------------------
# the week being reviewed

def last_complete_week_ending(data_end: date, weekday: int = DEFAULT_WEEK_END_DAY) -> date:
    """The latest date on or before `data_end` that falls on `weekday` (Monday=0): the default week to review."""
    return data_end - timedelta(days=(data_end.weekday() - weekday) % 7)


def resolve_week_ending(deck: Deck, data_start: date, data_end: date, requested: date | None = None) -> date:
    """The week ending to review: the one asked for, else the deck's, else the last complete week of the data."""
    if requested is not None:
        week_ending = requested
    elif deck.setup.week_ending is not None:
        week_ending = deck.setup.week_ending
    else:
        weekday = deck.setup.week_ends_on if deck.setup.week_ends_on is not None else DEFAULT_WEEK_END_DAY
        week_ending = last_complete_week_ending(data_end, weekday)
    if week_ending > data_end:
        weekday = week_ending.weekday()
        latest = last_complete_week_ending(data_end, weekday)
        raise UserError(
            f"The data ends on {data_end:%a %d %b %Y}, before the week ending {week_ending:%a %d %b %Y}: that week "
            f"cannot be reviewed yet. Choose a week ending on or before {latest:%d %b %Y}, or load newer data.")
    if week_ending < data_start:
        raise UserError(f"The data starts on {data_start:%d %b %Y}, after the week ending {week_ending:%d %b %Y}; "
                        "choose a later week.")
    return week_ending


def week_number_for(deck: Deck, week_ending: date) -> int:
    """The deck's week number, moved along with the week ending; else the week of the fiscal year."""
    setup = deck.setup
    if setup.week_number is not None and setup.week_ending is not None:
        weeks = round((week_ending - setup.week_ending).days / 7)
        return (setup.week_number - 1 + weeks) % 52 + 1
    if setup.week_number is not None:
        return setup.week_number
    start = P.fiscal_year_start(week_ending, setup.fiscal_year_end_month)
    return min((week_ending - start).days // 7 + 1, 53)


# ----------------------------------------------------------------------------------------------------------------
# the periods one review needs

@dataclass(frozen=True)
class _Span:
    key: tuple
    period: P.Period
    complete_only: bool = False  # the month of the week ending: shown only when every day of it has a value


class _Calendar:
    """Every period one week ending needs: weeks, months (with their prior-year months) and the box periods."""

    def __init__(self, week_ending: date, fiscal_year_end_month: int, data_end: date):
        we, fm = week_ending, fiscal_year_end_month
        self.week_ending = we
        self.fiscal_year_end_month = fm
        self.cy_weeks = P.trailing_weeks(we, P.TRAILING_WEEKS + 1)  # week 0 lets week 1 have a WOW
        self.py_weeks = P.trailing_weeks(we - timedelta(days=P.PRIOR_YEAR_WEEK_OFFSET_DAYS))
        self.we_month = P.month_start(we)
        self.partial_month = not P.is_last_day_of_month(we)
        self.trailing_end = P.last_full_month(we)
        self.trailing_months = [P.shift_month(self.trailing_end, i - 11) for i in range(12)]
        self.fy_start = P.fiscal_year_start(we, fm)
        self.fiscal_months = [P.shift_month(self.fy_start, i) for i in range(12)]
        # wbr-app's fiscal axis names the fiscal months up to the last month its data reaches (never fewer than
        # up to the week's month); the values beyond stay missing
        last_named = max(self.we_month, min(self.fiscal_months[-1], P.month_start(data_end)))
        self.fiscal_named = [m for m in self.fiscal_months if m <= last_named]

        py_end = P.prior_year_date(we)
        if P.is_last_day_of_month(we):
            py_end = P.last_day_of_month(py_end)
        self.box_periods = {
            "mtd": P.Period(P.month_start(we), we),
            "py_mtd": P.Period(P.month_start(py_end), py_end),
            "qtd": P.Period(P.fiscal_quarter_start(we, fm), we),
            "py_qtd": P.Period(P.fiscal_quarter_start(py_end, fm), py_end),
            "ytd": P.Period(self.fy_start, we),
            "py_ytd": P.Period(P.fiscal_year_start(py_end, fm), py_end),
        }
        first = P.shift_month(min(self.trailing_months[0], self.fy_start), -1 - 12)
        last = max(self.fiscal_months[-1], self.we_month)
        self.months = []
        m = first
        while m <= last:
            self.months.append(m)
            m = P.shift_month(m, 1)

    def spans(self) -> list[_Span]:
        out = [_Span(("wk", i), p) for i, p in enumerate(self.cy_weeks)]
        out += [_Span(("pywk", i + 1), p) for i, p in enumerate(self.py_weeks)]
        out += [_Span(("m", m), P.month_period(m.year, m.month)) for m in self.months]
        if self.partial_month:
            out.append(_Span(("m_we", self.we_month), P.month_period(self.we_month.year, self.we_month.month),
                             complete_only=True))
        out += [_Span(("box", k), p) for k, p in self.box_periods.items()]
        return out

    def month_key(self, m: date) -> tuple:
        return ("m_we", m) if self.partial_month and m == self.we_month else ("m", m)


# ----------------------------------------------------------------------------------------------------------------
# metric values per period

@dataclass
class _Values:
    """A metric's value and missing days for every period key."""

    value: dict[tuple, float | None]
    missing: dict[tuple, list[date]]


def _day_expression(name: str, decl: MetricDecl, columns: list[str]) -> tuple[pl.Expr, bool]:
    """The metric's value for one day (over that day's rows, as wbr-app groups by date) and whether a day
    without rows counts as 0 (sums and counts) rather than as no observation."""
    if decl.kind == "column":
        values = pl.col(decl.column)
        rows = None
    else:
        condition = query_expression(decl.filter.query, columns)
        values = pl.col(decl.filter.base_column).filter(condition)
        rows = condition.sum()
    agg = decl.aggf
    if agg == "sum":
        expr = pl.when(values.count() > 0).then(values.sum())
        if rows is not None:  # no row matches the filter that day: nothing happened, 0
            expr = pl.when(rows == 0).then(pl.lit(0.0)).otherwise(expr)
    elif agg == "count":
        expr = values.count().cast(pl.Float64)
    elif agg == "first":
        expr = values.drop_nulls().first()
    elif agg == "last":
        expr = values.drop_nulls().last()
    else:
        expr = getattr(values, agg)()
    return expr.cast(pl.Float64).alias(name), agg in ("sum", "count")


def _row_expression(decl: MetricDecl, columns: list[str]) -> pl.Expr:
    """The metric's value on each row (null where a filter metric's condition does not hold)."""
    if decl.kind == "column":
        return pl.col(decl.column).cast(pl.Float64)
    condition = query_expression(decl.filter.query, columns)
    return pl.when(condition).then(pl.col(decl.filter.base_column)).cast(pl.Float64)


def _period_expression(name: str, agg: str, counted: pl.Expr, complete_only: pl.Expr) -> pl.Expr:
    col = pl.col(name)
    gaps = (col.is_null() & counted).sum()
    if agg in ("sum", "count"):
        value = col.sum()
    elif agg == "first":
        value = col.drop_nulls().first()
    elif agg == "last":
        value = col.drop_nulls().last()
    else:
        value = getattr(col, agg)()
    strict = gaps > 0 if agg in ("sum", "count") else (gaps > 0) & complete_only
    return pl.when(strict | (col.count() == 0)).then(None).otherwise(value).cast(pl.Float64).alias(name)


class _Metrics:
    """Declared metrics (plus inline ones and targets read from `<column>__Target`) evaluated over the calendar."""

    def __init__(self, deck: Deck, frame: pl.DataFrame, calendar_days: pl.Series, cal: _Calendar):
        self.deck = deck
        self.decls: dict[str, MetricDecl] = dict(deck.metrics)
        for name, decl in deck.metrics.items():
            self._add_inline(decl)
        self.cal = cal
        self.frame = frame
        self.columns = frame.columns
        self.calendar_days = calendar_days
        self.data_start = calendar_days.min()
        self.data_end = calendar_days.max()
        self._values: dict[str, _Values] = {}

    def _add_inline(self, decl: MetricDecl) -> None:
        for operand in decl.operands():
            if operand.function is not None and operand.name not in self.decls:
                inline = MetricDecl(function=operand.function)
                self.decls[operand.name] = inline
                self._add_inline(inline)

    def target_for(self, decl: MetricDecl) -> str | None:
        """The `<column>__Target` column that holds this column metric's target, when the data has one."""
        if decl.kind != "column":
            return None
        return next((decl.column + s for s in TARGET_SUFFIXES if decl.column + s in self.columns), None)

    def target_metric(self, block: Block) -> str | None:
        """The metric drawn as a 6/12 block's target when the deck draws none and declares no `target:` value:
        its primary column metric aggregated the same way over the `<column>__Target` column, if the data has it."""
        styles = {name: cfg.line_style for name, cfg in (block.metrics or {}).items()}
        first = next((n for n, style in styles.items() if style != "target"), None)
        if first is None or "target" in styles.values() or first not in self.decls:
            return None
        decl = self.decls[first]
        column = self.target_for(decl)
        if column is None or decl.target is not None:
            return None
        name = f"{column} ({decl.aggf})"
        self.decls.setdefault(name, MetricDecl(column=column, aggf=decl.aggf))
        return name

    def check_columns(self, names: Iterable[str]) -> None:
        problems = []
        for name in names:
            decl = self.decls[name]
            column = decl.column if decl.kind == "column" else decl.filter.base_column if decl.kind == "filter" else None
            if column is None:
                continue
            if column not in self.columns:
                problems.append(Problem(f"metric '{name}' reads column '{column}', which the data does not have",
                                        field=column))
            elif not self.frame.schema[column].is_numeric():
                problems.append(Problem(f"metric '{name}' reads column '{column}', which holds text, not numbers",
                                        field=column))
        if problems:
            raise ValidationFailed(problems)

    def base_names(self, names: Iterable[str]) -> list[str]:
        """The column and filter metrics that `names` need, in a stable order."""
        out: list[str] = []
        seen: set[str] = set()

        def visit(name: str, trail: tuple[str, ...]) -> None:
            if name in trail:
                raise UserError(f"metric '{name}' is defined in terms of itself ({' -> '.join(trail + (name,))})")
            if name in seen:
                return
            seen.add(name)
            decl = self.decls[name]
            if decl.kind == "function":
                for operand in decl.operands():
                    visit(operand.name, trail + (name,))
            else:
                out.append(name)

        for n in names:
            visit(n, ())
        return out

    def evaluate(self, names: list[str]) -> None:
        """Aggregate every needed column/filter metric over every period in one polars pass (medians in a second
        pass over the rows themselves)."""
        everything = self.base_names(names)
        self.check_columns(everything)
        spans = self.cal.spans()
        self.spans = spans
        pooled = [n for n in everything if self.decls[n].aggf in POOLED_AGGREGATIONS]
        base = [n for n in everything if n not in pooled]
        if pooled:
            self._evaluate_pooled(pooled, self._span_frame(spans))
        if not base:
            return
        day_exprs, zero_when_absent = [], []
        for name in base:
            expr, zero = _day_expression(name, self.decls[name], self.columns)
            day_exprs.append(expr)
            if zero:
                zero_when_absent.append(name)
        daily = self.frame.group_by(DATE_COLUMN).agg(pl.len().alias("__rows"), *day_exprs)
        daily = pl.DataFrame({DATE_COLUMN: self.calendar_days}).join(daily, on=DATE_COLUMN, how="left")
        if zero_when_absent:  # a day the source has but this (filtered) frame has no rows for: nothing happened
            daily = daily.with_columns([pl.when(pl.col("__rows").is_null()).then(pl.lit(0.0)).otherwise(pl.col(n))
                                        .alias(n) for n in zero_when_absent])
        daily = daily.drop("__rows")

        span_frame = self._span_frame(spans)
        joined = span_frame.join(daily, on=DATE_COLUMN, how="left", maintain_order="left")
        day = pl.col(DATE_COLUMN)
        # before the data starts a day is not missing, only not covered (wbr-app sums what it has); after the data
        # ends it is missing for the value but is not listed as a missing day
        counted = day >= self.data_start
        listed = counted & (day <= self.data_end)
        complete_only = pl.col("complete_only").first()
        aggs = []
        for name in base:
            agg = self.decls[name].aggf
            aggs.append(_period_expression(name, agg, counted, complete_only))
            aggs.append(day.filter(pl.col(name).is_null() & listed).alias(name + "__missing"))
        result = joined.group_by("pid", maintain_order=True).agg(aggs).sort("pid")
        columns = result.to_dict(as_series=False)
        keys = [s.key for s in spans]
        for name in base:
            self._values[name] = _Values(value=dict(zip(keys, columns[name])),
                                         missing=dict(zip(keys, columns[name + "__missing"])))

    @staticmethod
    def _span_frame(spans: list[_Span]) -> pl.DataFrame:
        """One row per (period, day of it)."""
        return pl.DataFrame({
            "pid": list(range(len(spans))),
            "start": [s.period.start for s in spans],
            "end": [s.period.end for s in spans],
            "complete_only": [s.complete_only for s in spans],
        }).with_columns(pl.date_ranges("start", "end").alias(DATE_COLUMN)).explode(DATE_COLUMN)

    def _evaluate_pooled(self, names: list[str], span_frame: pl.DataFrame) -> None:
        """Medians over every row whose date falls in the period (not a median of daily medians, which is not
        the period's median once a day holds more than one row, e.g. one row per MO documented that day).

        A day with rows but no value is no observation (most days document no MO); a day the source does not have
        at all is missing, listed as for other metrics, and blanks the week's month while it is incomplete.
        """
        rows = self.frame.select(DATE_COLUMN, *[_row_expression(self.decls[n], self.columns).alias(n)
                                                for n in names])
        present = pl.DataFrame({DATE_COLUMN: self.calendar_days, "__present": True})
        joined = (span_frame.join(present, on=DATE_COLUMN, how="left")
                  .join(rows, on=DATE_COLUMN, how="left", maintain_order="left"))
        day = pl.col(DATE_COLUMN)
        gap_day = pl.col("__present").is_null() & (day >= self.data_start)
        gaps = day.filter(gap_day).n_unique()
        listed = day.filter(gap_day & (day <= self.data_end)).unique().sort()
        complete_only = pl.col("complete_only").first()
        aggs = [pl.when((gaps > 0) & complete_only).then(None).otherwise(pl.col(n).median())
                .cast(pl.Float64).alias(n) for n in names]
        result = joined.group_by("pid", maintain_order=True).agg(*aggs, listed.alias("__missing")).sort("pid")
        columns = result.to_dict(as_series=False)
        keys = [s.key for s in self.spans]
        missing = dict(zip(keys, columns["__missing"]))
        for name in names:
            self._values[name] = _Values(value=dict(zip(keys, columns[name])), missing=missing)

    def values(self, name: str) -> _Values:
        if name in self._values:
            return self._values[name]
        decl = self.decls[name]
        inputs = [self.values(o.name) for o in decl.operands()]
        op = decl.operation
        value, missing = {}, {}
        for span in self.spans:
            key = span.key
            args = [v.value[key] for v in inputs]
            value[key] = _apply(op, args)
            missing[key] = sorted({d for v in inputs for d in v.missing[key]})
        self._values[name] = _Values(value, missing)
        return self._values[name]

    def is_additive(self, name: str) -> bool:
        """Whether the metric adds up over time (a count or a sum, or sums and differences of such), so that a
        month's value is about four weeks' worth; WOW/YOY/MOM lines never are."""
        if name not in self.decls:
            base, suffix = self.deck.resolve(name)
            if suffix is not None:
                return False
            name = base
        decl = self.decls[name]
        if decl.kind == "function":
            return decl.operation in ("sum", "difference") and all(self.is_additive(o.name) for o in decl.operands())
        return decl.aggf in ("sum", "count")

    def info(self, name: str) -> MetricInfo:
        base, suffix = (name, None) if name in self.decls else self.deck.resolve(name)
        decl = self.decls[base]
        return MetricInfo(
            name=name, kind=suffix or decl.kind, aggregation=decl.aggf,
            comparison="bps" if decl.compares_in_bps else "pct", owner=decl.owner, direction=decl.direction,
            target=decl.target, unit=decl.unit, description=decl.description,
            rag_green=decl.rag.green if decl.rag else None, rag_amber=decl.rag.amber if decl.rag else None)


def _apply(op: str, args: list[float | None]) -> float | None:
    if any(a is None for a in args):
        return None
    if op == "divide":
        return None if args[1] == 0 else args[0] / args[1]
    if op == "difference":
        return args[0] - args[1]
    if op == "sum":
        return float(sum(args))
    out = 1.0
    for a in args:
        out *= a
    return out


def box_change(cy: float | None, py: float | None, bps: bool) -> float | None:
    """A box comparison: % change, or basis points for rate metrics; a 0 or missing side gives None."""
    if cy is None or py is None or cy == 0 or py == 0:
        return None
    return (cy - py) * BPS if bps else (cy / py - 1) * PCT


def ratio_change(cy: float | None, py: float | None, bps: bool) -> float | None:
    """A comparison series point (a <metric>WOW/YOY/MOM line): CY/PY − 1, or CY − PY for bps metrics."""
    if cy is None or py is None:
        return None
    if bps:
        return cy - py
    return None if py == 0 else cy / py - 1


def judge_rag(value: float | None, info: MetricInfo, target: float | None) -> str | None:
    """green / amber / red for a value: against the metric's rag thresholds, else against its target (amber when
    within 5% of it); None when neither is declared or the value is missing."""
    if value is None:
        return None
    higher = info.direction != "lower"
    if info.direction is None and info.rag_green is not None and info.rag_amber is not None:
        higher = info.rag_green >= info.rag_amber

    def at_least(threshold: float) -> bool:
        return value >= threshold if higher else value <= threshold

    if info.rag_green is not None and info.rag_amber is not None:
        return "green" if at_least(info.rag_green) else "amber" if at_least(info.rag_amber) else "red"
    if target is None:
        return None
    if at_least(target):
        return "green"
    slack = abs(target) * 0.05
    return "amber" if at_least(target - slack if higher else target + slack) else "red"


# ----------------------------------------------------------------------------------------------------------------
# assembling blocks

class _Builder:
    def __init__(self, deck: Deck, metrics: _Metrics, cal: _Calendar, week_number: int,
                 annotations: list[Annotation]):
        self.deck, self.m, self.cal = deck, metrics, cal
        self.week_labels = P.week_labels(week_number)
        self.annotations = annotations

    def annotations_for(self, names: list[str], months: list[date]) -> list[Annotation]:
        """Events of the block's metrics inside its six weeks or its twelve months (or their prior year)."""
        first = min(self.cal.cy_weeks[1].start, months[0])
        last = max(self.cal.week_ending, P.last_day_of_month(months[-1]))
        windows = [(first, last), (P.prior_year_date(first), P.prior_year_date(last))]
        return [a for a in self.annotations
                if a.metric in names and any(lo <= a.day <= hi for lo, hi in windows)]

    def display(self, block: Block) -> str:
        return block.x_axis_monthly_display or self.deck.setup.x_axis_monthly_display or "trailing_twelve_months"

    def months_for(self, display: str) -> list[date]:
        return self.cal.fiscal_months if display == "fiscal_year" else self.cal.trailing_months

    def series(self, name: str, display: str, *, legend: str | None = None, line_style: str = "primary",
               show_prior_year: bool = True) -> MetricSeries:
        cal = self.cal
        base, suffix = self.deck.resolve(name) if name not in self.m.decls else (name, None)
        decl = self.m.decls[base]
        bps = decl.compares_in_bps
        v = self.m.values(base)
        months = self.months_for(display)
        month_keys = [cal.month_key(m) for m in months]
        wk = [v.value[("wk", i)] for i in range(7)]
        py = [v.value[("pywk", i)] for i in range(1, 7)]
        cy_m = [v.value[k] for k in month_keys]
        py_m = [v.value[("m", P.shift_month(m, -12))] for m in months]
        box = {k: v.value[("box", k)] for k in cal.box_periods}
        none6, none9, none12 = [None] * 6, [None] * 9, [None] * 12
        if suffix is None:
            boxes = [wk[6], box_change(wk[6], wk[5], bps), box_change(wk[6], py[5], bps),
                     box["mtd"], box_change(box["mtd"], box["py_mtd"], bps),
                     box["qtd"], box_change(box["qtd"], box["py_qtd"], bps),
                     box["ytd"], box_change(box["ytd"], box["py_ytd"], bps)]
            weekly_cy, weekly_py, monthly_cy, monthly_py = wk[1:], py, cy_m, py_m
        elif suffix == "YOY":
            weekly_cy = [ratio_change(c, p, bps) for c, p in zip(wk[1:], py)]
            monthly_cy = [ratio_change(c, p, bps) for c, p in zip(cy_m, py_m)]
            boxes = [ratio_change(wk[6], py[5], bps), box_change(weekly_cy[5], weekly_cy[4], bps), None,
                     ratio_change(box["mtd"], box["py_mtd"], bps), None,
                     ratio_change(box["qtd"], box["py_qtd"], bps), None,
                     ratio_change(box["ytd"], box["py_ytd"], bps), None]
            weekly_py, monthly_py = none6, none12
        elif suffix == "WOW":
            weekly_cy = [ratio_change(wk[i], wk[i - 1], bps) for i in range(1, 7)]
            monthly_cy, weekly_py, monthly_py, boxes = none12, none6, none12, none9
        else:  # MOM
            before = [v.value[cal.month_key(P.shift_month(m, -1))] for m in months]
            monthly_cy = [ratio_change(c, p, bps) for c, p in zip(cy_m, before)]
            weekly_cy, weekly_py, monthly_py, boxes = none6, none6, none12, none9
        info = self.m.info(name)
        return MetricSeries(
            name=name, legend=legend or name, line_style=line_style, info=info,
            weekly_cy=weekly_cy, weekly_py=weekly_py, monthly_cy=monthly_cy, monthly_py=monthly_py, boxes=boxes,
            weekly_missing=[v.missing[("wk", i)] for i in range(1, 7)],
            monthly_missing=[v.missing[k] for k in month_keys],
            box_missing={"LastWk": v.missing[("wk", 6)], "MTD": v.missing[("box", "mtd")],
                         "QTD": v.missing[("box", "qtd")], "YTD": v.missing[("box", "ytd")]},
            show_prior_year=show_prior_year and suffix is None,
        )

    def constant_target(self, value: float, like: MetricSeries, months: list[date]) -> MetricSeries:
        """A declared `target:` drawn on every point. For a count or sum it is the target of a week, so a month or
        an MTD/QTD/YTD box gets it pro rata to its days (a weekly "1 gap quantified" is ~4.3 in a 30-day month);
        averages, medians and ratios keep the same target in every period."""
        if self.m.is_additive(like.name):
            def scaled(period: P.Period) -> float:
                return value * ((period.end - period.start).days + 1) / 7
            monthly = [scaled(P.month_period(m.year, m.month)) for m in months]
            box = {k: scaled(p) for k, p in self.cal.box_periods.items()}
        else:
            monthly = [value] * len(months)
            box = {k: value for k in self.cal.box_periods}
        return MetricSeries(
            name=f"{like.name} target", legend="Target", line_style="target", info=like.info,
            weekly_cy=[value] * 6, weekly_py=[None] * 6, monthly_cy=monthly, monthly_py=[None] * len(months),
            boxes=[value, None, None, box["mtd"], None, box["qtd"], None, box["ytd"], None], show_prior_year=False)

    def graph(self, block: Block, number: int) -> GraphBlock:
        cal = self.cal
        display = self.display(block)
        months = self.months_for(display)
        named = cal.fiscal_named if display == "fiscal_year" else months
        lines, target = [], None
        for name, cfg in (block.metrics or {}).items():
            line = self.series(name, display, legend=cfg.legend_name, line_style=cfg.line_style,
                               show_prior_year=cfg.graph_prior_year_flag)
            if cfg.line_style == "target" and target is None:
                target = line
            else:
                lines.append(line)
        if not lines:
            raise UserError(f"block {number} ('{block.title}') draws only a target line; it needs a metric too")
        primary = lines[0]
        if target is None and primary.info.target is not None:
            target = self.constant_target(primary.info.target, primary, months)
        if target is None:
            target_name = self.m.target_metric(block)
            if target_name is not None:
                target = self.series(target_name, display, legend="Target", line_style="target",
                                     show_prior_year=False)
        for line in lines:
            point = target.boxes[0] if target is not None and line is primary else None
            line.rag = judge_rag(line.boxes[0], line.info, point if point is not None else line.info.target)
        return GraphBlock(
            title=block.title or f"{block.ui_type} {number}", number=number,
            x_axis=self.week_labels + [P.month_label(m) for m in named],
            week_labels=list(self.week_labels), month_labels=[P.month_label(m) for m in months],
            week_ends=[p.end for p in cal.cy_weeks[1:]], months=months, monthly_display=display,
            series=lines, target=target, y_scaling=block.y_scaling,
            annotations=self.annotations_for(list(block.metrics or {}), months))

    def table(self, block: Block, number: int) -> TableBlock:
        display = self.display(block)
        rows = []
        for row in block.rows or []:
            values: list[float | None] = []
            info = None
            if row.metric:
                s = self.series(row.metric, display)
                info = s.info
                if block.ui_type == "6_WeeksTable":
                    values = s.weekly_cy + ([None, None] if s.info.kind == "WOW" else [s.boxes[5], s.boxes[7]])
                else:
                    values = s.monthly_cy
            rows.append(TableRowResult(header=row.header, metric=row.metric, values=values, style=row.style,
                                       y_scaling=row.y_scaling, info=info))
        if block.ui_type == "6_WeeksTable":
            headers = self.week_labels + ["QTD", "YTD"]
        else:
            headers = [P.month_label(m) for m in self.months_for(display)]
        return TableBlock(title=block.title or f"{block.ui_type} {number}", number=number, kind=block.ui_type,
                          headers=headers, rows=rows)


def _needed_metrics(deck: Deck) -> list[str]:
    names: list[str] = []
    for block in deck.deck:
        for name in block.metric_names():
            base, _ = deck.resolve(name)
            if base not in names:
                names.append(base)
    return names


def _as_daily_frame(frame: pl.DataFrame) -> pl.DataFrame:
    if DATE_COLUMN not in frame.columns:
        raise ValidationFailed(Problem(f"the data has no '{DATE_COLUMN}' column", field=DATE_COLUMN))
    dtype = frame.schema[DATE_COLUMN]
    if dtype == pl.Datetime or isinstance(dtype, pl.Datetime):
        frame = frame.with_columns(pl.col(DATE_COLUMN).dt.date())
    elif dtype != pl.Date:
        raise ValidationFailed(Problem(f"the '{DATE_COLUMN}' column holds {dtype}, not dates; load CSVs with "
                                       "rm_core.metrics.load_csv", field=DATE_COLUMN))
    return frame.filter(pl.col(DATE_COLUMN).is_not_null())


def _annotations(events) -> list[Annotation]:
    if events is None:
        return []
    if isinstance(events, pl.DataFrame):
        events = events.to_dicts()
    out = []
    for e in events:
        day = e.get("Date") or e.get("date")
        if isinstance(day, datetime):
            day = day.date()
        elif isinstance(day, str):
            day = parse_week_ending(day)
        out.append(Annotation(day=day, metric=str(e.get("MetricName") or e.get("metric") or ""),
                              description=str(e.get("EventDescription") or e.get("description") or "")))
    return out


def compute_deck(deck: Deck, frame: pl.DataFrame, week_ending: date | datetime | None = None, *,
                 calendar_days: pl.Series | Iterable[date] | None = None, events=None) -> DeckResult:
    """Every block of `deck` computed from `frame` (one or more rows per day, a `Date` column) for a week.

    `week_ending` defaults to the deck's, else to the last complete week of the data. When `frame` is a filtered
    part of a larger source (one site, one team), pass the source's dates as `calendar_days`: a day the source
    has but the part has no rows for then counts as zero for sums, instead of as a missing day. `events` (a frame
    or dicts with Date, MetricName, EventDescription, as wbr-app's events file) become chart annotations.
    """
    problems = deck.check_references()
    if problems:
        raise ValidationFailed(problems)
    frame = _as_daily_frame(frame)
    if calendar_days is None:
        days = frame.get_column(DATE_COLUMN).unique().sort()
    else:
        days = pl.Series(DATE_COLUMN, list(calendar_days) if not isinstance(calendar_days, pl.Series)
                         else calendar_days, dtype=pl.Date).unique().sort()
    if days.len() == 0:
        raise UserError("The data has no dated rows to compute the deck from.")
    data_start, data_end = days.min(), days.max()
    if isinstance(week_ending, datetime):
        week_ending = week_ending.date()
    week_ending = resolve_week_ending(deck, data_start, data_end, week_ending)
    cal = _Calendar(week_ending, deck.setup.fiscal_year_end_month, data_end)
    metrics = _Metrics(deck, frame, days, cal)
    needed = _needed_metrics(deck)
    for block in deck.deck:  # targets read from `<column>__Target` columns are aggregated in the same pass
        if block.ui_type == "6_12Graph":
            target = metrics.target_metric(block)
            if target and target not in needed:
                needed.append(target)
    metrics.evaluate(needed)
    week_number = week_number_for(deck, week_ending)
    builder = _Builder(deck, metrics, cal, week_number, _annotations(events))
    blocks = []
    for i, block in enumerate(deck.deck):
        number = deck.setup.block_starting_number + i
        if block.ui_type == "6_12Graph":
            blocks.append(builder.graph(block, number))
        elif block.ui_type in ("6_WeeksTable", "12_MonthsTable"):
            blocks.append(builder.table(block, number))
        elif block.ui_type == "section":
            blocks.append(SectionBlock(title=block.title or "", number=number))
        else:
            blocks.append(EmbeddedBlock(title=block.title or "", number=number, source=block.source or "",
                                        name=block.name, width=block.width, height=block.height))
    return DeckResult(title=deck.setup.title, week_ending=week_ending, week_number=week_number,
                      fiscal_year_end_month=deck.setup.fiscal_year_end_month, data_start=data_start,
                      data_end=data_end, blocks=blocks)
