"""Investigation case notes: import a case file (all rows or none) and read the recent notes back.

A case file has one row per case: `case_id`, `opened_at`, `text`, and optionally `marketplace` and `site`. CSV
(row numbers as a spreadsheet shows them, header = row 1) or JSONL (a row is its line number). Importing a case again
replaces its note when it changed and leaves it alone when it did not, so re-importing a file is harmless.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from rm_core.audit import record_event
from rm_core.errors import Problem, ValidationFailed
from rm_core.identity import Actor, require
from rm_core.store.db import read_session, write_session
from rm_core.store.models import CaseNote, utcnow

REQUIRED = ("case_id", "opened_at", "text")
OPTIONAL = ("marketplace", "site")
SITES = ("India", "Costa Rica")
MAX_TEXT = 20_000
MAX_ROWS = 100_000


@dataclass(frozen=True)
class CaseNoteRecord:
    case_id: str
    opened_at: dt.datetime
    text: str
    marketplace: str
    site: str


@dataclass(frozen=True)
class CaseImportReport:
    file: str
    created: int
    updated: int
    unchanged: int


def _rows(raw: bytes, name: str) -> list[tuple[int, dict]]:
    """(row or line number, values) per record; a file that cannot be read names the line."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(Problem(f"is not UTF-8 text (byte {exc.start}); save it as UTF-8", file=name)) from None
    if not text.strip():
        raise ValidationFailed(Problem("is empty: it has no rows", file=name))
    suffix = Path(name).suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        out = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError as exc:
                raise ValidationFailed(Problem(f"line {number} is not valid JSON ({exc.msg}, column {exc.colno})",
                                               file=name)) from None
            if not isinstance(value, dict):
                raise ValidationFailed(Problem(f"line {number} is not a JSON object", file=name))
            out.append((number, value))
        return out
    if suffix != ".csv":
        raise ValidationFailed(Problem("use a .csv or .jsonl case file", file=name))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise ValidationFailed(Problem(f"cannot be read ({exc})", file=name, row=reader.line_num)) from None
    header = [h.strip().lower() for h in records[0]]
    out = []
    for number, values in enumerate(records[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise ValidationFailed(Problem(f"has {len(values)} cells; the header has {len(header)}", file=name,
                                           row=number))
        out.append((number, dict(zip(header, values))))
    return out


def _parse_time(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    text = str(value).strip()
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment


def read_case_file(raw: bytes, name: str) -> list[CaseNoteRecord]:
    """Every row checked; any problem refuses the whole file (each names the row and the field)."""
    rows = _rows(raw, name)
    if not rows:
        raise ValidationFailed(Problem("has a header but no rows", file=name))
    if len(rows) > MAX_ROWS:
        raise ValidationFailed(Problem(f"has more than {MAX_ROWS:,} rows; split it", file=name))
    problems: list[Problem] = []
    columns = {k for _, row in rows for k in row}
    for column in sorted(columns - set(REQUIRED) - set(OPTIONAL)):
        problems.append(Problem(f"is not a case-file column (columns: {', '.join(REQUIRED + OPTIONAL)})",
                                file=name, field=column))
    for column in REQUIRED:
        if column not in columns:
            problems.append(Problem("required column is missing", file=name, field=column))
    if problems:
        raise ValidationFailed(problems)
    seen: dict[str, int] = {}
    out: list[CaseNoteRecord] = []
    for number, row in rows:
        def bad(field: str, message: str) -> None:
            problems.append(Problem(message, file=name, row=number, field=field))

        case_id = str(row.get("case_id") or "").strip()
        text = str(row.get("text") or "").strip()
        marketplace = str(row.get("marketplace") or "").strip().upper()
        site = str(row.get("site") or "").strip()
        if not case_id:
            bad("case_id", "is empty")
        elif len(case_id) > 64:
            bad("case_id", f"is {len(case_id)} characters; at most 64")
        elif case_id in seen:
            bad("case_id", f"{case_id} is also on row {seen[case_id]}")
        else:
            seen[case_id] = number
        opened = None
        if not str(row.get("opened_at") or "").strip():
            bad("opened_at", "is empty")
        else:
            try:
                opened = _parse_time(row["opened_at"])
            except (TypeError, ValueError):
                bad("opened_at", f"{row['opened_at']!r} is not a date like 2026-11-02 or 2026-11-02T14:30")
        if not text:
            bad("text", "is empty")
        elif len(text) > MAX_TEXT:
            bad("text", f"is {len(text):,} characters; at most {MAX_TEXT:,}")
        if len(marketplace) > 8:
            bad("marketplace", f"{marketplace!r} is not a marketplace code like US or DE")
        if site and site not in SITES:
            bad("site", f"must be one of {', '.join(SITES)}")
        if opened is not None:
            out.append(CaseNoteRecord(case_id, opened, text, marketplace, site))
    if problems:
        raise ValidationFailed(problems)
    return out


def import_case_notes(actor: Actor, raw: bytes, name: str) -> CaseImportReport:
    """Import a whole case file or nothing; a case already imported is updated when its note changed."""
    require(actor, "mo.edit")
    records = read_case_file(raw, name)
    created = updated = unchanged = 0
    with write_session() as s:
        existing = {}
        ids = [r.case_id for r in records]
        for start in range(0, len(ids), 500):
            existing.update({n.case_id: n for n in s.scalars(select(CaseNote).where(
                CaseNote.case_id.in_(ids[start:start + 500])))})
        for r in records:
            note = existing.get(r.case_id)
            values = dict(opened_at=r.opened_at, text=r.text, marketplace=r.marketplace, site=r.site)
            if note is None:
                s.add(CaseNote(case_id=r.case_id, source_file=name, imported_by=actor.name, imported_at=utcnow(),
                               **values))
                created += 1
            elif any(getattr(note, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(note, k, v)
                note.source_file, note.imported_by, note.imported_at = name, actor.name, utcnow()
                updated += 1
            else:
                unchanged += 1
        record_event(s, actor.name, "case_notes.import", "file", name, None,
                     {"created": created, "updated": updated, "unchanged": unchanged})
    return CaseImportReport(name, created, updated, unchanged)


def case_notes_since(since: dt.datetime) -> list[CaseNoteRecord]:
    with read_session() as s:
        return [CaseNoteRecord(n.case_id, n.opened_at, n.text, n.marketplace, n.site)
                for n in s.scalars(select(CaseNote).where(CaseNote.opened_at >= since).order_by(CaseNote.opened_at))]
