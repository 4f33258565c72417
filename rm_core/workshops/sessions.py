"""A workshop session's life: templates, creation, joining, phases, reveal, lock, timer, close, listing."""
from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from rm_core.audit import record_event, snapshot
from rm_core.errors import NotFound, PermissionDenied, Problem, UserError, ValidationFailed
from rm_core.identity import Actor, can, require
from rm_core.signing import sign, verify
from rm_core.store.db import read_session, write_session
from rm_core.store.models import (Idea, Initiative, Participant, Score, StatusChange, Theme, User, Vote,
                                  WorkshopSession, utcnow)
from rm_core.workshops._guards import PHASE_LABELS, PHASES, ensure_facilitator, ensure_open, load_session
from rm_core.workshops.voting import clear_votes

NAME_MAX = 40
TITLE_MAX = 200
PROMPT_MAX = 200
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: codes are read aloud and typed
CODE_LENGTH = 6
CO_FACILITATORS_MAX = 10


@dataclass(frozen=True)
class Template:
    key: str
    label: str
    prompts: tuple[str, ...]
    votes_per_person: int
    max_votes_per_idea: int
    scoring: str


TEMPLATES: dict[str, Template] = {t.key: t for t in (
    Template("op1_ideation", "OP1 ideation",
             ("What should we start doing next year?", "What should we stop or automate?",
              "Which MO families need new defences?"), 5, 1, "RICE"),
    Template("ai_opportunities", "AI opportunities",
             ("Where do analysts spend repetitive time?", "Which decisions could a model assist?",
              "What data would an AI use case need?"), 3, 1, "ICE"),
    Template("gap_retrospective", "Gap retrospective",
             ("What went well", "What did not go well", "Which upstream gaps hurt us", "Actions we propose"),
             3, 2, "RICE"),
)}


@dataclass(frozen=True)
class SessionView:
    """A session's settings and state as every surface shows it."""

    id: int
    code: str
    title: str
    template: str
    prompts: list[str]
    facilitator: str
    phase: str
    votes_per_person: int
    max_votes_per_idea: int
    facilitator_votes: bool
    anonymous: bool
    reveal: str
    revealed: bool
    participants_group: bool
    scoring: str
    timer_ends_at: dt.datetime | None
    locked: bool
    created_at: dt.datetime
    closed_at: dt.datetime | None
    co_facilitators: tuple[str, ...] = field(default=())

    @property
    def is_open(self) -> bool:
        return self.phase != "closed"

    @property
    def phase_label(self) -> str:
        return PHASE_LABELS[self.phase]

    @property
    def template_label(self) -> str:
        return TEMPLATES[self.template].label if self.template in TEMPLATES else self.template

    def seconds_left(self, now: dt.datetime | None = None) -> int | None:
        """Seconds until the timer ends (0 once it has run out); None when no timer is set."""
        if self.timer_ends_at is None:
            return None
        return max(0, int((self.timer_ends_at - (now or utcnow())).total_seconds()))


def view_of(ws: WorkshopSession) -> SessionView:
    return SessionView(ws.id, ws.code, ws.title, ws.template, list(ws.prompts or []), ws.facilitator, ws.phase,
                       ws.votes_per_person, ws.max_votes_per_idea, ws.facilitator_votes, ws.anonymous, ws.reveal,
                       ws.revealed, ws.participants_group, ws.scoring, ws.timer_ends_at, ws.locked, ws.created_at,
                       ws.closed_at, tuple(ws.co_facilitators or ()))


@dataclass(frozen=True)
class JoinedParticipant:
    id: int
    session_id: int
    display_name: str
    is_facilitator: bool


def clean_name(raw: str) -> str:
    name = " ".join((raw or "").split())
    if not name:
        raise UserError("Enter a display name so the others know who is here.")
    if len(name) > NAME_MAX:
        raise UserError(f"Display names are at most {NAME_MAX} characters; yours has {len(name)}.")
    return name


