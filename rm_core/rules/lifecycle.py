"""Detector lifecycle: active → candidate → shadow → retired (or back to active), each move dated, reasoned, audited.

A detector is a rule or an ML model (`kind`); both share one registry (the `rules` table) and these moves.
Editors propose (candidate, shadow, back to active); only an admin retires or reinstates a retired detector, and
is recorded as the approver. Retiring from shadow is refused until the shadow period is over unless the admin
says why it ends early. A model also has a current threshold: moving it changes what the model enforces, so,
like retiring, only an admin does it, with a reason, and it lands in the same history.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from rm_core.audit import record_event, snapshot
from rm_core.errors import NotFound, UserError
from rm_core.identity import Actor, require
from rm_core.store.db import read_session, write_session, writing
from rm_core.store.models import Rule, RuleEvent, utcnow

# (from, to) -> permission needed
TRANSITIONS: dict[tuple[str, str], str] = {
    ("active", "candidate"): "rule.propose",
    ("candidate", "active"): "rule.propose",
    ("candidate", "shadow"): "rule.propose",
    ("shadow", "active"): "rule.propose",
    ("shadow", "retired"): "rule.retire",
    ("retired", "active"): "rule.retire",
}
MAX_SHADOW_DAYS = 180


@dataclass(frozen=True)
class RuleMove:
    rule_id: str
    from_status: str
    to_status: str
    at: dt.datetime
    actor: str
    reason: str
    approver: str | None
    shadow_days: int | None
    threshold_from: float | None = None
    threshold_to: float | None = None


FORWARD = ("active", "candidate", "shadow", "retired")
KINDS = ("rule", "model")


def allowed_moves(status: str) -> list[str]:
    return [to for (frm, to) in TRANSITIONS if frm == status]


def next_move(status: str) -> str | None:
    """The move a form offers first: the next step towards retirement, else the only way back."""
    moves = allowed_moves(status)
    step = FORWARD[FORWARD.index(status) + 1] if status in FORWARD[:-1] else None
    return step if step in moves else (moves[0] if moves else None)


def move_rule(actor: Actor, rule_id: str, to_status: str, reason: str, *, shadow_days: int | None = None,
              end_shadow_early: bool = False, today: dt.date | None = None) -> RuleMove:
    """One lifecycle move with its reason; illegal moves and missing reasons are refused with a message."""
    return move_rules(actor, [rule_id], to_status, reason, shadow_days=shadow_days,
                      end_shadow_early=end_shadow_early, today=today)[0]


def move_rules(actor: Actor, rule_ids: Iterable[str], to_status: str, reason: str, *,
               shadow_days: int | None = None, end_shadow_early: bool = False,
               today: dt.date | None = None) -> list[RuleMove]:
    """Move several rules in one transaction (e.g. accepting a recommended retirement set into candidates)."""
    rule_ids = list(dict.fromkeys(rule_ids))
    reason = (reason or "").strip()
    if not rule_ids:
        raise UserError("Choose at least one rule.")
    if len(reason) < 5:
        raise UserError("Give a reason for the move (at least a few words); it is kept with the rule's history.")
    today = today or dt.date.today()
    moves: list[RuleMove] = []
    with write_session() as s:
        rules = {r.id: r for r in s.scalars(select(Rule).where(Rule.id.in_(rule_ids)))}
        unknown = [r for r in rule_ids if r not in rules]
        if unknown:
            raise NotFound(f"No rule {', '.join(unknown)}.")
        for rule_id in rule_ids:
            rule = rules[rule_id]
            permission = TRANSITIONS.get((rule.status, to_status))
            if permission is None:
                options = ", ".join(allowed_moves(rule.status)) or "none"
                raise UserError(f"{rule_id} is {rule.status}; it cannot move to {to_status} (allowed: {options}).")
            require(actor, permission)
            days = None
            if to_status == "shadow":
                if not shadow_days or not 1 <= shadow_days <= MAX_SHADOW_DAYS:
                    raise UserError(f"Choose a shadow period of 1 to {MAX_SHADOW_DAYS} days for {rule_id}.")
                days = shadow_days
            if rule.status == "shadow" and to_status == "retired" and rule.shadow_until and \
                    today < rule.shadow_until and not end_shadow_early:
                raise UserError(f"{rule_id} is in shadow until {rule.shadow_until}; wait for its would-have "
                                "catches or confirm ending the shadow period early.")
            before = snapshot(rule, ["status", "shadow_until"])
            rule.status = to_status
            rule.shadow_until = today + dt.timedelta(days=days) if days else None
            approver = actor.name if permission == "rule.retire" else None
            event = RuleEvent(rule_id=rule_id, from_status=before["status"], to_status=to_status, at=utcnow(),
                              actor=actor.name, reason=reason, approver=approver, shadow_days=days)
            s.add(event)
            record_event(s, actor.name, f"rule.{to_status}", "rule", rule_id, before,
                         {**snapshot(rule, ["status", "shadow_until"]), "reason": reason})
            moves.append(RuleMove(rule_id, before["status"], to_status, event.at, actor.name, reason, approver,
                                  days))
    return moves


def rule_history(rule_id: str) -> list[RuleMove]:
    """Every move of a rule or model, newest first (a model's threshold moves included)."""
    with read_session() as s:
        return [RuleMove(e.rule_id, e.from_status, e.to_status, e.at, e.actor, e.reason, e.approver, e.shadow_days,
                         e.threshold_from, e.threshold_to)
                for e in s.scalars(select(RuleEvent).where(RuleEvent.rule_id == rule_id)
                                   .order_by(RuleEvent.at.desc(), RuleEvent.id.desc()))]


@dataclass(frozen=True)
class RuleRecord:
    rule_id: str
    name: str
    owner: str
    action: str
    status: str
    shadow_until: dt.date | None
    kind: str = "rule"
    threshold: float | None = None  # a model's current threshold; None for a rule


def rule_records() -> dict[str, RuleRecord]:
    """Every detector (rule or model) the workbench knows, by id (the hit log may name ones the database does not)."""
    with read_session() as s:
        rows = sorted(s.scalars(select(Rule)), key=lambda r: (r.kind != "rule", r.id))  # rules first, then models
        return {r.id: RuleRecord(r.id, r.name, r.owner, r.action, r.status, r.shadow_until, r.kind, r.threshold)
                for r in rows}


class ModelInput(BaseModel):
    """A model detector as registered: id, name, its current threshold (0–1) and who owns it."""

    model_config = ConfigDict(str_strip_whitespace=True)
    id: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    threshold: float = Field(ge=0, le=1)
    owner: str = Field(default="", max_length=64)
    description: str = ""
    action: Literal["block", "review", "monitor"] = "review"



def register_model(actor: Actor, model: ModelInput | dict, *, today: dt.date | None = None,
                   session: Session | None = None) -> RuleRecord:
    """Add an ML model to the detector registry (active, at its current threshold); audited."""
    require(actor, "rule.propose")
    try:
        model = model if isinstance(model, ModelInput) else ModelInput.model_validate(model)
    except ValidationError as exc:
        raise UserError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from None
    with writing(session) as s:
        if s.get(Rule, model.id) is not None:
            raise UserError(f"{model.id} is already in the registry; detector ids are unique across rules and "
                            "models.")
        row = Rule(id=model.id, name=model.name, description=model.description, owner=model.owner,
                   action=model.action, status="active", kind="model", threshold=model.threshold,
                   created_at=today or dt.date.today())
        s.add(row)
        record_event(s, actor.name, "model.register", "rule", model.id, None,
                     snapshot(row, ["kind", "name", "status", "threshold", "owner"]))
    return RuleRecord(model.id, model.name, model.owner, model.action, "active", None, "model", model.threshold)


def set_model_threshold(actor: Actor, model_id: str, threshold: float, reason: str, *,
                        at: dt.datetime | None = None, session: Session | None = None) -> RuleMove:
    """Move a model's current threshold (admin, with a reason): recorded in its history and the audit log."""
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise UserError("Give a reason for the threshold move (at least a few words); it is kept with the model.")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
        raise UserError(f"threshold: {threshold!r} is not a number from 0 to 1")
    require(actor, "rule.retire")
    with writing(session) as s:
        row = s.get(Rule, model_id)
        if row is None:
            raise NotFound(f"No model {model_id}.")
        if row.kind != "model":
            raise UserError(f"{model_id} is a rule; only a model has a threshold.")
        if row.status == "retired":
            raise UserError(f"{model_id} is retired; reinstate it before moving its threshold.")
        before = snapshot(row, ["threshold"])
        row.threshold = float(threshold)
        event = RuleEvent(rule_id=model_id, from_status=row.status, to_status=row.status, at=at or utcnow(),
                          actor=actor.name, reason=reason, approver=actor.name, threshold_from=before["threshold"],
                          threshold_to=float(threshold))
        s.add(event)
        record_event(s, actor.name, "model.threshold", "rule", model_id, before,
                     {"threshold": float(threshold), "reason": reason})
    return RuleMove(model_id, row.status, row.status, event.at, actor.name, reason, actor.name, None,
                    before["threshold"], float(threshold))


def mos_left_without_active_rule(retire: Iterable[str]) -> list[tuple[str, str]]:
    """MOs that have an active rule today and would have none if `retire` went away: (mo_id, title)."""
    from rm_core.store.models import MO, RuleMO

    retire = set(retire)
    with read_session() as s:
        covering: dict[str, set[str]] = {}
        for mo_id, rule_id in s.execute(select(RuleMO.mo_id, RuleMO.rule_id).join(Rule, Rule.id == RuleMO.rule_id)
                                        .where(Rule.status == "active")):
            covering.setdefault(mo_id, set()).add(rule_id)
        lost = sorted(m for m, rules in covering.items() if rules and rules <= retire)
        titles = dict(s.execute(select(MO.id, MO.title).where(MO.id.in_(lost))).all()) if lost else {}
    return [(m, titles.get(m, "")) for m in lost]
