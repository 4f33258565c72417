"""What the Metrics page computes: a deck over a daily source (the Risk Mining deck over the workbench's own data,
a user's deck + CSV, or a CSV with picked columns), for a week and a set of filters, and the rows behind a number.

A `DeckSource` is the deck plus its rows; `compute_source` filters the rows by the chosen dimension values and
runs the WBR engine, so every metric, box and chart is recomputed for the filter. The section order, blocks and
metrics come from the deck alone: the page looks the same every week.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rm_core.errors import Problem, UserError, ValidationFailed
from rm_core.metrics.dataload import DATE_COLUMN, load_csv, parse_dates
from rm_core.metrics.deck import AGGREGATIONS, Deck, load_deck, parse_deck
from rm_core.metrics.engine import compute_deck, last_complete_week_ending
from rm_core.metrics.results import DeckResult
from rm_core.metrics.sources import (COLUMN_DESCRIPTIONS, DIMENSION_LABELS, DIMENSIONS, DRILL_SPECS, RiskData, daily_for,
                                     filter_rows, rows_behind)
from rm_core.store.models import AuditEvent, HitLog

RISK_DECK_PATH = Path(__file__).parent / "decks" / "risk_mining.yaml"
MAX_FILTER_DIMENSIONS = 3
MAX_FILTER_VALUES = 200  # a text column with more distinct values than this is an id, not a dimension


@functools.lru_cache(maxsize=1)
def risk_deck() -> Deck:
    """The Risk Mining deck shipped with the workbench."""
    return load_deck(RISK_DECK_PATH)


@dataclass(frozen=True)
class DeckSource:
    """A deck and the daily rows it reads.

    `frame`: a `Date` column, the dimension columns (text) and the value columns the deck reads.
    `calendar`: every day the source covers (a day without rows after a filter counts as nothing happened).
    `rollup`: sum the rows of each day before computing (the Risk Mining frame, whose stocks add up per day).
    `key`: what the results depend on besides week and filters (for caches).
    """

    deck: Deck
    frame: pl.DataFrame
    calendar: pl.Series
    dimensions: tuple[str, ...]
    options: dict[str, list[str]]
    key: str
    label: str
    rollup: bool = False
    risk: RiskData | None = field(default=None, repr=False)

    @property
    def start(self) -> dt.date:
        return self.calendar.min()

    @property
    def end(self) -> dt.date:
        return self.calendar.max()

    def dimension_label(self, dim: str) -> str:
        return DIMENSION_LABELS.get(dim, dim.replace("_", " ").capitalize())


def data_version(session: Session) -> tuple[int, int]:
    """Changes whenever a record the Risk Mining deck reads changes (every write records an audit event); notes
    about metrics (path to green, flash notes) do not change the numbers, so they are left out."""
    return (session.scalar(select(func.max(AuditEvent.id)).where(AuditEvent.action.not_like("metrics.%"))) or 0,
            session.scalar(select(func.max(HitLog.id))) or 0)


def notes_version(session: Session) -> int:
    """Changes whenever anything is written (paths to green and flash notes included)."""
    return session.scalar(select(func.max(AuditEvent.id))) or 0


def versions() -> tuple[tuple[int, int], int]:
    """(`data_version`, `notes_version`) of the configured database, read together: the page's cache keys."""
    from rm_core.store.db import read_session

    with read_session() as s:
        return data_version(s), notes_version(s)


def without_unavailable(deck: Deck, unavailable: frozenset[str]) -> Deck:
    """The deck without the blocks whose metrics read a column no source fills here (e.g. AI ROI before any
    source records it), and without sections left empty by that."""
    if not unavailable:
        return deck
    kept = []
    for block in deck.deck:
        names = [deck.resolve(n)[0] for n in block.metric_names()]
        if any(set(metric_columns(deck, n)) & unavailable for n in names) and all(
                set(metric_columns(deck, n)) <= unavailable for n in names):
            continue
        kept.append(block)
    blocks = [b for i, b in enumerate(kept)
              if b.ui_type != "section" or (i + 1 < len(kept) and kept[i + 1].ui_type != "section")]
    return deck.model_copy(update={"deck": blocks})


def risk_source(data: RiskData, deck: Deck | None = None, version: object = "") -> DeckSource:
    deck = without_unavailable(deck or risk_deck(), data.unavailable)
    return DeckSource(deck=deck, frame=data.daily, calendar=data.calendar(), dimensions=DIMENSIONS,
                      options=data.options, key=f"risk:{version}", label="Risk Mining deck (workbench data)",
                      rollup=True, risk=data)


