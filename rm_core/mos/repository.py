"""MOs in the database: validated create/edit with version history, import, and keeping the index in step.

The SQL row is the truth. Every write queues the MO in `index_outbox` in the same transaction; the index is
written after the commit and the queue entry removed once Chroma has it. A crash in between leaves the entry,
and `sync_index` (run at start-up) replays it, then compares every MO's indexed content with its row (a content
hash and chunk count on every chunk): no MO in the database without all its passages for long, none in the index
without its row, none indexed with content its row no longer holds.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from rm_core.audit import record_event, snapshot
from rm_core.errors import NotFound, Problem, UserError, ValidationFailed
from rm_core.identity import Actor, require
from rm_core.mos.records import MODoc
from rm_core.store.db import read_session, write_session
from rm_core.store.models import MO, Gap, GapEvidence, IndexOutbox, Initiative, MOVersion, Request, Rule, RuleMO, utcnow

log = logging.getLogger(__name__)

ABUSE_FAMILIES = (
    "identity fraud", "account takeover", "related/linked accounts", "counterfeit and IP abuse",
    "review manipulation", "listing or inventory hijacking", "payment and gift-card fraud", "refund/return abuse",
    "fee and promotion abuse", "policy circumvention after suspension", "shipping/fulfilment fraud",
    "money laundering through sales",
)
STAGES = ("onboarding", "positioning", "monetization", "evasion")
STATUSES = ("draft", "active", "dormant", "mitigated", "retired")
SEVERITIES = ("S1", "S2", "S3", "S4")
SITES = ("India", "Costa Rica")
SOURCES = ("investigation", "partner request", "ML model", "ai_assist", "import")
AI_ASSIST = "ai_assist"  # the source of an MO saved from an AI-assist draft (rm_core.ai)
# Any reasonable external id is kept as given (MITRE F3's "F1007.001", "ext:abc-42"); new MOs are numbered MO-NNNN.
MO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
MO_ID_RULE = "letters, digits, '.', '-', '_' and ':', at most 64 characters, starting with a letter or digit"
VERSIONED = ("title", "aliases", "summary", "narrative", "abuse_family", "stage", "signals", "mediums",
             "marketplaces", "site", "status", "severity", "confidence", "first_seen", "last_seen",
             "documented_at", "mitigated_at", "est_accounts", "est_exposure_usd", "source", "owner")
MAX_TEXT = 100_000


def _split_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in re.split(r"[;,|\n]", value) if v.strip()]
    return [str(v).strip() for v in value if str(v).strip()]


class MOInput(BaseModel):
    """What a user may set on an MO; every field is checked before anything is written."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    title: str = Field(min_length=3, max_length=300)
    summary: str = Field(default="", max_length=5_000)
    narrative: str = Field(default="", max_length=MAX_TEXT)
    aliases: list[str] = []
    abuse_family: str = Field(default="", max_length=64)
    stage: str = ""
    signals: list[str] = []
    mediums: list[str] = []
    marketplaces: list[str] = []
    site: str = ""
    status: str = "draft"
    severity: str = "S3"
    confidence: str = "medium"
    first_seen: dt.date | None = None
    last_seen: dt.date | None = None
    documented_at: dt.date | None = None
    mitigated_at: dt.date | None = None
    est_accounts: int | None = Field(default=None, ge=0)
    est_exposure_usd: float | None = Field(default=None, ge=0)
    source: str = "investigation"
    drafted_by: str = Field(default="", max_length=128)
    owner: str = Field(default="", max_length=64)

    @field_validator("aliases", "signals", "mediums", "marketplaces", mode="before")
    @classmethod
    def _lists(cls, v: Any) -> list[str]:
        return _split_list(v)

    @field_validator("stage", "status", "confidence", "abuse_family", mode="before")
    @classmethod
    def _lower(cls, v: Any) -> str:
        return "" if v is None else str(v).strip().lower()

    @field_validator("severity", mode="before")
    @classmethod
    def _sev(cls, v: Any) -> str:
        return "S3" if v in (None, "") else str(v).strip().upper()

    @field_validator("first_seen", "last_seen", "documented_at", "mitigated_at", mode="before")
    @classmethod
    def _blank_date(cls, v: Any) -> Any:
        return None if v in ("", None) else v

    @field_validator("stage")
    @classmethod
    def _stage(cls, v: str) -> str:
        if v and v not in STAGES:
            raise ValueError(f"must be one of {', '.join(STAGES)}")
        return v

    @field_validator("status")
    @classmethod
    def _status(cls, v: str) -> str:
        if v not in STATUSES:
            raise ValueError(f"must be one of {', '.join(STATUSES)}")
        return v

    @field_validator("severity")
    @classmethod
    def _severity(cls, v: str) -> str:
        if v not in SEVERITIES:
            raise ValueError(f"must be one of {', '.join(SEVERITIES)}")
        return v

    @field_validator("confidence")
    @classmethod
    def _confidence(cls, v: str) -> str:
        if v not in ("low", "medium", "high"):
            raise ValueError("must be low, medium or high")
        return v


