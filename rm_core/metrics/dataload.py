"""Daily CSVs as people export them, loaded into polars: one `Date` column of dates, numbers as Float64.

Accepts a byte-order mark, quoted numbers with thousands separators ("1,234"), percentages ("56%"), dates like
`Sun, 05-Jan-2020`, `2020-01-05`, `1/5/20` or `1/5/2020`, duplicate column names (the second becomes `Name.1`,
as pandas names it) and blank trailing rows. Anything else is refused with the file, row and column.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO, Iterable

import polars as pl

from rm_core.errors import Problem, ValidationFailed

DATE_COLUMN = "Date"
# Tried in order; the first format that reads every date of the file wins (month-first before day-first,
# as pandas and spreadsheet exports in the US do).
DATE_FORMATS = (
    "%a, %d-%b-%Y", "%A, %d-%b-%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d-%b-%Y",
    "%m/%d/%Y", "%m/%d/%y", "%Y/%m/%d", "%d/%m/%Y", "%d.%m.%Y", "%d %b %Y", "%b %d, %Y", "%d-%b-%y",
)
_GROUPED = r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$"


def _read_bytes(source: str | Path | bytes | BinaryIO, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), name or "upload.csv"
    if hasattr(source, "read"):
        return source.read(), name or getattr(source, "name", "upload.csv")
    path = Path(source)
    try:
        return path.read_bytes(), name or str(path)
    except OSError as exc:
        raise ValidationFailed(Problem(f"cannot read the file: {exc.strerror}", file=name or str(path))) from None


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _unique_names(header: list[str | None]) -> list[str]:
    names: list[str] = []
    seen: dict[str, int] = {}
    for i, value in enumerate(header):
        base = (value or "").strip() or f"Unnamed: {i}"
        name = base
        while name in seen:
            seen[base] += 1
            name = f"{base}.{seen[base]}"
        seen.setdefault(name, 0)
        names.append(name)
    return names


def parse_dates(values: pl.Series) -> tuple[pl.Series | None, str | None]:
    """The values as dates with the first format that reads them all, and that format; (None, None) if none."""
    present = values.drop_nulls()
    sample = present.head(50)
    for fmt in DATE_FORMATS:
        if _read_dates(sample, fmt).null_count():  # a cheap look at a few values rules most formats out
            continue
        parsed = _read_dates(values, fmt)
        ok = parsed.drop_nulls()
        if len(ok) == len(present) and (len(ok) == 0 or (ok.dt.year().min() >= 1900 and ok.dt.year().max() <= 2200)):
            return parsed.alias(DATE_COLUMN), fmt
    return None, None


def _read_dates(values: pl.Series, fmt: str) -> pl.Series:
    if "%H" in fmt:
        return values.str.to_datetime(fmt, strict=False).dt.date()
    return values.str.to_date(fmt, strict=False)


def _number_parts(column: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(the text without $ € £ and %, the same without commas, whether it was a percentage) of a text column."""
    text = pl.col(column).str.strip_chars().str.strip_chars_start("$€£")
    percent = text.str.ends_with("%").fill_null(False)
    body = pl.when(percent).then(text.str.strip_chars_end("%").str.strip_chars()).otherwise(text)
    return body, body.str.replace_all(",", "", literal=True), percent


def _number_checks(column: str) -> list[pl.Expr]:
    """Whether every value reads as a number once commas are dropped, and whether any value has a comma."""
    body, plain, _ = _number_parts(column)
    return [(plain.cast(pl.Float64, strict=False).is_not_null() | body.is_null()).all().alias(column),
            body.str.contains(",", literal=True).any().alias(column + "\0comma")]


def _commas_group_thousands(column: str) -> pl.Expr:
    body, _, _ = _number_parts(column)
    return (~body.str.contains(",", literal=True) | body.str.contains(_GROUPED)).fill_null(True).all().alias(column)


def _as_number(column: str) -> pl.Expr:
    _, plain, percent = _number_parts(column)
    number = plain.cast(pl.Float64, strict=False)
    return pl.when(percent).then(number / 100).otherwise(number).alias(column)


def numeric_columns(frame: pl.DataFrame, columns: list[str]) -> list[str]:
    """The text columns of `frame` whose every value is a number ("1,234", "56%", "$3" included)."""
    if not columns:
        return []
    checks = frame.select([e for c in columns for e in _number_checks(c)]).row(0, named=True)
    ok = [c for c in columns if checks[c]]
    with_commas = [c for c in ok if checks[c + "\0comma"]]
    if with_commas:  # "1,2" is no number: commas must group thousands
        grouped = frame.select([_commas_group_thousands(c) for c in with_commas]).row(0, named=True)
        ok = [c for c in ok if c not in grouped or grouped[c]]
    return ok


def _numeric(values: pl.Series) -> pl.Series | None:
    """The column as Float64 when every non-empty value is a number (thousands separators, % and $ allowed)."""
    frame = values.to_frame()
    if not numeric_columns(frame, [values.name]):
        return None
    return frame.select(_as_number(values.name)).to_series()


