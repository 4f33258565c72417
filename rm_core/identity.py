"""Who is acting and what they may do. Services call `require` themselves; a hidden button is not a check."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rm_core.audit import record_event
from rm_core.errors import NotFound, PermissionDenied, UserError
from rm_core.settings import Settings, get_settings
from rm_core.store.db import read_session, write_session
from rm_core.store.models import User, utcnow

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
    # viewers submit too unless RM_INTAKE_VIEWERS=read (rm_core.intake checks that setting on top of this)
    "intake.submit": frozenset(ROLES),
    "intake.triage": frozenset({"editor", "admin"}),
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
    # how the actor was established: "local" (the machine's own user in the app), "oidc", "cli" (the machine's
    # own user on the command line), "link" (leadership share link) or "participant" (workshop participant link)
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


SEEN_EVERY = dt.timedelta(hours=1)
NAME_PATTERN = re.compile(r"[\w.@-]{1,64}")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class Access:
    """What a signed-in person gets: an actor, or none with the reason ("pending": nobody granted a role yet;
    "deactivated": an admin took access away)."""

    actor: Actor | None
    reason: str = "ok"
    email: str = ""


@dataclass(frozen=True)
class UserInfo:
    """One row of the Users page and of `users list`."""

    name: str
    display_name: str
    role: str | None
    active: bool
    kind: str
    email: str | None
    email_verified: bool
    issuer: str | None
    subject: str | None
    created_at: str
    last_seen_at: str | None

    def to_json(self) -> dict:
        return dict(self.__dict__)


def _info(user: User) -> UserInfo:
    return UserInfo(user.name, user.display_name, user.role, bool(user.active), user.kind, user.email,
                    bool(user.email_verified), user.issuer, user.subject, user.created_at.isoformat(),
                    user.last_seen_at.isoformat() if user.last_seen_at else None)


def resolve_actor(name: str, display_name: str = "", *, via: str = "local") -> Actor:
    """The machine's own user (RM_USER, in the app with no sign-in or on the command line), registered on first use.

    On a fresh install the first local user becomes admin (someone must be able to grant roles); later local users
    start as viewers. A local name never matches a signed-in (OIDC) user's row.
    """
    name = name.strip().lower()
    if not NAME_PATTERN.fullmatch(name):
        raise UserError("No usable user name: set RM_USER to letters, digits, '.', '_', '-' or '@' (at most 64).")
    with read_session() as s:
        user = s.get(User, name)
        if user is None:
            user = _register_local(name, display_name)
    if user.kind != "local":
        raise UserError(f"RM_USER={name!r} is the name of a user who signs in; give the machine's own user another "
                        "name.")
    if not user.active or user.role is None:
        raise PermissionDenied(f"The local user {name!r} has no access (deactivated or no role); an admin can grant "
                               f"one with `python -m rm_core users grant {name} ROLE`.")
    return Actor(user.name, user.role, user.display_name, via=via)


def _register_local(name: str, display_name: str) -> User:
    with write_session() as s:
        user = s.get(User, name)
        if user is None:
            first = s.scalar(select(func.count()).select_from(User)) == 0
            role = "admin" if first else "viewer"
            user = User(name=name, display_name=display_name or name, role=role, kind="local", active=True)
            s.add(user)
            record_event(s, name, "user.register", "user", name, None, {"role": role, "kind": "local"})
        return user


def resolve_signed_in(claims: dict, settings: Settings | None = None) -> Access:
    """The access of a person signed in through OIDC, from the ID token's claims (`iss`, `sub`, `email`,
    `email_verified`, `name`).

    Found by issuer + subject. A first sign-in with a verified email takes over the row an admin pre-provisioned
    for that email; otherwise a new row is registered, admin when the verified email or the subject is in
    RM_ADMINS, else with RM_DEFAULT_ROLE (none by default: the person must ask an admin).
    """
    settings = settings or get_settings()
    issuer, subject = str(claims.get("iss") or "").strip(), str(claims.get("sub") or "").strip()
    if not issuer or not subject:
        raise UserError("The identity provider's answer has no issuer or subject; sign-in cannot tell who you are.")
    email = str(claims.get("email") or "").strip().lower()[:320]
    verified = claims.get("email_verified") in (True, "true", "True", 1)
    display = str(claims.get("name") or email or subject)[:120]
    with read_session() as s:  # every script run asks; a write only when something changed (or hourly)
        known = s.scalars(select(User).where(User.issuer == issuer, User.subject == subject)).first()
        if known is not None and (known.email or "") == email and known.email_verified == verified \
                and (not claims.get("name") or known.display_name == display) and known.last_seen_at \
                and utcnow() - known.last_seen_at < SEEN_EVERY:
            return _access(known, email)
    with write_session() as s:
        user = s.scalars(select(User).where(User.issuer == issuer, User.subject == subject)).first()
        if user is None and email and verified:
            user = s.scalars(select(User).where(User.kind == "oidc", User.subject.is_(None), User.email == email)
                             .order_by(User.created_at)).first()
            if user is not None:
                user.issuer, user.subject = issuer, subject
                record_event(s, user.name, "user.bind", "user", user.name, None,
                             {"issuer": issuer, "subject": subject, "email": email})
        if user is None:
            bootstrap = (email and verified and email in settings.admins) or subject in settings.admins
            role = "admin" if bootstrap else settings.default_role
            user = User(name=_free_name(s, email if verified else "", issuer, subject), display_name=display,
                        role=role, kind="oidc", active=True, issuer=issuer, subject=subject)
            s.add(user)
            record_event(s, user.name, "user.register", "user", user.name, None,
                         {"role": role, "kind": "oidc", "issuer": issuer, "email": email,
                          "via": "RM_ADMINS" if bootstrap else "RM_DEFAULT_ROLE"})
        user.email, user.email_verified, user.last_seen_at = email or None, verified, utcnow()
        if claims.get("name"):
            user.display_name = display
        return _access(user, email)


def _access(user: User, email: str) -> Access:
    if not user.active:
        return Access(None, "deactivated", email)
    if user.role is None:
        return Access(None, "pending", email)
    return Access(Actor(user.name, user.role, user.display_name, via="oidc"), "ok", email)


def _free_name(s: Session, email: str, issuer: str, subject: str) -> str:
    """A handle no other row has: the verified email when it fits, else one derived from issuer + subject (never
    a cut-down email, which two long addresses could share)."""
    if email and len(email) <= 64 and s.get(User, email) is None:
        return email
    digest = hashlib.sha256(f"{issuer}\0{subject}".encode()).hexdigest()
    stem = re.sub(r"[^\w.-]+", "-", (email.split("@")[0] if email else "user"))[:24] or "user"
    for length in (12, 24, 64):
        name = f"{stem}-{digest[:length]}"
        if s.get(User, name) is None:
            return name
    raise UserError("Cannot find a free user name for this sign-in.")  # a SHA-256 collision


def _active_admins(s: Session) -> int:
    return s.scalar(select(func.count()).select_from(User).where(User.role == "admin", User.active.is_(True))) or 0


def _keeps_an_admin(s: Session, user: User, role: str | None, active: bool) -> None:
    if user.role == "admin" and user.active and not (role == "admin" and active) and _active_admins(s) <= 1:
        raise UserError(f"{user.name} is the last active admin; make someone else admin first.")


def set_role(actor: Actor, name: str, role: str) -> UserInfo:
    """Give a user a role (and access, if they had none). A name that is an email and unknown pre-provisions
    that email: whoever signs in with it, verified, gets the role. Audited; the last active admin stays admin."""
    require(actor, "users.manage")
    if role not in ROLES:
        raise UserError(f"Unknown role {role!r}; use one of {', '.join(ROLES)}.")
    key = name.strip().lower()
    with write_session() as s:
        user = s.get(User, key) or _pending_by_email(s, key)
        if user is None:
            user = _new_user(s, key)
            user.role = role
            before = None
        else:
            _keeps_an_admin(s, user, role, True)
            before = {"role": user.role, "active": user.active}
            user.role, user.active = role, True
        record_event(s, actor.name, "user.set_role", "user", user.name, before, {"role": role, "active": True})
        s.flush()
        return _info(user)


def provision_user(actor: Actor, email: str, role: str) -> UserInfo:
    """Add a person by email before their first sign-in (they get `role` once they sign in with it, verified)."""
    require(actor, "users.manage")
    email = email.strip().lower()
    if not EMAIL_PATTERN.fullmatch(email) or len(email) > 320:
        raise UserError(f"{email!r} is not an email address.")
    if role not in ROLES:
        raise UserError(f"Unknown role {role!r}; use one of {', '.join(ROLES)}.")
    with write_session() as s:
        if s.scalars(select(User).where(User.email == email)).first() is not None:
            raise UserError(f"{email} is already a user; change their role instead.")
        user = _new_user(s, email)
        user.role = role
        record_event(s, actor.name, "user.provision", "user", user.name, None, {"email": email, "role": role})
        s.flush()
        return _info(user)


def _pending_by_email(s: Session, email: str) -> User | None:
    if "@" not in email:
        return None
    # an unverified email claim never names a person: only a pre-provisioned row or a verified sign-in matches
    return s.scalars(select(User).where(User.email == email, (User.subject.is_(None)) | User.email_verified.is_(True))
                     .order_by(User.created_at)).first()


def _new_user(s: Session, key: str) -> User:
    """A user row for a name an admin typed: an email is a pre-provisioned sign-in, anything else a local name."""
    if "@" in key and EMAIL_PATTERN.fullmatch(key):
        user = User(name=_free_name(s, key, "provisioned", key), display_name=key, kind="oidc", email=key,
                    active=True)
    elif NAME_PATTERN.fullmatch(key):
        user = User(name=key, display_name=key, kind="local", active=True)
    else:
        raise UserError(f"{key!r} is neither an email nor a user name (letters, digits, '.', '_', '-', '@').")
    s.add(user)
    return user


def set_active(actor: Actor, name: str, active: bool) -> UserInfo:
    """Deactivate a user (they keep their name in the audit log but get no access) or reactivate them."""
    require(actor, "users.manage")
    with write_session() as s:
        user = s.get(User, name.strip().lower())
        if user is None:
            raise NotFound(f"No user {name!r}.")
        if not active:
            _keeps_an_admin(s, user, user.role, False)
        before = {"active": user.active}
        user.active = active
        record_event(s, actor.name, "user.activate" if active else "user.deactivate", "user", user.name, before,
                     {"active": active})
        s.flush()
        return _info(user)


def users(actor: Actor) -> list[UserInfo]:
    """Every user, for the Users page and `users list` (admins only: the list holds emails)."""
    require(actor, "users.manage")
    with read_session() as s:
        return [_info(u) for u in list_users(s)]


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))
