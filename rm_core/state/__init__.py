"""The whole workbench state: backups and restores of it (admin only, audited), and the MO index brought to
exactly what a restore put back. The `db` commands are in `rm_core.state.cli`."""
from __future__ import annotations

from pathlib import Path

from rm_core.audit import record_event
from rm_core.identity import Actor, require
from rm_core.store import backup as _dump
from rm_core.store.db import write_session


def backup_state(actor: Actor, path: Path, hits_dir: Path | None = None) -> dict[str, int]:
    """Every table and hit-log file in one zip; rows per table. Admin only: it holds every user and secret."""
    require(actor, "admin")
    counts = _dump.dump(path, hits_dir)
    with write_session() as s:
        record_event(s, actor.name, "state.backup", "state", path.name, None, {"rows": sum(counts.values())})
    return counts


def restore_state(actor: Actor, path: Path, hits_dir: Path | None = None) -> dict[str, int]:
    """Replace the whole database with a backup in one audited transaction (admin); a bad file changes nothing."""
    require(actor, "admin")
    return _dump.load(path, hits_dir, then=lambda s, counts: record_event(s, actor.name, "state.restore", "state",
                                                                          path.name, None, counts))


def restore_index(settings):
    """Bring the MO index to exactly the restored database: MOs it no longer holds are removed, MOs whose content
    differs are indexed again (compared MO by MO, so a restore over a similar state re-embeds only what changed)."""
    from rm_core.mos.engine import MOSearchEngine
    from rm_core.mos.repository import sync_index

    return sync_index(MOSearchEngine(settings))
