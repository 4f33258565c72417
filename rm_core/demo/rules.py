"""The demo rules: names and descriptions tied to MOs, coverage roles, and a lifecycle history per status."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from rm_core.demo.families import family
from rm_core.demo.mos import DemoMO
from rm_core.demo.vocab import ANALYSTS, MANAGERS, MARKETPLACE_NAMES


@dataclass
class DemoRule:
    row: dict
    primary: int  # index of the primary MO in the MO list
    supporting: list[int]
    candidate_at: dt.datetime | None = None
    shadow_at: dt.datetime | None = None
    retired_at: dt.datetime | None = None


_CANDIDATE_REASONS = [
    "Precision under 20% for the last 8 weeks.", "Almost every catch is also caught by {other}.",
    "No unique catches in 90 days.", "Fires on legitimate high-volume sellers after the catalog change.",
    "Review queue cost too high for what it catches.", "Superseded by the ML model score.",
    "Feature it relies on is being deprecated.", "Flagged by the quarterly rule hygiene review.",
]
_SHADOW_REASONS = ["Shadow before retiring to watch would-have catches.", "Muted for {days} days to confirm loss.",
                   "Shadow period agreed in the rule review.", "Running silent while ML covers the MO."]
_RETIRE_REASONS = ["Shadow showed no unique confirmed-bad catches.", "Loss within budget; approved in rule review.",
                   "MO mitigated upstream; rule no longer needed.", "Replaced by {other}.",
                   "Would-have catches were all caught by other rules."]
_REINSTATE_REASONS = ["Kept: still has unique catches on {mo}.", "Shadow showed real losses; back to active.",
                      "Brought back after the MO resurfaced."]

_DESCRIPTIONS = [
    "Flags sellers showing {signal}. Written for {mo}.",
    "Fires on {signal}; primary coverage for {mo}.",
    "{Signal} — {action_word} for {mo}. Threshold tuned on {mp} data.",
    "Looks for {signal} within {days} days of registration. Covers {mo}.",
    "Combines {signal} with {signal2}. {mo}.",
    "Score-based: {signal} plus tenure under {days} days. Built after {mo} was documented.",
    "Catches {mo} accounts by {signal}; {action_word}.",
    "Rule for {mo}: {signal}, checked nightly.",
]


def _closest_signal(name: str, signals) -> str:
    """The signal that shares the most words with the rule's name, so name and description agree."""
    words = set(name.lower().replace("-", " ").split())
    return max(signals, key=lambda s: (len(words & set(s.lower().replace("-", " ").split())), -signals.index(s)))


def _when(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randint(8, 19), rng.randint(0, 59)))


def build_rules(seed: int, anchor: dt.date, mos: list[DemoMO], count: int) -> list[DemoRule]:
    rng = random.Random(f"rules-{seed}")
    # Coverage shape: some MOs have no rule at all, a few have only candidate rules (coverage at risk).
    eligible = [i for i, m in enumerate(mos) if m.row["status"] != "draft"]
    rng.shuffle(eligible)
    uncovered = set(eligible[: int(len(eligible) * 0.11)])
    candidate_only = set(eligible[int(len(eligible) * 0.11): int(len(eligible) * 0.16)])
    covered = sorted(set(eligible) - uncovered)
    weights = [{"S1": 4, "S2": 3, "S3": 2, "S4": 1}[mos[i].row["severity"]] for i in covered]
    primaries = list(covered)
    while len(primaries) < count:
        primaries.append(rng.choices(covered, weights)[0])
    primaries = primaries[:count]
    rng.shuffle(primaries)

    same_family: dict[str, list[int]] = {}
    for i, m in enumerate(mos):
        same_family.setdefault(m.row["abuse_family"], []).append(i)

    used_names: set[str] = set()
    rules: list[DemoRule] = []
    for n, mo_index in enumerate(primaries, 1):
        mo = mos[mo_index].row
        fam = family(mo["abuse_family"])
        rule_id = f"R-{n:04d}"
        name = _unique_name(rng, fam.rule_ideas, mo, used_names)
        signal = _closest_signal(name, list(fam.signals))
        signal2 = rng.choice([s for s in fam.signals if s != signal])
        action = rng.choices(["block", "review", "monitor"], [24, 56, 20])[0]
        desc = rng.choice(_DESCRIPTIONS).format(
            signal=signal, Signal=signal[:1].upper() + signal[1:], signal2=signal2, mo=mo["id"],
            mp=MARKETPLACE_NAMES[mo["marketplaces"][0]], days=rng.choice([7, 14, 30, 60, 90]),
            action_word={"block": "blocks", "review": "sends to review", "monitor": "logs only"}[action])
        owner = rng.choice(ANALYSTS[mo["site"]] + ["ml.wen", "ml.oksana"])
        created = mo["documented_at"] + dt.timedelta(days=rng.randint(3, 60))
        created = min(created, anchor - dt.timedelta(days=rng.randint(7, 40)))
        pool = [j for j in same_family[mo["abuse_family"]] if j != mo_index and mos[j].row["status"] != "draft"]
        supporting = rng.sample(pool, min(len(pool), rng.choices([0, 1, 2], [62, 28, 10])[0]))

        status = _status_for(rng, mo, mo_index in candidate_only)
        rule = DemoRule(row=dict(id=rule_id, name=name, description=desc, owner=owner, action=action, status=status,
                                 shadow_until=None, created_at=created),
                        primary=mo_index, supporting=supporting)
        rules.append(rule)
    return rules


