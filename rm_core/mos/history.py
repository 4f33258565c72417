"""An MO's version history: what each version changed (field by field, text as a line diff), and restoring one.

A restore never rewrites history: it saves the chosen version's content as a new version, audited as
`mo.restore`, so the version being replaced stays one click away too.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from rm_core.errors import NotFound, UserError
from rm_core.identity import Actor
from rm_core.mos.repository import VERSIONED, save_new_version
from rm_core.store.db import read_session
from rm_core.store.models import MO, MOVersion

# Free text: shown as a line diff rather than two long cells.
TEXT_FIELDS = ("summary", "narrative")


@dataclass(frozen=True)
class FieldChange:
    """One field of one version against the version before it (`before` is None for the first version)."""

    field: str
    before: Any
    after: Any

    @property
    def is_text(self) -> bool:
        return self.field in TEXT_FIELDS

    def text_diff(self) -> str:
        """A unified line diff of a text field ('-' removed, '+' added lines)."""
        before = "" if self.before is None else str(self.before)
        after = "" if self.after is None else str(self.after)
        lines = difflib.unified_diff(before.splitlines(), after.splitlines(), "before", "after", lineterm="", n=2)
        return "\n".join(list(lines)[2:])  # the ---/+++ header says nothing a reader needs


def _versions(session, mo_id: str) -> dict[int, MOVersion]:
    rows = session.scalars(select(MOVersion).where(MOVersion.mo_id == mo_id).order_by(MOVersion.version))
    return {v.version: v for v in rows}


def version_changes(mo_id: str, version: int) -> list[FieldChange]:
    """What `version` of `mo_id` changed against the version before it; every set field for version 1."""
    with read_session() as s:
        versions = _versions(s, mo_id)
    if version not in versions:
        raise NotFound(f"{mo_id} has no version {version}.")
    after = versions[version].snapshot or {}
    earlier = [v for v in versions if v < version]
    before = (versions[max(earlier)].snapshot or {}) if earlier else None
    changes = []
    for name in VERSIONED:
        new = after.get(name)
        if before is None:
            if new not in (None, "", []):
                changes.append(FieldChange(name, None, new))
        elif before.get(name) != new:
            changes.append(FieldChange(name, before.get(name), new))
    return changes


def restore_version(actor: Actor, mo_id: str, version: int, engine: Any = None,
                    expected_version: int | None = None) -> MO:
    """Save `version`'s content of `mo_id` as a new version (audited `mo.restore`); the index follows.

    `expected_version` refuses the restore when someone saved the MO since the reader looked at it."""

    def content_of(s: Any, mo: MO) -> tuple[dict[str, Any], dict[str, Any]]:
        chosen = _versions(s, mo_id).get(version)
        if chosen is None:
            raise NotFound(f"{mo_id} has no version {version}.")
        if version == mo.version:
            raise UserError(f"Version {version} is the current version of {mo_id}; there is nothing to restore.")
        return ({k: v for k, v in (chosen.snapshot or {}).items() if k in VERSIONED}, {"restored_version": version})

    return save_new_version(actor, mo_id, content_of, engine=engine, note=f"restored version {version}",
                            expected_version=expected_version, action="mo.restore", stale="while you were looking",
                            reload="reload it before restoring",
                            unchanged=f"{mo_id} already reads as version {version} did; there is nothing to restore.")
