"""The plain record the MO index takes: the store converts database rows to `MODoc`, the index never sees SQL."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

# Metadata the index keeps per MO so searches can filter without touching the database.
FILTER_FIELDS = ("abuse_family", "stage", "marketplaces", "site", "status", "severity", "first_seen")


@dataclass
class MODoc:
    """One MO as the search engine sees it.

    `text` is the whole write-up (summary, narrative, signals...) as one string; `metadata` holds any of
    FILTER_FIELDS (`marketplaces` a list of codes, `first_seen` a date or ISO string); other keys are ignored.
    """

    mo_id: str
    title: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


def date_number(value: Any) -> int | None:
    """A date as the integer YYYYMMDD, so Chroma can range-filter it ($gte/$lte work on numbers only)."""
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        value = dt.date.fromisoformat(value.strip()[:10])
    return value.year * 10000 + value.month * 100 + value.day


def index_metadata(doc: MODoc) -> dict[str, Any]:
    """The filterable metadata of `doc` in the shape Chroma stores (no None values, lists non-empty)."""
    out: dict[str, Any] = {}
    for key in FILTER_FIELDS:
        value = doc.metadata.get(key)
        if value is None or value == "" or value == []:
            continue
        if key == "first_seen":
            out[key] = date_number(value)
        elif key == "marketplaces":
            items = [value] if isinstance(value, str) else list(value)
            out[key] = [str(v).strip() for v in items if str(v).strip()] or None
            if out[key] is None:
                del out[key]
        else:
            out[key] = str(value)
    return out
