"""The demo's idea intake: sixteen ideas analysts and partners raised over the six weeks to the anchor, triaged by
the PM through the intake service (under review, accepted, declined, merged), some still waiting.

The list is fixed (no random draw), so the intake metrics of the demo world can be counted by hand; the weeks end
on Sunday, like the WBR's (the anchor, Sun 22 Nov 2026, ends week 0):

| idea | submitted (days before the anchor) | week | site | triage after (days) | outcome |
| --- | --- | --- | --- | --- | --- |
| 1 | 40 | 5 | India | 2 | accepted after 5 |
| 2 | 38 | 5 | Costa Rica | 1 | declined after 3 |
| 3 | 33 | 4 | India | 3 | accepted after 6 |
| 4 | 31 | 4 | Partner team | 4 | accepted after 8 |
| 5 | 29 | 4 | India | 2 | merged into 1 (from new) |
| 6 | 26 | 3 | Costa Rica | 2 | accepted after 4 |
| 7 | 24 | 3 | India | 1 | declined after 2 |
| 8 | 20 | 2 | Costa Rica | 5 | accepted after 9 |
| 9 | 18 | 2 | India | 3 | under review |
| 10 | 15 | 2 | Partner team | 2 | merged into 8 after 4 |
| 11 | 12 | 1 | India | 6 | accepted after 8 |
| 12 | 10 | 1 | Costa Rica | 2 | under review |
| 13 | 8 | 1 | India | — | new |
| 14 | 5 | 0 | Costa Rica | 1 | accepted after 3 |
| 15 | 3 | 0 | India | — | new |
| 16 | 1 | 0 | Costa Rica | — | new |
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from rm_core.demo.vocab import ANALYSTS, PM
from rm_core.identity import Actor


@dataclass(frozen=True)
class DemoIdea:
    days_back: int          # submitted this many days before the anchor, at 10:00
    submitter: str
    site: str
    team: str
    theme: str
    title: str
    problem: str
    change: str
    impact: str
    triage_after: int | None = None    # days after submission it went under review (or was merged from new)
    outcome: str | None = None         # accepted | declined | merged | None (stays where triage left it)
    decided_after: int | None = None   # days after submission of the decision
    into: int | None = None            # merged into this idea (1-based, as in the table above)
    reason: str = ""
    ai_based: bool = False
    backers: tuple[str, ...] = ()


IN, CR = ANALYSTS["India"], ANALYSTS["Costa Rica"]
IDEAS: tuple[DemoIdea, ...] = (
    DemoIdea(40, IN[2], "India", "RM India", "Detection & Rules", "Hold the first payout after a bank change",
             "New sellers change the payout bank account and cash out within a day.",
             "Hold the first payout for 72 hours after a payout-bank change on accounts under 90 days old.",
             "About 300 bad accounts a month stopped before the first payout.", 2, "accepted", 5,
             reason="Clear loss, cheap to build: OP1 candidate for Detection.", backers=(IN[0], CR[1])),
    DemoIdea(38, CR[0], "Costa Rica", "RM Costa Rica", "Process & SOPs", "Move the weekly sync to Fridays",
             "The Monday sync clashes with the partner stand-ups.", "Hold the cross-site sync on Friday mornings.",
             "Fewer missed syncs.", 1, "declined", 3, reason="A calendar change, not an OP1 item: agreed in the sync."),
    DemoIdea(33, IN[4], "India", "RM India", "MO Intelligence", "Cluster complaint text every night",
             "Emerging patterns show up in complaints weeks before anyone writes an MO.",
             "Cluster the day's complaint text and queue clusters no MO describes.",
             "New MOs documented 2-3 weeks sooner.", 3, "accepted", 6, ai_based=True,
             reason="Feeds MO identification speed; ML has capacity in H1.", backers=(IN[1],)),
    DemoIdea(31, "brp.lakshmi", "Partner team", "BRP APAC", "Partner Enablement",
             "Partner-facing view of the rules covering an MO",
             "Partners ask us which rules cover an MO before they escalate.",
             "A read-only page listing the live rules per MO for partner teams.",
             "A third fewer 'is this covered?' requests.", 4, "accepted", 8,
             reason="Cuts partner requests; share links already exist.", backers=(CR[2], IN[3])),
    DemoIdea(29, IN[5], "India", "RM India", "Detection & Rules", "Delay payouts right after bank account changes",
             "Bank changes followed by payouts on young accounts.",
             "Delay payouts after a bank account change for new sellers.", "Bad accounts stopped.", 2, "merged",
             2, into=1),
    DemoIdea(26, CR[3], "Costa Rica", "RM Costa Rica", "AI & Automation", "AI first draft of MO write-ups",
             "Writing an MO from investigation notes takes an analyst about two hours.",
             "Draft the MO from the notes with the assist; the analyst edits and saves.",
             "An hour saved per MO.", 2, "accepted", 4, ai_based=True,
             reason="The assist exists; OP1 makes it the default path.", backers=(CR[4], CR[5], IN[6])),
    DemoIdea(24, IN[7], "India", "RM India", "Data & Signals", "Buy a third-party device graph",
             "We cannot link devices across marketplaces.", "License a commercial device graph.",
             "Unknown.", 1, "declined", 2, reason="Out of budget for 2027; Engineering's graph lands in Q2."),
    DemoIdea(20, CR[1], "Costa Rica", "RM Costa Rica", "Partner Enablement",
             "Tell partners what their request led to",
             "Partners never hear whether their request became an MO, a rule or a gap.",
             "Close every partner request with the MO, rule or gap it led to, and send it back.",
             "Partner satisfaction; fewer duplicate requests.", 5, "accepted", 9,
             reason="Cheap and visible; pairs with the request tracker.", backers=("brp.carlos",)),
    DemoIdea(18, IN[8], "India", "RM India", "Detection & Rules", "Alert when a rule's precision drops",
             "Rules decay quietly; we notice at the quarterly review.",
             "Alert the owner when a rule's weekly precision drops three weeks in a row.",
             "Earlier retirement of noisy rules.", 3),
    DemoIdea(15, "ml.wen", "Partner team", "ML", "Partner Enablement", "Send partners the outcome of requests",
             "Requesters do not learn what happened.", "Reply to each partner request with its outcome.",
             "Fewer repeat requests.", 2, "merged", 4, into=8),
    DemoIdea(12, IN[0], "India", "RM India", "MO Intelligence", "Shared MO stand-up between sites",
             "India and Costa Rica document overlapping MOs in the same week.",
             "A 20-minute weekly stand-up on new MOs across both sites.",
             "Fewer duplicate MOs.", 6, "accepted", 8, reason="Low cost; start in January.",
             backers=(CR[0], CR[6])),
    DemoIdea(10, CR[6], "Costa Rica", "RM Costa Rica", "AI & Automation", "LLM routing of partner requests",
             "Requests land at the wrong site and wait a day to be moved.",
             "A model proposes the site and owner for each new partner request.", "A day off the SLA.", 2,
             ai_based=True),
    DemoIdea(8, IN[9], "India", "RM India", "Process & SOPs", "One checklist for MO reviews",
             "Reviewers ask for different things, so drafts go round twice.",
             "A short checklist every MO review follows.", "Faster reviews."),
    DemoIdea(5, CR[7], "Costa Rica", "RM Costa Rica", "Data & Signals", "Registration signals in real time",
             "Registration events reach us the next day.", "Stream registration events into the hit log.",
             "Same-day detection of registration rings.", 1, "accepted", 3,
             reason="Engineering agreed a data contract; OP1 funds the pipe.", backers=(IN[2],)),
    DemoIdea(3, IN[3], "India", "RM India", "Detection & Rules", "Velocity rule on gift-card listings",
             "Sellers list dozens of gift cards in their first hour.",
             "A velocity rule on gift-card listings for accounts under a week old.", "Fewer gift-card scams."),
    DemoIdea(1, CR[5], "Costa Rica", "RM Costa Rica", "AI & Automation", "Summarise case notes for handovers",
             "Shift handovers re-read long case notes.", "An AI summary of the open cases' notes at handover.",
             "Twenty minutes per handover.", ai_based=True),
)


def _label(name: str) -> str:
    return name.replace(".", " ").title()


def seed_intake(session: Session, anchor: dt.date) -> int:
    """Write the demo intake through the intake service, inside the demo world's transaction; returns the count."""
    from rm_core.intake import merge_idea, move_idea, submit_idea, support_idea

    triager = Actor(PM, "editor", "Nadia (PM)", via="cli")
    ids: list[str] = []
    for idea in IDEAS:
        at = dt.datetime.combine(anchor - dt.timedelta(days=idea.days_back), dt.time(10, 0))
        who = Actor(idea.submitter, "editor", _label(idea.submitter), via="cli")
        rec = submit_idea(who, dict(title=idea.title, problem=idea.problem, proposed_change=idea.change,
                                    expected_impact=idea.impact, site=idea.site, team=idea.team, theme=idea.theme,
                                    ai_based=idea.ai_based), at=at, session=session)
        ids.append(rec.id)
        for n, backer in enumerate(idea.backers):
            support_idea(Actor(backer, "editor", _label(backer), via="cli"), rec.id,
                         at=at + dt.timedelta(hours=2 + n), session=session)
        if idea.triage_after is None:
            continue
        triaged = at + dt.timedelta(days=idea.triage_after)
        if idea.outcome == "merged" and idea.decided_after == idea.triage_after:  # an obvious duplicate, from new
            merge_idea(triager, rec.id, ids[idea.into - 1], at=triaged, session=session)
            continue
        move_idea(triager, rec.id, "under_review", at=triaged, session=session)
        if idea.outcome is None:
            continue
        decided = at + dt.timedelta(days=idea.decided_after, hours=1)
        if idea.outcome == "merged":
            merge_idea(triager, rec.id, ids[idea.into - 1], at=decided, session=session)
        else:
            move_idea(triager, rec.id, idea.outcome, reason=idea.reason, at=decided, session=session)
    return len(ids)