def _dimensions_of(frame: pl.DataFrame, exclude: set[str]) -> tuple[tuple[str, ...], dict[str, list[str]]]:
    dims, options = [], {}
    for name, dtype in frame.schema.items():
        if name == DATE_COLUMN or name in exclude or dtype not in (pl.String, pl.Categorical):
            continue
        values = frame[name].drop_nulls().unique()
        if 1 < values.len() <= MAX_FILTER_VALUES:
            dims.append(name)
            options[name] = sorted(values.to_list())
        if len(dims) == MAX_FILTER_DIMENSIONS:
            break
    return tuple(dims), options


def csv_source(deck_text: bytes | str, csv_bytes: bytes, *, deck_name: str = "deck.yaml",
               csv_name: str = "data.csv") -> DeckSource:
    """A user's own wbr-app deck and daily CSV; its text columns (up to three) become the filters."""
    from rm_core.metrics import deck_columns

    deck = load_deck(deck_text.encode() if isinstance(deck_text, str) else deck_text, name=deck_name)
    frame = load_csv(csv_bytes, name=csv_name, numeric=deck_columns(deck))
    dims, options = _dimensions_of(frame, set(deck_columns(deck)))
    digest = hashlib.sha256((deck_text if isinstance(deck_text, bytes) else deck_text.encode()) + csv_bytes)
    return DeckSource(deck=deck, frame=frame, calendar=frame[DATE_COLUMN].unique().sort(), dimensions=dims,
                      options=options, key=f"csv:{digest.hexdigest()[:16]}", label=f"{deck_name} + {csv_name}")


def csv_columns(csv_bytes: bytes, *, name: str = "data.csv") -> pl.DataFrame:
    """The CSV as text columns (to pick a date column, value columns and dimensions from)."""
    try:
        frame = pl.read_csv(csv_bytes, infer_schema=False, truncate_ragged_lines=True)
    except Exception as exc:  # polars raises several kinds of parse errors; all mean the same to a user
        raise ValidationFailed(Problem(f"not a readable CSV: {str(exc).splitlines()[0]}", file=name)) from None
    frame = frame.rename({c: c.lstrip("\ufeff").strip() for c in frame.columns})
    if frame.is_empty():
        raise ValidationFailed(Problem("the CSV has no rows", file=name))
    return frame


def picked_source(csv_bytes: bytes, *, date_column: str, values: dict[str, str],
                  dimensions: list[str] | tuple[str, ...] = (), name: str = "data.csv",
                  week_ends_on: str = "Saturday") -> DeckSource:
    """A deck written for a plain CSV: one 6/12 chart per picked value column, aggregated as picked."""
    raw = csv_columns(csv_bytes, name=name)
    problems = [Problem(f"the CSV has no column '{c}'", file=name, field=c)
                for c in [date_column, *values, *dimensions] if c not in raw.columns]
    problems += [Problem(f"aggregation '{a}' is not one of {', '.join(AGGREGATIONS)}", field=c)
                 for c, a in values.items() if a not in AGGREGATIONS]
    if not values:
        problems.append(Problem("pick at least one value column", file=name))
    if problems:
        raise ValidationFailed(problems)
    dates, _ = parse_dates(raw[date_column].str.strip_chars())
    if dates is None:
        raise ValidationFailed(Problem(f"column '{date_column}' does not hold dates in one format", file=name,
                                       field=date_column))
    columns = {DATE_COLUMN: dates}
    for col in values:
        cleaned = raw[col].str.strip_chars().str.replace_all(r"[,$%\s]", "")
        number = cleaned.cast(pl.Float64, strict=False)
        bad = (number.is_null() & cleaned.is_not_null() & (cleaned != "")).arg_true()
        if bad.len():
            row = int(bad[0])
            raise ValidationFailed(Problem(f"'{raw[col][row]}' is not a number", file=name, row=row + 2, field=col))
        columns[col] = number
    for dim in dimensions:
        columns[dim] = raw[dim]
    frame = pl.DataFrame(columns).filter(pl.col(DATE_COLUMN).is_not_null()).sort(DATE_COLUMN)
    metrics = {col: {"column": col, "aggf": agg} for col, agg in values.items()}
    blocks = [{"block": {"ui_type": "6_12Graph", "title": col, "metrics": {col: {}}}} for col in values]
    deck = parse_deck({"setup": {"title": f"WBR of {name}", "week_ends_on": week_ends_on},
                       "metrics": metrics, "deck": blocks}, name=name)
    options = {d: sorted(frame[d].drop_nulls().unique().to_list()) for d in dimensions}
    digest = hashlib.sha256(csv_bytes + repr((date_column, values, list(dimensions), week_ends_on)).encode())
    return DeckSource(deck=deck, frame=frame, calendar=frame[DATE_COLUMN].unique().sort(),
                      dimensions=tuple(dimensions), options=options, key=f"picked:{digest.hexdigest()[:16]}",
                      label=f"{name} (picked columns)")


