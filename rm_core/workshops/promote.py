"""Promote a chosen idea to a roadmap initiative (Wrap-up phase), keeping the link back to the idea."""
from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from rm_core.audit import record_event, snapshot
from rm_core.errors import UserError
from rm_core.identity import Actor, require
from rm_core.store.db import write_session
from rm_core.store.models import Initiative, IntakeIdea, Score, StatusChange, Vote
from rm_core.text import snippet
from rm_core.workshops._guards import ensure_facilitator, ensure_phase, load_idea, load_session

HORIZONS = ("now", "next", "later")
RETRIES = 5


def next_initiative_id(s) -> str:
    """`INI-###` with the next number after the highest in use (gaps left by deletions are not reused)."""
    numbers = [int(m.group(1)) for i in s.scalars(select(Initiative.id).where(Initiative.id.like("INI-%")))
               if (m := re.fullmatch(r"INI-(\d+)", i))]
    return f"INI-{(max(numbers) + 1) if numbers else 1:03d}"


def promote_idea(session_id: int, idea_id: int, actor: Actor, *, workstream: str, horizon: str = "next",
                 title: str | None = None, owner: str = "", ai_based: bool = False) -> str:
    """Create an initiative from an idea (title defaults to the idea's text); returns the initiative id."""
    require(actor, "roadmap.edit")
    workstream = " ".join((workstream or "").split())
    if not workstream:
        raise UserError("Pick the workstream the initiative belongs to.")
    if horizon not in HORIZONS:
        raise UserError("Horizon is now, next or later.")
    for attempt in range(RETRIES):
        try:
            return _promote(session_id, idea_id, actor, workstream, horizon, title, owner, ai_based)
        except IntegrityError:  # another promotion took the same INI number first: number again
            if attempt == RETRIES - 1:
                raise UserError("Could not number the new initiative because others were adding initiatives; "
                                "try again.") from None
    raise AssertionError("unreachable")


def _promote(session_id, idea_id, actor, workstream, horizon, title, owner, ai_based) -> str:
    with write_session() as s:
        ws = load_session(s, session_id, lock="share")
        ensure_facilitator(actor, ws)
        ensure_phase(ws, "wrapup", doing="promote ideas to the roadmap")
        idea = load_idea(s, ws, idea_id)
        already = s.scalar(select(Initiative.id).where(Initiative.source_idea_id == idea.id))
        if already:
            raise UserError(f"This idea is already on the roadmap as {already}.")
        votes = s.scalar(select(func.count()).select_from(Vote).where(Vote.idea_id == idea.id)) or 0
        score = s.scalar(select(Score).where(Score.idea_id == idea.id, Score.method == ws.scoring))
        description = (f"From workshop “{ws.title}” (session {ws.id}), prompt “{idea.prompt}”: {idea.text}\n\n"
                       f"Votes: {votes}." + (f" {score.method} score: {score.value:.1f}." if score else ""))
        origin = s.get(IntakeIdea, idea.intake_idea_id) if idea.intake_idea_id else None
        if origin is not None:  # the card came from the intake: the initiative names who first raised it
            description += (f"\n\nFirst raised in the idea intake as {origin.id} by "
                            f"{origin.submitter_label or origin.submitter} on {origin.submitted_at:%Y-%m-%d}.")
        ini = Initiative(id=next_initiative_id(s), title=(title or snippet(idea.text, 300)).strip()[:300],
                         description=description, workstream=workstream[:64], owner=owner or actor.name,
                         horizon=horizon, status="not_started", ai_based=ai_based, source_idea_id=idea.id)
        s.add(ini)
        s.flush()
        record_event(s, actor.name, "workshop.promote", "initiative", ini.id, None,
                     {**snapshot(ini), "intake_idea_id": idea.intake_idea_id})
        s.add(StatusChange(record_type="initiative", record_id=ini.id, from_status=None, to_status="not_started",
                           actor=actor.name, note=f"promoted from workshop idea {idea.id}"))
        return ini.id
