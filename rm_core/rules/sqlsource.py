"""Rule what-ifs over hit logs that live in an engine: DuckDB over Parquet, or any SQLAlchemy database.

The heavy work runs where the data lives. Two aggregate queries come back small:
- per (rule, action, day): hits and the latest hit, over the whole table (rule list, log span, per-rule
  stats and weekly trends for any window are then cut from it in memory);
- per window: each entity's enforced rule set, shadow rule set and label, grouped into distinct
  *signatures* with how many entities share each one and the sum of their largest amounts.
The signatures fill the same `PreparedHits` the in-memory path builds, with one position per signature and
a weight (entities it stands for), so every what-if, stat and recommendation gives the same answer as the
Parquet path. Entity-level lists (the lost confirmed-bad entities) are asked of the engine on demand.

SQL is written once in DuckDB's dialect and translated by sqlglot to the engine's (PostgreSQL, SQLite,
Trino/Athena, Redshift, Spark SQL…). Rule sets travel as 63-bit integer words summed over distinct
(entity, rule) pairs (a sum of distinct powers of two is their OR, and every engine has SUM).

Sources are named by URL: `parquet:///path/to/file-or-folder` (DuckDB reads every *.parquet below a
folder, out of core within `RM_DUCKDB_MEMORY_LIMIT`), `duckdb:///path/db.duckdb` with a table, or any
SQLAlchemy URL (`sqlite:///hits.db`, `postgresql+psycopg://…`) with a table.
"""
from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Iterable

import numpy as np
import polars as pl
import sqlglot
from sqlglot import exp

from rm_core.errors import Problem, UserError, ValidationFailed
from rm_core.rules.hitlog import CONFIRMED_BAD, FALSE_POSITIVE, LABELS, REQUIRED_COLUMNS, _natural
from rm_core.rules.whatif import PreparedHits, RetirementImpact, _csr, _latest

BITS = 63  # rule bits per signed 64-bit word
_WEEK_DAYS = 7


# ------------------------------------------------------------------------------------------- engines

class _Engine:
    """Runs one SQL text and returns a polars frame; `dialect` is sqlglot's name for the engine."""

    dialect = "duckdb"

    def frame(self, sql: str) -> pl.DataFrame:  # pragma: no cover - interface
        raise NotImplementedError

    def columns(self, relation: str) -> list[str]:
        return [c.lower() for c in self.frame(f"SELECT * FROM {relation} WHERE 1 = 0").columns]

    def close(self) -> None:
        pass


class _DuckDB(_Engine):
    dialect = "duckdb"

    def __init__(self, database: str, memory_limit: str):
        import duckdb

        spill = Path(tempfile.gettempdir()) / "rm-duckdb-spill"
        spill.mkdir(parents=True, exist_ok=True)
        self._con = duckdb.connect(database, read_only=database != ":memory:",
                                   config={"memory_limit": memory_limit, "temp_directory": str(spill),
                                           "preserve_insertion_order": False})
        self._con.execute("SET TimeZone = 'UTC'").fetchall()
        self._lock = threading.Lock()  # one connection, one query at a time (a page may ask from threads)

    def frame(self, sql: str) -> pl.DataFrame:
        with self._lock:
            return pl.from_arrow(self._con.sql(sql).to_arrow_table())

    def close(self) -> None:
        self._con.close()


class _SQLAlchemy(_Engine):
    def __init__(self, url: str):
        import sqlalchemy as sa

        self._sa = sa
        self._engine = sa.create_engine(url)
        name = self._engine.dialect.name
        self.dialect = {"postgresql": "postgres", "mssql": "tsql", "awsathena": "athena"}.get(name, name)

    def frame(self, sql: str) -> pl.DataFrame:
        with self._engine.connect() as con:
            if self.dialect == "postgres":
                con.exec_driver_sql("SET TIME ZONE 'UTC'")
            result = con.exec_driver_sql(sql)
            names = list(result.keys())
            rows = result.fetchall()
        return pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)

    def close(self) -> None:
        self._engine.dispose()


