"""Bulk import of requests, gaps and SOPs from CSV: every row is checked first and nothing is written unless
all rows are valid; each problem names the file, the row (as a spreadsheet numbers it, header = row 1) and
the field."""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from rm_core.audit import record_event
from rm_core.exports import unneutralise
from rm_core.errors import Problem, ValidationFailed
from rm_core.identity import Actor, require
from rm_core.store.db import read_session, write_session
from rm_core.store.models import MO, SOP, Gap, GapEvidence, Initiative, Request, SOPRollout, StatusChange, utcnow
from rm_core.trackers._records import next_id
from rm_core.trackers.gaps import STAGE_COLUMNS
from rm_core.trackers.gaps import STATUSES as GAP_STATUSES
from rm_core.trackers.requests import ROOT_CAUSES, STATUSES
from rm_core.trackers.sla import KINDS, PRIORITIES, SlaTable
from rm_core.trackers.sops import ROLLOUT_STATUSES

REQUEST_COLUMNS = {
    "required": ("kind", "title", "requester_team"),
    "optional": ("id", "description", "priority", "owner", "site", "status", "opened_at", "sla_due",
                 "resolved_at", "closed_at", "root_cause_category", "root_cause_note", "mo_id", "gap_id"),
}
GAP_COLUMNS = {
    "required": ("title", "owning_team"),
    "optional": ("id", "missing", "status", "identified_at", "quantified_at", "accepted_at", "started_at",
                 "closed_at", "impact_accounts", "impact_usd", "impact_method", "rejected_reason", "initiative_id",
                 "measured_accounts", "measured_usd", "measured_note", "evidence_requests", "evidence_mos"),
}
SOP_COLUMNS = {
    "required": ("title",),
    "optional": ("id", "version", "owner", "last_review", "next_review", "team", "rollout_status",
                 "rollout_version", "planned_date", "live_date"),
}
MAX_ROWS = 200_000


@dataclass(frozen=True)
class ImportResult:
    kind: str           # requests | gaps | sops
    file: str
    created: list[str]  # ids, in file order

    @property
    def count(self) -> int:
        return len(self.created)


def _read(data: bytes | str | Path, file_name: str | None) -> tuple[str, list[str], list[dict[str, str]]]:
    if isinstance(data, Path) or (isinstance(data, str) and "\n" not in data and Path(data).suffix == ".csv"):
        path = Path(data)
        if not path.is_file():
            problem = "is a folder, not a CSV file" if path.is_dir() else "file not found"
            raise ValidationFailed(Problem(problem, file=str(path)))
        name, raw = file_name or path.name, path.read_bytes()
    else:
        name, raw = file_name or "upload.csv", data.encode("utf-8") if isinstance(data, str) else data
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(Problem("is not UTF-8 text; save it as CSV UTF-8", file=name)) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    rows = []
    for row in reader:
        if len(rows) >= MAX_ROWS:
            raise ValidationFailed(Problem(f"has more than {MAX_ROWS:,} rows; split it", file=name))
        if None in row:
            rows.append({"__extra__": str(len(header) + 1), **{k: v for k, v in row.items() if k is not None}})
        else:
            rows.append({k: unneutralise((v or "").strip()) for k, v in row.items()})
    return name, header, rows


def _check_header(name: str, header: list[str], columns: dict) -> list[Problem]:
    problems = []
    if not header:
        return [Problem("is empty: the first line must name the columns", file=name)]
    for col in columns["required"]:
        if col not in header:
            problems.append(Problem("column is missing", file=name, row=1, field=col))
    known = set(columns["required"]) | set(columns["optional"])
    for col in header:
        if col not in known:
            problems.append(Problem(f"unknown column; known columns are {', '.join(sorted(known))}", file=name,
                                    row=1, field=col))
    return problems


