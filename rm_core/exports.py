"""Files users download: CSV with formula cells neutralised so a spreadsheet never executes user text."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Prefix a text cell that a spreadsheet would read as a formula with a quote (OWASP CSV injection advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
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
