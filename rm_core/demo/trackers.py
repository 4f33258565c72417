"""The demo's requests and escalations, upstream gaps with evidence, and SOPs with per-team rollout."""
from __future__ import annotations

import datetime as dt
import math
import random

from rm_core.demo.families import FAMILIES, family
from rm_core.demo.mos import DemoMO, weighted
from rm_core.demo.roadmap import DemoInitiative
from rm_core.demo.vocab import (ANALYSTS, GAP_TEAMS, MARKETPLACE_NAMES, MARKETPLACES, PM, REQUESTER_TEAMS,
                                ROOT_CAUSES, SITES, SOP_TEAMS, SOP_TITLES)
from rm_core.trackers.sla import DEFAULT_SLA_DAYS

KINDS = (("partner_request", 40), ("deep_dive", 19), ("sev2_action", 15), ("exec_escalation", 8), ("coe_action", 18))
PRIORITY_BY_KIND = {
    "partner_request": (("P1", 5), ("P2", 25), ("P3", 45), ("P4", 25)),
    "deep_dive": (("P1", 3), ("P2", 27), ("P3", 50), ("P4", 20)),
    "sev2_action": (("P1", 35), ("P2", 55), ("P3", 10)),
    "exec_escalation": (("P1", 55), ("P2", 40), ("P3", 5)),
    "coe_action": (("P2", 30), ("P3", 55), ("P4", 15)),
}
# Open requests by age (days) so every ageing bucket on the trackers page has rows.
OPEN_AGE_BUCKETS = ((0, 7, 70), (8, 14, 48), (15, 30, 52), (31, 60, 38), (61, 240, 30))


def sla_days(kind: str, priority: str) -> float:
    """The trackers' own SLA table, so every demo request's due date is what the queue would compute."""
    return float(DEFAULT_SLA_DAYS[kind][priority])


_TITLES = {
    "partner_request": ["Check {n} sellers flagged by {team} for {fam}", "{team}: rule coverage for {fam} in {mp}",
                        "Exposure numbers for {mo_title}", "Review appeal cluster from {mp}",
                        "Data pull: payout bank changes in {mp}, last 30 days", "Second opinion on {n} {fam} cases",
                        "Are these {mp} sellers one operation? ({fam})", "{team} asks for a {fam} training session"],
    "deep_dive": ["Deep dive: spike in {fam} in {mp}", "Deep dive: why precision fell on {fam} rules",
                  "Deep dive: new variant of {mo_title}", "Deep dive: {fam} losses up {pct}% WoW",
                  "Root-cause analysis: {fam} cluster of {n} accounts", "Deep dive: {mp} {fam} trend since {month}"],
    "sev2_action": ["Sev2 {num}: follow-up on {fam} burst in {mp}", "Sev2 {num} action: monitor {medium} changes",
                    "Sev2 {num}: add rule for {fam} variant", "Sev2 {num}: backfill enforcement on {n} accounts"],
    "exec_escalation": ["Exec escalation: brand owner complaint about {fam} in {mp}",
                        "VP escalation: seller locked out after {fam}", "Exec ask: weekly numbers on {fam}",
                        "Escalation from {team} leadership: {fam} losses in {mp}"],
    "coe_action": ["COE {num} action: document {fam} MO", "COE {num} action: add {medium} check to SOP",
                   "COE {num} action: alarm when {fam} volumes double", "COE {num}: retrain reviewers on {fam}"],
}
_DESCRIPTIONS = [
    "{team} reported {n} accounts in {mp} that look like {fam}. Please confirm and size.",
    "Opened after {team} saw losses rise {pct}% week over week.", "Requested in the {month} partner sync.",
    "Context: {mo_ref}. Need a yes/no on coverage and an owner for the fix.",
    "Buyer complaints mention the same {medium}; {n} examples attached to the ticket.",
    "Follow-up from the {month} review. Owner to report back in the WBR.",
    "Sample of {n} cases attached. Priority set by {team}.",
]
# (title, what is missing) per owning team; the second text explains the first in the team's terms.
_GAP_TITLES = {
    "ML": [("Risk model lacks '{signal}' as a feature",
            "The onboarding model has no feature for {signal}, so {fam} rings score like normal sellers."),
           ("No model score at registration for {fam}",
            "Scores arrive after the first listing; by then the accounts have already passed onboarding."),
           ("Model retrain cadence too slow for {fam}",
            "Quarterly retrains miss variants that change within weeks; {fam} volumes climb between retrains."),
           ("Linked-account model ignores {medium} links",
            "Accounts that share a {medium} are scored independently, so clusters look like single sellers."),
           ("No ML score for {fam} in {mp}",
            "The model is not trained on {mp} data; cases there reach RM only through complaints.")],
    "Engineering": [("{Medium} not passed to the decision service",
                     "The decision service sees no {medium} at registration; rules cannot use it until a day later."),
                    ("No event when the payout {contact} changes",
                     "Changes are written to the profile without an event, so no rule can react in time."),
                    ("Review tool cannot bulk-action clusters over 500 accounts",
                     "Large {fam} clusters are actioned by hand in batches, which takes days."),
                    ("{Medium} history not stored",
                     "Only the current {medium} is kept; earlier values that linked accounts are lost."),
                    ("Decision logs drop the {medium} for {mp}",
                     "Investigators cannot reconstruct why accounts in {mp} were approved.")],
    "Product": [("No hold on first payout after a {contact} change",
                 "Money leaves before any review when the {contact} changes shortly before the first payout."),
                ("Auto-refund threshold not configurable in {mp}",
                 "One global threshold lets {fam} claims just under it through in {mp}."),
                ("Brand registry accepts pending trademarks",
                 "Applicants with a trademark only applied for get brand control of existing pages."),
                ("Incentives paid before 60 days of trading",
                 "New-seller incentives are paid out before anyone can tell real sellers from farms."),
                ("No way for buyers to report {fam} in {mp}",
                 "Buyers in {mp} have no report option for this, so signals arrive late through support.")],
    "Payments Risk (partner)": [("Chargeback data reaches us 30 days late",
                                 "Chargebacks are shared monthly, after the accounts behind the {fam} cases "
                                 "have cashed out."),
                                ("No card-to-device link shared with RM",
                                 "Payments Risk sees card and device together; RM sees neither.")],
    "Seller Verification (partner)": [("{Doc} issuer not validated",
                                       "Verification checks the {doc_lower} format, not whether the issuer exists."),
                                      ("Verification vendor skips {mp} addresses",
                                       "Addresses in {mp} are accepted without a postal check.")],
    "Logistics Ops (partner)": [("Return weight not captured at receiving",
                                 "Without the weight, empty-box returns cannot be told from real ones."),
                                ("Carrier postcode not matched to orders",
                                 "Delivery scans are accepted even when the postcode is in another city.")],
}
_METHODS = ["Confirmed-bad accounts in the last 90 days that the missing {what} would have stopped, times average "
            "loss per account.", "Sample of {n} cases extrapolated to the quarter.",
            "Rule hits with the signal missing, times precision, times average exposure.",
            "Partner estimate, checked against our own case counts.",
            "Annualised from the last two months of refunds attributed to the MO."]


