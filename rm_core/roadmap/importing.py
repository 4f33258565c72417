"""Import initiatives from CSV: every row checked first; one bad row and nothing is written.

Columns (header names are case-insensitive; `title` and `workstream` are required):
id (blank: a new INI-### id; an existing id updates that initiative; a new INI-### id is kept), title,
description, workstream, owner, horizon, start, end, status, status_note, ai_based, expected_roi_usd,
depends_on (ids separated by ';', may name other rows of the same file), milestones ('YYYY-MM-DD: title'
separated by ';'). The read-only columns an export adds (rolled dates, path to green…) are ignored, so an
exported file imports back unchanged. Row numbers in problems are file lines (the header is line 1).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from rm_core.audit import record_event
from rm_core.errors import Problem, ValidationFailed
from rm_core.exports import unneutralise
from rm_core.identity import Actor, require
from rm_core.roadmap.export import EXPORT_ONLY_COLUMNS
from rm_core.roadmap.initiatives import (ID_PATTERN, _add_initiative, _apply_changes, check_new_dependencies,
                                         known_owners)
from rm_core.roadmap.validation import EDITABLE_FIELDS, clean_fields, parse_date
from rm_core.store.db import write_session
from rm_core.store.models import Dependency, Initiative, Milestone, utcnow

ALIASES = {"expected_roi": "expected_roi_usd", "roi": "expected_roi_usd", "roi_usd": "expected_roi_usd",
           "ai": "ai_based", "ai_flag": "ai_based", "note": "status_note", "depends": "depends_on",
           "dependencies": "depends_on", "predecessors": "depends_on", "end_date": "end", "start_date": "start",
           "due": "end"}
EXTRA_COLUMNS = ("id", "depends_on", "milestones")
MAX_ROWS = 5_000


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    dependencies_added: int = 0
    milestones_added: int = 0

    def summary(self) -> str:
        return (f"{len(self.created)} created, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
                f"{self.dependencies_added} dependencies and {self.milestones_added} milestones added")


def _column(name: str) -> str:
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    return ALIASES.get(key, key)


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").replace(",", ";").split(";") if part.strip()]


def import_initiatives_csv(actor: Actor, source: str | bytes | Path, *, file_name: str | None = None,
                           allow_new_owners: bool = False) -> ImportResult:
    """Create or update initiatives from CSV text, bytes or a file path; all rows or none.

    `allow_new_owners` accepts owners the workbench does not know yet (first import on a fresh install);
    otherwise an unknown owner is refused like in the editor.
    """
    require(actor, "roadmap.edit")
    if isinstance(source, Path):
        file_name = file_name or source.name
        source = source.read_bytes()
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed(Problem("the file is not UTF-8 text; save it as CSV UTF-8",
                                           file=file_name)) from None
    reader = csv.DictReader(io.StringIO(source))
    header = [_column(h) for h in (reader.fieldnames or [])]
    problems: list[Problem] = []
    if not header:
        raise ValidationFailed(Problem("the file is empty; the first line must name the columns", file=file_name))
    unknown = [h for h in header if h not in EDITABLE_FIELDS and h not in EXTRA_COLUMNS
               and h not in EXPORT_ONLY_COLUMNS]
    if unknown:
        problems.append(Problem(f"unknown column(s) {', '.join(unknown)}; use "
                                f"{', '.join(EXTRA_COLUMNS[:1] + EDITABLE_FIELDS + EXTRA_COLUMNS[1:])}",
                                file=file_name, row=1))
    for needed in ("title", "workstream"):
        if needed not in header:
            problems.append(Problem(f"the column {needed!r} is missing", file=file_name, row=1))
    if problems:
        raise ValidationFailed(problems)
    raw_rows = []
    for line, row in enumerate(reader, start=2):
        if None in row:  # a ragged row: its extra cells would be dropped without a word
            problems.append(Problem(f"has {len(header) + len(row[None])} cells but the header names {len(header)} "
                                    f"columns; the extra cell starts at column {len(header) + 1}",
                                    file=file_name, row=line, field=f"column {len(header) + 1}"))
            continue
        raw_rows.append(dict(zip(header, (unneutralise(row.get(h)) for h in reader.fieldnames), strict=True)))
    if problems:
        raise ValidationFailed(problems)
    if len(raw_rows) > MAX_ROWS:
        raise ValidationFailed(Problem(f"{len(raw_rows)} rows; import at most {MAX_ROWS} at a time",
                                       file=file_name))

    result = ImportResult()
    with write_session() as s:
        owners = known_owners(s)
        existing_ids = set(s.scalars(select(Initiative.id)))
        if allow_new_owners:
            for row in raw_rows:
                name = (row.get("owner") or "").strip()
                if name:
                    owners.setdefault(name.lower(), name)
        # First pass: check every row and settle ids, so depends_on may name rows further down the file.
        planned: list[tuple[int, str | None, dict, list[str], list[tuple]]] = []
        file_ids: set[str] = set()
        for line, row in enumerate(raw_rows, start=2):
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue
            values = {k: v for k, v in row.items() if k in EDITABLE_FIELDS and k != "source_idea_id"}
            key = (row.get("id") or "").strip().upper() or None
            if key and key not in existing_ids and not ID_PATTERN.match(key):
                problems.append(Problem(f"id {key!r} is not an existing initiative nor a new INI-### id",
                                        file=file_name, row=line, field="id"))
            if key and key in file_ids:
                problems.append(Problem(f"id {key} appears twice in the file", file=file_name, row=line,
                                        field="id"))
            if key:
                file_ids.add(key)
            updating = key in existing_ids
            if updating:
                values = {k: v for k, v in values.items() if (v or "").strip()}  # blank cell: leave as is
            clean, found = clean_fields(values, known_owners=owners, partial=updating, row=line, file=file_name)
            problems.extend(found)
            milestones = []
            for part in [p.strip() for p in (row.get("milestones") or "").split(";") if p.strip()]:
                date_text, _, title = part.partition(":")
                try:
                    due = parse_date(date_text)
                except (TypeError, ValueError):
                    due = None
                if due is None or not title.strip():
                    problems.append(Problem(f"milestone {part!r} is not written as 'YYYY-MM-DD: title'",
                                            file=file_name, row=line, field="milestones"))
                else:
                    milestones.append((title.strip()[:300], due))
            planned.append((line, key, clean, [d.upper() for d in _split(row.get("depends_on"))], milestones))

        # Give new rows their ids now (after reading every explicit id, so generated ones never collide).
        # New ids continue after the highest id in the database or the file, so they read in file order.
        taken = existing_ids | file_ids
        next_number = max([int(m.group(1)) for m in map(ID_PATTERN.match, taken) if m] + [0]) + 1
        settled = []
        for line, key, clean, deps, milestones in planned:
            if key is None:
                while f"INI-{next_number:03d}" in taken:
                    next_number += 1
                key = f"INI-{next_number:03d}"
                taken.add(key)
            settled.append((line, key, clean, deps, milestones))

        existing_edges = [tuple(r) for r in s.execute(select(Dependency.predecessor_id, Dependency.successor_id))]
        new_edges, edge_rows = [], []
        for line, key, _clean, deps, _m in settled:
            for pred in deps:
                if (pred, key) not in existing_edges and (pred, key) not in new_edges:
                    new_edges.append((pred, key))
                    edge_rows.append(line)
        problems.extend(check_new_dependencies(existing_edges, new_edges, existing_ids | {k for _, k, *_ in settled},
                                               file=file_name, rows=edge_rows))
        if problems:
            raise ValidationFailed(problems)

        for line, key, clean, _deps, milestones in settled:
            ini = s.get(Initiative, key)
            if ini is None:
                _add_initiative(s, actor, clean, initiative_id=key, note="imported")
                result.created.append(key)
            else:
                changed, found = _apply_changes(s, actor, ini, clean, row=line)
                if found:
                    problems.extend(Problem(p.message, file=file_name, row=line, field=p.field) for p in found)
                (result.updated if changed else result.unchanged).append(key)
            have = {(t, d) for t, d in s.execute(select(Milestone.title, Milestone.due)
                                                  .where(Milestone.initiative_id == key))}
            for title, due in milestones:
                if (title, due) not in have:
                    s.add(Milestone(initiative_id=key, title=title, due=due, done=False))
                    result.milestones_added += 1
        if problems:
            raise ValidationFailed(problems)
        s.flush()
        for pred, succ in new_edges:
            s.add(Dependency(predecessor_id=pred, successor_id=succ))
        result.dependencies_added = len(new_edges)
        for key in {succ for _, succ in new_edges} | {k for _, k, *_ in settled}:
            s.get(Initiative, key).updated_at = utcnow()
        record_event(s, actor.name, "roadmap.import", "initiative", file_name or "csv", None,
                     {"created": result.created, "updated": result.updated,
                      "dependencies_added": result.dependencies_added,
                      "milestones_added": result.milestones_added})
    return result