class _Row:
    """Typed reads of one CSV row that record a Problem instead of raising."""

    def __init__(self, name: str, number: int, values: dict[str, str], problems: list[Problem]):
        self.name, self.number, self.values, self.problems = name, number, values, problems

    def bad(self, field: str | None, message: str) -> None:
        self.problems.append(Problem(message, file=self.name, row=self.number, field=field))

    def text(self, field: str, *, required: bool = False, limit: int | None = None, default: str = "") -> str:
        value = self.values.get(field, "") or ""
        if required and not value:
            self.bad(field, "is required")
        if limit and len(value) > limit:
            self.bad(field, f"is too long ({len(value)} characters; at most {limit})")
        return value or default

    def choice(self, field: str, choices: dict[str, str] | tuple[str, ...], default: str | None = None) -> str | None:
        value = self.values.get(field, "")
        if not value:
            return default
        by_word = {c.lower(): c for c in choices}
        if isinstance(choices, dict):
            by_word.update({label.lower(): code for code, label in choices.items()})
        by_word.update({c.replace("_", " ").lower(): c for c in choices})
        found = by_word.get(value.lower())
        if found is None:
            self.bad(field, f"{value!r} is not one of {', '.join(choices)}")
        return found

    def moment(self, field: str) -> dt.datetime | None:
        value = self.values.get(field, "")
        if not value:
            return None
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            self.bad(field, f"{value!r} is not a date or date-time (use YYYY-MM-DD or YYYY-MM-DD HH:MM)")
            return None
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return parsed

    def day(self, field: str) -> dt.date | None:
        value = self.values.get(field, "")
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            self.bad(field, f"{value!r} is not a date (use YYYY-MM-DD)")
            return None

    def amount(self, field: str, cast: Callable[[str], Any]) -> Any:
        value = self.values.get(field, "").replace(",", "").replace("$", "")
        if not value:
            return None
        try:
            n = cast(value)
        except ValueError:
            self.bad(field, f"{self.values[field]!r} is not a {'whole ' if cast is int else ''}number")
            return None
        if n < 0:
            self.bad(field, "must not be negative")
        return n

    def ids(self, field: str) -> list[str]:
        return [v.strip() for v in self.values.get(field, "").replace(",", ";").split(";") if v.strip()]


def _existing(model, ids: set[str]) -> set[str]:
    if not ids:
        return set()
    found: set[str] = set()
    with read_session() as s:
        listed = sorted(ids)
        for i in range(0, len(listed), 500):
            found.update(s.scalars(select(model.id).where(model.id.in_(listed[i:i + 500]))))
    return found


def _order(row: _Row, stamps: list[tuple[str, dt.datetime | None]]) -> None:
    """Each given timestamp must not come before the one before it."""
    previous: tuple[str, dt.datetime] | None = None
    for field, value in stamps:
        if value is None:
            continue
        if previous and value < previous[1]:
            row.bad(field, f"is before {previous[0]} ({previous[1]:%Y-%m-%d %H:%M})")
        previous = (field, value)


def _ids_in_file(rows: list[_Row], values: list[str], noun: str, model) -> None:
    """Ids given in the file must be unique in it and new to the database."""
    seen: dict[str, int] = {}
    for row, rid in zip(rows, values):
        if not rid:
            continue
        if rid in seen:
            row.bad("id", f"{rid} is also on row {seen[rid]}")
        else:
            seen[rid] = row.number
    existing = _existing(model, set(seen))
    for row, rid in zip(rows, values):
        if rid and rid in existing:
            row.bad("id", f"{noun} {rid} already exists; imports only add new records")


# --- requests ----------------------------------------------------------------------------------------------

