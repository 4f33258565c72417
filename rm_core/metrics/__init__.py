"""Metrics (WBR): deck declarations, CSV loading, the engine and its typed results — what pages may import.

Names load on first use (PEP 562), so `python -m rm_core --help` does not pay for polars and pydantic.
"""
from __future__ import annotations

import importlib
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "dataload": ("load_csv",),
    "deck": ("Block", "Deck", "MetricDecl", "Setup", "deck_for_columns", "load_deck", "parse_deck"),
    "drilldown": ("Move", "metric_moves", "rows_behind"),
    "engine": ("box_change", "compute_deck", "judge_rag", "last_complete_week_ending", "ratio_change",
               "resolve_week_ending"),
    "formatting": ("format_box", "format_change", "format_point", "format_value"),
    "render": ("deck_html", "deck_markdown"),
    "results": ("Annotation", "BOX_LABELS", "BOX_NAMES", "DeckResult", "EmbeddedBlock", "GraphBlock", "MetricInfo",
                "MetricSeries", "SectionBlock", "TableBlock", "TableRowResult"),
}
_HOME = {name: module for module, names in _EXPORTS.items() for name in names}

if TYPE_CHECKING:  # for editors and type checkers; at run time __getattr__ below imports on demand
    from rm_core.metrics.dataload import load_csv  # noqa: F401
    from rm_core.metrics.deck import Block, Deck, MetricDecl, Setup, deck_for_columns, load_deck, parse_deck  # noqa
    from rm_core.metrics.drilldown import Move, metric_moves, rows_behind  # noqa: F401
    from rm_core.metrics.engine import (  # noqa: F401
        box_change, compute_deck, judge_rag, last_complete_week_ending, ratio_change, resolve_week_ending,
    )
    from rm_core.metrics.formatting import format_box, format_change, format_point, format_value  # noqa: F401
    from rm_core.metrics.render import deck_html, deck_markdown  # noqa: F401
    from rm_core.metrics.results import (  # noqa: F401
        BOX_LABELS, BOX_NAMES, Annotation, DeckResult, EmbeddedBlock, GraphBlock, MetricInfo, MetricSeries,
        SectionBlock, TableBlock, TableRowResult,
    )


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'rm_core.metrics' has no attribute '{name}'")
    value = getattr(importlib.import_module(f"rm_core.metrics.{module}"), name)
    globals()[name] = value
    return value


def deck_columns(deck: Deck) -> list[str]:
    """The data columns a deck reads (so a CSV can be checked against them with row numbers)."""
    columns: list[str] = []
    for decl in deck.metrics.values():
        column = decl.column if decl.kind == "column" else decl.filter.base_column if decl.kind == "filter" else None
        if column and column not in columns:
            columns.append(column)
    return columns


def compute_file(deck_path: str | Path, csv_path: str | Path, week_ending: date | None = None,
                 events: str | Path | None = None) -> DeckResult:
    """Load a deck file and a daily CSV (and an events CSV) and compute the deck (what `metrics wbr` prints)."""
    from rm_core.metrics.dataload import load_csv
    from rm_core.metrics.deck import load_deck
    from rm_core.metrics.engine import compute_deck

    deck = load_deck(Path(deck_path))
    frame = load_csv(Path(csv_path), numeric=deck_columns(deck))
    annotations = load_csv(Path(events)) if events else None
    return compute_deck(deck, frame, week_ending, events=annotations)


__all__ = sorted([*_HOME, "compute_file", "deck_columns"])
