"""Getting a state folder ready to serve: migrations before the first page, the slow parts behind it.

Serving comes first. What takes long — loading the embedding model (torch import, seconds) and embedding the MOs
that seeding, an import or a crash left queued (minutes for thousands of MOs) — runs in one background thread
per process (`start_indexing`), which the server starts at launch (`serve.py`) and app.py again on its first run
(a no-op when already started). The MO page shows its progress and answers searches by keyword from the
database meanwhile (`rm_core.mos.interim`).
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from rm_core.errors import UserError
from rm_core.settings import Settings
from rm_core.store.db import check_database
from rm_core.store.migrate import upgrade

log = logging.getLogger(__name__)

BATCH = 64  # MOs embedded per step: progress moves every second or so, and a search never waits long for the lock

# Libraries that both the background indexer (through sentence-transformers) and the first script run import.
# Imported by two threads at once, a package with import cycles can hand one thread a half-initialised module
# (Python breaks the import deadlock that way), which a first page on a fresh server met as an AttributeError.
SHARED_MODULES = ("numpy", "pandas", "pyarrow", "narwhals", "altair", "polars", "PIL.Image", "scipy.sparse",
                  "sklearn", "jinja2", "yaml", "dateutil.parser", "sqlalchemy", "chromadb",
                  "rm_core.store.models", "rm_core.mos.embeddings", "rm_core.mos.engine", "rm_core.mos.repository")


def prepare_state(settings: Settings) -> list[str]:
    """Migrate the database and repair what a crash may have left; returns warnings for the sidebar."""
    try:
        settings.home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"RM_HOME={settings.home} cannot be created ({exc.strerror or exc}).") from None
    check_database(settings)
    upgrade(settings)
    warnings: list[str] = []
    return warnings


# --- the process's MO search engine -------------------------------------------------------------------------

_ENGINES: dict[tuple[str, str], Any] = {}
_ENGINES_LOCK = threading.Lock()


def shared_engine(settings: Settings) -> Any:
    """The one MOSearchEngine of this process for where the index lives (the pages and the background thread
    share it, so the keyword side patched by one is the one the other searches)."""
    where = f"{settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else str(settings.chroma_path)
    key = (where, settings.embeddings)
    with _ENGINES_LOCK:
        if key not in _ENGINES:
            from rm_core.mos.engine import MOSearchEngine

            _ENGINES[key] = MOSearchEngine(settings)
        return _ENGINES[key]


# --- background indexing --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IndexProgress:
    """Where the background work stands. `phase`: idle (never started in this process), model (loading the
    embedding model), indexing (embedding queued MOs: `done` of `total`), ready, or failed (`message` says why)."""

    phase: str
    done: int = 0
    total: int = 0
    message: str = ""
    seconds: float = 0.0

    @property
    def busy(self) -> bool:
        return self.phase in ("model", "indexing")


class _Indexing:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.progress = IndexProgress("idle")
        self.warnings: list[str] = []
        self.started = 0.0

    def set(self, phase: str, done: int = 0, total: int = 0, message: str = "") -> None:
        self.progress = IndexProgress(phase, done, total, message, time.monotonic() - self.started)


_STATE: dict[tuple[str, str], _Indexing] = {}
_STATE_LOCK = threading.Lock()


def _state_for(settings: Settings) -> _Indexing:
    key = (settings.database_url, str(settings.chroma_path if not settings.chroma_host else settings.chroma_host))
    with _STATE_LOCK:
        return _STATE.setdefault(key, _Indexing())


def index_progress(settings: Settings) -> IndexProgress:
    return _state_for(settings).progress


def index_warnings(settings: Settings) -> list[str]:
    """Drift found and repaired by the background run (for the sidebar)."""
    return list(_state_for(settings).warnings)


def import_shared_modules() -> list[str]:
    """Import `SHARED_MODULES` in the calling thread before the indexer starts (under 3 s); the ones missing."""
    import importlib

    missing = []
    for name in SHARED_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


def start_indexing(settings: Settings, engine: Any | None = None) -> IndexProgress:
    """Start the background thread once per process and state (later calls return its progress)."""
    state = _state_for(settings)
    with state.lock:
        if state.thread is None:
            state.started = time.monotonic()
            state.set("model")
            state.thread = threading.Thread(target=_run, args=(settings, engine, state), name="rm-indexing",
                                            daemon=True)
            state.thread.start()
    return state.progress


def wait_for_indexing(settings: Settings, timeout: float | None = None) -> IndexProgress:
    thread = _state_for(settings).thread
    if thread is not None:
        thread.join(timeout)
    return index_progress(settings)


def _run(settings: Settings, engine: Any | None, state: _Indexing) -> None:
    from sqlalchemy import select

    from rm_core.mos.embeddings import encode_query
    from rm_core.mos.repository import _apply_to_index, sync_index
    from rm_core.store.db import read_session
    from rm_core.store.models import IndexOutbox

    threads = None
    # transformers loads weights through a thread pool of its own; started from this thread in the server process
    # that load was seen to hang for good (futures never completing), so here it loads them in this thread
    os.environ.setdefault("HF_DEACTIVATE_ASYNC_LOAD", "1")
    try:
        engine = engine or shared_engine(settings)
        encode_query(engine.embeddings, "warm up the embedding model")  # torch + model load, off the request path
        if "torch" in sys.modules:
            # one core embeds, the other keeps serving pages (two torch threads left the first page 12 s late)
            torch = sys.modules["torch"]
            threads = torch.get_num_threads()
            torch.set_num_threads(1)
        engine.vectors.chunk_count()  # opens the Chroma client and collection
        with read_session() as s:
            pending = list(s.scalars(select(IndexOutbox.mo_id).order_by(IndexOutbox.mo_id)))
        state.set("indexing", 0, len(pending))
        for start in range(0, len(pending), BATCH):
            # the same replay sync_index does, in steps, so the page can show how far it got
            _apply_to_index(engine, pending[start:start + BATCH])
            state.set("indexing", min(start + BATCH, len(pending)), len(pending))
        report = sync_index(engine)  # nothing queued any more: this only finds and repairs real drift
        if report.repaired:
            state.warnings.append(f"The MO search index had drifted from the database and was repaired: "
                                  f"{report.missing_indexed} MOs indexed, {report.stale_reindexed} re-indexed, "
                                  f"{report.orphans_removed} removed.")
        engine.keyword  # load (or build) the keyword side now rather than in the first search
        state.set("ready", report.index, report.database)
        log.info("MO index ready: %s MOs (%d embedded) in %.1f s", report.index, len(pending),
                 state.progress.seconds)
    except Exception as exc:  # noqa: BLE001 - reported on the MO page; search falls back to keywords
        log.exception("background indexing failed")
        state.set("failed", message=f"{type(exc).__name__}: {exc}")
    finally:
        if threads is not None:
            sys.modules["torch"].set_num_threads(threads)