def _shorten(title: str, limit: int = 60) -> str:
    if len(title) <= limit:
        return title
    return title[:limit].rsplit(" ", 1)[0].rstrip(",:;—-") + "…"


def _dt(day: dt.date, rng: random.Random, lo: int = 8, hi: int = 19) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randint(lo, hi), rng.randint(0, 59)))


def build_gaps(seed: int, anchor: dt.date, mos: list[DemoMO], initiatives: list[DemoInitiative],
               count: int = 150) -> tuple[list[dict], list[dict], dict[str, list[int]]]:
    """Gap rows, their status changes, and for each gap the MOs (indexes) that revealed it."""
    rng = random.Random(f"gaps-{seed}")
    end = dt.datetime.combine(anchor, dt.time(18))
    closers = [i.row["id"] for i in initiatives if i.row["status"] in ("done", "on_track", "at_risk")]
    planned = [i.row["id"] for i in initiatives if i.row["status"] != "done"]
    rows, moves, evidence_mos, used = [], [], {}, set()
    flow = ["identified", "quantified", "accepted", "in_progress", "closed"]
    for n in range(1, count + 1):
        gap_id = f"GAP-{n:04d}"
        team = weighted(rng, GAP_TEAMS)
        mo_idx = rng.sample(range(len(mos)), rng.choice([1, 1, 2, 3]))
        fam = family(mos[mo_idx[0]].row["abuse_family"])
        medium = rng.choice(fam.mediums)
        words = dict(signal=rng.choice(fam.signals), fam=fam.name, medium=medium,
                     Medium=medium[:1].upper() + medium[1:], mp=MARKETPLACE_NAMES[rng.choice(MARKETPLACES[:6])])
        doc = rng.choice(["Utility bill", "Tax ID", "Business licence", "Bank statement"])
        words.update(Doc=doc, doc_lower=doc.lower(), contact=rng.choice(["bank account", "phone number", "email"]))
        title, missing = (t.format(**words) for t in rng.choice(_GAP_TITLES[team]))
        for qualifier in (f" in {words['mp']}", f" for {fam.name}", " (raised again)"):
            if title not in used:
                break
            title += qualifier
        base, k = title, 2
        while title in used:
            title, k = f"{base} #{k}", k + 1
        used.add(title)
        status = rng.choices(["identified", "quantified", "accepted", "in_progress", "closed", "rejected"],
                             [14, 18, 18, 22, 30, 10])[0]
        age = rng.randint(20 if status in ("closed", "in_progress") else 3, 700)
        identified = _dt(anchor - dt.timedelta(days=age), rng)
        stamps = {"identified": identified}
        reach = flow.index(status) if status in flow else 1
        t = identified
        for step in flow[1:reach + 1]:
            t = t + (end - t) * rng.uniform(0.1, 0.4)
            stamps[step] = t.replace(microsecond=0)
        accounts = int(rng.lognormvariate(5.5, 1.0)) if reach >= 1 else None
        usd = round(accounts * rng.lognormvariate(6.8, 0.7), -2) if accounts else None
        row = dict(id=gap_id, title=title, missing=missing, owning_team=team,
                   impact_accounts=accounts, impact_usd=usd,
                   impact_method=rng.choice(_METHODS).format(what=medium, n=rng.choice([30, 50, 80, 120]))
                   if accounts else "", status=status, identified_at=identified,
                   quantified_at=stamps.get("quantified"), accepted_at=stamps.get("accepted"),
                   started_at=stamps.get("in_progress"), closed_at=stamps.get("closed"), rejected_reason="",
                   initiative_id=None, measured_accounts=None, measured_usd=None, measured_note="")
        if status == "rejected":
            row["closed_at"] = None
            row["rejected_reason"] = rng.choice(["Owning team will not fix: cost above impact.",
                                                 "Duplicate of an existing gap.", "Covered by a new rule instead.",
                                                 "Not reproducible after the platform change."])
            stamps["rejected"] = (stamps["quantified"] + dt.timedelta(days=rng.randint(3, 30))).replace(microsecond=0)
            stamps["rejected"] = min(stamps["rejected"], end)
        if status == "closed":
            row["initiative_id"] = rng.choice(closers)
            ratio = rng.uniform(0.4, 1.15)
            row["measured_accounts"] = int(accounts * ratio)
            row["measured_usd"] = round(usd * ratio, -2)
            row["measured_note"] = rng.choice([
                "Measured over 8 weeks after the fix: confirmed-bad accounts in the MO fell by {p}%.",
                "Loss attributed to the MO dropped {p}% against the same weeks last year.",
                "Partner-reported numbers; our own count agrees within 10%."]).format(p=int(ratio * 70))
        elif status in ("accepted", "in_progress") and rng.random() < 0.6:
            row["initiative_id"] = rng.choice(planned)
        rows.append(row)
        evidence_mos[gap_id] = mo_idx
        previous = None
        for step, at in sorted(stamps.items(), key=lambda kv: kv[1]):
            moves.append(dict(record_type="gap", record_id=gap_id, from_status=previous, to_status=step, at=at,
                              actor=PM if step in ("accepted", "rejected") else rng.choice(ANALYSTS["India"] +
                                                                                            ANALYSTS["Costa Rica"]),
                              note=_GAP_NOTES.get(step, "")))
            previous = step
    # Ids rise with the date a gap was identified, as a real tracker numbers them.
    rename = {row["id"]: f"GAP-{n:04d}" for n, row in enumerate(sorted(rows, key=lambda r: r["identified_at"]), 1)}
    for row in rows:
        row["id"] = rename[row["id"]]
    for move in moves:
        move["record_id"] = rename[move["record_id"]]
    rows.sort(key=lambda r: r["id"])
    return rows, moves, {rename[k]: v for k, v in evidence_mos.items()}