def problems_from(exc: ValidationError, file: str | None = None, row: int | None = None) -> list[Problem]:
    return [Problem(err["msg"].removeprefix("Value error, "), file=file, row=row,
                    field=".".join(str(p) for p in err["loc"]) or None) for err in exc.errors()]


def validate_input(data: dict[str, Any], file: str | None = None, row: int | None = None) -> MOInput:
    try:
        return MOInput.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(problems_from(exc, file, row)) from None


# --- index documents --------------------------------------------------------------------------------------

def mo_text(mo: MO) -> str:
    # Imports often carry one description as both summary and narrative: index it once.
    parts = [mo.narrative] if mo.summary and mo.narrative.startswith(mo.summary) else [mo.summary, mo.narrative]
    if mo.signals:
        parts.append("Signals: " + "; ".join(mo.signals))
    if mo.aliases:
        parts.append("Also known as: " + "; ".join(mo.aliases))
    return "\n\n".join(p for p in parts if p)


def to_doc(mo: MO) -> MODoc:
    return MODoc(mo.id, mo.title, mo_text(mo), {
        "abuse_family": mo.abuse_family, "stage": mo.stage, "marketplaces": mo.marketplaces, "site": mo.site,
        "status": mo.status, "severity": mo.severity, "first_seen": mo.first_seen})


def load_docs(ids: Iterable[str]) -> list[MODoc]:
    ids = list(ids)
    out: list[MODoc] = []
    with read_session() as s:
        for start in range(0, len(ids), 500):
            out += [to_doc(m) for m in s.scalars(select(MO).where(MO.id.in_(ids[start:start + 500])))]
    return out


def _queue(session: Session, mo_id: str, op: str) -> None:
    existing = session.get(IndexOutbox, mo_id)
    if existing:
        existing.op, existing.queued_at = op, utcnow()
    else:
        session.add(IndexOutbox(mo_id=mo_id, op=op))


def _apply_to_index(engine: Any, mo_ids: list[str]) -> None:
    """Write queued MOs to the index, then clear their queue entries (only once Chroma has them)."""
    if engine is None or not mo_ids:
        return
    with read_session() as s:
        ops = {o.mo_id: o.op for o in s.scalars(select(IndexOutbox).where(IndexOutbox.mo_id.in_(mo_ids)))}
    upserts = [m for m, op in ops.items() if op == "upsert"]
    docs = load_docs(upserts)
    if len(docs) == 1:
        engine.upsert(docs[0])
    elif docs:
        engine.index(docs)
    for mo_id, op in ops.items():
        if op == "delete":
            engine.delete(mo_id)
    with write_session() as s:
        s.execute(delete(IndexOutbox).where(IndexOutbox.mo_id.in_(list(ops))))


def next_mo_id(session: Session) -> str:
    numbers = [int(m.group(1)) for (i,) in session.execute(select(MO.id).where(MO.id.like("MO-%")))
               if (m := re.fullmatch(r"MO-(\d+)", i))]
    return f"MO-{(max(numbers) + 1 if numbers else 1):04d}"


# --- services ---------------------------------------------------------------------------------------------