def _validate_settings(title: str, template: str, prompts: list[str], votes_per_person: int,
                       max_votes_per_idea: int, reveal: str, scoring: str, timer_minutes: int | None) -> list[Problem]:
    problems = []
    if not title.strip():
        problems.append(Problem("give the session a title", field="title"))
    elif len(title.strip()) > TITLE_MAX:
        problems.append(Problem(f"at most {TITLE_MAX} characters", field="title"))
    if template not in TEMPLATES:
        problems.append(Problem(f"unknown template; use one of {', '.join(TEMPLATES)}", field="template"))
    if not prompts:
        problems.append(Problem("add at least one prompt (a column ideas go under)", field="prompts"))
    for p in prompts:
        if len(p) > PROMPT_MAX:
            problems.append(Problem(f"prompt “{p[:30]}…” is longer than {PROMPT_MAX} characters", field="prompts"))
    if len(set(prompts)) != len(prompts):
        problems.append(Problem("two prompts have the same text", field="prompts"))
    if not 0 <= votes_per_person <= 100:
        problems.append(Problem("votes per person must be between 0 and 100", field="votes_per_person"))
    if not 1 <= max_votes_per_idea <= 100:
        problems.append(Problem("max votes per idea must be between 1 and 100", field="max_votes_per_idea"))
    if reveal not in ("live", "on_reveal"):
        problems.append(Problem("reveal is `live` or `on_reveal`", field="reveal"))
    if scoring not in ("RICE", "ICE"):
        problems.append(Problem("scoring is RICE or ICE", field="scoring"))
    if timer_minutes is not None and not 1 <= timer_minutes <= 240:
        problems.append(Problem("a timer runs between 1 and 240 minutes", field="timer_minutes"))
    return problems


def create_session(actor: Actor, title: str, template: str = "op1_ideation", *, prompts: list[str] | None = None,
                   votes_per_person: int | None = None, max_votes_per_idea: int | None = None,
                   anonymous: bool = False, reveal: str = "live", timer_minutes: int | None = None,
                   facilitator_votes: bool = True, participants_group: bool = False,
                   scoring: str | None = None) -> SessionView:
    """Open a session run by `actor` (who also joins it as a participant); returns it with its join code."""
    require(actor, "workshop.facilitate")
    tpl = TEMPLATES.get(template)
    prompts = [" ".join(p.split()) for p in (prompts if prompts is not None else (tpl.prompts if tpl else []))]
    prompts = [p for p in prompts if p]
    vpp = tpl.votes_per_person if votes_per_person is None and tpl else (votes_per_person or 0)
    mvi = tpl.max_votes_per_idea if max_votes_per_idea is None and tpl else (max_votes_per_idea or 1)
    scoring = (scoring or (tpl.scoring if tpl else "RICE")).upper()
    problems = _validate_settings(title, template, prompts, vpp, mvi, reveal, scoring, timer_minutes)
    if problems:
        raise ValidationFailed(problems)
    for _attempt in range(5):
        try:
            with write_session() as s:
                ws = WorkshopSession(
                    code=new_code(), title=title.strip(), template=template, prompts=prompts,
                    facilitator=actor.name, phase="brainstorm", votes_per_person=vpp, max_votes_per_idea=mvi,
                    facilitator_votes=facilitator_votes, anonymous=anonymous, reveal=reveal, revealed=False,
                    participants_group=participants_group, scoring=scoring, locked=False,
                    timer_ends_at=utcnow() + dt.timedelta(minutes=timer_minutes) if timer_minutes else None)
                s.add(ws)
                s.flush()
                s.add(Participant(session_id=ws.id, display_name=clean_name(actor.label)[:NAME_MAX],
                                  user_name=actor.name, is_facilitator=True))
                record_event(s, actor.name, "workshop.create", "workshop_session", ws.id, None, snapshot(ws))
                s.add(StatusChange(record_type="workshop_session", record_id=str(ws.id), from_status=None,
                                   to_status="brainstorm", actor=actor.name, note="session created"))
                return view_of(ws)
        except IntegrityError:  # the random join code collided with another session's: draw again
            continue
    raise UserError("Could not draw a free join code; try again.")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def get_session(session_id: int) -> SessionView:
    with read_session() as s:
        return view_of(load_session(s, session_id))