def first_non_number(values: pl.Series) -> tuple[int, str] | None:
    """(index, value) of the first value in a text column that is not a number, for a refusal message."""
    for i, value in enumerate(values.to_list()):
        if value is None or not value.strip():
            continue
        if _numeric(pl.Series(values.name, [value])) is None:
            return i, value
    return None


def load_csv(source: str | Path | bytes | BinaryIO, *, name: str | None = None,
             numeric: Iterable[str] = ()) -> pl.DataFrame:
    """A daily CSV as a polars frame sorted by `Date` (pl.Date); number columns Float64, others text.

    `numeric` lists columns that must hold numbers (the columns a deck reads); a column that does not, or is
    absent, is refused with the first offending row. Rows that are entirely blank are dropped.
    """
    raw, name = _read_bytes(source, name)
    text = _decode(raw)
    if not text.strip():
        raise ValidationFailed(Problem("the file is empty", file=name))
    try:
        grid = pl.read_csv(io.StringIO(text), has_header=False, infer_schema=False, truncate_ragged_lines=True,
                           quote_char='"')
    except pl.exceptions.PolarsError as exc:
        raise ValidationFailed(Problem(f"not a readable CSV file ({str(exc).splitlines()[0]})", file=name)) from None
    header = _unique_names(list(grid.row(0)))
    body = grid.slice(1).rename(dict(zip(grid.columns, header)))
    # file line of each data row (line 1 is the header); kept until every check has had its chance to cite it
    body = body.with_row_index("__line", offset=2)
    values = [c for c in header]
    body = body.filter(pl.any_horizontal(pl.col(values).str.strip_chars().str.len_chars() > 0))
    body = body.with_columns(pl.col(values).str.strip_chars()).with_columns(
        [pl.when(pl.col(c).str.len_chars() == 0).then(None).otherwise(pl.col(c)).alias(c) for c in values])

    date_col = next((c for c in header if c.strip().lower() == DATE_COLUMN.lower()), None)
    if date_col is None:
        raise ValidationFailed(Problem(f"no '{DATE_COLUMN}' column; the first row names the columns and one of "
                                       f"them must be {DATE_COLUMN} (found: {', '.join(header[:12])})",
                                       file=name, row=1))
    if date_col != DATE_COLUMN:
        body = body.rename({date_col: DATE_COLUMN})
        values = [DATE_COLUMN if c == date_col else c for c in values]

    problems: list[Problem] = []
    no_date = body.filter(pl.col(DATE_COLUMN).is_null())
    for line in no_date["__line"].head(5).to_list():
        problems.append(Problem("this row has values but no date", file=name, row=line, field=DATE_COLUMN))
    dates, fmt = parse_dates(body[DATE_COLUMN])
    if dates is None:
        # name the first value the most successful format cannot read
        column = body[DATE_COLUMN]
        best = min((f for f in DATE_FORMATS if "%H" not in f),
                   key=lambda f: column.str.to_date(f, strict=False).null_count())
        parsed = column.str.to_date(best, strict=False)
        bad = body.filter(parsed.is_null() & body[DATE_COLUMN].is_not_null()).head(1)
        problems.append(Problem(f"'{bad[DATE_COLUMN][0]}' is not a date this file's other dates agree with "
                                "(expected e.g. 2020-01-05, 1/5/2020 or Sun, 05-Jan-2020)", file=name,
                                row=bad["__line"][0], field=DATE_COLUMN))
        raise ValidationFailed(problems)
    body = body.with_columns(dates)
    if problems:
        raise ValidationFailed(problems)

    others = [c for c in values if c != DATE_COLUMN]
    if others:  # plain numbers first (one cheap pass); only the rest go through the cleaning of "1,234" or "56%"
        nulls = body.select([pl.col(c).null_count() for c in others]).row(0)
        cast = body.select([pl.col(c).cast(pl.Float64, strict=False).null_count() for c in others]).row(0)
        plain = [c for c, a, b in zip(others, nulls, cast) if a == b]
        cleaned = numeric_columns(body, [c for c in others if c not in plain])
        body = body.with_columns([pl.col(c).cast(pl.Float64, strict=False) for c in plain]
                                 + [_as_number(c) for c in cleaned])

    for column in numeric:
        if column not in body.columns:
            problems.append(Problem(f"the deck reads column '{column}', which this file does not have "
                                    f"(columns: {', '.join(c for c in values[:15])})", file=name, field=column))
        elif body[column].dtype == pl.String:
            hit = first_non_number(body[column])
            if hit is not None:
                problems.append(Problem(f"'{hit[1]}' is not a number", file=name, row=body["__line"][hit[0]],
                                        field=column))
    if problems:
        raise ValidationFailed(problems)
    return body.drop("__line").sort(DATE_COLUMN, maintain_order=True)
