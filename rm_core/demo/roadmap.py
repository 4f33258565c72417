"""The demo roadmap: initiatives in four workstreams with milestones, dependencies, status history,
paths to green, and the "OP1 approved" baseline that later dates have moved away from."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from rm_core.demo.vocab import ANALYSTS, MANAGERS, PARTNER_CONTACTS, PM, WORKSTREAMS

TITLES = {
    "Detection & Rules": [
        "Rule hygiene: quarterly retirement review with a loss budget", "Registration document template matching",
        "Hold first payout after a bank change for new sellers", "Linked-account graph features in the rules engine",
        "Shadow mode for every rule change", "Return weight check at receiving",
        "New-seller review on gated brand ASINs",
        "Tracking postcode validation", "Real-time login risk rules for tenured sellers", "Rule performance per MO",
        "Velocity limits on cards per device", "Catalogue overlap check against suspended sellers",
        "Rule ownership and review cadence", "Buy-box hijack detector", "Consolidate duplicate refund-abuse rules"],
    "MO Intelligence": [
        "MO repository clean-up and migration", "MO coverage map: rules per MO",
        "Quarterly MO trend review with partners",
        "One MO write-up standard across both sites", "MO sizing method v2", "Known-MO matcher for investigation notes",
        "Threat intel exchange with partner orgs", "Dormant and retired criteria for MOs",
        "MO taxonomy aligned with BRP", "Early warning on emerging MOs from complaint text",
        "Case sampling programme for new sellers", "MO library for new-hire training",
        "Counterfeit MO deep dive with Brand Protection", "Laundering typologies with Financial Crimes",
        "Cross-marketplace MO spread analysis"],
    "Partner Enablement": [
        "SOP parity across RM and BRP teams", "Partner request intake and SLAs", "Upstream gap feedback loop with ML",
        "BRP APAC onboarding to RM SOPs", "Shared escalation playbook with Seller Ops", "Joint Sev2 review cadence",
        "Product requirements for payout change controls", "Data contract for registration signals",
        "Weekly flash report for partners", "COE action item tracker", "Partner training on the MO repository",
        "Quarterly gap impact readout to leadership", "BRP EU rollout of the refund-abuse SOP",
        "Seller Ops reinstatement checklist", "Costa Rica–India shift handover standard"],
    "AI & Automation": [
        "AI-drafted MO write-ups from case notes", "LLM triage of partner requests", "Automated rule backtests",
        "Similar-MO detection with embeddings", "Auto-summaries for the weekly flash report",
        "Anomaly detection on rule hit trends", "Document forgery classifier", "Review-abuse graph model",
        "Investigator assistant: Q&A over MOs", "Shadow-mode monitoring alerts", "Nightly linked-account clustering",
        "Theme naming for workshop boards", "Chargeback forecast model", "Automated label hygiene checks",
        "Retirement recommender under a loss budget"],
}

_NOTES = {
    "not_started": ["Scoped; waiting for the start date.", "Kick-off planned with partners.",
                    "Not started: depends on an earlier item.", "Funded in OP1; team not assigned yet."],
    "on_track": ["On track; last milestone landed on time.", "Good progress, no blockers.",
                 "Pilot running at one site; numbers look right.", "On track after the scope cut agreed last month."],
    "at_risk": ["Engineering capacity moved to a Sev2; two weeks behind.", "Waiting on the data contract.",
                "Pilot precision below target; tuning.", "Partner team re-prioritised; renegotiating dates."],
    "off_track": ["Blocked on the upstream event feed; no date from Engineering.",
                  "Vendor model failed evaluation; re-planning.", "Lost the owner to a re-org; needs a new one.",
                  "Scope grew after the COE; the end date no longer holds."],
    "done": ["Delivered; measuring impact.", "Done. Adopted by both sites.", "Closed; follow-ups moved to a new item."],
}
_PTG_ACTIONS = ["Cut scope to the two biggest marketplaces; ship those first.", "Borrow one engineer from the "
                "rules team for four weeks.", "Escalate the data dependency in the partner sync.",
                "Run the pilot at the India site only, then extend.", "Agree interim manual process with BRP."]
_PTG_BLOCKERS = ["Upstream event feed not available.", "No ML capacity until next sprint.",
                 "Legal review of data sharing pending.", "", ""]
_PTG_DECISIONS = ["Accept a four-week slip or drop the second marketplace?", "Fund a contractor for Q1?", "",
                  "Move to next horizon?"]


@dataclass
class DemoInitiative:
    row: dict
    milestones: list[dict] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)


def _day(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    return lo + dt.timedelta(days=rng.randint(0, max(0, (hi - lo).days)))


def build_initiatives(seed: int, anchor: dt.date, promoted: list[tuple[int, str]],
                      promoted_at: dt.datetime) -> list[DemoInitiative]:
    rng = random.Random(f"roadmap-{seed}")
    specs = [(ws, title, None) for ws in WORKSTREAMS for title in TITLES[ws]]
    rng.shuffle(specs)
    specs = specs[: 60 - len(promoted)]
    specs += [("AI & Automation" if "AI" in text or "LLM" in text else "Detection & Rules", text, idea_id)
              for idea_id, text in promoted]
    owners = ANALYSTS["India"][:5] + ANALYSTS["Costa Rica"][:4] + MANAGERS + PARTNER_CONTACTS[2:7] + [PM]
    y2026, y2027_end = dt.date(2026, 1, 5), dt.date(2027, 12, 17)
    out = []
    for n, (ws, title, idea_id) in enumerate(specs, 1):
        if idea_id is not None:
            horizon, status = "next", "not_started"
        else:
            horizon = rng.choices(["now", "next", "later"], [45, 33, 22])[0]
            status = {"now": rng.choices(["on_track", "at_risk", "off_track", "done"], [36, 26, 14, 24])[0],
                      "next": rng.choices(["not_started", "on_track"], [80, 20])[0],
                      "later": "not_started"}[horizon]
        if horizon == "now":
            start = _day(rng, y2026, anchor - dt.timedelta(days=45))
            end = (_day(rng, start + dt.timedelta(days=60), anchor - dt.timedelta(days=3)) if status == "done"
                   else _day(rng, anchor + dt.timedelta(days=20), dt.date(2027, 6, 30)))
        elif horizon == "next":
            start = _day(rng, anchor + dt.timedelta(days=10), dt.date(2027, 4, 30))
            end = _day(rng, start + dt.timedelta(days=60), start + dt.timedelta(days=240))
        else:
            start = _day(rng, dt.date(2027, 5, 1), dt.date(2027, 10, 1))
            end = min(y2027_end, _day(rng, start + dt.timedelta(days=45), start + dt.timedelta(days=200)))
        ai = ws == "AI & Automation" or rng.random() < 0.15
        roi = float(rng.choice([120, 250, 400, 650, 900, 1500, 2400]) * 1000) if ai or rng.random() < 0.25 else None
        row = dict(id=f"INI-{n:03d}", title=title, description=_description(rng, title, ws), workstream=ws,
                   owner=rng.choice(owners), horizon=horizon, start=start, end=end, status=status,
                   status_note=rng.choice(_NOTES[status]), ai_based=ai, expected_roi_usd=roi, source_idea_id=idea_id)
        ini = DemoInitiative(row=row)
        ini.history = _history(rng, row, anchor, promoted_at if idea_id is not None else None)
        row["updated_at"] = ini.history[-1]["at"]
        ini.milestones = _milestones(rng, row, anchor)
        out.append(ini)
    return out


def _description(rng: random.Random, title: str, ws: str) -> str:
    why = rng.choice(["so that analysts spend less time on manual checks", "to close an upstream gap raised twice "
                      "this year", "because partner teams asked for it in the last OP1",
                      "to cut losses on the S1/S2 MOs", "so leadership can see coverage per MO"])
    how = rng.choice(["Pilot at one site first, then roll out.", "Delivered with Engineering and ML.",
                      "Owned by RM; partners review milestones.", "Measured on the WBR from the first week live."])
    return f"{title}, {why}. {how} Workstream: {ws}."


def _history(rng: random.Random, row: dict, anchor: dt.date, created: dt.datetime | None) -> list[dict]:
    created = created or dt.datetime.combine(min(row["start"], anchor) - dt.timedelta(days=rng.randint(20, 90)),
                                             dt.time(10, 0))
    moves = [(None, "not_started", created, "Added to the roadmap.")]
    status = row["status"]
    actor = row["owner"]
    if status != "not_started":
        started = dt.datetime.combine(min(row["start"], anchor - dt.timedelta(days=1)), dt.time(9, 30))
        started = max(started, created + dt.timedelta(days=1))
        moves.append(("not_started", "on_track", started, "Kicked off."))
        if status in ("at_risk", "off_track"):
            mid = started + (dt.datetime.combine(anchor, dt.time(9)) - started) * rng.uniform(0.5, 0.9)
            moves.append(("on_track", "at_risk", mid, rng.choice(_NOTES["at_risk"])))
            if status == "off_track":
                moves.append(("at_risk", "off_track", mid + (dt.datetime.combine(anchor, dt.time(9)) - mid) / 2,
                              rng.choice(_NOTES["off_track"])))
        if status == "done":
            moves.append(("on_track", "done", dt.datetime.combine(row["end"], dt.time(16)), rng.choice(_NOTES["done"])))
    return [dict(record_type="initiative", record_id=row["id"], from_status=f, to_status=t,
                 at=at.replace(microsecond=0), actor=actor if f else PM, note=note) for f, t, at, note in moves]


def _milestones(rng: random.Random, row: dict, anchor: dt.date) -> list[dict]:
    names = ["Design agreed", "Data available", "Pilot live", "Pilot readout", "Rolled out to both sites",
             "Partner sign-off", "Metrics on the WBR", "Model evaluated", "Engineering complete"]
    count = rng.randint(2, 5)
    span = (row["end"] - row["start"]).days
    chosen = sorted(rng.sample(names, count), key=names.index)
    out = []
    for i, title in enumerate(chosen, 1):
        due = row["start"] + dt.timedelta(days=span * i // (count + 1) + rng.randint(-5, 5))
        done = due < anchor and (row["status"] in ("done", "on_track") or rng.random() < 0.6)
        out.append(dict(initiative_id=row["id"], title=title, due=due, done=done or row["status"] == "done"))
    return out


def build_dependencies(seed: int, initiatives: list[DemoInitiative]) -> list[dict]:
    """Successors start after their predecessors (ordered by start), so the graph has no cycle. Most
    predecessors finish before their successor starts; a few slipped ones no longer do (what `check` finds)."""
    rng = random.Random(f"deps-{seed}")
    ordered = sorted(initiatives, key=lambda i: (i.row["start"], i.row["id"]))
    edges = set()
    for k, ini in enumerate(ordered[1:], 1):
        if rng.random() > 0.45:
            continue
        start = ini.row["start"]
        ready = [p for p in ordered[:k] if p.row["end"] <= start + dt.timedelta(days=7)]
        same = [p for p in ready if p.row["workstream"] == ini.row["workstream"]] or ready
        for pred in rng.sample(same, min(len(same), rng.choice([1, 1, 2]))):
            edges.add((pred.row["id"], ini.row["id"]))
    late = [i for i in ordered if i.row["status"] in ("at_risk", "off_track")]
    for pred in rng.sample(late, min(3, len(late))):
        waiting = [i for i in ordered if pred.row["start"] < i.row["start"] < pred.row["end"]
                   and i.row["status"] == "not_started"]
        if waiting:
            edges.add((pred.row["id"], rng.choice(waiting).row["id"]))
    return [dict(predecessor_id=p, successor_id=s) for p, s in sorted(edges)]


def build_paths_to_green(seed: int, anchor: dt.date, initiatives: list[DemoInitiative]) -> list[dict]:
    rng = random.Random(f"ptg-{seed}")
    rows = []
    for ini in initiatives:
        row = ini.row
        if row["status"] not in ("at_risk", "off_track"):
            continue
        versions = 2 if rng.random() < 0.3 else 1
        for v in range(versions):
            created = dt.datetime.combine(anchor - dt.timedelta(days=(versions - v) * rng.randint(6, 20)),
                                          dt.time(11, rng.randint(0, 59)))
            rows.append(dict(record_type="initiative", record_id=row["id"],
                             rag="red" if row["status"] == "off_track" else "amber",
                             actions=" ".join(rng.sample(_PTG_ACTIONS, 2)), owner=row["owner"],
                             due=anchor + dt.timedelta(days=rng.randint(10, 60)), blockers=rng.choice(_PTG_BLOCKERS),
                             decision_needed=rng.choice(_PTG_DECISIONS), created_at=created, created_by=PM))
    return rows


def build_baseline(seed: int, anchor: dt.date, initiatives: list[DemoInitiative]) -> dict:
    """'OP1 approved', taken ten weeks before the anchor: some ends slipped since, a few statuses changed,
    the workshop's initiatives were added later, and one item was dropped."""
    rng = random.Random(f"baseline-{seed}")
    taken = dt.datetime.combine(anchor - dt.timedelta(days=70), dt.time(17, 0))
    snapshot = []
    for ini in initiatives:
        row = ini.row
        if row["source_idea_id"] is not None or ini.history[0]["at"] > taken:
            continue
        start, end, status, horizon = row["start"], row["end"], row["status"], row["horizon"]
        roll = rng.random()
        if roll < 0.22:
            end = end - dt.timedelta(weeks=rng.randint(2, 10))  # the current end slipped
        elif roll < 0.30:
            start = start - dt.timedelta(weeks=rng.randint(2, 6))
            end = end - dt.timedelta(weeks=rng.randint(1, 4))
        elif roll < 0.34:
            end = end + dt.timedelta(weeks=rng.randint(2, 4))  # pulled in since
        if status in ("at_risk", "off_track", "done"):
            status = "on_track"
        if horizon == "next" and rng.random() < 0.15:
            horizon = "now"
        snapshot.append(dict(id=row["id"], title=row["title"], workstream=row["workstream"], owner=row["owner"],
                             horizon=horizon, start=start.isoformat(), end=max(end, start).isoformat(),
                             status=status, ai_based=row["ai_based"]))
    snapshot.append(dict(id="INI-099", title="Manual document review expansion (dropped)",
                         workstream="Detection & Rules", owner=PM, horizon="next", start="2027-01-11",
                         end="2027-05-28", status="not_started", ai_based=False))
    return dict(name="OP1 approved", created_at=taken, created_by=PM, snapshot=snapshot)
