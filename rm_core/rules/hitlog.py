"""Reading a rule hit log (Parquet or CSV): validate every row, then turn it into compact integer codes.

A hit log has one row per rule hit: `rule_id`, `entity_id`, `event_time`, `label` (confirmed_bad,
false_positive or unlabeled), optionally `action` (enforced or shadow; a missing column or blank value means
enforced) and `amount_usd`. Anything else is refused as a whole with a `ValidationFailed` naming the file, the
column, the first bad row and the value. Rows are numbered from 1 (the first data row, under the header).

Model detectors (issue #18) share the log: a model row names its model in `detector_id` (not `rule_id`) and
carries `score` (0–1) and the model's current `threshold` (0–1, the same on every row of the model). Rows
scored below the threshold are kept: they are what a lower threshold would flag. A row that fills both
`rule_id` and a model field, a model row without score or threshold, or a score outside 0–1 is refused.
"""
from __future__ import annotations

import io
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import BinaryIO

import numpy as np
import polars as pl

from rm_core.errors import Problem, UserError, ValidationFailed

REQUIRED_COLUMNS = ("rule_id", "entity_id", "event_time", "label")
OPTIONAL_COLUMNS = ("action", "amount_usd")
MODEL_COLUMNS = ("detector_id", "score", "threshold")  # model rows; a log may hold only these, no rule_id
# Code order is the precedence order: an entity's label is the highest code among its hits.
LABELS = ("unlabeled", "false_positive", "confirmed_bad")
UNLABELED, FALSE_POSITIVE, CONFIRMED_BAD = 0, 1, 2
ACTIONS = ("enforced", "shadow")

_TIME_HINT = "use ISO dates or timestamps such as 2026-05-31 or 2026-05-31T14:02:00Z"


@dataclass(frozen=True, eq=False)
class HitLog:
    """A validated hit log as per-row integer codes (row order kept); names are looked up by code.

    rule: index into `rule_ids` (sorted names); entity: index into `entity_ids`; label: index into LABELS;
    enforced: True unless the hit's action is shadow; event_time: datetime64[us] (UTC, naive);
    amount_usd: float64 with NaN where blank, or None when the log has no such column.
    """

    source: str
    rule_ids: tuple[str, ...]
    entity_ids: pl.Series
    rule: np.ndarray
    entity: np.ndarray
    label: np.ndarray
    enforced: np.ndarray
    event_time: np.ndarray
    amount_usd: np.ndarray | None
    score: np.ndarray | None = None  # float64 per row, NaN on rule rows; None when the log has no model
    thresholds: dict[str, float] | None = None  # model id -> current threshold

    @property
    def model_ids(self) -> tuple[str, ...]:
        return tuple(r for r in self.rule_ids if r in (self.thresholds or {}))

    @property
    def rows(self) -> int:
        return int(self.rule.size)

    @property
    def first_day(self) -> date:
        return _day(self.event_time.min())

    @property
    def last_day(self) -> date:
        return _day(self.event_time.max())

    def window_mask(self, since: date | None, until: date | None) -> np.ndarray | None:
        """Rows in [since, until] (whole days, inclusive), or None when the window keeps every row."""
        mask = None
        if since is not None:
            mask = self.event_time >= np.datetime64(datetime.combine(since, time.min), "us")
        if until is not None:
            end = self.event_time < np.datetime64(datetime.combine(until + timedelta(days=1), time.min), "us")
            mask = end if mask is None else mask & end
        return mask


def _day(value: np.datetime64) -> date:
    return value.astype("datetime64[D]").item()


