"""Files users download: CSV with formula cells neutralised so a spreadsheet never executes user text."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _needs_quote(text: str) -> bool:
    # a formula, or text that already looks neutralised ("'=x" typed by a user), so that import can undo
    # exactly one quote and every exported cell reads back as it was
    return text.startswith(FORMULA_TRIGGERS) or (text.startswith("'") and _needs_quote(text[1:]))


def neutralise(value: Any) -> Any:
    """Prefix a text cell that a spreadsheet would read as a formula with a quote (OWASP CSV injection advice)."""
    if isinstance(value, str) and _needs_quote(value):
        return "'" + value
    return value


def unneutralise(value: str | None) -> str | None:
    """What `neutralise` wrote, as it was: every importer reads cells through this, so a file the workbench
    exported imports back unchanged (a quote a user typed before ordinary text is kept)."""
    if value and value.startswith("'") and _needs_quote(value[1:]):
        return value[1:]
    return value


def safe_csv_rows(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) for v in row])
    return buf.getvalue()


def safe_csv(data: pl.DataFrame | Sequence[Mapping[str, Any]]) -> str:
    """CSV text of a polars frame or a list of dicts, every text cell neutralised; lists joined with '; '."""
    if isinstance(data, pl.DataFrame):
        header = data.columns
        rows = data.iter_rows()
    else:
        header = list(data[0].keys()) if data else []
        rows = ([r.get(h) for h in header] for r in data)
    return safe_csv_rows(header, ([_cell(v) for v in row] for row in rows))


def _cell(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    return value
