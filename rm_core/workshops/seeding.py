"""Seed a board from the idea intake: the facilitator picks accepted intake ideas (by theme, site, age) and each
becomes a card under a prompt, carrying the intake idea's id, so an initiative promoted from the card traces
back to whoever first raised the idea."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from rm_core.audit import record_event
from rm_core.errors import UserError
from rm_core.identity import Actor
from rm_core.store.db import read_session, write_session
from rm_core.store.models import Idea, IntakeIdea, IntakeSupporter, Participant, utcnow
from rm_core.text import snippet
from rm_core.workshops._guards import ensure_facilitator, ensure_phase, load_session
from rm_core.workshops.ideas import IDEA_MAX

SEED_MAX = 200


@dataclass(frozen=True)
class SeedCandidate:
    """An accepted intake idea a facilitator may put on the board."""

    intake_id: str
    title: str
    theme: str
    site: str
    raised_by: str
    age_days: int          # days since it was submitted
    supporters: int
    on_board: bool         # already a card on this session's board


def card_text(title: str, proposed_change: str) -> str:
    """The card: the idea's title, then its proposed change, within a card's length."""
    text = title.strip()
    change = " ".join((proposed_change or "").split())
    if change and change.lower() != text.lower():
        text = f"{text} — {change}"
    return snippet(text, IDEA_MAX)


def seed_candidates(session_id: int, *, themes: list[str] | None = None, sites: list[str] | None = None,
                    max_age_days: int | None = None, now: dt.datetime | None = None) -> list[SeedCandidate]:
    """Accepted intake ideas (most supported first, then oldest), filtered by theme, site and age."""
    moment = now or utcnow()
    with read_session() as s:
        ws = load_session(s, session_id)
        query = select(IntakeIdea).where(IntakeIdea.status == "accepted")
        if themes:
            query = query.where(IntakeIdea.theme.in_(list(themes)))
        if sites:
            query = query.where(IntakeIdea.site.in_(list(sites)))
        if max_age_days is not None:
            query = query.where(IntakeIdea.submitted_at >= moment - dt.timedelta(days=max_age_days))
        ideas = list(s.scalars(query))
        counts = dict(s.execute(select(IntakeSupporter.idea_id, func.count())
                                .group_by(IntakeSupporter.idea_id)).all())
        seeded = set(s.scalars(select(Idea.intake_idea_id).where(Idea.session_id == ws.id,
                                                                 Idea.intake_idea_id.is_not(None))))
    out = [SeedCandidate(i.id, i.title, i.theme, i.site, i.submitter_label or i.submitter,
                         max(0, (moment - i.submitted_at).days), counts.get(i.id, 0), i.id in seeded) for i in ideas]
    out.sort(key=lambda c: (-c.supporters, -c.age_days, c.intake_id))
    return out


@dataclass(frozen=True)
class SeedResult:
    added: dict[str, int]          # intake id -> the new card's idea id
    already_on_board: list[str]


def seed_board(session_id: int, actor: Actor, intake_ids: list[str], *, prompt: str | None = None) -> SeedResult:
    """Put accepted intake ideas on the board (Brainstorm phase, those who run the session only) as the
    facilitator's cards under `prompt` (default: the session's first prompt). An idea already on this board is
    skipped; one not accepted (any more) is refused with its id, and nothing is added."""
    wanted = list(dict.fromkeys(i.strip().upper() for i in intake_ids if i and i.strip()))
    if not wanted:
        raise UserError("Pick at least one accepted idea to put on the board.")
    if len(wanted) > SEED_MAX:
        raise UserError(f"Seed at most {SEED_MAX} ideas at once.")
    with write_session() as s:
        ws = load_session(s, session_id, lock="update")
        ensure_facilitator(actor, ws)
        ensure_phase(ws, "brainstorm", doing="seed the board from the idea intake")
        prompt = prompt or (ws.prompts or [""])[0]
        if prompt not in (ws.prompts or []):
            raise UserError(f"“{prompt}” is not one of this session's prompts.")
        host = s.scalar(select(Participant).where(Participant.session_id == ws.id,
                                                  Participant.is_facilitator.is_(True)))
        if host is None:
            raise UserError(f"Session {ws.id} has no facilitator place to seed from.")
        ideas = {i.id: i for i in s.scalars(select(IntakeIdea).where(IntakeIdea.id.in_(wanted)))}
        missing = [i for i in wanted if i not in ideas]
        not_accepted = [i for i in wanted if i in ideas and ideas[i].status != "accepted"]
        if missing or not_accepted:
            parts = ([f"no idea {', '.join(missing)}"] if missing else []) + \
                ([f"{', '.join(not_accepted)} {'is' if len(not_accepted) == 1 else 'are'} not accepted for OP1"]
                 if not_accepted else [])
            raise UserError("Nothing was added: " + "; ".join(parts) + ".")
        seeded = set(s.scalars(select(Idea.intake_idea_id).where(Idea.session_id == ws.id,
                                                                 Idea.intake_idea_id.in_(wanted))))
        added: dict[str, int] = {}
        for intake_id in wanted:
            if intake_id in seeded:
                continue
            source = ideas[intake_id]
            card = Idea(session_id=ws.id, participant_id=host.id, prompt=prompt,
                        text=card_text(source.title, source.proposed_change), intake_idea_id=intake_id)
            s.add(card)
            s.flush()
            added[intake_id] = card.id
            record_event(s, actor.name, "workshop.seed_from_intake", "idea", card.id, None,
                         {"session_id": ws.id, "prompt": prompt, "intake_idea_id": intake_id,
                          "raised_by": source.submitter})
        return SeedResult(added, [i for i in wanted if i in seeded])


@dataclass(frozen=True)
class IntakeOrigin:
    """Where a workshop card came from in the intake, and who first raised it."""

    intake_id: str
    raised_by: str
    submitter: str


def intake_origins(idea_ids: list[int]) -> dict[int, IntakeOrigin]:
    """Workshop idea id → its intake idea and submitter (cards typed on the board have none)."""
    wanted = sorted({int(i) for i in idea_ids if i is not None})
    if not wanted:
        return {}
    with read_session() as s:
        rows = s.execute(select(Idea.id, IntakeIdea.id, IntakeIdea.submitter_label, IntakeIdea.submitter)
                         .join(IntakeIdea, IntakeIdea.id == Idea.intake_idea_id).where(Idea.id.in_(wanted)))
        return {r[0]: IntakeOrigin(r[1], r[2] or r[3], r[3]) for r in rows}