_GAP_NOTES = {"identified": "Logged from case evidence.", "quantified": "Impact sized; method in the record.",
              "accepted": "Owning team accepted in the partner sync.", "in_progress": "Work started.",
              "closed": "Fix shipped; impact measured.", "rejected": "Rejected in the partner sync."}


def build_requests(seed: int, anchor: dt.date, mos: list[DemoMO], gaps: list[dict], gap_mos: dict[str, list[int]],
                   count: int = 2000) -> tuple[list[dict], list[dict], list[dict]]:
    """Request rows, their status changes, and gap evidence rows (requests and MOs behind each gap)."""
    rng = random.Random(f"requests-{seed}")
    end = dt.datetime.combine(anchor, dt.time(18))
    n_open = sum(b[2] for b in OPEN_AGE_BUCKETS)
    open_ages = [rng.randint(lo, hi) for lo, hi, k in OPEN_AGE_BUCKETS for _ in range(k)]
    # Open times first, so ids rise with the opening time like a real tracker's.
    starts = []
    for n in range(count):
        if n < n_open:
            starts.append((end - dt.timedelta(days=open_ages[n], hours=rng.randint(0, 9), minutes=rng.randint(0, 59)),
                           True))
        else:
            # Older history thins out: volume grew over the two years.
            age = 730 * (1 - math.sqrt(rng.random())) + 3
            starts.append((_dt(anchor - dt.timedelta(days=int(age)), rng, 6, 20), False))
    starts.sort(key=lambda s: s[0])
    rows, moves = [], []
    for n, (opened, is_open) in enumerate(starts, 1):
        req_id = f"REQ-{n:05d}"
        kind = weighted(rng, KINDS)
        priority = weighted(rng, PRIORITY_BY_KIND[kind])
        site = rng.choices(SITES, [55, 45])[0]
        linked = rng.random() < 0.45
        mo = rng.choice(mos).row if linked else None
        fam = family(mo["abuse_family"]) if mo else rng.choice(FAMILIES)
        sla = sla_days(kind, priority)
        team = weighted(rng, REQUESTER_TEAMS)
        mp = rng.choice(mo["marketplaces"]) if mo else rng.choice(MARKETPLACES[:8])
        words = dict(n=rng.choice([4, 6, 9, 12, 18, 25, 40]), team=team, fam=fam.name, mp=MARKETPLACE_NAMES[mp],
                     mo_title=(_shorten(mo["title"]) if mo else fam.name), pct=rng.choice([15, 22, 30, 45, 60]),
                     month=opened.strftime("%B"), num=f"{rng.randint(100, 999)}", medium=rng.choice(fam.mediums),
                     mo_ref=(f"linked to {mo['id']}" if mo else "no MO yet"))
        title = rng.choice(_TITLES[kind]).format(**words)
        description = " ".join(rng.sample(_DESCRIPTIONS, rng.choice([1, 2, 2, 3]))).format(**words)
        owner = rng.choice(ANALYSTS[site])
        status, stamps = _request_flow(rng, opened, end, sla, is_open)
        row = dict(id=req_id, kind=kind, title=title, description=description, requester_team=team, priority=priority,
                   owner=owner, site=site, status=status, opened_at=opened.replace(microsecond=0),
                   sla_due=(opened + dt.timedelta(days=sla)).replace(microsecond=0),
                   resolved_at=next((at for s, at in stamps if s == "resolved"), None),
                   closed_at=next((at for s, at in stamps if s == "closed"), None),
                   root_cause_category=None, root_cause_note="", mo_id=mo["id"] if mo else None, gap_id=None)
        if status in ("resolved", "closed"):
            # Sev2 and COE actions come from real incidents: "no issue found" is not an outcome for them.
            causes = [c for c in ROOT_CAUSES if c != "no issue found" or kind in ("partner_request", "deep_dive")]
            category = rng.choice(causes)
            row["root_cause_category"] = category
            row["root_cause_note"] = rng.choice(ROOT_CAUSES[category]).format(
                rule=f"R-{rng.randint(1, 300):04d}", medium=words["medium"], n=words["n"],
                mo=mo["id"] if mo else "an older MO")
        rows.append(row)
        previous = None
        for step, at in stamps:
            moves.append(dict(record_type="request", record_id=req_id, from_status=previous, to_status=step, at=at,
                              actor=PM if step == "triaged" and rng.random() < 0.5 else owner,
                              note=_REQUEST_NOTES[step]))
            previous = step

    evidence = []
    by_time = sorted(rows, key=lambda r: r["opened_at"])
    for gap in gaps:
        before = [r for r in by_time if r["opened_at"] <= gap["identified_at"] and r["gap_id"] is None]
        picks = rng.sample(before[-300:], min(len(before), rng.choice([1, 2, 2, 3, 4])))
        for req in picks:
            req["gap_id"] = gap["id"]
            evidence.append(dict(gap_id=gap["id"], request_id=req["id"], mo_id=None))
        for idx in gap_mos[gap["id"]]:
            evidence.append(dict(gap_id=gap["id"], request_id=None, mo_id=mos[idx].row["id"]))
    return rows, moves, evidence


