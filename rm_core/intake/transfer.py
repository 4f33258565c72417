"""Intake ideas to and from CSV, with the trackers' rules: every row is checked first and nothing is written unless
all rows are valid (each problem names the file, the row and the field); exports neutralise formula cells and
import removes exactly that quote again, so what is exported imports back unchanged."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from rm_core.audit import record_event
from rm_core.errors import Problem, ValidationFailed
from rm_core.exports import safe_csv
from rm_core.identity import Actor, require
from rm_core.intake.ideas import (DECISIONS, ID_PREFIX, ID_WIDTH, RECORD_TYPE, STATUSES, IdeaInput)
from rm_core.store.db import read_session, write_session
from rm_core.store.models import MO, Gap, IntakeIdea, IntakeSupporter, Rule, StatusChange, utcnow
from rm_core.trackers.export import _fmt
from rm_core.trackers.importing import (ImportResult, _assign_ids, _change, _check_header, _existing, _ids_in_file,
                                        _order, _read, _Row, _summary)

INTAKE_COLUMNS = {
    "required": ("title", "problem", "proposed_change"),
    "optional": ("id", "expected_impact", "affected_mos", "affected_rules", "affected_gaps", "ai_based", "theme",
                 "site", "team", "submitter", "submitter_label", "status", "reason", "merged_into", "supporters",
                 "submitted_at", "triaged_at", "triaged_by", "decided_at"),
}
INTAKE_EXPORT = ("id", *INTAKE_COLUMNS["required"], *[c for c in INTAKE_COLUMNS["optional"] if c != "id"])
TRUE, FALSE = ("true", "yes", "y", "1"), ("false", "no", "n", "0", "")
LIST_FIELDS = ("affected_mos", "affected_rules", "affected_gaps")


def intake_table(session: Session) -> pl.DataFrame:
    """Every idea in INTAKE_EXPORT columns (what `import_ideas` reads back); lists joined with '; '."""
    backers: dict[str, list[str]] = {}
    for p in session.scalars(select(IntakeSupporter).order_by(IntakeSupporter.idea_id, IntakeSupporter.user_name)):
        backers.setdefault(p.idea_id, []).append(p.user_name)
    rows = []
    for idea in session.scalars(select(IntakeIdea).order_by(IntakeIdea.id)):
        row = {c: _fmt(getattr(idea, c)) for c in INTAKE_EXPORT if hasattr(IntakeIdea, c)}
        for field in LIST_FIELDS:
            row[field] = "; ".join(getattr(idea, field) or [])
        row["ai_based"] = "true" if idea.ai_based else "false"
        row["supporters"] = "; ".join(backers.get(idea.id, []))
        rows.append(["" if row.get(c) is None else str(row.get(c)) for c in INTAKE_EXPORT])
    return pl.DataFrame(rows, schema={c: pl.String for c in INTAKE_EXPORT}, orient="row")


def export_ideas() -> str:
    """CSV text of every intake idea; a cell starting with = + - @ is prefixed with a quote."""
    with read_session() as s:
        return safe_csv(intake_table(s))


def import_ideas(actor: Actor, data: bytes | str | Path, file_name: str | None = None, *,
                 now: dt.datetime | None = None) -> ImportResult:
    """Ideas, one per row (editors and admins: rows carry triage decisions). Missing submitted_at means now and
    a missing submitter the importing user; a row past new needs triaged_at, a decided one (accepted, merged,
    declined) decided_at and a reason, a merged one the id of an idea in the file or the workbench."""
    require(actor, "intake.triage")
    name, header, raw = _read(data, file_name)
    problems = _check_header(name, header, INTAKE_COLUMNS)
    if not problems and not raw:
        problems.append(Problem("has no ideas: add one row per idea under the header", file=name))
    if problems:
        raise ValidationFailed(problems)
    now = now or utcnow()
    rows = [_Row(name, i + 2, values, problems) for i, values in enumerate(raw)]
    parsed: list[dict[str, Any]] = []
    backers: list[list[str]] = []
    for row in rows:
        if "__extra__" in row.values:
            row.bad(f"column {row.values['__extra__']}", "has more cells than the header has columns")
        fields = {f: row.values.get(f, "") for f in IdeaInput.model_fields if f != "ai_based"}
        flag = row.values.get("ai_based", "").lower()
        if flag not in TRUE + FALSE:
            row.bad("ai_based", f"{row.values['ai_based']!r} is not true or false")
        try:
            clean = IdeaInput.model_validate({**fields, "ai_based": flag in TRUE}).model_dump()
        except ValidationError as exc:
            for err in exc.errors():
                row.bad(".".join(str(p) for p in err["loc"]), err["msg"].removeprefix("Value error, "))
            clean = {**fields, **{f: row.ids(f) for f in LIST_FIELDS}, "ai_based": flag in TRUE}
        status = row.choice("status", STATUSES, "new")
        submitted = row.moment("submitted_at") or now
        triaged, decided = row.moment("triaged_at"), row.moment("decided_at")
        record = {**clean, "id": row.text("id", limit=16).upper(), "status": status,
                  "submitter": row.text("submitter", limit=64) or actor.name,
                  "submitter_label": row.text("submitter_label", limit=120), "reason": row.text("reason"),
                  "merged_into": row.text("merged_into", limit=16).upper() or None, "submitted_at": submitted,
                  "updated_at": decided or triaged or submitted, "triaged_at": triaged,
                  "triaged_by": row.text("triaged_by", limit=64) or None, "decided_at": decided}
        if not record["submitter_label"]:
            record["submitter_label"] = actor.label if record["submitter"] == actor.name else record["submitter"]
        if status and status != "new" and triaged is None:
            row.bad("triaged_at", f"is required when status is {status}")
        if status == "new" and (triaged or decided):
            row.bad("triaged_at" if triaged else "decided_at", "is given but status is new")
        if status in DECISIONS:
            if decided is None:
                row.bad("decided_at", f"is required when status is {status}")
            if not record["reason"]:
                row.bad("reason", f"is required when status is {status} (the submitter reads it)")
        elif status and decided:
            row.bad("decided_at", f"is given but status is {status}")
        if status == "merged" and not record["merged_into"]:
            row.bad("merged_into", "is required when status is merged")
        if status != "merged" and record["merged_into"]:
            row.bad("merged_into", f"is given but status is {status}")
        if record["merged_into"] and record["merged_into"] == record["id"]:
            row.bad("merged_into", "an idea cannot be merged into itself")
        _order(row, [("submitted_at", submitted), ("triaged_at", triaged), ("decided_at", decided)])
        parsed.append(record)
        backers.append([b for b in row.ids("supporters") if b != record["submitter"]])
    _ids_in_file(rows, [r["id"] for r in parsed], "idea", IntakeIdea)
    for field, model, noun in (("affected_mos", MO, "MO"), ("affected_rules", Rule, "rule"),
                               ("affected_gaps", Gap, "gap")):
        known = _existing(model, {x for r in parsed for x in r.get(field) or []})
        for row, r in zip(rows, parsed):
            for x in r.get(field) or []:
                if x not in known:
                    row.bad(field, f"no {noun} {x}")
    in_file = {r["id"] for r in parsed if r["id"]}
    known_ideas = _existing(IntakeIdea, {r["merged_into"] for r in parsed if r["merged_into"]} - in_file)
    for row, r in zip(rows, parsed):
        if r["merged_into"] and r["merged_into"] not in in_file | known_ideas:
            row.bad("merged_into", f"no idea {r['merged_into']} in the file or the workbench")
    if problems:
        raise ValidationFailed(problems)

    with write_session() as s:
        _assign_ids(s, parsed, IntakeIdea, ID_PREFIX, ID_WIDTH)
        s.execute(insert(IntakeIdea), parsed)
        changes, support = [], []
        for r, names in zip(parsed, backers):
            changes.append(_change(RECORD_TYPE, r["id"], None, "new", actor.name, r["submitted_at"],
                                   f"imported from {name}"))
            if r["triaged_at"] and r["status"] != "new":
                first = "under_review" if r["status"] not in ("merged", "declined") or r["decided_at"] != \
                    r["triaged_at"] else r["status"]
                changes.append(_change(RECORD_TYPE, r["id"], "new", first, actor.name, r["triaged_at"], "imported"))
                if first != r["status"]:
                    changes.append(_change(RECORD_TYPE, r["id"], first, r["status"], actor.name,
                                           r["decided_at"] or r["triaged_at"], r["reason"]))
            support += [{"idea_id": r["id"], "user_name": n, "at": r["submitted_at"], "via": "imported"}
                        for n in dict.fromkeys(names)]
        s.execute(insert(StatusChange), changes)
        if support:
            s.execute(insert(IntakeSupporter), support)
        ids = [r["id"] for r in parsed]
        record_event(s, actor.name, "intake.import", RECORD_TYPE, name, None, _summary(name, ids))
    return ImportResult("ideas", name, ids)
