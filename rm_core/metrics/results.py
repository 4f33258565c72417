"""What the WBR engine returns: one typed result per deck block, ready to chart, tabulate or rank.

Numbers are floats, or None where the value is missing (never a silent 0); the `*_missing` lists say which
days had no value. Box lists follow BOX_LABELS.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

BOX_LABELS = ("LastWk", "WOW", "YOY", "MTD", "YOY", "QTD", "YOY", "YTD", "YOY")
BOX_NAMES = ("last_week", "wow", "yoy", "mtd", "mtd_yoy", "qtd", "qtd_yoy", "ytd", "ytd_yoy")
COMPARISON_BOXES = (1, 2, 4, 6, 8)


@dataclass(frozen=True)
class MetricInfo:
    """A metric's declaration as the page shows it: how it is computed and what good looks like."""

    name: str
    kind: str  # column | filter | function | WOW | YOY | MOM (a comparison derived from another metric)
    aggregation: str | None
    comparison: str  # "pct" (WOW/YOY in %) or "bps" (in basis points)
    owner: str | None = None
    direction: str | None = None  # "higher" or "lower" is better
    target: float | None = None
    unit: str | None = None
    description: str | None = None
    rag_green: float | None = None
    rag_amber: float | None = None


@dataclass
class MetricSeries:
    """One line of a 6/12 chart (or one row of a table): the six weeks, twelve months and the box row."""

    name: str
    legend: str
    line_style: str
    info: MetricInfo
    weekly_cy: list[float | None]
    weekly_py: list[float | None]
    monthly_cy: list[float | None]
    monthly_py: list[float | None]
    boxes: list[float | None]
    weekly_missing: list[list[date]] = field(default_factory=list)
    monthly_missing: list[list[date]] = field(default_factory=list)
    box_missing: dict[str, list[date]] = field(default_factory=dict)  # LastWk / MTD / QTD / YTD
    show_prior_year: bool = True
    rag: str | None = None  # green | amber | red, judged on last week against the target or thresholds

    def box(self, name: str) -> float | None:
        """A box by name: last_week, wow, yoy, mtd, mtd_yoy, qtd, qtd_yoy, ytd, ytd_yoy."""
        return self.boxes[BOX_NAMES.index(name)]

    @property
    def missing_days(self) -> list[date]:
        days = {d for week in self.weekly_missing for d in week}
        days |= {d for m in self.monthly_missing for d in m}
        days |= {d for ds in self.box_missing.values() for d in ds}
        return sorted(days)


@dataclass(frozen=True)
class Annotation:
    """An event to mark on a chart (wbr-app's events file: Date, MetricName, EventDescription)."""

    day: date
    metric: str
    description: str


@dataclass
class GraphBlock:
    """A 6_12Graph block: trailing six weeks and twelve months on one axis, with prior year and target."""

    title: str
    number: int
    x_axis: list[str]  # six 'wk N' then the month labels (wbr-app's: a fiscal axis stops at the data's last month)
    week_labels: list[str]
    month_labels: list[str]  # always twelve
    week_ends: list[date]
    months: list[date]  # first day of each of the twelve months shown
    monthly_display: str  # fiscal_year | trailing_twelve_months
    series: list[MetricSeries]
    target: MetricSeries | None = None  # target per point (weekly_cy / monthly_cy / boxes LastWk, MTD, QTD, YTD)
    y_scaling: str | None = None
    annotations: list[Annotation] = field(default_factory=list)  # events within the charted weeks or months
    box_labels: tuple[str, ...] = BOX_LABELS
    kind: str = "6_12Graph"

    @property
    def primary(self) -> MetricSeries:
        return self.series[0]

    @property
    def weekly_cy(self):
        return self.primary.weekly_cy

    @property
    def weekly_py(self):
        return self.primary.weekly_py

    @property
    def monthly_cy(self):
        return self.primary.monthly_cy

    @property
    def monthly_py(self):
        return self.primary.monthly_py

    @property
    def boxes(self):
        return self.primary.boxes


