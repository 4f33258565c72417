"""Engines and transactions: SQLite (WAL, busy timeout, write lock taken at BEGIN) or PostgreSQL, same code."""
from __future__ import annotations

from collections.abc import Iterator
import threading
from contextlib import contextmanager, nullcontext

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from rm_core.errors import UserError
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


def database_problem(exc: BaseException, settings: Settings | None = None) -> str | None:
    """A sentence for a database that cannot be opened or reached, or None when `exc` is something else."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    if not isinstance(exc, (OperationalError, DBAPIError)):
        return None
    settings = settings or get_settings()
    url = make_url(settings.database_url)
    detail = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if url.get_backend_name() == "sqlite":
        return (f"cannot open the SQLite database {url.database} ({detail}); check that its folder exists and is "
                "writable, or point RM_DATABASE_URL / RM_HOME elsewhere.")
    where = f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"
    return (f"cannot reach PostgreSQL at {where} ({detail}); check that the server is running and that "
            f"RM_DATABASE_URL ({url.render_as_string(hide_password=True)}) is right.")


def check_database(settings: Settings | None = None) -> None:
    """Open one connection now, so an unusable database is a clear UserError at start-up, not a traceback later."""
    settings = settings or get_settings()
    if settings.is_sqlite:
        path = Path(make_url(settings.database_url).database or "")
        if path.is_dir():
            raise UserError(f"RM_DATABASE_URL names {path}, which is a folder; name a database file.")
        if settings.holds(path.parent):
            path.parent.mkdir(parents=True, exist_ok=True)  # the state folder is created on first use
        elif not path.parent.is_dir():
            raise UserError(f"cannot open the SQLite database {path}: the folder {path.parent} does not exist "
                            "(create it, or fix RM_DATABASE_URL).")
    try:
        with get_engine(settings).connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:
        problem = database_problem(exc, settings)
        if problem is None:
            raise
        raise UserError(problem) from None


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
                               pool_size=8, max_overflow=32)
        _sqlite_pragmas(engine)
        return engine
    # a server that does not answer is reported after a few seconds, not after the OS's TCP timeout
    return create_engine(url, pool_size=8, max_overflow=48, pool_pre_ping=True, connect_args={"connect_timeout": 5})


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


@contextmanager
def writing(session: Session | None = None) -> Iterator[Session]:
    """The caller's write transaction when given (the demo world writes through services inside its own), else a
    new `write_session`."""
    if session is not None:
        yield session
        return
    with write_session() as s:
        yield s