def _status_for(rng: random.Random, mo: dict, candidate_only: bool) -> str:
    if candidate_only:
        return "candidate"
    if mo["status"] == "retired":
        return rng.choices(["retired", "active", "shadow"], [70, 20, 10])[0]
    if mo["status"] == "dormant":
        return rng.choices(["active", "candidate", "shadow", "retired"], [55, 18, 12, 15])[0]
    return rng.choices(["active", "candidate", "shadow", "retired"], [82, 5, 5, 8])[0]


def _unique_name(rng: random.Random, ideas, mo: dict, used: set[str]) -> str:
    qualifiers = ["", "", f" — {mo['marketplaces'][0]}", " (new sellers)", " (tenured sellers)", " v2",
                  " — high value", f" [{mo['site']}]", " (strict)", " (broad)", f" — {mo['marketplaces'][-1]}",
                  " v3"]
    for attempt in range(40):
        name = rng.choice(ideas) + rng.choice(qualifiers)
        if attempt > 20:
            name += f" #{rng.randint(2, 99)}"
        if name not in used:
            used.add(name)
            return name
    name = f"{rng.choice(ideas)} ({mo['id']})"
    used.add(name)
    return name


def rule_history(seed: int, anchor: dt.date, rules: list[DemoRule], mos: list[DemoMO]) -> list[dict]:
    """Lifecycle events whose last move lands on each rule's current status; sets the rule's dates too."""
    rng = random.Random(f"rule-events-{seed}")
    events: list[dict] = []
    ids = [r.row["id"] for r in rules]
    for rule in rules:
        row = rule.row
        created = row["created_at"]
        mo_id = mos[rule.primary].row["id"]
        words = dict(other=rng.choice(ids), mo=mo_id, days=rng.choice([14, 21, 28, 30]))
        actor = row["owner"]
        approver = rng.choice(MANAGERS)

        def add(frm, to, at, reason_pool, approved=False, shadow_days=None):
            events.append(dict(rule_id=row["id"], from_status=frm, to_status=to, at=at, actor=actor,
                               reason=rng.choice(reason_pool).format(**words),
                               approver=approver if approved else None, shadow_days=shadow_days))

        status = row["status"]
        span_end = anchor - dt.timedelta(days=2)
        if status == "active" and rng.random() < 0.05 and (span_end - created).days > 60:
            t1 = _when(created + dt.timedelta(days=rng.randint(20, (span_end - created).days - 20)), rng)
            add("active", "candidate", t1, _CANDIDATE_REASONS)
            add("candidate", "active", t1 + dt.timedelta(days=rng.randint(3, 15)), _REINSTATE_REASONS, approved=True)
        elif status == "candidate":
            t1 = _when(anchor - dt.timedelta(days=rng.randint(2, 45)), rng)
            t1 = max(t1, _when(created, rng) + dt.timedelta(days=1))
            rule.candidate_at = t1
            add("active", "candidate", t1, _CANDIDATE_REASONS)
        elif status == "shadow":
            days = words["days"]
            t2 = _when(anchor - dt.timedelta(days=rng.randint(3, days + 10)), rng)
            t2 = max(t2, _when(created, rng) + dt.timedelta(days=4))
            t1 = t2 - dt.timedelta(days=rng.randint(2, 12), hours=rng.randint(0, 8))
            rule.candidate_at, rule.shadow_at = t1, t2
            row["shadow_until"] = (t2 + dt.timedelta(days=days)).date()
            add("active", "candidate", t1, _CANDIDATE_REASONS)
            add("candidate", "shadow", t2, _SHADOW_REASONS, approved=True, shadow_days=days)
        elif status == "retired":
            days = words["days"]
            lifetime = max(20, (span_end - created).days)
            t3 = _when(created + dt.timedelta(days=rng.randint(min(lifetime - 1, 30), lifetime)), rng)
            t3 = min(t3, _when(span_end, rng))
            t2 = t3 - dt.timedelta(days=days)
            t1 = t2 - dt.timedelta(days=rng.randint(2, 12))
            if t1.date() <= created:
                row["created_at"] = created = t1.date() - dt.timedelta(days=rng.randint(30, 120))
            rule.candidate_at, rule.shadow_at, rule.retired_at = t1, t2, t3
            row["shadow_until"] = t3.date()
            add("active", "candidate", t1, _CANDIDATE_REASONS)
            add("candidate", "shadow", t2, _SHADOW_REASONS, approved=True, shadow_days=days)
            add("shadow", "retired", t3, _RETIRE_REASONS, approved=True)
    return events


def rule_mo_links(rules: list[DemoRule], mos: list[DemoMO]) -> list[dict]:
    links = []
    for rule in rules:
        links.append(dict(rule_id=rule.row["id"], mo_id=mos[rule.primary].row["id"], role="primary"))
        for j in rule.supporting:
            links.append(dict(rule_id=rule.row["id"], mo_id=mos[j].row["id"], role="supporting"))
    return links

