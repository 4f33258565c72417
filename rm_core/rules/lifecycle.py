"""Rule lifecycle: active → candidate → shadow → retired (or back to active), each move dated, reasoned, audited.

Editors propose (candidate, shadow, back to active); only an admin retires or reinstates a retired rule, and is
recorded as the approver. Retiring from shadow is refused until the shadow period is over unless the admin
says why it ends early.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from rm_core.audit import record_event, snapshot
from rm_core.errors import NotFound, UserError
from rm_core.identity import Actor, require
from rm_core.store.db import read_session, write_session
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


FORWARD = ("active", "candidate", "shadow", "retired")


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
    with read_session() as s:
        return [RuleMove(e.rule_id, e.from_status, e.to_status, e.at, e.actor, e.reason, e.approver, e.shadow_days)
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


def rule_records() -> dict[str, RuleRecord]:
    """Every rule the workbench knows, by id (the hit log may name rules the database does not)."""
    with read_session() as s:
        return {r.id: RuleRecord(r.id, r.name, r.owner, r.action, r.status, r.shadow_until)
                for r in s.scalars(select(Rule).order_by(Rule.id))}


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