_REQUEST_NOTES = {"new": "Opened.", "triaged": "Triaged; owner assigned.", "in_progress": "Work started.",
                  "blocked": "Waiting on partner data.", "resolved": "Answer sent to requester.",
                  "closed": "Requester confirmed."}


def _request_flow(rng: random.Random, opened: dt.datetime, end: dt.datetime, sla: float,
                  is_open: bool) -> tuple[str, list[tuple[str, dt.datetime]]]:
    """The moves new → triaged → in_progress (→ blocked → in_progress) → resolved → closed, times rising."""
    def step(at: dt.datetime, hours_lo: float, hours_hi: float) -> dt.datetime:
        return (at + dt.timedelta(hours=rng.uniform(hours_lo, hours_hi))).replace(microsecond=0)

    opened = opened.replace(microsecond=0)
    stamps = [("new", opened)]
    if is_open:
        age_h = (end - opened).total_seconds() / 3600
        target = rng.choices(["new", "triaged", "in_progress", "blocked"], [15, 20, 45, 20])[0]
        if age_h < 24:
            target = rng.choice(["new", "new", "triaged"])
        path = ["triaged", "in_progress", "blocked"][: ["new", "triaged", "in_progress", "blocked"].index(target)]
        t = opened
        for i, s in enumerate(path):
            t = t + (end - t) * rng.uniform(0.05, 0.5 if i < len(path) - 1 else 0.8)
            stamps.append((s, t.replace(microsecond=0)))
        return target, stamps
    duration_h = sla * 24 * rng.lognormvariate(-0.35, 0.6)
    resolved = opened + dt.timedelta(hours=max(2.0, duration_h))
    if resolved > end - dt.timedelta(hours=1):
        resolved = end - dt.timedelta(hours=rng.uniform(1, 20))
    span_h = (resolved - opened).total_seconds() / 3600
    triaged = step(opened, 0.1, max(0.2, span_h * 0.2))
    started = step(triaged, 0.1, max(0.2, span_h * 0.2))
    stamps += [("triaged", triaged), ("in_progress", started)]
    if rng.random() < 0.15 and (resolved - started).total_seconds() > 7200:
        blocked = started + (resolved - started) * rng.uniform(0.1, 0.4)
        unblocked = blocked + (resolved - blocked) * rng.uniform(0.3, 0.8)
        stamps += [("blocked", blocked.replace(microsecond=0)), ("in_progress", unblocked.replace(microsecond=0))]
    stamps.append(("resolved", resolved.replace(microsecond=0)))
    closed = step(resolved, 2, 24 * 8)
    if closed < end and (end - resolved).days > 3 or closed < end and rng.random() < 0.4:
        stamps.append(("closed", closed))
        return "closed", stamps
    return "resolved", stamps