def find_session(code_or_id: str) -> SessionView:
    """The session a typed code (any case, spaces ignored) or numeric id names."""
    raw = re.sub(r"[\s-]", "", code_or_id or "").upper()
    if not raw:
        raise UserError("Type the session code the facilitator shared (six letters and digits).")
    with read_session() as s:
        ws = s.scalar(select(WorkshopSession).where(WorkshopSession.code == raw))
        if ws is None and raw.isdigit():
            ws = s.get(WorkshopSession, int(raw))
        if ws is None:
            raise NotFound(f"No session has the code {raw}. Check it with the facilitator.")
        return view_of(ws)


def join(session_id: int, display_name: str, *, user_name: str | None = None) -> JoinedParticipant:
    """Join as `display_name` (unique in the session, whatever the case). A signed-in user who joined before
    gets their place back; a name someone else holds is refused."""
    name = clean_name(display_name)
    try:
        with write_session() as s:
            ws = load_session(s, session_id)
            ensure_open(ws)
            if user_name:
                mine = s.scalar(select(Participant).where(Participant.session_id == ws.id,
                                                          Participant.user_name == user_name))
                if mine is not None:
                    return JoinedParticipant(mine.id, ws.id, mine.display_name, mine.is_facilitator)
            taken = s.scalar(select(Participant.id).where(Participant.session_id == ws.id,
                                                          func.lower(Participant.display_name) == name.lower()))
            if taken is not None:
                raise _name_taken(name)
            p = Participant(session_id=ws.id, display_name=name, user_name=user_name, is_facilitator=False)
            s.add(p)
            s.flush()
            who = "anonymous participant" if ws.anonymous else (user_name or f"guest:{name}")
            record_event(s, who[:64], "workshop.join", "workshop_session", ws.id, None,
                         {"participant_id": p.id} if ws.anonymous else {"participant_id": p.id, "display_name": name})
            return JoinedParticipant(p.id, ws.id, p.display_name, False)
    except IntegrityError:  # the unique (session, name) constraint caught a join racing ours
        raise _name_taken(name) from None


def _name_taken(name: str) -> UserError:
    return UserError(f"Someone in this session is already called “{name}”; pick another name "
                     f"(for example “{name} {secrets.choice('ABCDEFGHJKMNPRSTUVWXYZ')}.”).")


def facilitator_participant(session_id: int) -> JoinedParticipant:
    with read_session() as s:
        p = s.scalar(select(Participant).where(Participant.session_id == int(session_id),
                                               Participant.is_facilitator.is_(True)))
        if p is None:
            raise NotFound(f"Session {session_id} has no facilitator.")
        return JoinedParticipant(p.id, p.session_id, p.display_name, True)


def participant(session_id: int, participant_id: int) -> JoinedParticipant | None:
    """The participant if they are still in this session (pages check what they hold in session state)."""
    with read_session() as s:
        p = s.get(Participant, int(participant_id))
        if p is None or p.session_id != int(session_id):
            return None
        return JoinedParticipant(p.id, p.session_id, p.display_name, p.is_facilitator)


# --- workshop links: signed capabilities (rm_core.signing) ---------------------------------------------------

JOIN_PURPOSE = "workshop-join"
PARTICIPANT_PURPOSE = "workshop-participant"


def join_token(session_id: int) -> str:
    """The token of a session's join link: whoever holds it may join that session (and nothing else)."""
    return sign(JOIN_PURPOSE, {"s": int(session_id)})


def session_from_join_token(token: str | None) -> int | None:
    payload = verify(JOIN_PURPOSE, token)
    return payload["s"] if payload and isinstance(payload.get("s"), int) else None


def participant_token(session_id: int, participant_id: int) -> str:
    """A participant's personal token: it signs the session and the participant, so editing it cannot act as
    another participant or in another session; the page keeps it in that participant's own tab URL."""
    return sign(PARTICIPANT_PURPOSE, {"s": int(session_id), "p": int(participant_id)})


