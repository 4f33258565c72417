"""Deck declarations: wbr-app's YAML vocabulary (setup, metrics, deck blocks) parsed and checked with pydantic.

A deck file written for wbr-app loads unchanged. On top of it a metric may say who owns it (`owner`), which way
is good (`direction`: higher or lower), its `target`, `unit`, `description` and `rag` thresholds.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from rm_core.errors import Problem, ValidationFailed
from rm_core.metrics.periods import MONTH_ABBR, parse_month

AGGREGATIONS = ("sum", "mean", "min", "max", "first", "last", "median", "count")
FUNCTIONS = ("divide", "product", "sum", "difference")
BLOCK_TYPES = ("6_12Graph", "6_WeeksTable", "12_MonthsTable", "section", "embedded_content")
MONTHLY_DISPLAYS = ("fiscal_year", "trailing_twelve_months")
COMPARISON_SUFFIXES = ("WOW", "YOY", "MOM")  # wbr-app derives <metric>WOW / YOY / MOM for every metric
WEEKDAYS = {name: i for i, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))}


def parse_week_ending(value: object) -> date:
    """'25-SEP-2021' (wbr-app's form), '2021-09-25', or a YAML date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in ("%d-%b-%Y", "%Y-%m-%d", "%d-%B-%Y", "%d %b %Y", "%d %B %Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"'{text}' is not a date; write it like 25-SEP-2021 or 2021-09-25")


class _Model(BaseModel):
    # wbr-app decks carry keys we do not use (line_style colours, comments, db settings): keep, never refuse.
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Setup(_Model):
    """The `setup:` section: which week, how weeks are numbered, when the fiscal year ends."""

    week_ending: date | None = None
    week_number: int | None = None
    title: str = "WBR"
    fiscal_year_end_month: int = 12
    block_starting_number: int = 1
    tooltip: bool = False
    x_axis_monthly_display: Literal["fiscal_year", "trailing_twelve_months"] | None = None
    week_ends_on: int | None = Field(default=None, description="weekday the weeks end on when no date is given")

    @field_validator("week_ending", mode="before")
    @classmethod
    def _week_ending(cls, v):
        return None if v in (None, "") else parse_week_ending(v)

    @field_validator("fiscal_year_end_month", mode="before")
    @classmethod
    def _fiscal_month(cls, v):
        if v in (None, ""):
            return 12
        month = parse_month(v)
        if month is None:
            raise ValueError(f"'{v}' is not a month; write it like DEC, December or 12")
        return month

    @field_validator("week_ends_on", mode="before")
    @classmethod
    def _weekday(cls, v):
        if v in (None, ""):
            return None
        if isinstance(v, int) and 0 <= v <= 6:
            return v
        day = WEEKDAYS.get(str(v).strip().lower()[:3])
        if day is None:
            raise ValueError(f"'{v}' is not a weekday; write it like Saturday or Sat")
        return day

    @property
    def fiscal_year_end_label(self) -> str:
        return MONTH_ABBR[self.fiscal_year_end_month].upper()


class FilterDecl(_Model):
    """A filtered column: `base_column` aggregated over the rows where `query` holds (pandas-query syntax)."""

    base_column: str
    query: str


class Operand(_Model):
    """One input of a function metric: another metric by name, possibly declared inline with its own function."""

    name: str
    function: dict[str, list[dict[str, Any]]] | None = None


class RagThresholds(_Model):
    """Where green and amber start, in the metric's own units; the metric's `direction` says which side is good.

    With direction `higher`, a value at or above `green` is green, at or above `amber` amber, else red; with
    `lower`, at or below.
    """

    green: float
    amber: float


class MetricDecl(_Model):
    """One entry of `metrics:` — a column with an aggregation, a filtered column, or a function of metrics."""

    column: str | None = None
    aggf: str | None = None
    filter: FilterDecl | None = None
    function: dict[str, list[dict[str, Any]]] | None = None
    metric_comparison_method: Literal["bps", "pct"] | None = None
    box_total_scaling: str | None = None  # display hint in wbr-app decks; does not change how boxes compare
    owner: str | None = None
    direction: Literal["higher", "lower"] | None = None
    target: float | None = None
    unit: str | None = None
    description: str | None = None
    rag: RagThresholds | None = None

    @field_validator("aggf", mode="before")
    @classmethod
    def _aggf(cls, v):
        if v is None:
            return None
        name = str(v).strip().lower()
        if name == "average":
            name = "mean"
        if name not in AGGREGATIONS:
            raise ValueError(f"aggregation '{v}' is not one of {', '.join(AGGREGATIONS)}")
        return name

    @field_validator("direction", mode="before")
    @classmethod
    def _direction(cls, v):
        if v is None:
            return None
        text = str(v).strip().lower().replace("_is_better", "").replace(" is better", "")
        return {"up": "higher", "down": "lower", "high": "higher", "low": "lower"}.get(text, text)

    @model_validator(mode="after")
    def _one_source(self):
        kinds = [k for k in ("column", "filter", "function") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("a metric needs exactly one of column (with aggf), filter (with aggf) or function"
                             + (f"; it has {', '.join(kinds)}" if kinds else ""))
        if kinds[0] in ("column", "filter") and self.aggf is None:
            raise ValueError(f"a {kinds[0]} metric needs aggf ({', '.join(AGGREGATIONS)})")
        if self.function is not None:
            _check_function(self.function)
        if self.rag is not None and self.direction is not None:
            good_high = self.direction == "higher"
            if (self.rag.green < self.rag.amber) if good_high else (self.rag.green > self.rag.amber):
                raise ValueError("rag thresholds are the wrong way round for the metric's direction")
        return self

    @property
    def kind(self) -> str:
        return "column" if self.column is not None else "filter" if self.filter is not None else "function"

    @property
    def compares_in_bps(self) -> bool:
        return self.metric_comparison_method == "bps"

    @property
    def operation(self) -> str | None:
        return next(iter(self.function)) if self.function else None

    def operands(self) -> list[Operand]:
        if not self.function:
            return []
        return [_operand(item) for item in next(iter(self.function.values()))]


def _operand(item: dict[str, Any]) -> Operand:
    body = item.get("metric") or item.get("column")
    if isinstance(body, str):
        return Operand(name=body)
    if not isinstance(body, dict) or "name" not in body:
        raise ValueError("each function input is written `- metric: {name: OTHER_METRIC}`")
    return Operand(name=str(body["name"]), function=body.get("function"))


def _check_function(function: dict) -> None:
    if len(function) != 1:
        raise ValueError(f"a function has one operation ({', '.join(FUNCTIONS)}); got {', '.join(function)}")
    op, items = next(iter(function.items()))
    if op not in FUNCTIONS:
        raise ValueError(f"function '{op}' is not one of {', '.join(FUNCTIONS)}")
    if not isinstance(items, list) or len(items) < 2:
        raise ValueError(f"function '{op}' needs a list of at least two metrics")
    if op in ("divide", "difference") and len(items) != 2:
        raise ValueError(f"function '{op}' takes exactly two metrics, got {len(items)}")
    for item in items:
        operand = _operand(item)
        if operand.function is not None:
            _check_function(operand.function)


class BlockMetric(_Model):
    """A line on a 6/12 chart: a metric, or (line_style: target) the target drawn against it."""

    line_style: str = "primary"
    graph_prior_year_flag: bool = True
    legend_name: str | None = None


class TableRow(_Model):
    header: str = ""
    metric: str | None = None
    style: str | None = None
    y_scaling: str | None = None


class Block(_Model):
    """One entry of `deck:`; which fields matter depends on `ui_type`."""

    ui_type: Literal["6_12Graph", "6_WeeksTable", "12_MonthsTable", "section", "embedded_content"]
    title: str | None = None
    x_axis_monthly_display: Literal["fiscal_year", "trailing_twelve_months"] | None = None
    y_scaling: str | None = None
    axes: int | None = None
    metrics: dict[str, BlockMetric] | None = None
    rows: list[TableRow] | None = None
    source: str | None = None
    name: str | None = None
    width: str | int | None = None
    height: str | int | None = None

    @field_validator("metrics", mode="before")
    @classmethod
    def _metrics(cls, v):
        if v is None:
            return None
        return {str(k): (m if m is not None else {}) for k, m in dict(v).items()}

    @field_validator("rows", mode="before")
    @classmethod
    def _rows(cls, v):
        if v is None:
            return None
        return [r["row"] if isinstance(r, dict) and "row" in r else r for r in v]

    @model_validator(mode="after")
    def _needs(self):
        if self.ui_type == "6_12Graph" and not self.metrics:
            raise ValueError("a 6_12Graph block needs `metrics:`")
        if self.ui_type in ("6_WeeksTable", "12_MonthsTable") and not self.rows:
            raise ValueError(f"a {self.ui_type} block needs `rows:`")
        if self.ui_type == "embedded_content" and not self.source:
            raise ValueError("an embedded_content block needs `source:`")
        return self

    def metric_names(self) -> list[str]:
        if self.metrics:
            return list(self.metrics)
        return [r.metric for r in self.rows or [] if r.metric]


class Deck(_Model):
    """A whole deck: setup, metric declarations in order, blocks in the order they are shown."""

    setup: Setup = Field(default_factory=Setup)
    metrics: dict[str, MetricDecl] = Field(default_factory=dict)
    deck: list[Block] = Field(default_factory=list)
    source_name: str | None = None

    @field_validator("deck", mode="before")
    @classmethod
    def _blocks(cls, v):
        if v is None:
            return []
        return [b["block"] if isinstance(b, dict) and "block" in b else b for b in v]

    @field_validator("metrics", mode="before")
    @classmethod
    def _metric_map(cls, v):
        return {} if v is None else {str(k): m for k, m in dict(v).items()}

    @property
    def blocks(self) -> list[Block]:
        return self.deck

    def resolve(self, name: str) -> tuple[str, str | None]:
        """(base metric, comparison suffix or None) for a name used in a block, e.g. 'PageViewsYOY'."""
        if name in self.metrics:
            return name, None
        for suffix in COMPARISON_SUFFIXES:
            if name.endswith(suffix) and name[: -len(suffix)] in self.metrics:
                return name[: -len(suffix)], suffix
        raise KeyError(name)

    def check_references(self) -> list[Problem]:
        """Every function input and block metric names a declared metric (or its WOW/YOY/MOM)."""
        problems: list[Problem] = []
        where = self.source_name
        inline: set[str] = set()

        def walk(function: dict, owner: str) -> None:
            for item in next(iter(function.values())):
                operand = _operand(item)
                if operand.function is not None:
                    inline.add(operand.name)
                    walk(operand.function, owner)
                elif operand.name not in self.metrics and operand.name not in inline:
                    problems.append(Problem(f"metric '{owner}' uses '{operand.name}', which is not declared "
                                            "under metrics:", file=where, field=f"metrics.{owner}"))

        for name, decl in self.metrics.items():
            if decl.function:
                walk(decl.function, name)
        for i, block in enumerate(self.deck, start=1):
            for name in block.metric_names():
                try:
                    self.resolve(name)
                except KeyError:
                    problems.append(Problem(f"block {i} ('{block.title or block.ui_type}') shows '{name}', which is "
                                            "not declared under metrics:", file=where, field=f"deck[{i}]"))
            for row in block.rows or []:
                if block.ui_type == "6_WeeksTable" and row.metric and row.metric.endswith("MOM"):
                    problems.append(Problem(f"a 6_WeeksTable cannot show month-over-month '{row.metric}'",
                                            file=where, field=f"deck[{i}]"))
        return problems


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ten times faster


def deck_for_columns(columns: list[str], *, title: str = "WBR", aggf: str = "sum",
                     fiscal_year_end_month: int = 12) -> Deck:
    """A deck for a CSV whose columns the user picked: one summed metric and one 6/12 chart per column (a
    `<column>__Target` column, when the data has one, becomes that chart's target by itself)."""
    picked = [c for c in columns if not c.endswith(("__Target", "__target")) and c != "Date"]
    return Deck.model_validate({
        "setup": {"title": title, "fiscal_year_end_month": fiscal_year_end_month},
        "metrics": {c: {"column": c, "aggf": aggf} for c in picked},
        "deck": [{"ui_type": "6_12Graph", "title": c, "metrics": {c: {}}} for c in picked],
    })


class _LineLoader(_BaseLoader):
    """Keeps the line of every mapping so a refusal can say where in the file the problem is."""


def _construct_mapping(loader, node, deep=False):
    mapping = _BaseLoader.construct_mapping(loader, node, deep=deep)
    loader.lines[id(mapping)] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _line_of(raw: Any, loc: tuple, lines: dict[int, int]) -> int | None:
    """The YAML line nearest to a pydantic error location (which skips the `block:`/`row:` wrappers)."""
    node, line = raw, lines.get(id(raw))
    for key in loc:
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        else:
            break
        if isinstance(node, dict) and len(node) == 1 and next(iter(node)) in ("block", "row"):
            node = next(iter(node.values()))
        line = lines.get(id(node), line)
    return line


def parse_deck(raw: Any, *, name: str | None = None, lines: dict[int, int] | None = None) -> Deck:
    """A Deck from an already-loaded mapping; refusals name the file, line and field."""
    if not isinstance(raw, dict):
        raise ValidationFailed(Problem("a deck is a YAML mapping with setup:, metrics: and deck:", file=name))
    try:
        deck = Deck.model_validate({**raw, "source_name": name})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            field = ".".join(str(p) for p in loc if p not in ("function-after",))
            message = err["msg"].removeprefix("Value error, ")
            problems.append(Problem(message, file=name, row=_line_of(raw, loc, lines or {}), field=field or None))
        raise ValidationFailed(problems) from None
    problems = deck.check_references()
    if problems:
        raise ValidationFailed(problems)
    return deck


def _utf8(raw: bytes, name: str) -> str:
    """Deck YAML is UTF-8 (as wbr-app reads it); anything else is refused with where the first bad byte is."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ValidationFailed(Problem(f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the deck as UTF-8",
                                       file=name, row=line)) from None


def load_deck(source: str | Path | bytes, *, name: str | None = None) -> Deck:
    """Read a deck from a path, or from YAML text/bytes (an upload); `name` is what messages call it."""
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source and source.endswith(
            (".yaml", ".yml"))):
        path = Path(source)
        name = name or str(path)
        try:
            text = _utf8(path.read_bytes(), name)
        except OSError as exc:
            raise ValidationFailed(Problem(f"cannot read the deck file: {exc.strerror}", file=name)) from None
    else:
        name = name or "deck"
        text = _utf8(source, name) if isinstance(source, bytes) else source
    loader = _LineLoader(text)
    loader.lines = {}
    try:
        raw = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ValidationFailed(Problem(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=name,
                                       row=mark.line + 1 if mark else None)) from None
    finally:
        loader.dispose()
    return parse_deck(raw, name=name, lines=loader.lines)
