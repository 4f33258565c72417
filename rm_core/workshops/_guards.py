"""The checks every workshop service makes before it writes: session open, phase, lock, who is acting.

How people are authorised (documented in `rm_core.workshops.__doc__` too):

- The session belongs to whoever runs it: its facilitator (the user who created it), the co-facilitators they
  name (`set_co_facilitators`), or an admin. Facilitator services (phase, reveal, lock, timer, limits, close,
  remove, score, promote, grouping as facilitator) take the caller's `Actor` and check that here
  (`ensure_facilitator`); a participant or share-link Actor is refused whatever role the machine's user has.
- Participants need no account. The join link carries a signed join token for one session
  (`sessions.join_token`); `join` returns a participant id, which the page turns into a signed participant
  token (session + participant) kept in that participant's tab URL. The router turns such a token into a
  participant Actor (`via="participant"`, `workshop_session=ID`) that sees only the Workshops page. Editing a
  token breaks its signature, so a browser acts only as the participant it joined as; participant services
  take that id and check it belongs to the session.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from rm_core.errors import NotFound, PermissionDenied, UserError
from rm_core.identity import Actor, can
from rm_core.store.models import Idea, Participant, WorkshopSession

PHASES = ("brainstorm", "group", "vote", "score", "wrapup")
PHASE_LABELS = {"brainstorm": "Brainstorm", "group": "Group", "vote": "Vote", "score": "Score",
                "wrapup": "Wrap-up", "closed": "Closed"}

# A board action is done either by the facilitator (a signed-in Actor) or by a participant (their id).
Who = Actor | int


def load_session(s: Session, session_id: int, *, lock: str | None = None) -> WorkshopSession:
    """The session row; `lock="share"` stops a phase change from committing mid-action (PostgreSQL)."""
    options = {"read": True} if lock == "share" else (True if lock == "update" else None)
    ws = s.get(WorkshopSession, int(session_id), with_for_update=options) if options else \
        s.get(WorkshopSession, int(session_id))
    if ws is None:
        raise NotFound(f"There is no workshop session {session_id}. Check the link or the code.")
    return ws


def ensure_open(ws: WorkshopSession) -> None:
    if ws.phase == "closed":
        raise UserError(f"Session “{ws.title}” is closed and read-only.")


def ensure_unlocked(ws: WorkshopSession) -> None:
    if ws.locked:
        raise UserError("The facilitator has locked the board; nothing can be changed until it is unlocked.")


def ensure_phase(ws: WorkshopSession, *phases: str, doing: str) -> None:
    ensure_open(ws)
    if ws.phase not in phases:
        allowed = " or ".join(PHASE_LABELS[p] for p in phases)
        raise UserError(f"You can {doing} only in the {allowed} phase; the session is in "
                        f"{PHASE_LABELS[ws.phase]}.")


def ensure_facilitator(actor: Actor, ws: WorkshopSession) -> None:
    """The actor runs this session: its facilitator, a co-facilitator the facilitator named, or an admin. A
    participant or share link never does, whatever role the machine's user has."""
    if actor.workshop_session is not None or actor.read_only:
        raise PermissionDenied("Only the people running this session can do this; a participant link only takes "
                               "part in it.")
    if actor.name == ws.facilitator or actor.name in (ws.co_facilitators or []):
        return
    if not can(actor, "admin"):
        raise PermissionDenied(f"Only {ws.facilitator}, who runs “{ws.title}”, their co-facilitators (or an admin) "
                               "can do this.")


def load_participant(s: Session, ws: WorkshopSession, participant_id: int, *, lock: bool = False) -> Participant:
    p = s.get(Participant, int(participant_id), with_for_update=True) if lock else \
        s.get(Participant, int(participant_id))
    if p is None or p.session_id != ws.id:
        raise PermissionDenied("You have not joined this session (or your place in it was removed); join again "
                               "from the link.")
    return p


def load_idea(s: Session, ws: WorkshopSession, idea_id: int) -> Idea:
    idea = s.get(Idea, int(idea_id))
    if idea is None or idea.session_id != ws.id:
        raise NotFound(f"Idea {idea_id} is not on this board (it may have been removed).")
    return idea


def participant_audit_name(ws: WorkshopSession, p: Participant) -> str:
    """Who the audit log names: never the person in an anonymous session (the home page lists audit events)."""
    if ws.anonymous:
        return "anonymous participant"
    return (p.user_name or f"guest:{p.display_name}")[:64]


def check_board_actor(s: Session, ws: WorkshopSession, by: Who) -> str:
    """For grouping: the facilitator always, participants only when the session lets them group."""
    if isinstance(by, Actor):
        ensure_facilitator(by, ws)
        return by.name
    p = load_participant(s, ws, by)
    if p.is_facilitator:
        return p.user_name or p.display_name
    if not ws.participants_group:
        raise PermissionDenied("Only the facilitator groups ideas in this session.")
    ensure_unlocked(ws)
    return participant_audit_name(ws, p)