def import_requests(actor: Actor, data: bytes | str | Path, file_name: str | None = None, *,
                    sla_table: SlaTable | None = None, now: dt.datetime | None = None) -> ImportResult:
    """Requests, one per row. Missing opened_at means now; missing sla_due follows from kind and priority;
    a resolved or closed row needs resolved_at, root_cause_category and root_cause_note."""
    require(actor, "tracker.edit")
    name, header, raw = _read(data, file_name)
    problems = _check_header(name, header, REQUEST_COLUMNS)
    if problems:
        raise ValidationFailed(problems)
    table, now = sla_table or SlaTable(), now or utcnow()
    rows = [_Row(name, i + 2, values, problems) for i, values in enumerate(raw)]
    parsed: list[dict[str, Any]] = []
    for row in rows:
        if "__extra__" in row.values:
            row.bad(f"column {row.values['__extra__']}", "has more cells than the header has columns")
        kind = row.choice("kind", KINDS)
        if not row.values.get("kind"):
            row.bad("kind", "is required")
        priority = row.choice("priority", PRIORITIES, "P3")
        status = row.choice("status", STATUSES, "new")
        opened = row.moment("opened_at") or now
        resolved, closed, due = row.moment("resolved_at"), row.moment("closed_at"), row.moment("sla_due")
        cause = row.choice("root_cause_category", ROOT_CAUSES)
        record = {"id": row.text("id", limit=32), "kind": kind, "title": row.text("title", required=True, limit=300),
                  "description": row.text("description"), "requester_team": row.text("requester_team",
                                                                                       required=True, limit=64),
                  "priority": priority, "owner": row.text("owner", limit=64), "site": row.text("site", limit=32),
                  "status": status, "opened_at": opened, "resolved_at": resolved, "closed_at": closed,
                  "root_cause_category": cause, "root_cause_note": row.text("root_cause_note"),
                  "mo_id": row.text("mo_id") or None, "gap_id": row.text("gap_id") or None}
        if kind and priority and due is None:
            due = table.due(opened, kind, priority)
        record["sla_due"] = due
        if due and due < opened:
            row.bad("sla_due", "is before opened_at")
        if status in ("resolved", "closed"):
            if resolved is None:
                row.bad("resolved_at", f"is required when status is {status}")
            if not cause:
                row.bad("root_cause_category", f"is required when status is {status}")
            if not record["root_cause_note"]:
                row.bad("root_cause_note", f"is required when status is {status}")
        elif status and resolved:
            row.bad("resolved_at", f"is given but status is {status}; resolved requests have status resolved "
                                   "or closed")
        if status == "closed" and closed is None:
            row.bad("closed_at", "is required when status is closed")
        if status != "closed" and closed:
            row.bad("closed_at", f"is given but status is {status}")
        _order(row, [("opened_at", opened), ("resolved_at", resolved), ("closed_at", closed)])
        if resolved and resolved > now + dt.timedelta(days=1):
            row.bad("resolved_at", "is in the future")
        parsed.append(record)
    _ids_in_file(rows, [r["id"] for r in parsed], "request", Request)
    mos = _existing(MO, {r["mo_id"] for r in parsed if r["mo_id"]})
    gaps = _existing(Gap, {r["gap_id"] for r in parsed if r["gap_id"]})
    for row, r in zip(rows, parsed):
        if r["mo_id"] and r["mo_id"] not in mos:
            row.bad("mo_id", f"no MO {r['mo_id']}")
        if r["gap_id"] and r["gap_id"] not in gaps:
            row.bad("gap_id", f"no gap {r['gap_id']}")
    if problems:
        raise ValidationFailed(problems)

    with write_session() as s:
        _assign_ids(s, parsed, Request, "REQ", 5)
        s.execute(insert(Request), parsed)
        changes = []
        for r in parsed:
            changes.append(_change("request", r["id"], None, "new", actor.name, r["opened_at"],
                                   f"imported from {name}"))
            if r["resolved_at"]:
                changes.append(_change("request", r["id"], "new", "resolved", actor.name, r["resolved_at"],
                                       "imported"))
            if r["closed_at"]:
                changes.append(_change("request", r["id"], "resolved", "closed", actor.name, r["closed_at"],
                                       "imported"))
            elif r["status"] not in ("new", "resolved"):
                changes.append(_change("request", r["id"], "new", r["status"], actor.name, r["opened_at"],
                                       "imported"))
        if changes:
            s.execute(insert(StatusChange), changes)
        evidence = [{"gap_id": r["gap_id"], "request_id": r["id"]} for r in parsed if r["gap_id"]]
        if evidence:
            s.execute(insert(GapEvidence), evidence)
        ids = [r["id"] for r in parsed]
        record_event(s, actor.name, "request.import", "request", name, None, _summary(name, ids))
    return ImportResult("requests", name, ids)


def _assign_ids(session, records: list[dict[str, Any]], model, prefix: str, width: int) -> None:
    """Rows without an id get the next numbers after the highest in the database and in the file."""
    if all(r["id"] for r in records):
        return
    n = int(next_id(session, model, prefix, width).split("-", 1)[1])
    for r in records:
        head, _, number = (r["id"] or "").partition("-")
        if head == prefix and number.isdigit():
            n = max(n, int(number) + 1)
    for r in records:
        if not r["id"]:
            r["id"] = f"{prefix}-{n:0{width}d}"
            n += 1


def _change(record_type: str, record_id: str, from_status: str | None, to_status: str, actor: str,
            at: dt.datetime, note: str) -> dict[str, Any]:
    return {"record_type": record_type, "record_id": record_id, "from_status": from_status,
            "to_status": to_status, "at": at, "actor": actor, "note": note}


def _summary(name: str, ids: list[str]) -> dict[str, Any]:
    return {"file": name, "rows": len(ids), "first": ids[0] if ids else None, "last": ids[-1] if ids else None}