# ----------------------------------------------------------------------------------------------------------------
# computing

def _weekday(deck: Deck) -> int:
    if deck.setup.week_ends_on is not None:
        return deck.setup.week_ends_on
    if deck.setup.week_ending is not None:
        return deck.setup.week_ending.weekday()
    return 5


def week_endings(source: DeckSource, limit: int = 104) -> list[dt.date]:
    """The weeks that can be reviewed, newest first (the first is the last complete week of the data)."""
    last = last_complete_week_ending(source.end, _weekday(source.deck))
    weeks = []
    while last - dt.timedelta(days=6) >= source.start and len(weeks) < limit:
        weeks.append(last)
        last -= dt.timedelta(days=7)
    return weeks or [last_complete_week_ending(source.end, _weekday(source.deck))]


def default_week(source: DeckSource, weeks: list[dt.date] | None = None) -> dt.date:
    """The week a page opens on: the deck's own `week_ending` when it declares one the data covers, else the last
    complete week of the data."""
    weeks = weeks if weeks is not None else week_endings(source)
    declared = source.deck.setup.week_ending
    return declared if declared is not None and declared in weeks else weeks[0]


def normalise_filters(filters: dict[str, list[str]] | None) -> dict[str, list[str]]:
    """Only the dimensions with a choice, in a stable order (so equal filters give equal cache keys)."""
    return {k: sorted(v) for k, v in sorted((filters or {}).items()) if v}


def filtered_frame(source: DeckSource, filters: dict[str, list[str]] | None = None) -> pl.DataFrame:
    filters = normalise_filters(filters)
    if source.rollup and source.risk is not None:
        return daily_for(source.risk, filters)
    return filter_rows(source.frame, filters)


def compute_source(source: DeckSource, week_ending: dt.date | None = None,
                   filters: dict[str, list[str]] | None = None) -> DeckResult:
    """Every block of the source's deck for the week, over the rows the filters keep."""
    frame = filtered_frame(source, filters)
    return compute_deck(source.deck, frame, week_ending, calendar_days=source.calendar)


def compute_risk_deck(data: RiskData, week_ending: dt.date | None = None,
                      filters: dict[str, list[str]] | None = None) -> DeckResult:
    return compute_source(risk_source(data), week_ending, filters)


# ----------------------------------------------------------------------------------------------------------------
# drill-down

@dataclass(frozen=True)
class DrillDown:
    """The rows behind one metric's number for a week: which inputs, what each counts, and the rows."""

    metric: str
    week_start: dt.date
    week_ending: dt.date
    parts: list[tuple[str, str, pl.DataFrame]]  # (column, what it counts, rows)

    @property
    def row_count(self) -> int:
        return sum(rows.height for _, _, rows in self.parts)


def metric_columns(deck: Deck, metric: str) -> list[str]:
    """The data columns a metric is computed from (through function metrics), in order, without repeats."""
    decls = dict(deck.metrics)
    out: list[str] = []

    def visit(name: str, inline: dict | None = None, depth: int = 0) -> None:
        if depth > 20:
            return
        decl = decls.get(name)
        if decl is None and inline is not None:
            for item in next(iter(inline.values())):
                body = item.get("metric") or {}
                visit(body.get("name", ""), body.get("function"), depth + 1)
            return
        if decl is None:
            return
        column = decl.column if decl.kind == "column" else decl.filter.base_column if decl.kind == "filter" else None
        if column:
            if column not in out:
                out.append(column)
            return
        for operand in decl.operands():
            visit(operand.name, operand.function, depth + 1)

    base = deck.resolve(metric)[0] if metric not in decls else metric
    visit(base)
    return out


def _rule_week(rows: pl.DataFrame) -> pl.DataFrame:
    """Hits per rule over the week (the daily rows summed), highest volume first."""
    if rows.is_empty():
        return rows
    return (rows.group_by("rule_id", "rule", *DIMENSIONS)
            .agg(pl.col("hits").sum(), pl.col("hits_confirmed_bad").sum(), pl.col("hits_false_positive").sum())
            .with_columns(precision=pl.when((pl.col("hits_confirmed_bad") + pl.col("hits_false_positive")) > 0)
                          .then(pl.col("hits_confirmed_bad")
                                / (pl.col("hits_confirmed_bad") + pl.col("hits_false_positive"))))
            .sort("hits", "rule_id", descending=[True, False]))


