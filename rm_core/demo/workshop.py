"""The demo's finished OP1 workshop: participants, ideas under three prompts, themes, dot votes and RICE scores."""
from __future__ import annotations

import datetime as dt
import random

from rm_core.demo.vocab import TEMPLATE_NAME

SESSION_CODE = "RMXP27"  # six letters from the workshop code alphabet (no 0/O, 1/I/L)
PROMPTS = ["What slows down how fast we spot a new MO?",
           "Where do partner teams lose time working with us?",
           "What should we automate or hand to AI in 2027?"]
THEMES = ["Faster MO detection", "Smoother partner hand-offs", "Rule hygiene", "AI assistance",
          "Upstream data gaps", "Training and SOPs"]
# (prompt index, theme index, text)
IDEAS = [
    (0, 0, "Daily digest of new clusters that match no known MO"),
    (0, 0, "Let analysts flag 'looks new' from the review tool in one click"),
    (0, 4, "Get document metadata stored at upload so template reuse is visible"),
    (0, 4, "Payout bank change events should reach us in real time, not next day"),
    (0, 2, "Retire rules nobody owns; they bury the new signals in noise"),
    (0, 0, "Weekly cross-site MO stand-up between India and Costa Rica"),
    (0, 3, "Paste case notes, get the closest known MO back"),
    (0, 4, "ML should share feature importance when a model misses a ring"),
    (0, 5, "Short MO write-up checklist so drafts get reviewed faster"),
    (0, 0, "Complaint-text clustering to spot emerging patterns before volumes grow"),
    (0, 2, "Track time from first case to documented MO as a metric"),
    (0, 4, "Linked-account graph available to investigators, not only to the model"),
    (1, 1, "One intake form for partner requests instead of five channels"),
    (1, 1, "Publish SLA per request kind and priority so nobody has to chase"),
    (1, 5, "Same SOP version for BRP and RM; today they drift apart"),
    (1, 1, "Named contact per partner team for each abuse family"),
    (1, 1, "Close the loop: tell partners what their request led to"),
    (1, 5, "Onboarding pack for BRP APAC on our top 20 MOs"),
    (1, 4, "Data contract with Engineering for registration signals"),
    (1, 1, "Shared escalation playbook with Seller Ops for reinstatements"),
    (1, 5, "Recorded walkthroughs of the MO repository for partners"),
    (1, 2, "Partners can see which rules cover the MO they are asking about"),
    (1, 1, "Monthly gap readout with ML, Engineering and Product together"),
    (1, 1, "Sev2 follow-ups tracked in one place with owners and dates"),
    (2, 3, "AI first draft of MO write-ups from investigation notes"),
    (2, 3, "LLM triage that routes partner requests to the right site"),
    (2, 2, "Automated backtest before any rule goes live"),
    (2, 2, "Retirement recommender that stays inside a loss budget"),
    (2, 3, "Auto-summary of the weekly flash report highlights"),
    (2, 3, "Similar-MO detection to stop duplicate write-ups"),
    (2, 2, "Alert when a rule's precision drops for three weeks in a row"),
    (2, 3, "Q&A assistant over the MO repository with citations"),
    (2, 4, "Auto-cluster linked accounts nightly and queue the big clusters"),
    (2, 2, "Shadow-mode monitoring that pages the owner on unique losses"),
    (2, 3, "Theme naming for workshop boards"),
    (2, 5, "Auto-check SOP review dates and nudge owners"),
]
PEOPLE = [("Nadia (PM)", "nadia.pm", True), ("Ananya R", "ananya.r", False), ("Diego A", "diego.a", False),
          ("Vikram S", "vikram.s", False), ("Sofia C", "sofia.c", False), ("Wen (ML)", "ml.wen", False),
          ("Farid (Eng)", "eng.farid", False), ("Marcus (Product)", "prod.marcus", False),
          ("Lakshmi (BRP India)", "brp.lakshmi", False), ("Carlos (BRP CR)", "brp.carlos", False)]
VOTES_PER_PERSON = 5
MAX_VOTES_PER_IDEA = 2


def session_row(anchor: dt.date) -> dict:
    day = anchor - dt.timedelta(days=40)
    start = dt.datetime.combine(day, dt.time(14, 0))
    return dict(code=SESSION_CODE, title="OP1 2027 ideation — Account Integrity Risk Mining", template=TEMPLATE_NAME,
                prompts=PROMPTS, facilitator="nadia.pm", phase="closed", votes_per_person=VOTES_PER_PERSON,
                max_votes_per_idea=MAX_VOTES_PER_IDEA, facilitator_votes=True, anonymous=False, reveal="on_reveal",
                revealed=True, participants_group=False, scoring="RICE", timer_ends_at=None, locked=True,
                created_at=start - dt.timedelta(days=3), closed_at=start + dt.timedelta(hours=2, minutes=5))