# --- gaps --------------------------------------------------------------------------------------------------

GAP_STAGE_ORDER = ("identified", "quantified", "accepted", "in_progress", "closed")


def import_gaps(actor: Actor, data: bytes | str | Path, file_name: str | None = None, *,
                now: dt.datetime | None = None) -> ImportResult:
    """Gaps, one per row; each stage the status has reached needs its date, quantified and later gaps need
    their impact (accounts, $, method), rejected gaps a reason. Evidence: request and MO ids separated by ';'."""
    require(actor, "tracker.edit")
    name, header, raw = _read(data, file_name)
    problems = _check_header(name, header, GAP_COLUMNS)
    if problems:
        raise ValidationFailed(problems)
    now = now or utcnow()
    rows = [_Row(name, i + 2, values, problems) for i, values in enumerate(raw)]
    parsed, evidence = [], []
    for row in rows:
        if "__extra__" in row.values:
            row.bad(f"column {row.values['__extra__']}", "has more cells than the header has columns")
        status = row.choice("status", GAP_STATUSES, "identified")
        record = {"id": row.text("id", limit=32), "title": row.text("title", required=True, limit=300),
                  "missing": row.text("missing"), "owning_team": row.text("owning_team", required=True, limit=64),
                  "status": status, "identified_at": row.moment("identified_at") or now,
                  "impact_accounts": row.amount("impact_accounts", int),
                  "impact_usd": row.amount("impact_usd", float), "impact_method": row.text("impact_method"),
                  "rejected_reason": row.text("rejected_reason"), "initiative_id": row.text("initiative_id") or None,
                  "measured_accounts": row.amount("measured_accounts", int),
                  "measured_usd": row.amount("measured_usd", float), "measured_note": row.text("measured_note")}
        for stage in GAP_STAGE_ORDER[1:]:
            record[STAGE_COLUMNS[stage]] = row.moment(STAGE_COLUMNS[stage])
        if status in GAP_STAGE_ORDER:
            reached = GAP_STAGE_ORDER[:GAP_STAGE_ORDER.index(status) + 1]
            for stage in GAP_STAGE_ORDER[1:]:
                column = STAGE_COLUMNS[stage]
                if stage in reached and record[column] is None:
                    row.bad(column, f"is required when status is {status}")
                if stage not in reached and record[column] is not None:
                    row.bad(column, f"is given but status is only {status}")
            if "quantified" in reached:
                for field in ("impact_accounts", "impact_usd", "impact_method"):
                    if record[field] in (None, ""):
                        row.bad(field, f"is required when status is {status}")
        if status == "rejected" and not record["rejected_reason"]:
            row.bad("rejected_reason", "is required when status is rejected")
        if status != "closed" and (record["measured_usd"] is not None or record["measured_accounts"] is not None):
            row.bad("measured_usd", "measured impact is recorded only for closed gaps")
        _order(row, [("identified_at", record["identified_at"])]
               + [(STAGE_COLUMNS[s], record[STAGE_COLUMNS[s]]) for s in GAP_STAGE_ORDER[1:]])
        parsed.append(record)
        evidence.append((row.ids("evidence_requests"), row.ids("evidence_mos")))
    _ids_in_file(rows, [r["id"] for r in parsed], "gap", Gap)
    initiatives = _existing(Initiative, {r["initiative_id"] for r in parsed if r["initiative_id"]})
    requests = _existing(Request, {x for reqs, _ in evidence for x in reqs})
    mos = _existing(MO, {x for _, ms in evidence for x in ms})
    for row, r, (reqs, ms) in zip(rows, parsed, evidence):
        if r["initiative_id"] and r["initiative_id"] not in initiatives:
            row.bad("initiative_id", f"no initiative {r['initiative_id']}")
        for rid in reqs:
            if rid not in requests:
                row.bad("evidence_requests", f"no request {rid}")
        for mid in ms:
            if mid not in mos:
                row.bad("evidence_mos", f"no MO {mid}")
    if problems:
        raise ValidationFailed(problems)

    with write_session() as s:
        _assign_ids(s, parsed, Gap, "GAP", 4)
        s.execute(insert(Gap), parsed)
        links, changes = [], []
        for r, (reqs, ms) in zip(parsed, evidence):
            links += [{"gap_id": r["id"], "request_id": x, "mo_id": None} for x in dict.fromkeys(reqs)]
            links += [{"gap_id": r["id"], "request_id": None, "mo_id": x} for x in dict.fromkeys(ms)]
            previous = None
            for stage in GAP_STAGE_ORDER:
                at = r["identified_at"] if stage == "identified" else r[STAGE_COLUMNS[stage]]
                if at is not None:
                    changes.append(_change("gap", r["id"], previous, stage, actor.name, at, f"imported from {name}"))
                    previous = stage
            if r["status"] == "rejected":
                changes.append(_change("gap", r["id"], previous, "rejected", actor.name, now, r["rejected_reason"]))
        if links:
            s.execute(insert(GapEvidence), links)
        if changes:
            s.execute(insert(StatusChange), changes)
        ids = [r["id"] for r in parsed]
        record_event(s, actor.name, "gap.import", "gap", name, None, _summary(name, ids))
    return ImportResult("gaps", name, ids)