def create_mo(actor: Actor, data: dict[str, Any], engine: Any = None, mo_id: str | None = None,
              note: str = "created") -> MO:
    require(actor, "mo.edit")
    values = validate_input(data).model_dump()
    with write_session() as s:
        new_id = mo_id or next_mo_id(s)
        if s.get(MO, new_id) is not None:
            raise UserError(f"{new_id} already exists; edit it instead or choose another id.")
        mo = MO(id=new_id, version=1, updated_by=actor.name, updated_at=utcnow(), **values)
        s.add(mo)
        s.flush()
        after = snapshot(mo, list(VERSIONED))
        s.add(MOVersion(mo_id=new_id, version=1, changed_by=actor.name, snapshot=after, note=note))
        record_event(s, actor.name, "mo.create", "mo", new_id, None, after)
        _queue(s, new_id, "upsert")
    _apply_to_index(engine, [new_id])
    return mo


def update_mo(actor: Actor, mo_id: str, changes: dict[str, Any], engine: Any = None, note: str = "",
              expected_version: int | None = None) -> MO:
    """Apply `changes` (any MOInput fields); a new version is kept with who changed what.

    `expected_version` guards against two people editing the same MO at once: the later save is refused.
    """
    return save_new_version(actor, mo_id, lambda _s, _mo: (changes, {}), engine=engine, note=note,
                            expected_version=expected_version, action="mo.update",
                            stale="while you were editing", reload="reload it and apply your change again")


def save_new_version(actor: Actor, mo_id: str, changes_of: Callable[[Session, MO], tuple[dict[str, Any], dict]], *,
                     engine: Any, note: str, expected_version: int | None, action: str, stale: str, reload: str,
                     unchanged: str | None = None) -> MO:
    """The one way an MO gets a new version (an edit, a restore): `changes_of(session, mo)` -> (field changes, extra
    audit fields) is validated over the current content; when anything differs the version goes up, the snapshot is
    kept, `action` is audited and the index follows. No change returns the MO as it is, or refuses with `unchanged`.
    `expected_version` refuses the write when someone saved the MO since the reader looked ("... `stale` ...")."""
    require(actor, "mo.edit")
    with write_session() as s:
        mo = s.get(MO, mo_id)
        if mo is None:
            raise NotFound(f"No MO {mo_id}.")
        if expected_version is not None and mo.version != expected_version:
            raise UserError(f"{mo_id} was changed by {mo.updated_by} {stale} (now version {mo.version}); {reload}.")
        before = snapshot(mo, list(VERSIONED))
        changes, extra = changes_of(s, mo)
        merged = validate_input({**before, **changes}).model_dump()
        for key, value in merged.items():
            setattr(mo, key, value)
        after = snapshot(mo, list(VERSIONED))
        if after == before:
            if unchanged is not None:
                raise UserError(unchanged)
            return mo
        mo.version += 1
        mo.updated_by, mo.updated_at = actor.name, utcnow()
        s.add(MOVersion(mo_id=mo_id, version=mo.version, changed_by=actor.name, snapshot=after, note=note))
        record_event(s, actor.name, action, "mo", mo_id, before, {**after, **extra})
        _queue(s, mo_id, "upsert")
    _apply_to_index(engine, [mo_id])
    return mo


def delete_mo(actor: Actor, mo_id: str, engine: Any = None) -> None:
    require(actor, "mo.edit")
    with write_session() as s:
        mo = s.get(MO, mo_id)
        if mo is None:
            raise NotFound(f"No MO {mo_id}.")
        record_event(s, actor.name, "mo.delete", "mo", mo_id, snapshot(mo, list(VERSIONED)), None)
        s.delete(mo)
        _queue(s, mo_id, "delete")
    _apply_to_index(engine, [mo_id])


# --- reading ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class VersionEntry:
    version: int
    changed_at: dt.datetime
    changed_by: str
    note: str
    changed_fields: list[str]


@dataclass(frozen=True)
class LinkedRule:
    rule_id: str
    name: str
    status: str
    role: str


@dataclass
class MODetail:
    mo: MO
    rules: list[LinkedRule] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    initiatives: list[Initiative] = field(default_factory=list)
    history: list[VersionEntry] = field(default_factory=list)


