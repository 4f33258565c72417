"""A deterministic, realistic tracker world (requests, gaps, SOPs) at any size, for the demo and benchmarks."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import insert, select

from rm_core.store.db import write_session
from rm_core.store.models import MO, SOP, Gap, GapEvidence, Initiative, Request, SOPRollout, StatusChange
from rm_core.trackers._records import next_id
from rm_core.trackers.requests import REQUESTER_TEAMS, ROOT_CAUSES, SITES
from rm_core.trackers.sla import KINDS, PRIORITIES, SlaTable
from rm_core.trackers.sops import TEAMS

OWNERS = ("priya", "arjun", "meera", "sofia", "diego", "valeria", "rahul", "camila")
GAP_TEAMS = ("ML", "Engineering", "Product", "BRP", "Data platform")
SUBJECTS = ("forged utility bills at onboarding", "payout bank account changes after first sale",
            "gift-card listings from new sellers", "linked accounts sharing devices", "review rings on new ASINs",
            "listing hijack of dormant brands", "refund abuse through empty boxes", "fee promotion stacking",
            "re-registration after suspension", "drop-shipping from stolen cards")
GAPS = ("no device fingerprint at login", "bank-change event not streamed to risk", "model lacks sales velocity",
        "no brand-registry signal in rules", "address normalisation missing", "refund reason codes not exposed",
        "promotion stacking limits not enforced", "suspension links not propagated")
SOP_TITLES = ("Account takeover triage", "Forged document review", "Linked-account investigation",
              "Gift-card fraud escalation", "Review manipulation sweep", "Listing hijack response",
              "Refund abuse deep dive", "Suspension re-entry checks", "Sev2 handover", "COE write-up")


@dataclass(frozen=True)
class SynthCounts:
    requests: int
    gaps: int
    sops: int


def _moment(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    span = (end - start).total_seconds()
    return (start + dt.timedelta(seconds=rng.random() * span)).replace(microsecond=0)


def seed_trackers(*, requests: int = 600, gaps: int = 60, sops: int = 10, now: dt.datetime | None = None,
                  seed: int = 8, actor: str = "demo", history_days: int = 540) -> SynthCounts:
    """Write a tracker world ending at `now`; links to MOs and initiatives that exist already. Bulk inserts, so
    50,000 requests take seconds. Writes StatusChange rows for every move; no audit events (it is seed data)."""
    rng = random.Random(seed)
    now = (now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)).replace(microsecond=0)
    first = now - dt.timedelta(days=history_days)
    table = SlaTable()
    with write_session() as s:
        mo_ids = list(s.scalars(select(MO.id)))
        initiative_ids = list(s.scalars(select(Initiative.id)))
        start_req = _next_number(s, Request, "REQ")
        start_gap = _next_number(s, Gap, "GAP")
        start_sop = _next_number(s, SOP, "SOP")

        gap_rows, gap_changes = [], []
        for i in range(gaps):
            gid = f"GAP-{start_gap + i:04d}"
            identified = _moment(rng, first, now - dt.timedelta(days=3))
            row = {"id": gid, "title": rng.choice(GAPS).capitalize(), "owning_team": rng.choice(GAP_TEAMS),
                   "missing": f"Investigations of {rng.choice(SUBJECTS)} found: {rng.choice(GAPS)}.",
                   "status": "identified", "identified_at": identified, "rejected_reason": "",
                   "impact_method": "", "measured_note": "", "impact_accounts": None, "impact_usd": None,
                   "quantified_at": None, "accepted_at": None, "started_at": None, "closed_at": None,
                   "initiative_id": None, "measured_accounts": None, "measured_usd": None}
            changes = [(None, "identified", identified)]
            at, status = identified, "identified"
            for stage, column, mean_days in (("quantified", "quantified_at", 12), ("accepted", "accepted_at", 20),
                                             ("in_progress", "started_at", 15), ("closed", "closed_at", 60)):
                if rng.random() < (0.12 if status == "identified" else 0.05):
                    row["status"], row["rejected_reason"] = "rejected", "Not worth the fix: impact below threshold"
                    changes.append((status, "rejected", min(now, at + dt.timedelta(days=rng.uniform(1, 10)))))
                    break
                nxt = at + dt.timedelta(days=rng.expovariate(1 / mean_days))
                if nxt >= now or rng.random() < 0.2:
                    break
                row[column], at = nxt, nxt
                changes.append((status, stage, nxt))
                status = row["status"] = stage
                if stage == "quantified":
                    row["impact_accounts"] = rng.randint(20, 4000)
                    row["impact_usd"] = round(row["impact_accounts"] * rng.uniform(200, 3000), -2)
                    row["impact_method"] = "Accounts actioned by the MO in the last 90 days × average exposure"
                if stage == "accepted" and initiative_ids:
                    row["initiative_id"] = rng.choice(initiative_ids)
            if row["status"] == "closed":
                row["measured_accounts"] = int((row["impact_accounts"] or 0) * rng.uniform(0.3, 0.9))
                row["measured_usd"] = round((row["impact_usd"] or 0) * rng.uniform(0.3, 0.9), -2)
                row["measured_note"] = "Before/after comparison of actioned accounts, 60 days each"
            gap_rows.append(row)
            gap_changes += [_change("gap", gid, f, t, actor, a) for f, t, a in changes]

        gap_ids = [g["id"] for g in gap_rows]
        req_rows, req_changes, evidence = [], [], []
        kinds, weights = list(KINDS), (50, 12, 15, 8, 15)
        for i in range(requests):
            rid = f"REQ-{start_req + i:05d}"
            kind = rng.choices(kinds, weights)[0]
            priority = rng.choices(PRIORITIES, (8, 25, 45, 22))[0]
            # Recent requests are more common: the world grows, and old ones are mostly done.
            opened = now - dt.timedelta(days=history_days * (rng.random() ** 1.6), hours=rng.random() * 24)
            opened = opened.replace(microsecond=0)
            due = table.due(opened, kind, priority)
            sla_days = table.days_for(kind, priority)
            row = {"id": rid, "kind": kind, "priority": priority, "requester_team": rng.choice(REQUESTER_TEAMS),
                   "title": f"{KINDS[kind]}: {rng.choice(SUBJECTS)}", "description": "", "site": rng.choice(SITES),
                   "owner": rng.choice(OWNERS) if rng.random() < 0.9 else "", "opened_at": opened, "sla_due": due,
                   "status": "new", "resolved_at": None, "closed_at": None, "root_cause_category": None,
                   "root_cause_note": "", "mo_id": rng.choice(mo_ids) if mo_ids and rng.random() < 0.4 else None,
                   "gap_id": rng.choice(gap_ids) if gap_ids and rng.random() < 0.08 else None}
            changes = [(None, "new", opened)]
            took = dt.timedelta(days=rng.lognormvariate(0, 0.7) * sla_days * 0.7)
            resolved = opened + took
            at, status = opened, "new"
            for stage, share in (("triaged", 0.05), ("in_progress", 0.15)):
                step = opened + took * share
                if step >= now:
                    break
                changes.append((status, stage, step))
                at, status = step, stage
            if status == "in_progress" and rng.random() < 0.12:
                blocked = at + took * 0.2
                if blocked < now:
                    changes.append((status, "blocked", blocked))
                    at, status = blocked, "blocked"
            if resolved < now and status in ("in_progress", "blocked"):
                row["resolved_at"] = resolved
                row["root_cause_category"] = rng.choice(list(ROOT_CAUSES))
                row["root_cause_note"] = "Found during investigation; see linked MO."
                changes.append((status, "resolved", resolved))
                status = "resolved"
                closed = resolved + dt.timedelta(days=rng.uniform(0.5, 6))
                if closed < now:
                    row["closed_at"] = closed
                    changes.append(("resolved", "closed", closed))
                    status = "closed"
            row["status"] = status
            req_rows.append(row)
            req_changes += [_change("request", rid, f, t, actor, a) for f, t, a in changes]
            if row["gap_id"]:
                evidence.append({"gap_id": row["gap_id"], "request_id": rid, "mo_id": None})
        for g in gap_rows:
            if mo_ids and rng.random() < 0.7:
                evidence.append({"gap_id": g["id"], "request_id": None, "mo_id": rng.choice(mo_ids)})

        sop_rows, rollouts = [], []
        for i in range(sops):
            sid = f"SOP-{start_sop + i:03d}"
            major, minor = rng.randint(1, 3), rng.randint(0, 4)
            last = (now - dt.timedelta(days=rng.randint(20, 400))).date()
            title = SOP_TITLES[i % len(SOP_TITLES)]
            if i >= len(SOP_TITLES):
                title += f" ({i // len(SOP_TITLES) + 1})"
            sop_rows.append({"id": sid, "title": title,
                             "version": f"{major}.{minor}", "owner": rng.choice(OWNERS), "last_review": last,
                             "next_review": last + dt.timedelta(days=rng.choice((90, 180, 365)))})
            for t, team in enumerate(TEAMS):
                status = rng.choices(("live", "pilot", "not_started", "retired"),
                                     (0.75 - 0.1 * t, 0.12, 0.1 + 0.08 * t, 0.03))[0]
                version = None
                if status in ("live", "pilot"):
                    version = f"{major}.{minor}" if rng.random() < 0.8 or minor == 0 else f"{major}.{minor - 1}"
                planned = last + dt.timedelta(days=rng.randint(-60, 120))
                rollouts.append({"sop_id": sid, "team": team, "status": status, "version": version,
                                 "planned_date": planned,
                                 "live_date": planned + dt.timedelta(days=rng.randint(-10, 20))
                                 if status == "live" else None})

        for batch in _chunks(gap_rows):
            s.execute(insert(Gap), batch)
        for batch in _chunks(req_rows):
            s.execute(insert(Request), batch)
        for batch in _chunks(req_changes + gap_changes):
            s.execute(insert(StatusChange), batch)
        if evidence:
            s.execute(insert(GapEvidence), evidence)
        if sop_rows:
            s.execute(insert(SOP), sop_rows)
            s.execute(insert(SOPRollout), rollouts)
    return SynthCounts(len(req_rows), len(gap_rows), len(sop_rows))


def _chunks(rows: list[dict], size: int = 5000):
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def _next_number(session, model, prefix: str) -> int:
    return int(next_id(session, model, prefix, 1).split("-", 1)[1])


def _change(record_type: str, record_id: str, from_status, to_status: str, actor: str, at: dt.datetime) -> dict:
    return {"record_type": record_type, "record_id": record_id, "from_status": from_status, "to_status": to_status,
            "at": at, "actor": actor, "note": ""}