def load_hit_log(source: str | Path | bytes | BinaryIO | pl.DataFrame, *, name: str | None = None) -> HitLog:
    """Read and validate a hit log from a path, uploaded bytes, or a polars frame (e.g. the demo log).

    `name` is what messages call the file (defaults to the path's name). Files and bytes are sniffed for
    Parquet's magic number; anything else is read as CSV.
    """
    label = name or (Path(source).name if isinstance(source, (str, Path)) else "uploaded file")
    lazy = source.lazy() if isinstance(source, pl.DataFrame) else _scan(source, label)
    try:
        schema = lazy.collect_schema()
    except pl.exceptions.NoDataError:
        raise ValidationFailed(Problem("the file is empty (no header, no rows)", file=label)) from None
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise ValidationFailed(Problem(f"not a readable Parquet or CSV file ({_short(exc)})", file=label)) from None
    has_models = "detector_id" in schema
    missing = [c for c in REQUIRED_COLUMNS if c not in schema and not (c == "rule_id" and has_models)]
    if has_models:
        missing += [c for c in ("score", "threshold") if c not in schema]
    if missing and len(schema) == 1 and any(sep in next(iter(schema)) for sep in ";\t|"):
        raise ValidationFailed(Problem("the header reads as one column; save the file as comma-separated CSV",
                                       file=label, field=next(iter(schema))))
    if missing:
        raise ValidationFailed([Problem(f"missing column '{c}' (a hit log needs {', '.join(REQUIRED_COLUMNS)})",
                                        file=label, field=c) for c in missing])
    unknown = [c for c in schema if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS + MODEL_COLUMNS]
    if unknown:  # a misspelt `acton` or `amount` would otherwise be ignored and every hit read as enforced
        known = ", ".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS + MODEL_COLUMNS)
        raise ValidationFailed([Problem(f"unknown column (a hit log has {known})", file=label, row=1, field=c)
                                for c in unknown])
    problems: list[Problem] = []
    exprs = [(pl.col("rule_id").cast(pl.String) if "rule_id" in schema else pl.lit(None, pl.String).alias("rule_id")),
             pl.col("entity_id").cast(pl.String), pl.col("label").cast(pl.String)]
    if has_models:
        exprs.append(pl.col("detector_id").cast(pl.String))
        for c in ("score", "threshold"):
            raw = pl.col(c).cast(pl.String).str.strip_chars()
            exprs += [raw.cast(pl.Float64, strict=False).alias(c), raw.alias(f"_raw_{c}")]
    exprs += _time_exprs(schema["event_time"], label, problems)
    if "action" in schema:
        exprs.append(pl.col("action").cast(pl.String))
    if "amount_usd" in schema:
        exprs += _amount_exprs(schema["amount_usd"], label, problems)
    if problems:
        raise ValidationFailed(problems)
    try:
        frame = lazy.select(exprs).collect()
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise ValidationFailed(Problem(f"could not be read ({_short(exc)})", file=label)) from None
    if frame.height == 0:
        raise ValidationFailed(Problem("the file has a header but no hits", file=label))
    if "_raw_event_time" in frame.columns:
        frame = _parse_times(frame)
    return _encode(frame, label)


def _short(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__


def _scan(source: str | Path | bytes | BinaryIO, label: str) -> pl.LazyFrame:
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise UserError(f"{label}: no such file ({path})")
        if path.stat().st_size == 0:
            raise ValidationFailed(Problem("the file is empty (no header, no rows)", file=label))
        with path.open("rb") as fh:
            is_parquet = fh.read(4) == b"PAR1"
        if is_parquet:
            return pl.scan_parquet(path)
        return pl.scan_csv(path, infer_schema=False)
    data = source if isinstance(source, bytes) else source.read()
    if not data:
        raise ValidationFailed(Problem("the file is empty (no header, no rows)", file=label))
    try:
        if data[:4] == b"PAR1":
            return pl.read_parquet(io.BytesIO(data)).lazy()
        return pl.read_csv(io.BytesIO(data), infer_schema=False).lazy()
    except pl.exceptions.NoDataError:
        raise ValidationFailed(Problem("the file is empty (no header, no rows)", file=label)) from None
    except pl.exceptions.PolarsError as exc:
        raise ValidationFailed(Problem(f"not a readable Parquet or CSV file ({_short(exc)})", file=label)) from None


def _time_exprs(dtype: pl.DataType, label: str, problems: list[Problem]) -> list[pl.Expr]:
    col = pl.col("event_time")
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            col = col.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        return [col.dt.cast_time_unit("us")]
    if dtype == pl.Date:
        return [col.cast(pl.Datetime("us"))]
    if dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum)):
        return [col.cast(pl.String).alias("_raw_event_time")]
    problems.append(Problem(f"column holds {dtype} values, not timestamps; {_TIME_HINT}", file=label,
                            field="event_time"))
    return [col]