def _connect(url: str, table: str | None, memory_limit: str) -> tuple[_Engine, str, str]:
    """(engine, relation SQL in the engine's dialect, label for messages)."""
    if url.startswith("parquet://"):
        path = Path(url[len("parquet://"):])
        if not path.exists():
            raise UserError(f"{url}: no such file or folder ({path})")
        pattern = str(path / "**" / "*.parquet") if path.is_dir() else str(path)
        if path.is_dir() and not any(path.rglob("*.parquet")):
            raise UserError(f"{url}: the folder holds no .parquet file")
        return _DuckDB(":memory:", memory_limit), f"read_parquet({_quote(pattern)})", path.name
    if not table:
        raise UserError(f"{url}: name the table that holds the hits (--hits-table)")
    if url.startswith("duckdb://"):
        engine: _Engine = _DuckDB(url[len("duckdb:///"):] or ":memory:", memory_limit)
    else:
        try:
            engine = _SQLAlchemy(url)
        except Exception as exc:  # noqa: BLE001 - SQLAlchemy raises many kinds for a bad URL or driver
            raise UserError(f"cannot open the hit source {_safe_url(url)} ({type(exc).__name__}: {exc})") from None
    try:
        relation = exp.to_table(table, dialect=engine.dialect).sql(dialect=engine.dialect)
    except (sqlglot.errors.ParseError, ValueError):
        raise UserError(f"'{table}' is not a table name") from None
    return engine, relation, f"{table}"


def _quote(text: str) -> str:
    return exp.Literal.string(text).sql(dialect="duckdb")


