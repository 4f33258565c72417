"""Who is acting and what they may do. Services call `require` themselves; a hidden button is not a check."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rm_core.audit import record_event
from rm_core.errors import PermissionDenied, UserError
from rm_core.store.db import read_session, write_session
from rm_core.store.models import User

ROLES = ("viewer", "editor", "facilitator", "admin")

# permission -> roles that hold it. Facilitators run workshops; editors maintain records; admins do both and
# take the irreversible decisions (retiring a rule, restoring a backup, managing users).
PERMISSIONS: dict[str, frozenset[str]] = {
    "read": frozenset(ROLES),
    "workshop.participate": frozenset(ROLES),
    "workshop.facilitate": frozenset({"facilitator", "admin"}),
    "mo.edit": frozenset({"editor", "admin"}),
    "metrics.edit": frozenset({"editor", "admin"}),
    "rule.propose": frozenset({"editor", "admin"}),
    "rule.retire": frozenset({"admin"}),
    "hitlog.upload": frozenset({"editor", "admin"}),
    "roadmap.edit": frozenset({"editor", "facilitator", "admin"}),
    "tracker.edit": frozenset({"editor", "admin"}),
    "users.manage": frozenset({"admin"}),
    "admin": frozenset({"admin"}),
}

ROLE_PURPOSE = {
    "viewer": "reads every page (leadership links)",
    "editor": "maintains MOs, metrics notes, rules, requests, gaps, SOPs and the roadmap",
    "facilitator": "runs workshop sessions and promotes ideas to the roadmap",
    "admin": "everything, plus retiring rules, users and backups",
}


# What a capability session may still do: a leadership link only reads; a workshop participant link only takes
# part in its own session (the workshop services also check the session itself).
READ_ONLY_PERMISSIONS = frozenset({"read"})
PARTICIPANT_PERMISSIONS = frozenset({"workshop.participate"})


@dataclass(frozen=True)
class Actor:
    name: str
    role: str
    display_name: str = ""
    # how the actor was established: "local" (the machine's own user), "oidc", "cli", "link" (leadership share
    # link) or "participant" (workshop participant link)
    via: str = "local"
    # a leadership-link session: every permission but "read" is refused, whatever the role says
    read_only: bool = False
    # a participant-link session: only "workshop.participate", and only in this workshop session
    workshop_session: int | None = None

    @property
    def label(self) -> str:
        return self.display_name or self.name


def can(actor: Actor, permission: str) -> bool:
    if actor.read_only and permission not in READ_ONLY_PERMISSIONS:
        return False
    if actor.workshop_session is not None and permission not in PARTICIPANT_PERMISSIONS:
        return False
    return actor.role in PERMISSIONS[permission]


def require(actor: Actor, permission: str) -> None:
    """Raise PermissionDenied with a sentence the user can act on."""
    if actor.read_only and permission not in READ_ONLY_PERMISSIONS:
        raise PermissionDenied("This is a read-only share link; it cannot change anything.")
    if actor.workshop_session is not None and permission not in PARTICIPANT_PERMISSIONS:
        raise PermissionDenied("A workshop participant link only takes part in its own session.")
    if not can(actor, permission):
        allowed = " or ".join(sorted(PERMISSIONS[permission]))
        raise PermissionDenied(
            f"{actor.label} is signed in as {actor.role}; this needs the {allowed} role. Ask an admin to change "
            "your role.")


def resolve_actor(name: str, display_name: str = "", *, local: bool = True) -> Actor:
    """The actor for a signed-in name, registering unknown users.

    On a fresh install the first local user becomes admin (someone must be able to grant roles); everyone else
    starts as viewer, which is what a leadership link needs.
    """
    name = name.strip().lower()[:64]
    if not name:
        raise UserError("No user name: set RM_USER or sign in.")
    with read_session() as s:
        user = s.get(User, name)
        if user is not None:
            return Actor(user.name, user.role, user.display_name)
    with write_session() as s:
        user = s.get(User, name)
        if user is None:
            first = s.scalar(select(func.count()).select_from(User)) == 0
            role = "admin" if (first and local) else "viewer"
            user = User(name=name, display_name=display_name or name, role=role)
            s.add(user)
            record_event(s, name, "user.register", "user", name, None, {"role": role})
        return Actor(user.name, user.role, user.display_name)


def set_role(actor: Actor, name: str, role: str) -> None:
    require(actor, "users.manage")
    if role not in ROLES:
        raise UserError(f"Unknown role {role!r}; use one of {', '.join(ROLES)}.")
    with write_session() as s:
        user = s.get(User, name)
        if user is None:
            user = User(name=name, display_name=name, role=role)
            s.add(user)
            before = None
        else:
            before = {"role": user.role}
            user.role = role
        record_event(s, actor.name, "user.set_role", "user", name, before, {"role": role})


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))