def _time_parsers(text: pl.Expr) -> list[pl.Expr]:
    """Every accepted way of writing a time, most common first; results are naive UTC."""
    x = text.str.strip_chars().str.replace(r"(?i)z$", "+00:00")

    def aware(fmt: str) -> pl.Expr:
        return x.str.to_datetime(fmt, strict=False, time_unit="us", time_zone="UTC").dt.replace_time_zone(None)

    def naive(fmt: str) -> pl.Expr:
        return x.str.to_datetime(fmt, strict=False, time_unit="us")

    return [
        naive("%Y-%m-%dT%H:%M:%S%.f"), naive("%Y-%m-%d %H:%M:%S%.f"),
        aware("%Y-%m-%dT%H:%M:%S%.f%z"), aware("%Y-%m-%d %H:%M:%S%.f%z"),
        naive("%Y-%m-%dT%H:%M"), naive("%Y-%m-%d %H:%M"),
        x.str.to_date("%Y-%m-%d", strict=False).cast(pl.Datetime("us")),
    ]


def _parse_times(frame: pl.DataFrame) -> pl.DataFrame:
    """Turn the raw `_raw_event_time` text into `event_time` (null where nothing parses).

    A file usually writes every time the same way: the way that reads a sample is applied to all rows, and
    only the rows it misses go through every accepted way (trying all ways on all rows is several times
    slower on a million-row CSV).
    """
    raw = pl.col("_raw_event_time")
    sample = frame.select(raw.drop_nulls().head(1_000))
    parsers = _time_parsers(raw)
    main = next((p for p in parsers if sample.select(p.is_not_null().all()).item()), parsers[0])
    parsed = frame.select(main.alias("event_time"))["event_time"]
    missed = (parsed.is_null() & frame["_raw_event_time"].is_not_null()).arg_true()
    if missed.len():
        rescued = frame[missed].select(pl.coalesce(parsers).alias("event_time"))["event_time"]
        parsed = parsed.scatter(missed, rescued)
    return frame.with_columns(parsed)


def _amount_exprs(dtype: pl.DataType, label: str, problems: list[Problem]) -> list[pl.Expr]:
    col = pl.col("amount_usd")
    if dtype.is_numeric() or dtype == pl.Null:
        return [col.cast(pl.Float64)]
    if dtype == pl.String:
        # Spreadsheet exports often carry "$1,234.50"; anything else that is not a number is refused.
        parsed = col.str.strip_chars().str.replace_all(r"^\$|,", "").cast(pl.Float64, strict=False)
        return [parsed.alias("amount_usd"), col.alias("_raw_amount_usd")]
    problems.append(Problem(f"column holds {dtype} values, not amounts in USD", file=label, field="amount_usd"))
    return [col]


def _blank(column: str) -> pl.Expr:
    return pl.col(column).is_null() | (pl.col(column) == "")


def _encode(frame: pl.DataFrame, label: str) -> HitLog:
    # Entity ids are the expensive column: encode them on the second core while this thread checks the
    # rows and encodes the rest (numpy and polars release the GIL for their heavy loops).
    with ThreadPoolExecutor(max_workers=1) as pool:
        entities = pool.submit(_dense_codes, frame["entity_id"])
        frame = frame.with_columns(
            (pl.when(pl.col("label") == "confirmed_bad").then(CONFIRMED_BAD)
             .when(pl.col("label") == "false_positive").then(FALSE_POSITIVE)
             .when(pl.col("label") == "unlabeled").then(UNLABELED)
             .otherwise(-1).cast(pl.Int8).alias("_label_code")),
            ((pl.col("action") != "shadow").fill_null(True) if "action" in frame.columns
             else pl.lit(True)).alias("_enforced"),
        )
        _check(frame, label)
        score, thresholds = None, None
        if "detector_id" in frame.columns:
            model_row = ~_blank_value(frame["detector_id"])
            thresholds = _model_thresholds(frame, model_row, label)
            frame = frame.with_columns(pl.when(model_row.alias("m")).then(pl.col("detector_id"))
                                       .otherwise(pl.col("rule_id")).alias("rule_id"))
            score = frame["score"].fill_null(float("nan")).to_numpy().copy()
            score[~model_row.to_numpy()] = np.nan
        rule_codes, rule_names = _dense_codes(frame["rule_id"])
        order = np.array(sorted(range(rule_names.len()), key=lambda i: _natural(rule_names[i])), dtype=np.int64)
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        amount = None
        if "amount_usd" in frame.columns:
            amount = frame["amount_usd"].cast(pl.Float64).fill_null(float("nan")).to_numpy()
        rule_ids = tuple(rule_names.gather(order).to_list())
        rule = rank.astype(np.int32)[rule_codes]
        entity_codes, entity_names = entities.result()
    return HitLog(
        source=label,
        rule_ids=rule_ids,
        entity_ids=entity_names.alias("entity_id"),
        rule=rule,
        entity=entity_codes,
        label=frame["_label_code"].to_numpy(),
        enforced=frame["_enforced"].to_numpy(),
        event_time=frame["event_time"].to_numpy().astype("datetime64[us]", copy=False),
        amount_usd=amount,
        score=score,
        thresholds=thresholds,
    )


