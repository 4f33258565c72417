"""Dump and load a whole database: every table as JSON lines in one zip (works on SQLite and PostgreSQL).

Mechanism only: who may take or restore a backup, and the audit of it, live in `rm_core.state`."""
from __future__ import annotations

import datetime as dt
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import Session

from rm_core.errors import UserError
from rm_core.store.db import read_session, write_session
from rm_core.store.migrate import current_revision
from rm_core.store.models import Base

FORMAT = "rm-backup/1"


def _encode(value):
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$d": value.isoformat()}
    return value


def _decode(value):
    if isinstance(value, dict) and len(value) == 1:
        if "$dt" in value:
            return dt.datetime.fromisoformat(value["$dt"])
        if "$d" in value:
            return dt.date.fromisoformat(value["$d"])
    return value


def dump(path: Path, hits_dir: Path | None = None) -> dict[str, int]:
    """Write every table (and the hit-log files) to a zip; returns rows per table."""
    counts: dict[str, int] = {}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf, read_session() as s:
        zf.writestr("meta.json", json.dumps({"format": FORMAT, "revision": current_revision(),
                                             "taken_at": dt.datetime.now(dt.timezone.utc).isoformat()}))
        for table in Base.metadata.sorted_tables:
            rows = s.execute(select(table)).mappings().all()
            counts[table.name] = len(rows)
            zf.writestr(f"tables/{table.name}.jsonl",
                        "".join(json.dumps({k: _encode(v) for k, v in r.items()}) + "\n" for r in rows))
        if hits_dir and hits_dir.exists():
            for f in sorted(hits_dir.glob("*.parquet")):
                zf.write(f, f"hits/{f.name}")
    return counts


def load(path: Path, hits_dir: Path | None = None,
         then: Callable[[Session, dict[str, int]], None] | None = None) -> dict[str, int]:
    """Replace the whole database with a dump, in one transaction: a bad file changes nothing. `then(session,
    rows per table)` runs inside that transaction (the caller's audit event)."""
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise UserError(f"{path}: not a workbench backup ({exc}).") from exc
    with zf:
        try:
            meta = json.loads(zf.read("meta.json"))
        except KeyError as exc:
            raise UserError(f"{path}: no meta.json; not a workbench backup.") from exc
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
            raise UserError(f"{path}: meta.json is not valid JSON ({exc}); nothing was changed.") from exc
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            found = meta.get("format") if isinstance(meta, dict) else None
            raise UserError(f"{path}: format {found!r}, expected {FORMAT}.")
        if meta.get("revision") != current_revision():
            raise UserError(f"{path}: taken at schema {meta.get('revision')}, database is at "
                            f"{current_revision()}; run `python -m rm_core db upgrade` on a copy first.")
        # Every table is read and decoded before anything is deleted, so a damaged backup changes nothing.
        tables = {table.name: _read_table(zf, path, table.name) for table in Base.metadata.sorted_tables}
        counts: dict[str, int] = {}
        with write_session() as s:
            for table in reversed(Base.metadata.sorted_tables):
                s.execute(delete(table))
            for table in Base.metadata.sorted_tables:
                rows = tables[table.name]
                counts[table.name] = len(rows)
                if rows:
                    s.execute(insert(table), rows)
            _reset_sequences(s)
            if then is not None:
                then(s, counts)
        if hits_dir is not None:
            hits_dir.mkdir(parents=True, exist_ok=True)
            for name in zf.namelist():
                if name.startswith("hits/") and name.endswith(".parquet"):
                    (hits_dir / Path(name).name).write_bytes(zf.read(name))
    return counts


def _read_table(zf: zipfile.ZipFile, path: Path, name: str) -> list[dict]:
    member = f"tables/{name}.jsonl"
    try:
        lines = zf.read(member).decode("utf-8").splitlines()
    except KeyError:
        raise UserError(f"{path}: {member} is missing; the backup is incomplete, nothing was changed.") from None
    except (UnicodeDecodeError, zipfile.BadZipFile, OSError) as exc:
        raise UserError(f"{path}: {member} cannot be read ({exc}); nothing was changed.") from exc
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError("a line is not a JSON object")
            rows.append({k: _decode(v) for k, v in row.items()})
        except ValueError as exc:
            raise UserError(f"{path}: {member} line {number} is not a valid row ({exc}); nothing was changed.") \
                from exc
    return rows


def _reset_sequences(s: Session) -> None:
    """PostgreSQL identity sequences must move past restored ids; SQLite needs nothing."""
    if s.get_bind().dialect.name != "postgresql":
        return
    for table in Base.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and pk[0].autoincrement is True:
            col = pk[0].name
            s.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{col}'), "
                           f"COALESCE((SELECT MAX({col}) FROM {table.name}), 0) + 1, false)"))