def participant_from_token(session_id: int | None, token: str | None) -> JoinedParticipant | None:
    """The participant a token names (still in its session), or None when it is missing, altered, made for
    another purpose or for another session than `session_id` (None: whichever session it names)."""
    payload = verify(PARTICIPANT_PURPOSE, token)
    if not payload or not isinstance(payload.get("s"), int) or not isinstance(payload.get("p"), int):
        return None
    if session_id is not None and payload["s"] != int(session_id):
        return None
    return participant(payload["s"], payload["p"])


def participant_actor(p: JoinedParticipant) -> Actor:
    """Who a participant-link holder is to every service: they take part in their own session, nothing else."""
    return Actor(f"participant:{p.id}", "viewer", p.display_name, via="participant", workshop_session=p.session_id)


def runs_session(actor: Actor, ws: SessionView) -> bool:
    """Whether `actor` may run the session: its facilitator, a co-facilitator they named, or an admin."""
    if actor.read_only or actor.workshop_session is not None:
        return False
    return actor.name == ws.facilitator or actor.name in ws.co_facilitators or can(actor, "admin")


def set_co_facilitators(session_id: int, names: list[str], actor: Actor) -> SessionView:
    """Name the users who run the session with its facilitator (replacing the list). Only the facilitator (or an
    admin) names them; each must be a known user."""
    wanted = sorted({n.strip().lower() for n in names if n and n.strip()})
    if len(wanted) > CO_FACILITATORS_MAX:
        raise UserError(f"Name at most {CO_FACILITATORS_MAX} co-facilitators.")
    with write_session() as s:
        ws = load_session(s, session_id, lock="update")
        ensure_facilitator(actor, ws)
        if actor.name != ws.facilitator and not can(actor, "admin"):
            raise PermissionDenied(f"Only {ws.facilitator}, who runs “{ws.title}”, names co-facilitators.")
        ensure_open(ws)
        known = set(s.scalars(select(User.name).where(User.name.in_(wanted))))
        unknown = [n for n in wanted if n not in known]
        if unknown:
            raise UserError(f"No user is called {', '.join(unknown)}; they appear once they have signed in.")
        wanted = [n for n in wanted if n != ws.facilitator]
        before = {"co_facilitators": list(ws.co_facilitators or [])}
        ws.co_facilitators = wanted
        record_event(s, actor.name, "workshop.co_facilitators", "workshop_session", ws.id, before,
                     {"co_facilitators": wanted})
        return view_of(ws)


# --- phases ---------------------------------------------------------------------------------------------------

def phase_change_resets(session_id: int, phase: str) -> list[str]:
    """What moving to `phase` would undo, in words the facilitator reads before confirming (empty: nothing)."""
    with read_session() as s:
        ws = load_session(s, session_id)
        return _resets(s, ws, phase)


def _resets(s, ws: WorkshopSession, phase: str) -> list[str]:
    if phase not in PHASES or ws.phase not in PHASES or PHASES.index(phase) >= PHASES.index(ws.phase):
        return []
    resets = []
    if PHASES.index(phase) < PHASES.index("vote"):
        votes = s.scalar(select(func.count()).select_from(Vote).where(Vote.session_id == ws.id)) or 0
        if votes:
            resets.append(f"all {votes} votes are removed (the board can change, so everyone votes again)")
    if phase == "brainstorm" and ws.reveal == "on_reveal" and ws.revealed:
        resets.append("ideas are hidden from the others again until you reveal them; authors can edit them")
    return resets


