"""The AI usage log: every assisted action, what produced it, what it cost, and what the user did with it.

The WBR's AI ROI metrics are computed from this log and from MO records (`source: ai_assist`). Every write checks
the caller and writes an audit event in the same transaction.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from rm_core.audit import record_event
from rm_core.errors import NotFound, UserError
from rm_core.identity import Actor, require
from rm_core.store.db import write_session, writing
from rm_core.store.models import AIUsage, utcnow

FEATURES = ("mo_draft", "ask", "theme_names", "session_summary", "narrative", "mo_match")
OUTCOMES = ("accepted", "edited", "discarded")
MANUAL = "manual"  # a method that is no assist: an MO written from notes by hand (the baseline)



def log_assist(actor: Actor, feature: str, method: str, *, provider: str = "offline", model: str = "",
               latency_ms: float = 0.0, input_tokens: int | None = None, output_tokens: int | None = None,
               fallback: str = "", at: dt.datetime | None = None, session: Session | None = None) -> int:
    """Record one assisted action (outcome pending); returns its id."""
    require(actor, "read")
    if feature not in FEATURES:
        raise UserError(f"Unknown AI feature {feature!r}; use one of {', '.join(FEATURES)}.")
    with writing(session) as s:
        row = AIUsage(at=at or utcnow(), actor=actor.name, feature=feature, method=method[:128],
                      provider=provider[:32], model=model[:128], latency_ms=round(float(latency_ms), 1),
                      input_tokens=input_tokens, output_tokens=output_tokens, fallback=fallback[:2000])
        s.add(row)
        s.flush()
        record_event(s, actor.name, "ai.assist", "ai_usage", row.id, None,
                     {"feature": feature, "method": row.method, "fallback": row.fallback})
        return row.id


def record_outcome(actor: Actor, usage_id: int, outcome: str, *, record_id: str = "",
                   at: dt.datetime | None = None, session: Session | None = None) -> None:
    """What the user did with an assisted result: accepted (saved as drafted), edited (saved changed) or
    discarded. For an MO draft that was saved, the minutes from draft to save are kept."""
    require(actor, "read")
    if outcome not in OUTCOMES:
        raise UserError(f"Unknown outcome {outcome!r}; use one of {', '.join(OUTCOMES)}.")
    with writing(session) as s:
        row = s.get(AIUsage, usage_id)
        if row is None:
            raise NotFound(f"No AI usage entry {usage_id}.")
        if row.actor != actor.name:
            raise UserError("Only the person who asked for this AI result can say what was done with it.")
        before = {"outcome": row.outcome, "record_id": row.record_id}
        row.outcome, row.decided_at, row.record_id = outcome, at or utcnow(), record_id[:64]
        if record_id and outcome != "discarded":
            row.minutes = round(max((row.decided_at - row.at).total_seconds(), 0.0) / 60, 2)
        record_event(s, actor.name, "ai.outcome", "ai_usage", usage_id, before,
                     {"outcome": outcome, "record_id": row.record_id, "minutes": row.minutes})


def log_unassisted_mo(actor: Actor, mo_id: str, notes_at: dt.datetime, *, at: dt.datetime | None = None,
                      session: Session | None = None) -> int:
    """An MO saved from notes without a draft: the time from notes to saved MO the assisted ones are compared
    with (method `manual`, outcome accepted)."""
    require(actor, "mo.edit")
    saved_at = at or utcnow()
    with writing(session) as s:
        row = AIUsage(at=notes_at, actor=actor.name, feature="mo_draft", method=MANUAL, provider="none",
                      outcome="accepted", decided_at=saved_at, record_id=mo_id[:64],
                      minutes=round(max((saved_at - notes_at).total_seconds(), 0.0) / 60, 2))
        s.add(row)
        s.flush()
        record_event(s, actor.name, "ai.manual_mo", "ai_usage", row.id, None,
                     {"record_id": mo_id, "minutes": row.minutes})
        return row.id