def _blank_value(values: pl.Series) -> pl.Series:
    return values.is_null() | (values.str.strip_chars() == "")


def _model_thresholds(frame: pl.DataFrame, model_row: pl.Series, label: str) -> dict[str, float]:
    """Each model's threshold; a model whose rows disagree on it is refused, naming the first row that differs."""
    models = (frame.with_row_index("_row").filter(model_row)
              .group_by("detector_id", maintain_order=True)
              .agg(pl.col("threshold").first().alias("t"), pl.col("threshold").n_unique().alias("k"),
                   pl.col("_row").filter(pl.col("threshold") != pl.col("threshold").first()).first().alias("bad")))
    problems = [Problem(f"model '{m}' has more than one threshold in the log; give its current one on every row",
                        file=label, row=int(bad) + 1, field="threshold")
                for m, _, k, bad in models.iter_rows() if k > 1]
    if problems:
        raise ValidationFailed(problems)
    clash = frame.with_row_index("_row").filter(model_row & (frame["detector_id"].is_in(frame["rule_id"].drop_nulls()
                                                                                      .implode())))
    if clash.height:
        row, name = clash.select("_row", "detector_id").row(0)
        raise ValidationFailed(Problem(f"'{name}' names both a rule and a model; detector ids must be unique",
                                       file=label, row=int(row) + 1, field="detector_id"))
    return {m: float(t) for m, t, _, _ in models.iter_rows()}


def _check(frame: pl.DataFrame, label: str) -> None:
    """Refuse the log, naming file, column, first row and value, if any row breaks a rule of the format."""
    raw_time = "_raw_event_time" if "_raw_event_time" in frame.columns else "event_time"
    # (column to quote, field, message, rows that break it); evaluated together in one pass over the log.
    models = "detector_id" in frame.columns
    checks: list[tuple[str, str, str, pl.Expr]] = [
        ("rule_id", "rule_id", "empty value; every hit needs a rule_id" + (" or a detector_id" if models else ""),
         _blank("rule_id") & (_blank("detector_id") if models else pl.lit(True))),
        ("entity_id", "entity_id", "empty value; every hit needs an entity_id", _blank("entity_id")),
        ("label", "label", "unknown label '{value}'; use confirmed_bad, false_positive or unlabeled",
         pl.col("_label_code") < 0),
        (raw_time, "event_time", "empty value; every hit needs an event_time", pl.col(raw_time).is_null()),
    ]
    if raw_time != "event_time":
        checks.append((raw_time, "event_time", "unparseable time '{value}'; " + _TIME_HINT,
                       pl.col("event_time").is_null() & pl.col(raw_time).is_not_null()))
    if models:
        model, rule = ~_blank("detector_id"), ~_blank("rule_id")
        checks += [
            ("rule_id", "rule_id", "row mixes a rule ('{value}') with model fields; a row is a rule hit (rule_id) "
             "or a model score (detector_id, score, threshold)",
             rule & (model | ~_blank("_raw_score") | ~_blank("_raw_threshold"))),
            ("_raw_score", "score", "model row without a score; give its score (0–1)", model & _blank("_raw_score")),
            ("_raw_score", "score", "score '{value}' is not a number from 0 to 1",
             model & ~_blank("_raw_score") & ~pl.col("score").is_between(0, 1).fill_null(False)),
            ("_raw_threshold", "threshold", "model row without a threshold; give the model's current threshold (0–1)",
             model & _blank("_raw_threshold")),
            ("_raw_threshold", "threshold", "threshold '{value}' is not a number from 0 to 1",
             model & ~_blank("_raw_threshold") & ~pl.col("threshold").is_between(0, 1).fill_null(False)),
        ]
    if "action" in frame.columns:
        checks.append(("action", "action", "unknown action '{value}'; use enforced or shadow (blank means enforced)",
                       (pl.col("action") != "enforced") & (pl.col("action") != "shadow") & (pl.col("action") != "")))
    if "_raw_amount_usd" in frame.columns:
        raw = pl.col("_raw_amount_usd").str.strip_chars()
        checks.append(("_raw_amount_usd", "amount_usd", "not a number: '{value}'",
                       pl.col("amount_usd").is_null() & raw.is_not_null() & (raw != "")))
    counts = frame.select([bad.sum().alias(str(i)) for i, (*_, bad) in enumerate(checks)]).row(0)
    problems: list[Problem] = []
    for (column, field, message, bad), count in zip(checks, counts):
        if not count:
            continue
        row, value = frame.lazy().with_row_index("_row").filter(bad).select("_row", column).head(1).collect().row(0)
        more = f" ({count:,} rows like this)" if count > 1 else ""
        if field == "label" and not value:
            message = "empty value; every hit needs a label"
        problems.append(Problem(message.format(value="" if value is None else value) + more,
                                file=label, row=int(row) + 1, field=field))
    if problems:
        raise ValidationFailed(problems)


