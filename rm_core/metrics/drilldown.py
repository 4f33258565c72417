"""The rows behind a number, and the moves a flash report ranks: both read from a computed deck."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from rm_core.metrics.dataload import DATE_COLUMN
from rm_core.metrics.deck import Deck
from rm_core.metrics.query import query_expression
from rm_core.metrics.results import DeckResult, MetricSeries


def metric_columns(deck: Deck, name: str) -> tuple[list[str], list[str]]:
    """(data columns, filter queries) a metric reads, following function inputs."""
    base, _ = deck.resolve(name)
    columns: list[str] = []
    queries: list[str] = []

    def visit(metric: str) -> None:
        decl = deck.metrics.get(metric)
        if decl is None:
            return
        if decl.kind == "column" and decl.column not in columns:
            columns.append(decl.column)
        elif decl.kind == "filter":
            if decl.filter.base_column not in columns:
                columns.append(decl.filter.base_column)
            queries.append(decl.filter.query)
        for operand in decl.operands():
            visit(operand.name)

    visit(base)
    return columns, queries


def rows_behind(deck: Deck, frame: pl.DataFrame, metric: str, start: date, end: date) -> pl.DataFrame:
    """The data rows from `start` to `end` (inclusive) that a metric's number is made of: the date, the columns
    the metric reads and the other (dimension) columns; for a filter metric only the rows its query keeps."""
    columns, queries = metric_columns(deck, metric)
    rows = frame.filter(pl.col(DATE_COLUMN).is_between(start, end))
    if queries and len(queries) == len(columns):  # every input is filtered: keep rows any of them counts
        keep = pl.lit(False)
        for q in queries:
            keep = keep | query_expression(q, frame.columns)
        rows = rows.filter(keep)
    dimensions = [c for c, t in frame.schema.items() if c != DATE_COLUMN and not t.is_numeric()]
    wanted = [DATE_COLUMN] + dimensions + [c for c in columns if c in frame.columns]
    return rows.select(wanted).sort(DATE_COLUMN, maintain_order=True)


@dataclass(frozen=True)
class Move:
    """One metric's change this week, signed so that positive is good for the metric's direction."""

    metric: str
    title: str
    last_week: float | None
    change: float | None  # the box value (% or bps) against `against`
    against: str  # "prior year" | "prior week" | "target"
    comparison: str  # "pct" | "bps"
    favourable: bool | None  # None when the metric declares no direction
    score: float  # |change| in a common scale (bps / 100 ≈ %), for ranking


def metric_moves(result: DeckResult) -> list[Move]:
    """Every charted metric's YOY and WOW moves, and its gap to target, largest first."""
    moves: list[Move] = []
    for block in result.graphs():
        for series in block.series:
            if series.info.kind in ("WOW", "YOY", "MOM"):
                continue
            target = block.target.boxes[0] if block.target is not None and series is block.primary else None
            moves += _moves(series, block.title, target)
    return sorted(moves, key=lambda m: -m.score)


def _moves(series: MetricSeries, title: str, target: float | None) -> list[Move]:
    info = series.info
    out = []
    last = series.boxes[0]
    pairs = [("prior year", series.boxes[2], info.comparison), ("prior week", series.boxes[1], info.comparison)]
    if target not in (None, 0) and last is not None:
        pairs.append(("target", (last / target - 1) * 100, "pct"))
    for against, change, comparison in pairs:
        if change is None:
            continue
        favourable = None if info.direction is None else (change >= 0) == (info.direction == "higher")
        score = abs(change) / (100 if comparison == "bps" else 1)
        out.append(Move(series.name, title, last, change, against, comparison, favourable, score))
    return out
