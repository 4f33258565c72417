"""Which hit log the workbench evaluates: uploads are validated whole, stored as Parquet, and made current."""
from __future__ import annotations

import datetime as dt
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update

from rm_core.audit import record_event
from rm_core.errors import UserError
from rm_core.identity import Actor, require
from rm_core.settings import Settings, get_settings
from rm_core.store.db import read_session, write_session
from rm_core.store.models import HitLog, utcnow


@dataclass(frozen=True)
class HitLogInfo:
    id: int
    name: str
    path: Path
    rows: int
    uploaded_at: dt.datetime
    uploaded_by: str


def hit_log_reference(path: Path, settings: Settings | None = None) -> str:
    """What the database stores for a hit-log file: its path relative to RM_HOME (a state folder can move, be
    restored elsewhere, or sit beside another one without the two touching each other's files)."""
    settings = settings or get_settings()
    try:
        return Path(path).resolve().relative_to(settings.home.resolve()).as_posix()
    except ValueError:
        raise UserError(f"{path} is outside RM_HOME ({settings.home}); hit logs live under RM_HOME/hits.") from None


def stored_hit_log_path(stored: str, settings: Settings | None = None) -> Path:
    """The file a stored reference names: relative references are under RM_HOME; absolute ones (rows written
    before references were relative) are read as they are."""
    settings = settings or get_settings()
    path = Path(stored)
    return path if path.is_absolute() else settings.home / path


def current_hit_log() -> HitLogInfo | None:
    with read_session() as s:
        log = s.scalars(select(HitLog).where(HitLog.current.is_(True)).order_by(HitLog.id.desc())).first()
        if log is None:
            return None
        return HitLogInfo(log.id, log.name, stored_hit_log_path(log.path), log.rows, log.uploaded_at,
                          log.uploaded_by)


def upload_hit_log(actor: Actor, data: bytes, name: str, settings: Settings | None = None) -> HitLogInfo:
    """Validate the whole file first (a ValidationFailed names column, row and value); only a valid log is
    written, under RM_HOME/hits, and made current. The previous log is kept, so nothing is lost."""
    import polars as pl

    from rm_core.rules.hitlog import load_hit_log

    require(actor, "hitlog.upload")
    settings = settings or get_settings()
    suffix = Path(name).suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise UserError(f"{name}: use a .parquet or .csv hit log.")
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / f"upload{suffix}"
        staged.write_bytes(data)
        log = load_hit_log(staged, name=name)  # raises ValidationFailed on any bad row
        rows = log.rows
        settings.hits_path.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(name).stem)[:60] or "hits"
        target = settings.hits_path / f"{utcnow():%Y%m%d-%H%M%S}-{stem}.parquet"
        if suffix == ".parquet":
            target.write_bytes(data)
        else:
            pl.scan_csv(staged, infer_schema=False).sink_parquet(target)
    try:
        with write_session() as s:
            s.execute(update(HitLog).values(current=False))
            row = HitLog(name=name, path=hit_log_reference(target, settings), rows=rows, uploaded_by=actor.name,
                         current=True)
            s.add(row)
            s.flush()
            record_event(s, actor.name, "hitlog.upload", "hit_log", row.id, None, {"name": name, "rows": rows})
            info = HitLogInfo(row.id, name, target, rows, row.uploaded_at, actor.name)
    except Exception:
        target.unlink(missing_ok=True)  # the row never landed: leave no stray file behind
        raise
    return info


def register_hit_log(path: Path, name: str, rows: int, actor_name: str = "demo") -> None:
    """Make an already-written Parquet file the current log (demo seeding, scripts)."""
    with write_session() as s:
        s.execute(update(HitLog).values(current=False))
        s.add(HitLog(name=name, path=hit_log_reference(path), rows=rows, uploaded_by=actor_name, current=True))