def drill_down(source: DeckSource, metric: str, week_ending: dt.date,
               filters: dict[str, list[str]] | None = None) -> DrillDown:
    """The rows behind `metric`'s number for the week ending `week_ending`, under the same filters."""
    filters = normalise_filters(filters)
    week_start = week_ending - dt.timedelta(days=6)
    columns = metric_columns(source.deck, metric)
    if not columns:
        raise UserError(f"'{metric}' is not a metric of this deck.")
    parts: list[tuple[str, str, pl.DataFrame]] = []
    if source.risk is not None:
        seen: set[tuple[str, str]] = set()
        for column in columns:
            spec = DRILL_SPECS.get(column)
            if spec is None:
                continue
            rows = rows_behind(source.risk, column, week_ending, filters)
            if spec.records == "rule_days":
                if ("rule_days", "") in seen:
                    continue
                seen.add(("rule_days", ""))
                rows = _rule_week(rows)
                parts.append((column, "rule hits in the week, per rule (confirmed bad, false positive, precision)",
                              rows))
                continue
            parts.append((column, COLUMN_DESCRIPTIONS.get(column, column), rows))
    else:
        rows = filter_rows(source.frame, filters).filter(pl.col(DATE_COLUMN).is_between(week_start, week_ending))
        keep = [DATE_COLUMN, *source.dimensions, *[c for c in columns if c in rows.columns]]
        parts.append((", ".join(columns), "the data rows of the week", rows.select(keep)))
    return DrillDown(metric=metric, week_start=week_start, week_ending=week_ending, parts=parts)


# ----------------------------------------------------------------------------------------------------------------
# decks saved on the server

SAVED_DECKS_FOLDER = "decks"


@dataclass(frozen=True)
class SavedDeck:
    """A deck YAML with its daily CSV beside it (same name) in the state folder's `decks/`: a team's own WBR that
    everyone opens without uploading files each week."""

    name: str
    deck_path: Path
    csv_path: Path

    @property
    def key(self) -> str:
        stat_d, stat_c = self.deck_path.stat(), self.csv_path.stat()
        return f"{self.name}:{stat_d.st_mtime_ns}:{stat_d.st_size}:{stat_c.st_mtime_ns}:{stat_c.st_size}"


def saved_decks(home: Path) -> list[SavedDeck]:
    """Every `<name>.yaml` (or .yml) in `home/decks/` that has a `<name>.csv` beside it, by name."""
    folder = Path(home) / SAVED_DECKS_FOLDER
    if not folder.is_dir():
        return []
    out = []
    for deck_path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        csv_path = deck_path.with_suffix(".csv")
        if csv_path.is_file():
            out.append(SavedDeck(deck_path.stem, deck_path, csv_path))
    return out


def saved_source(saved: SavedDeck) -> DeckSource:
    source = csv_source(saved.deck_path.read_bytes(), saved.csv_path.read_bytes(), deck_name=saved.deck_path.name,
                        csv_name=saved.csv_path.name)
    return DeckSource(deck=source.deck, frame=source.frame, calendar=source.calendar, dimensions=source.dimensions,
                      options=source.options, key=f"saved:{saved.key}", label=f"Saved deck {saved.name}")


# ----------------------------------------------------------------------------------------------------------------
# events drawn on the charts

EVENT_MIN_RETIREMENTS = 3  # a week retiring this many rules is worth a note on the precision chart


def chart_events(source: DeckSource, result: DeckResult,
                 filters: dict[str, list[str]] | None = None) -> dict[str, list[tuple[str, str]]]:
    """Events to annotate per charted metric, as (x-axis label, text): weeks of the six shown in which several
    rules were retired, on the metrics computed from rule hits (precision moves when noisy rules go)."""
    if source.risk is None:
        return {}
    frame = filtered_frame(source, filters)
    out: dict[str, list[tuple[str, str]]] = {}
    for block in result.graphs():
        name = block.primary.name
        if not {"hits_confirmed_bad", "hits_false_positive"} & set(metric_columns(source.deck, name)):
            continue
        for label, end in zip(block.week_labels, block.week_ends):
            retired = frame.filter(pl.col(DATE_COLUMN).is_between(end - dt.timedelta(days=6), end))[
                "rules_retired"].sum()
            if retired >= EVENT_MIN_RETIREMENTS:
                out.setdefault(name, []).append((label, f"{int(retired)} rules retired"))
    return out