def set_phase(session_id: int, phase: str, actor: Actor, *, confirm_reset: bool = False) -> SessionView:
    """Move the session one phase forward or back. Going back that would undo work (see
    `phase_change_resets`) needs `confirm_reset=True`. Closing is `close_session`."""
    if phase not in PHASES:
        raise UserError(f"Unknown phase {phase!r}; the phases are {', '.join(PHASES)}.")
    with write_session() as s:
        ws = load_session(s, session_id, lock="update")
        ensure_facilitator(actor, ws)
        ensure_open(ws)
        here, there = PHASES.index(ws.phase), PHASES.index(phase)
        if there == here:
            return view_of(ws)
        if abs(there - here) != 1:
            raise UserError(f"Move one phase at a time: from {PHASE_LABELS[ws.phase]} the next phases are "
                            + " or ".join(PHASE_LABELS[p] for p in PHASES[max(0, here - 1):here + 2] if p != ws.phase)
                            + ".")
        resets = _resets(s, ws, phase)
        if resets and not confirm_reset:
            raise UserError("Going back to " + PHASE_LABELS[phase] + " resets: " + "; ".join(resets)
                            + ". Confirm to go back.")
        before = {"phase": ws.phase, "revealed": ws.revealed}
        if there < here and there < PHASES.index("vote"):
            clear_votes(s, ws.id)
        if phase == "brainstorm" and ws.reveal == "on_reveal":
            ws.revealed = False
        if there > here and ws.phase == "brainstorm":
            ws.revealed = True  # grouping needs every idea visible; authors can no longer edit them
        from_phase, ws.phase = ws.phase, phase
        record_event(s, actor.name, "workshop.set_phase", "workshop_session", ws.id, before,
                     {"phase": ws.phase, "revealed": ws.revealed, "reset": resets})
        s.add(StatusChange(record_type="workshop_session", record_id=str(ws.id), from_status=from_phase,
                           to_status=phase, actor=actor.name, note="; ".join(resets)))
        return view_of(ws)


def reveal_ideas(session_id: int, actor: Actor) -> SessionView:
    """Show every idea to everyone (reveal policy `on_reveal`); authors can no longer edit theirs."""
    with write_session() as s:
        ws = load_session(s, session_id, lock="update")
        ensure_facilitator(actor, ws)
        ensure_open(ws)
        if not ws.revealed:
            ws.revealed = True
            record_event(s, actor.name, "workshop.reveal", "workshop_session", ws.id, {"revealed": False},
                         {"revealed": True})
        return view_of(ws)


def set_locked(session_id: int, locked: bool, actor: Actor) -> SessionView:
    """Lock (participants can look but not change anything) or unlock the board."""
    with write_session() as s:
        ws = load_session(s, session_id, lock="update")
        ensure_facilitator(actor, ws)
        ensure_open(ws)
        if ws.locked != locked:
            record_event(s, actor.name, "workshop.lock" if locked else "workshop.unlock", "workshop_session",
                         ws.id, {"locked": ws.locked}, {"locked": locked})
            ws.locked = locked
        return view_of(ws)


def set_timer(session_id: int, minutes: int | None, actor: Actor) -> SessionView:
    """Start a timer of `minutes` from now (None clears it). The timer informs; phases move only by hand."""
    if minutes is not None and not 1 <= minutes <= 240:
        raise UserError("A timer runs between 1 and 240 minutes.")
    with write_session() as s:
        ws = load_session(s, session_id, lock="update")
        ensure_facilitator(actor, ws)
        ensure_open(ws)
        before = {"timer_ends_at": ws.timer_ends_at}
        ws.timer_ends_at = utcnow() + dt.timedelta(minutes=minutes) if minutes else None
        record_event(s, actor.name, "workshop.timer", "workshop_session", ws.id, before,
                     {"timer_ends_at": ws.timer_ends_at})
        return view_of(ws)


def extend_timer(session_id: int, minutes: int, actor: Actor) -> SessionView:
    """Add `minutes` to the running timer (or to now, if it has run out or none was set)."""
    if not 1 <= minutes <= 120:
        raise UserError("Extend the timer by 1 to 120 minutes.")
    with write_session() as s:
        ws = load_session(s, session_id, lock="update")
        ensure_facilitator(actor, ws)
        ensure_open(ws)
        before = {"timer_ends_at": ws.timer_ends_at}
        start = max(ws.timer_ends_at or utcnow(), utcnow())
        ws.timer_ends_at = start + dt.timedelta(minutes=minutes)
        record_event(s, actor.name, "workshop.timer", "workshop_session", ws.id, before,
                     {"timer_ends_at": ws.timer_ends_at})
        return view_of(ws)