def participant_rows(session_id: int, session: dict) -> list[dict]:
    start = session["closed_at"] - dt.timedelta(hours=2, minutes=5)
    return [dict(session_id=session_id, display_name=name, user_name=user, is_facilitator=fac,
                 joined_at=start + dt.timedelta(minutes=i)) for i, (name, user, fac) in enumerate(PEOPLE)]


def theme_rows(session_id: int) -> list[dict]:
    return [dict(session_id=session_id, name=name, suggested=i < 4) for i, name in enumerate(THEMES)]


def idea_rows(seed: int, session_id: int, session: dict, participant_ids: list[int],
              theme_ids: list[int]) -> list[dict]:
    rng = random.Random(f"ideas-{seed}")
    start = session["closed_at"] - dt.timedelta(hours=2)
    rows = []
    for prompt_i, theme_i, text in IDEAS:
        at = start + dt.timedelta(minutes=prompt_i * 12 + rng.randint(0, 11), seconds=rng.randint(0, 59))
        rows.append(dict(session_id=session_id, participant_id=rng.choice(participant_ids), prompt=PROMPTS[prompt_i],
                         text=text, theme_id=theme_ids[theme_i], created_at=at,
                         updated_at=at + dt.timedelta(minutes=rng.choice([0, 0, 2, 25]))))
    return rows


def vote_rows(seed: int, session_id: int, session: dict, participant_ids: list[int], idea_ids: list[int]) -> list[dict]:
    """Each person places up to VOTES_PER_PERSON dots, at most MAX_VOTES_PER_IDEA on one idea (slots agree)."""
    rng = random.Random(f"votes-{seed}")
    # Some ideas are crowd favourites; weights make the tally believable rather than flat.
    appeal = [rng.random() ** 2 + (0.6 if i in (0, 6, 12, 24, 26, 27) else 0) for i in range(len(idea_ids))]
    at0 = session["closed_at"] - dt.timedelta(minutes=55)
    rows = []
    for pid in participant_ids:
        dots = rng.randint(3, VOTES_PER_PERSON)
        per_idea: dict[int, int] = {}
        for slot in range(dots):
            for _ in range(20):
                idea = rng.choices(idea_ids, appeal)[0]
                if per_idea.get(idea, 0) < MAX_VOTES_PER_IDEA:
                    break
            else:
                break
            at = at0 + dt.timedelta(seconds=rng.randint(0, 600))
            rows.append(dict(session_id=session_id, participant_id=pid, idea_id=idea, slot=slot,
                             idea_slot=per_idea.get(idea, 0), created_at=at))
            per_idea[idea] = per_idea.get(idea, 0) + 1
    return rows


def score_rows(seed: int, session_id: int, session: dict, votes: list[dict]) -> list[dict]:
    """RICE for the twelve most-voted ideas: value = reach × impact × confidence / effort."""
    rng = random.Random(f"scores-{seed}")
    tally: dict[int, int] = {}
    for v in votes:
        tally[v["idea_id"]] = tally.get(v["idea_id"], 0) + 1
    top = sorted(tally, key=lambda i: (-tally[i], i))[:12]
    rows = []
    for idea in top:
        reach = float(rng.choice([200, 500, 800, 1500, 3000, 5000]))
        impact = rng.choice([0.5, 1.0, 2.0, 3.0])
        confidence = rng.choice([0.5, 0.8, 1.0])
        effort = float(rng.choice([1, 2, 3, 4, 6, 9]))
        rows.append(dict(session_id=session_id, idea_id=idea, method="RICE", reach=reach, impact=impact,
                         confidence=confidence, effort=effort, ease=None,
                         value=round(reach * impact * confidence / effort, 2), scored_by="nadia.pm",
                         scored_at=session["closed_at"] - dt.timedelta(minutes=rng.randint(5, 30))))
    return rows


def promoted(scores: list[dict], ideas: dict[int, str]) -> list[tuple[int, str]]:
    """The two best-scoring ideas (id, text); the roadmap turns them into initiatives."""
    best = sorted(scores, key=lambda s: (-s["value"], s["idea_id"]))[:2]
    return [(s["idea_id"], ideas[s["idea_id"]]) for s in best]