@dataclass
class TableRowResult:
    header: str
    metric: str | None
    values: list[float | None]
    style: str | None = None
    y_scaling: str | None = None
    info: MetricInfo | None = None


@dataclass
class TableBlock:
    """A 6_WeeksTable (six weeks, QTD, YTD) or 12_MonthsTable (twelve months) block."""

    title: str
    number: int
    kind: str
    headers: list[str]
    rows: list[TableRowResult]


@dataclass
class SectionBlock:
    title: str
    number: int
    kind: str = "section"


@dataclass
class EmbeddedBlock:
    title: str
    number: int
    source: str
    name: str | None = None
    width: str | int | None = None
    height: str | int | None = None
    kind: str = "embedded_content"


Block = GraphBlock | TableBlock | SectionBlock | EmbeddedBlock


@dataclass
class DeckResult:
    """A computed deck for one week ending, blocks in the deck's order."""

    title: str
    week_ending: date
    week_number: int
    fiscal_year_end_month: int
    data_start: date
    data_end: date
    blocks: list[Block]

    def graphs(self) -> list[GraphBlock]:
        return [b for b in self.blocks if isinstance(b, GraphBlock)]

    def series(self) -> list[MetricSeries]:
        """Every charted metric line (targets excluded), in deck order: what a flash report ranks."""
        return [s for g in self.graphs() for s in g.series]

    def to_json(self) -> dict[str, Any]:
        """The shape `check.py` reads: {"blocks": {title: block}}, plus what the page needs beside it."""
        blocks: dict[str, Any] = {}
        for block in self.blocks:
            blocks[block.title] = _block_json(block)
        return {
            "title": self.title, "week_ending": self.week_ending.isoformat(), "week_number": self.week_number,
            "fiscal_year_end_month": self.fiscal_year_end_month, "data_start": self.data_start.isoformat(),
            "data_end": self.data_end.isoformat(), "blocks": blocks,
        }


def _clean(values):
    """JSON-safe numbers: NaN and ±inf (a division by a tiny number) become None, like any missing value."""
    return [None if v is None or (isinstance(v, float) and not math.isfinite(v)) else v for v in values]


def _series_json(s: MetricSeries) -> dict[str, Any]:
    return {
        "name": s.name, "legend": s.legend, "line_style": s.line_style,
        "weekly_cy": _clean(s.weekly_cy), "weekly_py": _clean(s.weekly_py),
        "monthly_cy": _clean(s.monthly_cy), "monthly_py": _clean(s.monthly_py), "boxes": _clean(s.boxes),
        "rag": s.rag, "info": {k: v for k, v in vars(s.info).items()},
        "missing_days": [d.isoformat() for d in s.missing_days],
    }


def _block_json(block: Block) -> dict[str, Any]:
    if isinstance(block, GraphBlock):
        out = {"kind": block.kind, "number": block.number, "x_axis": block.x_axis,
               **{k: v for k, v in _series_json(block.primary).items() if k not in ("name", "legend", "line_style")},
               "metric": block.primary.name, "box_labels": list(block.box_labels),
               "month_labels": block.month_labels, "monthly_display": block.monthly_display,
               "lines": [_series_json(s) for s in block.series[1:]],
               "annotations": [{"date": a.day.isoformat(), "metric": a.metric, "description": a.description}
                               for a in block.annotations]}
        if block.target is not None:
            out["target"] = {"weekly": _clean(block.target.weekly_cy), "monthly": _clean(block.target.monthly_cy),
                             "boxes": _clean(block.target.boxes)}
        return out
    if isinstance(block, TableBlock):
        return {"kind": block.kind, "number": block.number, "headers": block.headers,
                "rows": {r.header: _clean(r.values) for r in block.rows}}
    if isinstance(block, EmbeddedBlock):
        return {"kind": block.kind, "number": block.number, "source": block.source, "name": block.name,
                "width": block.width, "height": block.height}
    return {"kind": block.kind, "number": block.number}