# --- SOPs --------------------------------------------------------------------------------------------------

def import_sops(actor: Actor, data: bytes | str | Path, file_name: str | None = None) -> ImportResult:
    """One row per SOP and team (SOP columns repeated on each of its rows, which must agree); a row with no
    team adds the SOP alone. Rows of one SOP are matched by id, or by title when the id is left empty."""
    require(actor, "tracker.edit")
    name, header, raw = _read(data, file_name)
    problems = _check_header(name, header, SOP_COLUMNS)
    if problems:
        raise ValidationFailed(problems)
    rows = [_Row(name, i + 2, values, problems) for i, values in enumerate(raw)]
    sops: dict[str, dict[str, Any]] = {}
    first_row: dict[str, _Row] = {}
    rollouts: list[tuple[str, dict[str, Any], _Row]] = []
    teams_seen: set[tuple[str, str]] = set()
    for row in rows:
        if "__extra__" in row.values:
            row.bad(f"column {row.values['__extra__']}", "has more cells than the header has columns")
        record = {"id": row.text("id", limit=32), "title": row.text("title", required=True, limit=300),
                  "version": row.text("version", limit=16, default="1.0"), "owner": row.text("owner", limit=64),
                  "last_review": row.day("last_review"), "next_review": row.day("next_review")}
        if record["last_review"] and record["next_review"] and record["next_review"] < record["last_review"]:
            row.bad("next_review", "is before last_review")
        key = record["id"] or f"title:{record['title'].lower()}"
        if key in sops:
            for field in ("title", "version", "owner", "last_review", "next_review"):
                if sops[key][field] != record[field]:
                    row.bad(field, f"differs from row {first_row[key].number} for the same SOP")
        else:
            sops[key], first_row[key] = record, row
        team = row.text("team", limit=64)
        status = row.choice("rollout_status", ROLLOUT_STATUSES, "not_started")
        if not team and any(row.values.get(f) for f in ("rollout_status", "rollout_version", "planned_date",
                                                        "live_date")):
            row.bad("team", "is required when rollout columns are given")
        if team:
            rollout = {"team": team, "status": status, "version": row.text("rollout_version", limit=16) or None,
                       "planned_date": row.day("planned_date"), "live_date": row.day("live_date")}
            if status == "live" and rollout["live_date"] is None:
                row.bad("live_date", "is required when rollout_status is live")
            if status in ("live", "pilot") and rollout["version"] is None:
                rollout["version"] = record["version"]
            if (key, team) in teams_seen:
                row.bad("team", f"{team} appears twice for the same SOP")
            teams_seen.add((key, team))
            rollouts.append((key, rollout, row))
    ids = [s["id"] for s in sops.values() if s["id"]]
    fake_rows = [first_row[k] for k, s in sops.items() if s["id"]]
    _ids_in_file(fake_rows, ids, "SOP", SOP)
    if problems:
        raise ValidationFailed(problems)

    with write_session() as s:
        records = list(sops.values())
        _assign_ids(s, records, SOP, "SOP", 3)
        s.execute(insert(SOP), records)
        if rollouts:
            s.execute(insert(SOPRollout), [{"sop_id": sops[key]["id"], **r} for key, r, _ in rollouts])
        created = [r["id"] for r in records]
        record_event(s, actor.name, "sop.import", "sop", name, None,
                     {**_summary(name, created), "rollouts": len(rollouts)})
    return ImportResult("sops", name, created)


IMPORTERS = {"requests": import_requests, "gaps": import_gaps, "sops": import_sops}