def mo_detail(mo_id: str) -> MODetail:
    with read_session() as s:
        mo = s.get(MO, mo_id)
        if mo is None:
            raise NotFound(f"No MO {mo_id}.")
        rules = [LinkedRule(r.id, r.name, r.status, role) for r, role in s.execute(
            select(Rule, RuleMO.role).join(RuleMO, RuleMO.rule_id == Rule.id).where(RuleMO.mo_id == mo_id)
            .order_by(Rule.id))]
        requests = list(s.scalars(select(Request).where(Request.mo_id == mo_id).order_by(Request.opened_at.desc())))
        gap_ids = set(s.scalars(select(GapEvidence.gap_id).where(GapEvidence.mo_id == mo_id)))
        gap_ids |= {r.gap_id for r in requests if r.gap_id}
        gaps = list(s.scalars(select(Gap).where(Gap.id.in_(gap_ids)).order_by(Gap.id))) if gap_ids else []
        ini_ids = {g.initiative_id for g in gaps if g.initiative_id}
        initiatives = list(s.scalars(select(Initiative).where(Initiative.id.in_(ini_ids)))) if ini_ids else []
        versions = list(s.scalars(select(MOVersion).where(MOVersion.mo_id == mo_id).order_by(MOVersion.version)))
    history, previous = [], {}
    for v in versions:
        changed = sorted(k for k in v.snapshot if v.snapshot.get(k) != previous.get(k)) if previous else ["created"]
        history.append(VersionEntry(v.version, v.changed_at, v.changed_by, v.note, changed))
        previous = v.snapshot
    return MODetail(mo, rules, requests, gaps, initiatives, list(reversed(history)))


def mo_titles(ids: Iterable[str]) -> dict[str, str]:
    ids = list(ids)
    if not ids:
        return {}
    with read_session() as s:
        return dict(s.execute(select(MO.id, MO.title).where(MO.id.in_(ids))).all())


def count_mos() -> int:
    with read_session() as s:
        return s.scalar(select(func.count()).select_from(MO)) or 0


def all_mo_ids() -> list[str]:
    with read_session() as s:
        return list(s.scalars(select(MO.id)))


@dataclass(frozen=True)
class CoverageRow:
    mo_id: str
    title: str
    status: str
    severity: str
    rules: int
    active_rules: int
    candidate_rules: int
    gap: str  # "no rule", "no active rule", "only candidates for retirement", ""


def coverage(include_mitigated: bool = False) -> list[CoverageRow]:
    """MOs with no active rule, and MOs whose rules are all candidates for retirement."""
    with read_session() as s:
        counts: dict[str, dict[str, int]] = {}
        for mo_id, status in s.execute(select(RuleMO.mo_id, Rule.status).join(Rule, Rule.id == RuleMO.rule_id)):
            c = counts.setdefault(mo_id, {})
            c[status] = c.get(status, 0) + 1
        rows = []
        statuses = ("active", "draft", "dormant") + (("mitigated",) if include_mitigated else ())
        for mo in s.scalars(select(MO).where(MO.status.in_(statuses)).order_by(MO.severity, MO.id)):
            c = counts.get(mo.id, {})
            total, active, cand = sum(c.values()), c.get("active", 0), c.get("candidate", 0) + c.get("shadow", 0)
            if total == 0:
                gap = "no rule"
            elif active == 0 and cand:
                gap = "only candidates for retirement"
            elif active == 0:
                gap = "no active rule"
            else:
                continue
            rows.append(CoverageRow(mo.id, mo.title, mo.status, mo.severity, total, active, cand, gap))
    return rows


# --- import -----------------------------------------------------------------------------------------------

IMPORT_REQUIRED = ("title", "description")
# Every column an MO file may have: `mo_id`, `description` (the write-up) and the MOInput fields.
IMPORT_COLUMNS = ("mo_id", "description", *(f for f in MOInput.model_fields if f != "narrative"))
# Names other tools give these columns: offered as mappings, never applied silently.
IMPORT_SYNONYMS = {
    "id": "mo_id", "mo": "mo_id", "technique_id": "mo_id", "abuse_type": "abuse_family", "family": "abuse_family",
    "category": "abuse_family", "marketplace": "marketplaces", "markets": "marketplaces", "name": "title",
    "text": "description", "narrative": "description", "details": "description", "alias": "aliases",
    "signal": "signals", "medium": "mediums", "priority": "severity", "owner_alias": "owner",
}


