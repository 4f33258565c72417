"""One hit log frame, prepared by each engine: in memory (polars), DuckDB over Parquet, SQLite, PostgreSQL.

The rules tests take an `engine` and build their prepared windows with `prepare(engine, frame, …)`, so every
hand-computed case and property runs on each path and must give the same answers.
"""
from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from rm_core.rules import load_hit_log, prepare_hits
from rm_core.rules.sqlsource import open_hit_source

# Each prepared window keeps its source open (entity lists are asked of the engine), so files live until exit.
_ROOT = Path(tempfile.mkdtemp(prefix="rm-hit-sources-"))
atexit.register(shutil.rmtree, _ROOT, ignore_errors=True)

ENGINES = ["memory", "duckdb", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def sqlite_table(frame: pl.DataFrame, path: Path) -> str:
    """The frame as a SQLite table `hits` with ISO-text times (UTC, 'Z'), the way exports write them."""
    engine = sa.create_engine(f"sqlite:///{path}")
    text_times = frame.with_columns(pl.col("event_time").dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ"))
    columns = ", ".join(f"{c} {'REAL' if c == 'amount_usd' else 'TEXT'}" for c in frame.columns)
    with engine.begin() as con:
        con.exec_driver_sql(f"CREATE TABLE hits ({columns})")
        if frame.height:
            con.exec_driver_sql(f"INSERT INTO hits VALUES ({', '.join('?' * frame.width)})", text_times.rows())
    engine.dispose()
    return f"sqlite:///{path}"


def pg_table(frame: pl.DataFrame, url: str) -> str:
    """The frame as a new PostgreSQL table (timestamp column); returns its name."""
    name = "hits_" + uuid.uuid4().hex[:10]
    types = {"event_time": "TIMESTAMP", "amount_usd": "DOUBLE PRECISION"}
    columns = ", ".join(f"{c} {types.get(c, 'TEXT')}" for c in frame.columns)
    engine = sa.create_engine(url)
    with engine.begin() as con:
        con.exec_driver_sql(f"CREATE TABLE {name} ({columns})")
        if frame.height:
            marks = ", ".join(["%s"] * frame.width)
            con.exec_driver_sql(f"INSERT INTO {name} VALUES ({marks})", frame.rows())
    engine.dispose()
    return name


def prepare(engine: str, frame: pl.DataFrame, since=None, until=None, *, pg_url: str | None = None,
            name: str | None = None):
    """Prepare the window from `frame` through `engine` (postgresql needs `pg_url`)."""
    if engine == "memory":
        return prepare_hits(load_hit_log(frame, name=name), since, until)
    folder = Path(tempfile.mkdtemp(dir=_ROOT))
    if engine == "duckdb":
        frame.write_parquet(folder / "hits.parquet")
        source = open_hit_source(f"parquet://{folder}")
    elif engine == "sqlite":
        source = open_hit_source(sqlite_table(frame, folder / "hits.db"), "hits")
    elif engine == "postgresql":
        source = open_hit_source(pg_url, pg_table(frame, pg_url))
    else:
        raise ValueError(engine)
    return source.prepare(since, until)
