"""What an initiative may look like: every field an editor, the grid or a CSV row supplies is checked here.

Owners: an owner must be someone the workbench knows — a user in the `users` table (by name or display name)
or an owner already named on another initiative (partner-team owners who never sign in). Blank means
unassigned and is allowed. Names match case-insensitively and are stored as the known spelling, so "Priya"
and "priya" stay one owner.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from rm_core.errors import Problem
from rm_core.roadmap.plan import HORIZONS, STATUSES

EDITABLE_FIELDS = ("title", "description", "workstream", "owner", "horizon", "start", "end", "status",
                   "status_note", "ai_based", "expected_roi_usd", "source_idea_id")
REQUIRED_FIELDS = ("title", "workstream")
_TRUE = {"true", "yes", "y", "1", "x"}
_FALSE = {"false", "no", "n", "0", ""}


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:  # NaN from a pandas grid cell
        return True
    return isinstance(value, str) and not value.strip()


def parse_date(value: Any) -> dt.date | None:
    """ISO date text, a date or a datetime (pandas Timestamp included); None for blank."""
    if _blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime().date()
    return dt.date.fromisoformat(str(value).strip()[:10])


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if _blank(value):
        return False
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(value)


def owner_lookup(names: Mapping[str, str] | None) -> dict[str, str]:
    return {k.lower(): v for k, v in (names or {}).items()}


def clean_fields(values: Mapping[str, Any], *, known_owners: Mapping[str, str], partial: bool = False,
                 row: int | None = None, file: str | None = None) -> tuple[dict[str, Any], list[Problem]]:
    """Parse and check initiative fields; returns (clean values, problems). Unknown keys are refused.

    With `partial` only the given fields are checked (an update); otherwise title and workstream are required.
    `known_owners` maps a lower-cased name to its stored spelling (see `services.known_owners`).
    """
    problems: list[Problem] = []
    clean: dict[str, Any] = {}

    def bad(name: str, message: str) -> None:
        problems.append(Problem(message, file=file, row=row, field=name))

    for name in values:
        if name not in EDITABLE_FIELDS:
            bad(name, f"unknown field; use {', '.join(EDITABLE_FIELDS)}")
    if not partial:
        for name in REQUIRED_FIELDS:
            if _blank(values.get(name)):
                bad(name, f"{name} is required")

    for name, limit in (("title", 300), ("workstream", 64)):
        if name in values and not _blank(values[name]):
            text = str(values[name]).strip()
            if len(text) > limit:
                bad(name, f"{name} is {len(text)} characters; keep it to {limit}")
            clean[name] = text
        elif name in values and partial:
            bad(name, f"{name} cannot be blank")
    for name in ("description", "status_note"):
        if name in values:
            clean[name] = "" if _blank(values[name]) else str(values[name]).strip()

    if "owner" in values:
        owner = "" if _blank(values["owner"]) else str(values["owner"]).strip()
        if owner:
            known = known_owners.get(owner.lower())
            if known is None:
                sample = ", ".join(sorted(set(known_owners.values()))[:8]) or "nobody yet"
                bad("owner", f"unknown owner {owner!r}: add them as a user first, or pick a known owner "
                             f"({sample})")
            else:
                owner = known
        clean["owner"] = owner

    if "horizon" in values:
        horizon = "next" if _blank(values["horizon"]) else str(values["horizon"]).strip().lower()
        if horizon not in HORIZONS:
            bad("horizon", f"horizon {values['horizon']!r} is not one of {', '.join(HORIZONS)}")
        clean["horizon"] = horizon
    if "status" in values:
        status = "not_started" if _blank(values["status"]) else \
            str(values["status"]).strip().lower().replace(" ", "_").replace("-", "_")
        if status not in STATUSES:
            bad("status", f"status {values['status']!r} is not one of {', '.join(STATUSES)}")
        clean["status"] = status

    for name in ("start", "end"):
        if name in values:
            try:
                clean[name] = parse_date(values[name])
            except (TypeError, ValueError):
                bad(name, f"{name} date {values[name]!r} is not a date; write it as YYYY-MM-DD")
    start, end = clean.get("start"), clean.get("end")
    if start is not None and end is not None and end < start:
        bad("end", f"end {end.isoformat()} is before start {start.isoformat()}")

    if "ai_based" in values:
        try:
            clean["ai_based"] = parse_bool(values["ai_based"])
        except ValueError:
            bad("ai_based", f"AI-based {values['ai_based']!r} is not yes/no")
    if "expected_roi_usd" in values:
        raw = values["expected_roi_usd"]
        if _blank(raw):
            clean["expected_roi_usd"] = None
        else:
            try:
                roi = float(str(raw).replace(",", "").replace("$", "").strip())
            except ValueError:
                bad("expected_roi_usd", f"expected ROI {raw!r} is not a number of dollars")
            else:
                if roi != roi or roi in (float("inf"), float("-inf")):
                    bad("expected_roi_usd", "expected ROI must be a finite number of dollars")
                clean["expected_roi_usd"] = roi
    if "source_idea_id" in values:
        raw = values["source_idea_id"]
        if _blank(raw):
            clean["source_idea_id"] = None
        else:
            try:
                clean["source_idea_id"] = int(float(str(raw)))
            except ValueError:
                bad("source_idea_id", f"source idea {raw!r} is not an idea number")
    return clean, problems


def check_dates(start: dt.date | None, end: dt.date | None, *, row: int | None = None,
                file: str | None = None) -> list[Problem]:
    """End before start, once an update has merged new values into the stored ones."""
    if start is not None and end is not None and end < start:
        return [Problem(f"end {end.isoformat()} is before start {start.isoformat()}", file=file, row=row,
                        field="end")]
    return []