@dataclass(frozen=True)
class ProbableDuplicate:
    row: int
    title: str
    existing: str   # the MO with the same title and text


@dataclass(frozen=True)
class ImportReport:
    file: str
    created: int
    updated: int
    indexed: int
    unchanged: int = 0
    duplicates: tuple[ProbableDuplicate, ...] = ()   # rows without an id that match an MO: skipped unless allowed
    created_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ColumnPlan:
    """What the file's columns become: kept as they are, renamed by the user's mapping, or ignored."""

    columns: tuple[str, ...]                      # as the file names them (trimmed, lower-cased)
    unknown: tuple[str, ...]                      # neither known, mapped nor ignored
    suggestions: dict[str, str]                   # unknown column -> the known column it most likely is


def _clean_column(name: str) -> str:
    return str(name).strip().lstrip("\ufeff").strip().lower()


def suggest_column(name: str) -> str | None:
    """The known column an unknown one most likely is: a common synonym, else the closest spelling."""
    import difflib

    if name in IMPORT_SYNONYMS:
        return IMPORT_SYNONYMS[name]
    close = difflib.get_close_matches(name, IMPORT_COLUMNS, n=1, cutoff=0.6)
    return close[0] if close else None


def plan_columns(columns: Iterable[str], mapping: dict[str, str] | None = None,
                 ignore: Iterable[str] = ()) -> ColumnPlan:
    columns = tuple(dict.fromkeys(_clean_column(c) for c in columns))
    mapping = {_clean_column(k): _clean_column(v) for k, v in (mapping or {}).items()}
    ignored = {_clean_column(c) for c in ignore}
    unknown = tuple(c for c in columns if c not in IMPORT_COLUMNS and c not in mapping and c not in ignored)
    return ColumnPlan(columns, unknown, {c: s for c in unknown if (s := suggest_column(c))})


def _check_columns(columns: list[str], name: str, mapping: dict[str, str], ignore: set[str]) -> None:
    """Unknown, badly mapped or missing columns refuse the file, each named with what to do about it."""
    problems: list[Problem] = []
    for src, dest in mapping.items():
        if src not in columns:
            problems.append(Problem(f"is mapped to `{dest}` but the file has no column `{src}`", file=name, field=src))
        elif dest not in IMPORT_COLUMNS:
            hint = suggest_column(dest)
            problems.append(Problem(f"cannot be mapped to `{dest}`: it is not a column"
                                    + (f"; did you mean `{hint}`?" if hint else ""), file=name, field=src))
    targets = [mapping.get(c, c) for c in columns if c not in ignore]
    for dest in sorted({t for t in targets if targets.count(t) > 1 and t in IMPORT_COLUMNS}):
        sources = [c for c in columns if c not in ignore and mapping.get(c, c) == dest]
        problems.append(Problem(f"{' and '.join(f'`{c}`' for c in sources)} would both become `{dest}`; map or "
                                "ignore one of them", file=name, field=dest))
    for column in plan_columns(columns, mapping, ignore).unknown:
        hint = suggest_column(column)
        problems.append(Problem(f"`{column}` is not a column" + (f"; did you mean `{hint}`?" if hint else ".")
                                + " Map it to a column or ignore it.", file=name, field=column))
    missing = [c for c in IMPORT_REQUIRED if c not in targets]
    problems += [Problem("required column is missing", file=name, field=c) for c in missing]
    if problems:
        raise ValidationFailed(problems)


def _read_jsonl(raw: str, name: str) -> tuple[list[str], list[dict[str, Any]], list[int]]:
    import json

    rows, lines, columns = [], [], {}
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(Problem(f"line {number} is not valid JSON ({exc.msg.removesuffix(' at')[:1].lower()}"
                                           f"{exc.msg.removesuffix(' at')[1:]} at column {exc.colno})",
                                           file=name, row=number)) from None
        if not isinstance(value, dict):
            raise ValidationFailed(Problem(f"line {number} is not a JSON object ({{\"title\": …}})", file=name,
                                           row=number))
        rows.append(value)
        lines.append(number)
        columns.update(dict.fromkeys(value))
    return list(columns), rows, lines


