"""Share links: signed, stored, revocable capabilities that let whoever holds one read the views it names.

A link's token signs its id, its scope (which views — roadmap and/or metrics — and the filters each opens
with) and its expiry (`rm_core.signing`, purpose "share-link"). The `share_links` row is what revocation
checks: a token verifies only while its row exists, is not revoked, and names the same scope and expiry. The
holder gets a read-only `Actor` (`via="link"`), so every service refuses their writes whatever a page shows.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from rm_core.audit import record_event
from rm_core.errors import NotFound, PermissionDenied, UserError
from rm_core.identity import Actor, can, require
from rm_core.signing import sign, verify
from rm_core.store.db import read_session, write_session
from rm_core.store.models import ShareLink, utcnow

PURPOSE = "share-link"
VIEWS = ("roadmap", "metrics")
# who may share a view: those who maintain it (a link shows it to anyone who holds it)
SHARE_PERMISSION = {"roadmap": "roadmap.edit", "metrics": "metrics.edit"}
ROADMAP_FILTERS = ("workstream", "baseline", "zoom", "period")
DEFAULT_DAYS = 14
MAX_DAYS = 90


@dataclass(frozen=True)
class LinkScope:
    """What a link shows. `roadmap`: the roadmap page's filters (`workstream` list, `baseline`, `zoom`,
    `period`); `metrics`: `{"filters": {dimension: [values]}}` for the Risk Mining deck."""

    views: tuple[str, ...]
    roadmap: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"views": list(self.views)}
        if "roadmap" in self.views:
            out["roadmap"] = self.roadmap
        if "metrics" in self.views:
            out["metrics"] = self.metrics
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LinkScope:
        return cls(tuple(data.get("views") or ()), dict(data.get("roadmap") or {}), dict(data.get("metrics") or {}))

    @property
    def metric_filters(self) -> dict[str, list[str]]:
        return {str(k): [str(v) for v in vs] for k, vs in (self.metrics.get("filters") or {}).items() if vs}

    def describe(self) -> str:
        parts = []
        if "roadmap" in self.views:
            r = self.roadmap
            bits = [", ".join(r["workstream"]) if r.get("workstream") else "all workstreams"]
            if r.get("baseline"):
                bits.append(f"vs {r['baseline']}")
            if r.get("zoom") and r["zoom"] != "all":
                bits.append(f"{r['zoom']} {r.get('period') or ''}".strip())
            parts.append("Roadmap (" + ", ".join(bits) + ")")
        if "metrics" in self.views:
            f = self.metric_filters
            parts.append("Metrics (" + ("; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(f.items()))
                                        or "no filters") + ")")
        return " + ".join(parts)


def clean_scope(scope: LinkScope) -> LinkScope:
    """The scope with only known views and filters, in a stable form; refused when it names no view."""
    views = tuple(v for v in VIEWS if v in scope.views)
    unknown = [v for v in scope.views if v not in VIEWS]
    if unknown or not views:
        raise UserError(f"A share link shows {' and/or '.join(VIEWS)}; got {', '.join(scope.views) or 'nothing'}.")
    roadmap: dict[str, Any] = {}
    if "roadmap" in views:
        r = scope.roadmap
        bad = [k for k in r if k not in ROADMAP_FILTERS]
        if bad:
            raise UserError(f"Unknown roadmap filter(s) {', '.join(bad)}; use {', '.join(ROADMAP_FILTERS)}.")
        ws = r.get("workstream") or []
        roadmap = {"workstream": sorted({str(w) for w in ([ws] if isinstance(ws, str) else ws)}),
                   "baseline": str(r["baseline"]) if r.get("baseline") else None,
                   "zoom": str(r.get("zoom") or "all"), "period": str(r["period"]) if r.get("period") else None}
    metrics: dict[str, Any] = {}
    if "metrics" in views:
        metrics = {"filters": {k: sorted(set(v)) for k, v in sorted(scope.metric_filters.items())}}
    return LinkScope(views, roadmap, metrics)


@dataclass(frozen=True)
class ShareLinkView:
    id: str
    scope: LinkScope
    created_by: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    revoked_by: str | None

    def status(self, now: dt.datetime | None = None) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= (now or utcnow()) else "active"

    @property
    def token(self) -> str:
        return sign(PURPOSE, _payload(self.id, self.scope, self.expires_at))

    @property
    def actor(self) -> Actor:
        """Who the holder of this link is to every service: a viewer that can only read."""
        return Actor(f"link:{self.id}", "viewer", "Share link", via="link", read_only=True)


def _payload(link_id: str, scope: LinkScope, expires_at: dt.datetime) -> dict[str, Any]:
    return {"id": link_id, "scope": scope.to_json(), "exp": int(expires_at.replace(tzinfo=dt.UTC).timestamp())}


def _view(row: ShareLink) -> ShareLinkView:
    return ShareLinkView(row.id, LinkScope.from_json(row.scope), row.created_by, row.created_at, row.expires_at,
                         row.revoked_at, row.revoked_by)


def _refuse_capabilities(actor: Actor) -> None:
    if actor.read_only or actor.workshop_session is not None:
        raise PermissionDenied("A link session cannot make, list or revoke share links; sign in for that.")


def create_link(actor: Actor, scope: LinkScope, *, days: int = DEFAULT_DAYS) -> ShareLinkView:
    """Make a read-only link to `scope` valid for `days`; the actor must be allowed to maintain each view."""
    _refuse_capabilities(actor)
    scope = clean_scope(scope)
    for view in scope.views:
        require(actor, SHARE_PERMISSION[view])
    if not 1 <= int(days) <= MAX_DAYS:
        raise UserError(f"A share link lasts 1 to {MAX_DAYS} days; got {days}.")
    now = utcnow().replace(microsecond=0)
    with write_session() as s:
        row = ShareLink(id=secrets.token_hex(8), scope=scope.to_json(), created_by=actor.name, created_at=now,
                        expires_at=now + dt.timedelta(days=int(days)))
        s.add(row)
        s.flush()
        record_event(s, actor.name, "link.create", "share_link", row.id, None,
                     {"scope": row.scope, "expires_at": row.expires_at})
        return _view(row)


def list_links(actor: Actor, *, include_inactive: bool = True) -> list[ShareLinkView]:
    """The actor's own links (an admin: everyone's), newest first."""
    _refuse_capabilities(actor)
    require(actor, "read")
    with read_session() as s:
        query = select(ShareLink).order_by(ShareLink.created_at.desc(), ShareLink.id)
        if not can(actor, "admin"):
            query = query.where(ShareLink.created_by == actor.name)
        links = [_view(r) for r in s.scalars(query)]
    return links if include_inactive else [link for link in links if link.status() == "active"]


def revoke_link(actor: Actor, link_id: str) -> ShareLinkView:
    """Stop a link working from the next page view on; only its creator or an admin may."""
    _refuse_capabilities(actor)
    with write_session() as s:
        row = s.get(ShareLink, str(link_id).strip())
        if row is None:
            raise NotFound(f"There is no share link {link_id!r}.")
        if row.created_by != actor.name and not can(actor, "admin"):
            raise PermissionDenied(f"Only {row.created_by}, who made link {row.id}, or an admin can revoke it.")
        if row.revoked_at is None:
            row.revoked_at, row.revoked_by = utcnow(), actor.name
            record_event(s, actor.name, "link.revoke", "share_link", row.id, {"revoked_at": None},
                         {"revoked_at": row.revoked_at})
        return _view(row)


def link_from_token(token: str | None, now: dt.datetime | None = None) -> ShareLinkView | None:
    """The live link a token names, or None when the token is absent, altered, expired or revoked."""
    payload = verify(PURPOSE, token)
    if payload is None or not isinstance(payload.get("id"), str) or not isinstance(payload.get("exp"), int):
        return None
    now = now or utcnow()
    if payload["exp"] <= int(now.replace(tzinfo=dt.UTC).timestamp()):
        return None
    with read_session() as s:
        row = s.get(ShareLink, payload["id"])
        link = _view(row) if row is not None else None
    if link is None or link.status(now) != "active" or _payload(link.id, link.scope, link.expires_at) != payload:
        return None
    return link