def _safe_url(url: str) -> str:
    """The URL without a password, for messages."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return url.split("@")[-1]


# ------------------------------------------------------------------------------------------- the source

@dataclass(eq=False)
class HitSource:
    """A validated hit log where it lives; `prepare` lays out a window as `PreparedHits`."""

    url: str
    table: str | None
    label: str
    rows: int
    rule_ids: tuple[str, ...]
    first_day: date
    last_day: date
    has_amount: bool
    days: pl.DataFrame = field(repr=False)  # rule (code), shadow (bool), day (date), hits, last (datetime[us])
    _engine: _Engine = field(repr=False, default=None)
    _relation: str = field(repr=False, default="")
    _has_action: bool = field(repr=False, default=True)

    @property
    def dialect(self) -> str:
        return self._engine.dialect

    def close(self) -> None:
        self._engine.close()

    # SQL --------------------------------------------------------------------------------------------
    def _base(self) -> str:
        """The hits with normalised columns (label code, enforced flag), in DuckDB's dialect."""
        action = "CASE WHEN action = 'shadow' THEN 0 ELSE 1 END" if self._has_action else "1"
        amount = "CAST(amount_usd AS DOUBLE)" if self.has_amount else "CAST(NULL AS DOUBLE)"
        return ("SELECT CAST(rule_id AS VARCHAR) AS rule_id, CAST(entity_id AS VARCHAR) AS entity_id, "
                "__event_time__ AS event_time, CASE label WHEN 'confirmed_bad' THEN 2 WHEN 'false_positive' "
                f"THEN 1 ELSE 0 END AS lab, {action} AS enforced, {amount} AS amt FROM __hits__")

    def _sql(self, duckdb_sql: str) -> str:
        """Translate to the engine's dialect, then put in the relation and its time expression."""
        tree = sqlglot.parse_one(duckdb_sql, read="duckdb")
        relation = sqlglot.parse_one(f"SELECT * FROM {self._relation}", read=self.dialect).args["from_"].this
        # SQLite keeps times as ISO text: normalise to UTC 'YYYY-MM-DD HH:MM:SS.SSS' so text order is time order.
        when = (sqlglot.parse_one("STRFTIME('%Y-%m-%d %H:%M:%f', event_time)", read="sqlite")
                if self.dialect == "sqlite" else exp.column("event_time"))

        def put(node):
            if isinstance(node, exp.Table) and node.name == "__hits__":
                return relation.copy()
            if isinstance(node, exp.Column) and node.name == "__event_time__":
                return when.copy()
            return node

        return tree.transform(put).sql(dialect=self.dialect)

    def _window(self, since: date, until: date) -> str:
        lo = datetime.combine(since, time.min).strftime("%Y-%m-%d %H:%M:%S")
        hi = datetime.combine(until + timedelta(days=1), time.min).strftime("%Y-%m-%d %H:%M:%S")
        return (f"event_time >= CAST('{lo}' AS TIMESTAMP) AND event_time < CAST('{hi}' AS TIMESTAMP)")

    def _rule_map(self, rules: Iterable[int] | None = None) -> str:
        codes = range(len(self.rule_ids)) if rules is None else rules
        values = ", ".join(f"({_quote(self.rule_ids[c])}, {c // BITS}, {1 << (c % BITS)})" for c in codes)
        return f"m(rule_id, word, bit) AS (VALUES {values})"

    def _word_sums(self, prefix: str, condition: str) -> list[str]:
        words = max(1, -(-len(self.rule_ids) // BITS))
        return [f"CAST(SUM(CASE WHEN {condition} AND m.word = {k} THEN m.bit ELSE 0 END) AS BIGINT) AS {prefix}{k}"
                for k in range(words)]

    # preparing -------------------------------------------------------------------------------------
    def prepare(self, since: date | None = None, until: date | None = None) -> PreparedHits:
        """The window [since, until] (whole days, inclusive; open ends default to the log's span)."""
        if since is not None and until is not None and since > until:
            raise ValidationFailed(Problem(f"the window starts ({since}) after it ends ({until})", field="since"))
        since = since or self.first_day
        until = until or self.last_day
        words = max(1, -(-len(self.rule_ids) // BITS))
        enforced = self._word_sums("e", "p.enforced = 1")
        shadow = self._word_sums("s", "p.enforced = 0")
        keys = [f"e{k}" for k in range(words)] + [f"s{k}" for k in range(words)]
        sql = (f"WITH h AS ({self._base()}), {self._rule_map()}, "
               f"p AS (SELECT entity_id, rule_id, enforced, MAX(lab) AS lab, MAX(amt) AS amt FROM h "
               f"WHERE {self._window(since, until)} GROUP BY entity_id, rule_id, enforced), "
               f"e AS (SELECT p.entity_id, MAX(p.lab) AS lab, MAX(p.amt) AS amt, {', '.join(enforced + shadow)} "
               f"FROM p JOIN m ON p.rule_id = m.rule_id GROUP BY p.entity_id) "
               f"SELECT {', '.join(keys)}, lab, COUNT(*) AS n, SUM(COALESCE(amt, 0)) AS amount "
               f"FROM e GROUP BY {', '.join(keys)}, lab")
        sig = self._engine.frame(self._sql(sql))
        prepared = _from_signatures(self, sig, words, since, until)
        return prepared

    def lost_entities(self, prepared: PreparedHits, impact: RetirementImpact,
                      labels: Iterable[str] = ("confirmed_bad",), limit: int | None = None) -> pl.DataFrame:
        """The entities a retirement loses, asked of the engine (same columns and order as `lost_catches`)."""
        codes = sorted(prepared.rule_index[r] for r in impact.retired)
        columns = {"entity_id": pl.String, "label": pl.String, "amount_usd": pl.Float64,
                   "caught_by": pl.List(pl.String)}
        wanted = [LABELS.index(name) for name in labels]
        if not codes or not wanted:
            return pl.DataFrame(schema=columns)
        retired = ", ".join(_quote(self.rule_ids[c]) for c in codes)
        bits = self._word_sums("r", "p.enforced = 1")
        sql = (f"WITH h AS ({self._base()}), {self._rule_map(codes)}, "
               f"p AS (SELECT entity_id, rule_id, enforced, MAX(lab) AS lab, MAX(amt) AS amt FROM h "
               f"WHERE {self._window(prepared.since, prepared.until)} GROUP BY entity_id, rule_id, enforced), "
               f"e AS (SELECT p.entity_id, MAX(p.lab) AS lab, MAX(p.amt) AS amt, "
               f"SUM(CASE WHEN p.enforced = 1 AND p.rule_id NOT IN ({retired}) THEN 1 ELSE 0 END) AS kept, "
               f"{', '.join(bits)} FROM p LEFT JOIN m ON p.rule_id = m.rule_id GROUP BY p.entity_id) "
               f"SELECT entity_id, lab, COALESCE(amt, 0) AS amount_usd, {', '.join(b.rsplit(' AS ', 1)[1] for b in bits)} "
               f"FROM e WHERE kept = 0 AND lab IN ({', '.join(map(str, wanted))}) AND ("
               + " OR ".join(f"r{k} <> 0" for k in range(len(bits))) + ") "
               f"ORDER BY amount_usd DESC, entity_id" + (f" LIMIT {int(limit)}" if limit else ""))
        found = self._engine.frame(self._sql(sql))
        caught = []
        for row in found.select([f"r{k}" for k in range(len(bits))]).iter_rows():
            caught.append([self.rule_ids[k * BITS + b] for k, v in enumerate(row) for b in range(BITS)
                           if int(v) >> b & 1])
        return pl.DataFrame({
            "entity_id": found["entity_id"].cast(pl.String),
            "label": [LABELS[int(v)] for v in found["lab"]],
            "amount_usd": found["amount_usd"].cast(pl.Float64),
            "caught_by": caught,
        }, schema=columns)


def open_hit_source(url: str, table: str | None = None, *, memory_limit: str | None = None) -> HitSource:
    """Connect, check the columns and every row (in the engine), and read the per-rule, per-day summary."""
    if memory_limit is None:
        from rm_core.settings import get_settings

        memory_limit = get_settings().duckdb_memory_limit
    engine, relation, label = _connect(url.strip(), (table or "").strip() or None, memory_limit)
    try:
        try:
            columns = engine.columns(relation)
        except Exception as exc:  # noqa: BLE001 - each engine has its own error classes
            raise UserError(f"{label}: cannot read the hit table ({_first_line(exc)})") from None
        if "detector_id" in columns:  # model scores (#18) are evaluated from files only, for now
            raise ValidationFailed(Problem("this hit table holds model rows (detector_id, score, threshold); an "
                                           "engine source reads rule hits only for now, so load the log as a file "
                                           "(--hits, or upload it) to evaluate models", file=label,
                                           field="detector_id"))
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise ValidationFailed([Problem(f"missing column '{c}' (a hit log needs {', '.join(REQUIRED_COLUMNS)})",
                                            file=label, field=c) for c in missing])
        source = HitSource(url=url, table=table, label=label, rows=0, rule_ids=(), first_day=date.min,
                           last_day=date.min, has_amount="amount_usd" in columns, days=pl.DataFrame(),
                           _engine=engine, _relation=relation, _has_action="action" in columns)
        _check_rows(source)
        _read_days(source)
    except BaseException:
        engine.close()
        raise
    return source


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _check_rows(source: HitSource) -> None:
    """Refuse the table, naming the column, how many rows and an example value, if any row breaks the format."""
    labels = ", ".join(f"'{name}'" for name in LABELS)
    checks = [
        ("rule_id", "empty value; every hit needs a rule_id", "rule_id IS NULL OR CAST(rule_id AS VARCHAR) = ''"),
        ("entity_id", "empty value; every hit needs an entity_id",
         "entity_id IS NULL OR CAST(entity_id AS VARCHAR) = ''"),
        ("event_time", "empty value; every hit needs an event_time", "event_time IS NULL"),
        ("label", "unknown label '{value}'; use confirmed_bad, false_positive or unlabeled",
         f"label IS NULL OR label NOT IN ({labels})"),
    ]
    if source._has_action:
        checks.append(("action", "unknown action '{value}'; use enforced or shadow (blank means enforced)",
                       "action IS NOT NULL AND action NOT IN ('enforced', 'shadow', '')"))
    parts = ["COUNT(*) AS n"]
    for i, (column, _, bad) in enumerate(checks):
        parts.append(f"SUM(CASE WHEN {bad} THEN 1 ELSE 0 END) AS bad{i}")
        parts.append(f"MIN(CASE WHEN {bad} THEN CAST({column} AS VARCHAR) END) AS example{i}")
    sql = f"SELECT {', '.join(parts)} FROM __hits__"
    if source.dialect == "sqlite":  # times that SQLite cannot read as ISO text are refused too
        checks.append(("event_time", "unparseable time '{value}'; use ISO timestamps such as 2026-05-31T14:02:00Z",
                       "event_time IS NOT NULL AND __event_time__ IS NULL"))
        i = len(checks) - 1
        sql = sql.replace(" FROM __hits__", f", SUM(CASE WHEN {checks[i][2]} THEN 1 ELSE 0 END) AS bad{i}, "
                                            f"MIN(CASE WHEN {checks[i][2]} THEN event_time END) AS example{i} FROM __hits__")
    row = source._engine.frame(source._sql(sql)).row(0, named=True)
    problems = []
    for i, (column, message, _) in enumerate(checks):
        count = int(row[f"bad{i}"] or 0)
        if not count:
            continue
        value = row[f"example{i}"]
        if column == "label" and value is None:
            message = "empty value; every hit needs a label"
        more = f" ({count:,} rows like this)" if count > 1 else ""
        problems.append(Problem(message.format(value="" if value is None else value) + more, file=source.label,
                                field=column))
    if problems:
        raise ValidationFailed(problems)
    source.rows = int(row["n"] or 0)
    if not source.rows:
        raise ValidationFailed(Problem("the table has no hits", file=source.label))


def _read_days(source: HitSource) -> None:
    sql = ("WITH h AS (" + source._base() + ") SELECT rule_id, enforced, CAST(event_time AS DATE) AS day, "
           "COUNT(*) AS hits, MAX(event_time) AS last FROM h GROUP BY rule_id, enforced, CAST(event_time AS DATE)")
    days = source._engine.frame(source._sql(sql))
    rules = sorted(days["rule_id"].cast(pl.String).unique().to_list(), key=_natural)
    code = {r: i for i, r in enumerate(rules)}
    source.rule_ids = tuple(rules)
    source.days = pl.DataFrame({
        "rule": days["rule_id"].cast(pl.String).replace_strict(code, return_dtype=pl.Int64),
        "shadow": days["enforced"].cast(pl.Int64) == 0,
        "day": _as_date(days["day"]),
        "hits": days["hits"].cast(pl.Int64),
        "last": _as_time(days["last"]),
    })
    source.first_day = source.days["day"].min()
    source.last_day = source.days["day"].max()


def _as_date(values: pl.Series) -> pl.Series:
    if values.dtype == pl.String:
        return values.str.slice(0, 10).str.to_date("%Y-%m-%d")
    return values.cast(pl.Date)


def _as_time(values: pl.Series) -> pl.Series:
    if values.dtype == pl.String:
        return values.str.replace("T", " ").str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us")
    if isinstance(values.dtype, pl.Datetime) and values.dtype.time_zone is not None:
        values = values.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    return values.cast(pl.Datetime("us"))


# ------------------------------------------------------------------------------------ signatures → layout

def _unpack(words: np.ndarray, n_rules: int) -> np.ndarray:
    """(n, words) int64 of 63-bit rule words → (n, n_rules) bool."""
    as_bytes = np.ascontiguousarray(words.astype(np.int64)).view(np.uint8).reshape(words.shape[0], -1, 8)
    bits = np.unpackbits(as_bytes, axis=2, bitorder="little")[:, :, :BITS]
    return bits.reshape(words.shape[0], -1)[:, :n_rules].astype(bool)


def _from_signatures(source: HitSource, sig: pl.DataFrame, words: int, since: date, until: date) -> PreparedHits:
    n_rules = len(source.rule_ids)
    e_words = sig.select([f"e{k}" for k in range(words)]).to_numpy().astype(np.int64).reshape(-1, words)
    s_words = sig.select([f"s{k}" for k in range(words)]).to_numpy().astype(np.int64).reshape(-1, words)
    label = sig["lab"].cast(pl.Int8).to_numpy()
    weight = sig["n"].cast(pl.Int64).to_numpy()
    amount = sig["amount"].cast(pl.Float64).fill_null(0.0).to_numpy()
    is_flagged = (e_words != 0).any(axis=1)
    order = np.argsort((~is_flagged).astype(np.int8) * 3 + (CONFIRMED_BAD - label), kind="stable")
    e_words, s_words, label, weight, amount = (a[order] for a in (e_words, s_words, label, weight, amount))
    flagged = int(np.count_nonzero(is_flagged))
    n_pos = label.size
    n_cb = int(np.count_nonzero(label[:flagged] == CONFIRMED_BAD))
    n_fp = int(np.count_nonzero(label[:flagged] == FALSE_POSITIVE))

    words64 = max(1, (n_rules + 63) // 64)
    enforced_bits = np.zeros((words64, flagged), dtype=np.uint64)
    empty = np.zeros(0, dtype=np.int32)
    catch_rule, catch_pos, shadow_rule, shadow_pos = [empty], [empty], [empty], [empty]
    seen_by_label = np.zeros((n_rules, 3), dtype=np.int64)
    step = 1 << 15
    for lo in range(0, n_pos, step):
        hi = min(lo + step, n_pos)
        enf = _unpack(e_words[lo:hi], n_rules)
        sha = _unpack(s_words[lo:hi], n_rules)
        if lo < flagged:
            top = min(hi, flagged) - lo
            padded = np.zeros((top, words64 * 64), dtype=bool)
            padded[:, :n_rules] = enf[:top]
            enforced_bits[:, lo:lo + top] = np.packbits(padded, axis=1, bitorder="little").view(np.uint64).T
        pos, rule = np.nonzero(enf)
        catch_rule.append(rule.astype(np.int32))
        catch_pos.append((pos + lo).astype(np.int32))
        pos, rule = np.nonzero(sha)
        shadow_rule.append(rule.astype(np.int32))
        shadow_pos.append((pos + lo).astype(np.int32))
        pos, rule = np.nonzero(enf | sha)
        seen_by_label += np.bincount(rule.astype(np.int64) * 3 + label[lo:hi][pos], weights=weight[lo:hi][pos],
                                     minlength=n_rules * 3).astype(np.int64).reshape(n_rules, 3)
    catch_ptr, catch_members = _csr(np.concatenate(catch_rule), np.concatenate(catch_pos), n_rules)
    shadow_ptr, shadow_members = _csr(np.concatenate(shadow_rule), np.concatenate(shadow_pos), n_rules)

    # Per rule, from the day summary cut to the window.
    n_weeks = max(1, ((until - since).days // _WEEK_DAYS) + 1)
    days = source.days.filter(pl.col("day").is_between(since, until))
    rule = days["rule"].to_numpy()
    hits_per_day = days["hits"].to_numpy()
    shadow = days["shadow"].to_numpy()
    when = days["last"].to_numpy().astype("datetime64[us]").view(np.int64)
    week = np.clip((days["day"].to_numpy().astype("datetime64[D]") - np.datetime64(since, "D")).astype(np.int64)
                   // _WEEK_DAYS, 0, n_weeks - 1)
    weekly = np.bincount(rule * n_weeks + week, weights=hits_per_day, minlength=n_rules * n_weeks).astype(np.int64)
    return PreparedHits(
        source=source.label, since=since, until=until, rule_ids=source.rule_ids,
        week_starts=tuple(since + timedelta(days=7 * i) for i in range(n_weeks)),
        hits=np.bincount(rule, weights=hits_per_day, minlength=n_rules).astype(np.int64),
        shadow_hits=np.bincount(rule[shadow], weights=hits_per_day[shadow], minlength=n_rules).astype(np.int64),
        last_hit=_latest(rule, when, n_rules), last_shadow_hit=_latest(rule[shadow], when[shadow], n_rules),
        weekly_hits=weekly.reshape(n_rules, n_weeks),
        entity_ids=pl.Series("entity_id", [], dtype=pl.String), label=label, amount_usd=amount,
        enforced_bits=enforced_bits, catch_ptr=catch_ptr, catch_members=catch_members,
        shadow_ptr=shadow_ptr, shadow_members=shadow_members, seen_by_label=seen_by_label,
        n_cb=n_cb, n_fp=n_fp, flagged=flagged, has_amount=source.has_amount,
        weight=weight, lost_lookup=source.lost_entities,
    )