def _read_csv(raw: str, name: str) -> tuple[list[str], list[dict[str, Any]], list[int]]:
    """Rows of a CSV with the row number of each (the header is row 1); ragged rows and a quote never closed are
    refused naming the row and line."""
    import csv
    import io

    reader = csv.reader(io.StringIO(raw, newline=""), strict=True)
    records: list[tuple[int, int, list[str]]] = []
    line = 0
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            row = len(records) + 1
            message = ("a quoted cell is opened and never closed" if "end of data" in str(exc) or "EOF" in str(exc)
                       else f"cannot be read ({exc})")
            raise ValidationFailed(Problem(f"row {row} (from line {start}): {message}", file=name, row=row)) from None
        line = reader.line_num
        if record or records:
            records.append((start, line, record))
    records = [r for r in records if any(cell.strip() for cell in r[2])] if records else []
    if not records:
        raise ValidationFailed(Problem("is empty: it has no rows", file=name))
    header = records[0][2]
    problems = []
    rows, numbers = [], []
    for number, (start, _, record) in enumerate(records[1:], start=2):
        if len(record) != len(header):
            problems.append(Problem(f"row {number} (line {start}) has {len(record)} cells, the header has "
                                    f"{len(header)}", file=name, row=number))
            continue
        rows.append(dict(zip(header, record)))
        numbers.append(number)
    if problems:
        raise ValidationFailed(problems)
    return header, rows, numbers


def file_columns(path: Path, name: str | None = None) -> list[str]:
    """The column names of an MO file as the import reads them (trimmed, lower-cased), for the mapping step:
    a CSV's header, every key of a JSONL file, a Parquet file's schema. Unreadable files raise ValidationFailed."""
    import csv

    name = name or path.name
    suffix = Path(name).suffix.lower()
    if suffix == ".parquet":
        import polars as pl

        try:
            columns = list(pl.read_parquet_schema(path))
        except Exception as exc:  # polars raises many kinds for malformed files
            raise ValidationFailed(Problem(f"cannot be read: {str(exc).splitlines()[0][:200]}", file=name)) from None
    elif suffix == ".csv":
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                columns = next(csv.reader(handle), [])
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise ValidationFailed(Problem(f"cannot be read ({exc})", file=name)) from None
    elif suffix in (".jsonl", ".ndjson"):
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationFailed(Problem(f"cannot be read ({exc})", file=name)) from None
        columns = _read_jsonl(text, name)[0]
    else:
        raise ValidationFailed(Problem("use a .csv, .jsonl or .parquet file", file=name))
    return list(dict.fromkeys(_clean_column(c) for c in columns if str(c).strip()))