def _natural(name: str) -> tuple:
    """Sort key that puts R2 before R10."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name))


def _dense_codes(values: pl.Series) -> tuple[np.ndarray, pl.Series]:
    """Per-row codes 0..k-1 and the k distinct values (code order is arbitrary).

    Hashing the strings once and resolving slots in numpy is several times faster here than a polars
    Categorical cast or group-by on 10 M strings. A second, independent hash proves no two distinct values
    shared the first one; if they ever did, the exact (slower) Categorical path is used instead.
    """
    n = values.len()
    first_hash = values.hash(0x5EED).to_numpy()
    # Size the table for the likely number of distinct values (a sample tells rule ids from entity ids):
    # a small table stays in cache, a large one keeps collisions rare.
    sample = values.head(200_000).n_unique()
    likely = sample if sample < 20_000 else n
    bits = max(8, min(22, int(np.ceil(np.log2(max(4 * likely, 2))))))
    size = 1 << bits
    owner = np.empty(size, dtype=np.int64)  # a row holding the slot's value, -1 when free
    slot_code = np.empty(size, dtype=np.int32)
    codes = np.empty(n, dtype=np.int32)
    representatives = []
    rows = np.arange(n, dtype=np.int64)
    found = 0
    for attempt in range(64):
        hashes = first_hash if attempt == 0 else first_hash[rows]
        multiplier = np.uint64((0x9E3779B97F4A7C15 + 2 * attempt) % (1 << 64))
        slot = ((hashes * multiplier) >> np.uint64(64 - bits)).view(np.int64)
        owner.fill(-1)
        owner[slot] = rows  # values sharing a slot: one row wins it, the others try again next round
        won = first_hash[owner[slot]] == hashes
        taken = np.flatnonzero(owner >= 0)
        slot_code[taken] = np.arange(found, found + taken.size, dtype=np.int32)
        representatives.append(owner[taken])
        found += taken.size
        if attempt == 0:
            np.take(slot_code, slot, out=codes)  # losers get the winner's code here and are redone below
        else:
            codes[rows[won]] = slot_code[slot[won]]
        if won.all():
            break
        rows = rows[~won]
    else:
        return _exact_codes(values)
    representative = np.concatenate(representatives)
    second_hash = values.hash(0xC0FFEE).to_numpy()
    if not np.array_equal(second_hash[representative][codes], second_hash):
        return _exact_codes(values)
    return codes, values.gather(representative)


def _exact_codes(values: pl.Series) -> tuple[np.ndarray, pl.Series]:
    frame = pl.DataFrame({"v": values}).with_columns(c=pl.col("v").rank("dense").cast(pl.Int64) - 1)
    names = frame.unique("c").sort("c")["v"]
    return frame["c"].to_numpy().astype(np.int32), names
