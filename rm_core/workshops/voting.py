"""Dot voting within the facilitator's limits, enforced by the database even when votes race.

Each vote takes a free `slot` below the per-person limit and a free `idea_slot` below the per-idea limit;
unique constraints on (participant, slot) and (participant, idea, idea_slot) make a second vote on the same
slot fail at insert, so no interleaving of transactions can exceed a limit. On top of that the transaction
serialises one person's votes (SQLite: BEGIN IMMEDIATE; PostgreSQL: the participant row is locked FOR UPDATE),
and a constraint clash is retried once more from a fresh read, so users see a clear answer, never an error.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from rm_core.audit import record_event
from rm_core.errors import UserError
from rm_core.store.db import get_engine, read_session, write_session
from rm_core.store.models import Idea, Participant, Theme, Vote
from rm_core.workshops._guards import (ensure_phase, ensure_unlocked, load_idea, load_participant, load_session,
                                       participant_audit_name)

RETRIES = 5


@dataclass(frozen=True)
class VoteResult:
    idea_id: int
    votes_on_idea: int  # this person's votes on the idea after the change
    votes_left: int


def cast_vote(session_id: int, participant_id: int, idea_id: int) -> VoteResult:
    """Give one dot to an idea (Vote phase). Refused with a clear message when a limit would be passed."""
    for attempt in range(RETRIES):
        try:
            return _cast(session_id, participant_id, idea_id)
        except (IntegrityError, OperationalError) as exc:
            # A vote of the same person raced ours to the same slot (or PostgreSQL aborted a deadlock): read
            # again; the next attempt sees the other vote and either takes another slot or refuses cleanly.
            if attempt == RETRIES - 1:
                raise UserError("Your vote could not be saved because others were voting at the same moment; "
                                "try again.") from exc
    raise AssertionError("unreachable")


def _cast(session_id: int, participant_id: int, idea_id: int) -> VoteResult:
    # On SQLite, write_session queues this process's writers on a lock (not SQLite's sleeping busy handler),
    # which keeps the slowest votes fast when a whole room votes at once.
    with write_session(get_engine()) as s:
        ws = load_session(s, session_id, lock="share")
        ensure_phase(ws, "vote", doing="vote")
        ensure_unlocked(ws)
        p = load_participant(s, ws, participant_id, lock=True)
        if p.is_facilitator and not ws.facilitator_votes:
            raise UserError("The facilitator does not vote in this session.")
        idea = load_idea(s, ws, idea_id)
        rows = s.execute(select(Vote.slot, Vote.idea_id, Vote.idea_slot).where(Vote.participant_id == p.id)).all()
        used_slots = {r.slot for r in rows}
        on_idea = {r.idea_slot for r in rows if r.idea_id == idea.id}
        if len(rows) >= ws.votes_per_person:
            raise UserError(f"You have used all {ws.votes_per_person} of your votes; take one back to vote for "
                            "something else.")
        if len(on_idea) >= ws.max_votes_per_idea:
            raise UserError("You have already given this idea the most votes one person may "
                            f"({ws.max_votes_per_idea}).")
        slot = min(set(range(ws.votes_per_person)) - used_slots)
        idea_slot = min(set(range(ws.max_votes_per_idea)) - on_idea)
        vote = Vote(session_id=ws.id, participant_id=p.id, idea_id=idea.id, slot=slot, idea_slot=idea_slot)
        s.add(vote)
        s.flush()
        record_event(s, participant_audit_name(ws, p), "workshop.vote", "idea", idea.id, None,
                     {"session_id": ws.id} if ws.anonymous else {"session_id": ws.id, "participant_id": p.id})
        return VoteResult(idea.id, len(on_idea) + 1, ws.votes_per_person - len(rows) - 1)


def retract_vote(session_id: int, participant_id: int, idea_id: int) -> VoteResult:
    """Take back one of your dots from an idea (Vote phase)."""
    with write_session() as s:
        ws = load_session(s, session_id, lock="share")
        ensure_phase(ws, "vote", doing="take back votes")
        ensure_unlocked(ws)
        p = load_participant(s, ws, participant_id, lock=True)
        idea = load_idea(s, ws, idea_id)
        mine = list(s.scalars(select(Vote).where(Vote.participant_id == p.id, Vote.idea_id == idea.id)
                              .order_by(Vote.idea_slot.desc())))
        if not mine:
            raise UserError("You have no vote on this idea to take back.")
        s.delete(mine[0])
        s.flush()
        used = s.scalar(select(func.count()).select_from(Vote).where(Vote.participant_id == p.id)) or 0
        record_event(s, participant_audit_name(ws, p), "workshop.retract_vote", "idea", idea.id,
                     {"session_id": ws.id}, None)
        return VoteResult(idea.id, len(mine) - 1, ws.votes_per_person - used)


@dataclass(frozen=True)
class IdeaTally:
    idea_id: int
    text: str
    prompt: str
    theme: str | None
    votes: int
    voters: int  # distinct people who voted for it


def tally(session_id: int) -> list[IdeaTally]:
    """Votes per idea, most voted first (ties: oldest idea first). Every idea is listed, with 0 if unvoted."""
    with read_session() as s:
        ws = load_session(s, session_id)
        counts = {row.idea_id: (row.votes, row.voters) for row in s.execute(
            select(Vote.idea_id, func.count().label("votes"),
                   func.count(func.distinct(Vote.participant_id)).label("voters"))
            .where(Vote.session_id == ws.id).group_by(Vote.idea_id))}
        ideas = s.execute(select(Idea.id, Idea.text, Idea.prompt, Theme.name)
                          .outerjoin(Theme, Theme.id == Idea.theme_id)
                          .where(Idea.session_id == ws.id).order_by(Idea.id)).all()
    result = [IdeaTally(i.id, i.text, i.prompt, i.name, *counts.get(i.id, (0, 0))) for i in ideas]
    result.sort(key=lambda t: (-t.votes, t.idea_id))
    return result


@dataclass(frozen=True)
class VoterStatus:
    participant_id: int
    display_name: str
    is_facilitator: bool
    votes_used: int
    votes_left: int


def voting_status(session_id: int) -> list[VoterStatus]:
    """Everyone who votes in this session with votes used and left (the facilitator only if they vote)."""
    with read_session() as s:
        ws = load_session(s, session_id)
        used = dict(s.execute(select(Vote.participant_id, func.count()).where(Vote.session_id == ws.id)
                              .group_by(Vote.participant_id)).all())
        people = list(s.scalars(select(Participant).where(Participant.session_id == ws.id).order_by(Participant.id)))
    return [VoterStatus(p.id, p.display_name, p.is_facilitator, used.get(p.id, 0),
                        max(0, ws.votes_per_person - used.get(p.id, 0)))
            for p in people if ws.facilitator_votes or not p.is_facilitator]


def not_voted(session_id: int) -> list[str]:
    """Names of those who have not voted yet (shown to the facilitator only)."""
    return [v.display_name for v in voting_status(session_id) if v.votes_used == 0]


def votes_left(session_id: int, participant_id: int) -> int:
    with read_session() as s:
        ws = load_session(s, session_id)
        p = load_participant(s, ws, participant_id)
        used = s.scalar(select(func.count()).select_from(Vote).where(Vote.participant_id == p.id)) or 0
        if p.is_facilitator and not ws.facilitator_votes:
            return 0
        return max(0, ws.votes_per_person - used)


def clear_votes(s, session_id: int) -> int:
    """Remove every vote of a session inside the caller's transaction; returns how many."""
    return s.execute(delete(Vote).where(Vote.session_id == session_id)).rowcount or 0