def read_import_file(path: Path, name: str | None = None, mapping: dict[str, str] | None = None,
                     ignore: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Rows of a CSV, JSONL or Parquet file as dicts with known column names, each with its row (CSV: header is row
    1) or line number (JSONL) under "_row". Unreadable files, parse errors (naming the line or row), unknown
    columns (naming the closest known one) and missing required columns raise ValidationFailed."""
    name = name or path.name
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson", ".parquet"):
        raise ValidationFailed(Problem("use a .csv, .jsonl or .parquet file", file=name))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValidationFailed(Problem(f"cannot be read ({exc.strerror})", file=name)) from None
    if not raw.strip():
        raise ValidationFailed(Problem("is empty: it has no rows", file=name))
    if suffix == ".parquet":
        import polars as pl

        try:
            frame = pl.read_parquet(path)
        except Exception as exc:  # polars raises many kinds for malformed files
            raise ValidationFailed(Problem(f"cannot be read: {str(exc).splitlines()[0][:200]}", file=name)) from None
        columns, rows, numbers = frame.columns, frame.to_dicts(), list(range(1, frame.height + 1))
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[:exc.start].count(b"\n") + 1
            raise ValidationFailed(Problem(f"is not UTF-8 text (line {line}, byte {exc.start}); save it as UTF-8",
                                           file=name, row=line)) from None
        columns, rows, numbers = (_read_csv if suffix == ".csv" else _read_jsonl)(text, name)
    if not rows:
        raise ValidationFailed(Problem("has a header but no rows", file=name))
    mapping = {_clean_column(k): _clean_column(v) for k, v in (mapping or {}).items()}
    ignored = {_clean_column(c) for c in ignore}
    clean = [_clean_column(c) for c in columns]
    _check_columns(list(dict.fromkeys(clean)), name, mapping, ignored)
    out = []
    for number, row in zip(numbers, rows):
        item: dict[str, Any] = {"_row": number}
        for key, value in row.items():
            column = _clean_column(key)
            if column not in ignored:
                item[mapping.get(column, column)] = value
        out.append(item)
    return out


@dataclass(frozen=True)
class ImportRow:
    mo_id: str | None
    values: MOInput
    given: frozenset[str]  # fields the file sets (non-empty cells): an update changes only these
    row: int = 0


def validate_import(rows: list[dict[str, Any]], name: str) -> list[ImportRow]:
    """Every row checked; any problem refuses the whole file."""
    problems: list[Problem] = []
    valid: list[ImportRow] = []
    seen: dict[str, int] = {}
    fields = set(MOInput.model_fields)
    first = 2 if name.lower().endswith(".csv") else 1
    for index, row in enumerate(rows):
        i = row.get("_row", index + first)
        mo_id = (str(row.get("mo_id") or "").strip()) or None
        if mo_id and not MO_ID.match(mo_id):
            problems.append(Problem(f"{mo_id!r} is not an MO id: use {MO_ID_RULE}", file=name, row=i, field="mo_id"))
        if mo_id and mo_id in seen:
            problems.append(Problem(f"{mo_id} also on row {seen[mo_id]}", file=name, row=i, field="mo_id"))
        if mo_id:
            seen[mo_id] = i
        description = row.get("description")
        if description is None or not str(description).strip():
            problems.append(Problem("is empty", file=name, row=i, field="description"))
            continue
        data = {k: v for k, v in row.items() if k not in ("mo_id", "description", "_row") and v not in (None, "")}
        data["narrative"] = str(description)
        given = frozenset(k for k in data if k in fields)
        data.setdefault("summary", str(description)[:500])  # a new MO needs a summary for its card
        data.setdefault("source", "import")
        try:
            valid.append(ImportRow(mo_id, MOInput.model_validate(data), given, i))
        except ValidationError as exc:
            problems += problems_from(exc, name, i)
    if problems:
        raise ValidationFailed(problems)
    return valid


def _same_text(value: str) -> str:
    return " ".join((value or "").split()).casefold()


def import_mos(actor: Actor, path: Path, engine: Any = None, name: str | None = None,
               progress: Callable[[int, int], None] | None = None, mapping: dict[str, str] | None = None,
               ignore: Iterable[str] = (), allow_duplicates: bool = False) -> ImportReport:
    """Import a whole file or nothing.

    A row naming an existing mo_id updates only the fields the file sets (a new version), and is counted unchanged
    when they already hold those values: importing a file twice changes nothing. A row naming a new id creates the
    MO under that id, as given. A row without an id whose title and text match an existing MO is a probable
    duplicate: listed and skipped unless `allow_duplicates`; other rows without an id create MOs numbered MO-NNNN
    after every such id in the database and in the file. `mapping` renames columns ({"abuse_type":
    "abuse_family"}), `ignore` drops them; any other unknown column refuses the file."""
    require(actor, "mo.edit")
    name = name or path.name
    valid = validate_import(read_import_file(path, name, mapping, ignore), name)
    created = updated = unchanged = 0
    touched: list[str] = []
    duplicates: list[ProbableDuplicate] = []
    new_ids: list[str] = []
    with write_session() as s:
        named = [r.mo_id for r in valid if r.mo_id]
        taken = [i for (i,) in s.execute(select(MO.id))] + named
        next_number = max((int(m.group(1)) for i in taken if (m := re.fullmatch(r"MO-(\d+)", i))), default=0) + 1
        existing = {m.id: m for m in s.scalars(select(MO).where(MO.id.in_(named)))} if named else {}
        anonymous = [r for r in valid if not r.mo_id]
        by_text: dict[tuple[str, str], str] = {}
        if anonymous and not allow_duplicates:
            titles = {_same_text(r.values.title) for r in anonymous}
            for mo_id, title, narrative in s.execute(select(MO.id, MO.title, MO.narrative)):
                if _same_text(title) in titles:
                    by_text.setdefault((_same_text(title), _same_text(narrative)), mo_id)
        for row in valid:
            data = row.values.model_dump()
            mo_id = row.mo_id
            if mo_id and mo_id in existing:
                mo = existing[mo_id]
                before = snapshot(mo, list(VERSIONED))
                for k in row.given:
                    setattr(mo, k, data[k])
                after = snapshot(mo, list(VERSIONED))
                if after == before:
                    unchanged += 1
                    continue
                mo.version += 1
                mo.updated_by, mo.updated_at = actor.name, utcnow()
                s.add(MOVersion(mo_id=mo_id, version=mo.version, changed_by=actor.name, snapshot=after,
                                note=f"import {name}"))
                record_event(s, actor.name, "mo.update", "mo", mo_id, before, after)
                updated += 1
            else:
                if not mo_id:
                    twin = by_text.get((_same_text(row.values.title), _same_text(row.values.narrative)))
                    if twin:
                        duplicates.append(ProbableDuplicate(row.row, row.values.title, twin))
                        continue
                    mo_id = f"MO-{next_number:04d}"
                    next_number += 1
                mo = MO(id=mo_id, version=1, updated_by=actor.name, updated_at=utcnow(), **data)
                s.add(mo)
                s.flush()
                after = snapshot(mo, list(VERSIONED))
                s.add(MOVersion(mo_id=mo_id, version=1, changed_by=actor.name, snapshot=after,
                                note=f"import {name}"))
                record_event(s, actor.name, "mo.create", "mo", mo_id, None, after)
                created += 1
                new_ids.append(mo_id)
            _queue(s, mo_id, "upsert")
            touched.append(mo_id)
        record_event(s, actor.name, "mo.import", "file", name, None,
                     {"created": created, "updated": updated, "unchanged": unchanged,
                      "probable duplicates skipped": [d.row for d in duplicates]})
    indexed = 0
    if engine is not None and touched:
        docs = load_docs(touched)
        engine.index(docs, progress=progress)
        with write_session() as s:
            s.execute(delete(IndexOutbox).where(IndexOutbox.mo_id.in_(touched)))
        indexed = len(docs)
    return ImportReport(name, created, updated, indexed, unchanged, tuple(duplicates), tuple(new_ids))


# --- keeping the index in step ----------------------------------------------------------------------------

@dataclass(frozen=True)
class SyncReport:
    replayed: int
    missing_indexed: int
    orphans_removed: int
    database: int
    index: int
    stale_reindexed: int = 0  # MOs in both whose indexed passages were incomplete or not the database's content

    @property
    def repaired(self) -> bool:
        return bool(self.missing_indexed or self.orphans_removed or self.stale_reindexed)

    def describe(self) -> str:
        return (f"database {self.database:,} MOs, index {self.index:,}; replayed {self.replayed}, "
                f"indexed {self.missing_indexed} missing, re-indexed {self.stale_reindexed} whose passages were "
                f"incomplete or out of date, removed {self.orphans_removed} orphans")


def database_hashes() -> dict[str, str]:
    """{mo_id: content hash} of every MO as the database holds it (what the index must hold)."""
    from rm_core.mos.index import content_hash

    with read_session() as s:
        return {mo.id: content_hash(to_doc(mo)) for mo in s.scalars(select(MO).execution_options(yield_per=1000))}


def sync_index(engine: Any) -> SyncReport:
    """Replay what a crash left in the outbox, then compare every MO's indexed content (hash and complete chunks)
    with the database and repair what differs (start-up and `mo reindex --check`)."""
    with read_session() as s:
        pending = list(s.scalars(select(IndexOutbox.mo_id)))
    _apply_to_index(engine, pending)
    expected = database_hashes()
    drift = engine.repair(expected, load_docs)
    return SyncReport(len(pending), len(drift.missing_from_index), len(drift.orphaned_in_index), len(expected),
                      engine.count(), len(drift.stale_in_index))


def reindex(engine: Any, progress: Callable[[int, int], None] | None = None) -> int:
    with read_session() as s:
        docs = [to_doc(m) for m in s.scalars(select(MO).order_by(MO.id))]
    engine.rebuild(docs, progress=progress)
    with write_session() as s:
        s.execute(delete(IndexOutbox))
    return len(docs)
