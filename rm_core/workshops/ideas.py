"""Ideas on the board: add under a prompt, edit or withdraw your own until they are revealed, moderate."""
from __future__ import annotations

from rm_core.audit import record_event
from rm_core.errors import PermissionDenied, UserError
from rm_core.identity import Actor
from rm_core.store.db import write_session
from rm_core.store.models import Idea, utcnow
from rm_core.workshops._guards import (ensure_facilitator, ensure_open, ensure_phase, ensure_unlocked, load_idea,
                                       load_participant, load_session, participant_audit_name)

IDEA_MAX = 500


def clean_text(raw: str) -> str:
    """The idea as typed (only leading/trailing blanks dropped); refused when empty or too long."""
    text = (raw or "").strip()
    if not text:
        raise UserError("Write the idea first: an empty card helps nobody.")
    if len(text) > IDEA_MAX:
        raise UserError(f"Ideas are at most {IDEA_MAX} characters; this one has {len(text)}. Split it in two.")
    return text


def add_idea(session_id: int, participant_id: int, text: str, prompt: str) -> int:
    """Add an idea under one of the session's prompts (Brainstorm phase); returns the idea id."""
    text = clean_text(text)
    with write_session() as s:
        ws = load_session(s, session_id, lock="share")
        ensure_phase(ws, "brainstorm", doing="add ideas")
        ensure_unlocked(ws)
        p = load_participant(s, ws, participant_id)
        if prompt not in (ws.prompts or []):
            raise UserError(f"“{prompt}” is not one of this session's prompts.")
        idea = Idea(session_id=ws.id, participant_id=p.id, prompt=prompt, text=text)
        s.add(idea)
        s.flush()
        record_event(s, participant_audit_name(ws, p), "workshop.add_idea", "idea", idea.id, None,
                     {"session_id": ws.id, "prompt": prompt, "text": text})
        return idea.id


def _own_editable(s, session_id: int, participant_id: int, idea_id: int, doing: str):
    ws = load_session(s, session_id, lock="share")
    ensure_phase(ws, "brainstorm", doing=doing)
    ensure_unlocked(ws)
    p = load_participant(s, ws, participant_id)
    idea = load_idea(s, ws, idea_id)
    if idea.participant_id != p.id:
        raise PermissionDenied("You can change only your own ideas.")
    if ws.revealed:
        raise UserError("Ideas have been revealed to everyone, so they can no longer be changed.")
    return ws, p, idea


def edit_idea(session_id: int, participant_id: int, idea_id: int, text: str) -> None:
    """Change the text of your own idea while it is not yet revealed."""
    text = clean_text(text)
    with write_session() as s:
        ws, p, idea = _own_editable(s, session_id, participant_id, idea_id, "edit ideas")
        before = {"text": idea.text}
        idea.text, idea.updated_at = text, utcnow()
        record_event(s, participant_audit_name(ws, p), "workshop.edit_idea", "idea", idea.id, before, {"text": text})


def withdraw_idea(session_id: int, participant_id: int, idea_id: int) -> None:
    """Take back your own idea while it is not yet revealed."""
    with write_session() as s:
        ws, p, idea = _own_editable(s, session_id, participant_id, idea_id, "withdraw ideas")
        record_event(s, participant_audit_name(ws, p), "workshop.withdraw_idea", "idea", idea.id,
                     {"text": idea.text}, None)
        s.delete(idea)


def remove_idea(session_id: int, idea_id: int, actor: Actor, reason: str = "") -> None:
    """The facilitator removes an idea (off-topic, duplicate, not appropriate) before voting starts."""
    with write_session() as s:
        ws = load_session(s, session_id, lock="update")
        ensure_facilitator(actor, ws)
        ensure_open(ws)
        ensure_phase(ws, "brainstorm", "group", doing="remove ideas")
        idea = load_idea(s, ws, idea_id)
        record_event(s, actor.name, "workshop.remove_idea", "idea", idea.id, {"text": idea.text},
                     {"reason": reason})
        s.delete(idea)