def update_limits(session_id: int, actor: Actor, *, votes_per_person: int | None = None,
                  max_votes_per_idea: int | None = None) -> SessionView:
    """Change the vote limits; once voting has started they can only go up, so no cast vote becomes illegal."""
    with write_session() as s:
        ws = load_session(s, session_id, lock="update")
        ensure_facilitator(actor, ws)
        ensure_open(ws)
        before = {"votes_per_person": ws.votes_per_person, "max_votes_per_idea": ws.max_votes_per_idea}
        voting_started = PHASES.index(ws.phase) >= PHASES.index("vote")
        if votes_per_person is not None:
            if not 0 <= votes_per_person <= 100:
                raise UserError("Votes per person must be between 0 and 100.")
            if voting_started and votes_per_person < ws.votes_per_person:
                raise UserError("Voting has started: votes per person can only be raised.")
            ws.votes_per_person = votes_per_person
        if max_votes_per_idea is not None:
            if not 1 <= max_votes_per_idea <= 100:
                raise UserError("Max votes per idea must be between 1 and 100.")
            if voting_started and max_votes_per_idea < ws.max_votes_per_idea:
                raise UserError("Voting has started: max votes per idea can only be raised.")
            ws.max_votes_per_idea = max_votes_per_idea
        record_event(s, actor.name, "workshop.limits", "workshop_session", ws.id, before,
                     {"votes_per_person": ws.votes_per_person, "max_votes_per_idea": ws.max_votes_per_idea})
        return view_of(ws)


def close_session(session_id: int, actor: Actor) -> SessionView:
    """End the session: read-only from now on, listed with its outcomes."""
    with write_session() as s:
        ws = load_session(s, session_id, lock="update")
        ensure_facilitator(actor, ws)
        ensure_open(ws)
        from_phase = ws.phase
        ws.phase, ws.locked, ws.closed_at, ws.timer_ends_at = "closed", True, utcnow(), None
        record_event(s, actor.name, "workshop.close", "workshop_session", ws.id, {"phase": from_phase},
                     {"phase": "closed"})
        s.add(StatusChange(record_type="workshop_session", record_id=str(ws.id), from_status=from_phase,
                           to_status="closed", actor=actor.name, note=""))
        return view_of(ws)


# --- listing --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SessionSummary:
    """One line of the sessions list: what it is and what came out of it."""

    session: SessionView
    participants: int
    ideas: int
    votes: int
    themes: int
    scored: int
    promoted: list[str]  # initiative ids


def list_sessions(*, include_closed: bool = True) -> list[SessionSummary]:
    """Open sessions first (newest first), then closed ones with their outcomes."""
    with read_session() as s:
        query = select(WorkshopSession)
        if not include_closed:
            query = query.where(WorkshopSession.phase != "closed")
        sessions = list(s.scalars(query))
        counts = {}
        for model, key in ((Participant, "participants"), (Idea, "ideas"), (Vote, "votes"), (Theme, "themes"),
                           (Score, "scored")):
            for sid, n in s.execute(select(model.session_id, func.count()).group_by(model.session_id)):
                counts[(sid, key)] = n
        promoted: dict[int, list[str]] = {}
        for sid, ini in s.execute(select(Idea.session_id, Initiative.id).join(Initiative,
                                                                              Initiative.source_idea_id == Idea.id)
                                  .order_by(Initiative.id)):
            promoted.setdefault(sid, []).append(ini)
    sessions.sort(key=lambda w: (w.phase == "closed", -(w.created_at.timestamp()), -w.id))
    return [SessionSummary(view_of(w), counts.get((w.id, "participants"), 0), counts.get((w.id, "ideas"), 0),
                           counts.get((w.id, "votes"), 0), counts.get((w.id, "themes"), 0),
                           counts.get((w.id, "scored"), 0), promoted.get(w.id, [])) for w in sessions]