def build_sops(seed: int, anchor: dt.date) -> tuple[list[dict], list[dict]]:
    rng = random.Random(f"sops-{seed}")
    sops, rollouts = [], []
    owners = ANALYSTS["India"][:4] + ANALYSTS["Costa Rica"][:3] + [PM]
    for n, title in enumerate(SOP_TITLES, 1):
        major, minor = rng.choice([1, 1, 2, 2, 3]), rng.randint(0, 4)
        version = f"{major}.{minor}"
        older = f"{major - 1}.{rng.randint(0, 5)}" if major > 1 else (f"1.{minor - 1}" if minor else None)
        last_review = anchor - dt.timedelta(days=rng.randint(10, 420))
        next_review = last_review + dt.timedelta(days=rng.choice([180, 365]))
        sop_id = f"SOP-{n:03d}"
        sops.append(dict(id=sop_id, title=title, version=version, owner=rng.choice(owners), last_review=last_review,
                         next_review=next_review))
        for team in SOP_TEAMS:
            weights = {"RM India": [2, 8, 88, 2], "RM Costa Rica": [4, 10, 84, 2], "BRP NA": [25, 20, 50, 5],
                       "BRP EU": [35, 22, 38, 5], "BRP APAC": [58, 22, 18, 2]}[team]
            status = rng.choices(["not_started", "pilot", "live", "retired"], weights)[0]
            on_old = older is not None and status in ("live", "retired") and rng.random() < (
                0.12 if team.startswith("RM") else 0.35)
            live = last_review - dt.timedelta(days=rng.randint(0, 200)) if status in ("live", "retired") else None
            planned = (anchor + dt.timedelta(days=rng.randint(7, 150)) if status in ("not_started", "pilot")
                       else live)
            rollouts.append(dict(sop_id=sop_id, team=team, status=status,
                                 version=None if status == "not_started" else (older if on_old else version),
                                 planned_date=planned, live_date=live))
    return sops, rollouts
