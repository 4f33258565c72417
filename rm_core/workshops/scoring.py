"""RICE and ICE scores for the top ideas (Score phase), and the impact-vs-effort frame the chart draws.

RICE = reach × impact × confidence% / effort, with reach in accounts (or people) per quarter, impact on Intercom's
scale 0.25 / 0.5 / 1 / 2 / 3, confidence 0–100 %, effort in person-months (> 0).
ICE = impact × confidence × ease, each 1–10 (so 1–1000).
"""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import func, select

from rm_core.audit import record_event, snapshot
from rm_core.errors import Problem, ValidationFailed
from rm_core.identity import Actor
from rm_core.store.db import read_session, write_session
from rm_core.store.models import Idea, Score, Theme, Vote, utcnow
from rm_core.workshops._guards import ensure_facilitator, ensure_phase, load_idea, load_session

RICE_IMPACTS = (0.25, 0.5, 1.0, 2.0, 3.0)
METHODS = ("RICE", "ICE")


@dataclass(frozen=True)
class ScoreInput:
    impact: float
    confidence: float
    reach: float | None = None
    effort: float | None = None
    ease: float | None = None


def score_value(method: str, s: ScoreInput) -> float:
    """The score; raises ValidationFailed naming every field out of range."""
    problems = validate(method, s)
    if problems:
        raise ValidationFailed(problems)
    if method == "RICE":
        return float(s.reach) * s.impact * (s.confidence / 100.0) / float(s.effort)
    return float(s.impact) * s.confidence * float(s.ease)


def validate(method: str, s: ScoreInput) -> list[Problem]:
    if method not in METHODS:
        return [Problem("use RICE or ICE", field="method")]
    problems = []
    if method == "RICE":
        if s.reach is None or s.reach < 0:
            problems.append(Problem("reach is a number of accounts or people per quarter, 0 or more", field="reach"))
        if s.impact not in RICE_IMPACTS:
            problems.append(Problem("impact is one of 0.25, 0.5, 1, 2, 3 (minimal … massive)", field="impact"))
        if not 0 <= s.confidence <= 100:
            problems.append(Problem("confidence is a percentage, 0 to 100", field="confidence"))
        if s.effort is None or s.effort <= 0:
            problems.append(Problem("effort is person-months and must be more than 0", field="effort"))
    else:
        for name, value in (("impact", s.impact), ("confidence", s.confidence), ("ease", s.ease)):
            if value is None or not 1 <= value <= 10:
                problems.append(Problem(f"{name} is scored 1 to 10", field=name))
    return problems


def score_idea(session_id: int, idea_id: int, actor: Actor, inputs: ScoreInput, method: str | None = None) -> float:
    """Record (or replace) the facilitator's score of an idea with the session's method; returns the value."""
    with write_session() as s:
        ws = load_session(s, session_id, lock="share")
        ensure_facilitator(actor, ws)
        ensure_phase(ws, "score", "wrapup", doing="score ideas")
        method = (method or ws.scoring).upper()
        value = score_value(method, inputs)
        idea = load_idea(s, ws, idea_id)
        row = s.scalar(select(Score).where(Score.idea_id == idea.id, Score.method == method))
        before = snapshot(row) if row else None
        if row is None:
            row = Score(session_id=ws.id, idea_id=idea.id, method=method)
            s.add(row)
        row.reach, row.impact, row.confidence = inputs.reach, inputs.impact, inputs.confidence
        row.effort, row.ease, row.value = inputs.effort, inputs.ease, value
        row.scored_by, row.scored_at = actor.name, utcnow()
        s.flush()
        record_event(s, actor.name, "workshop.score", "idea", idea.id, before, snapshot(row))
        return value


SCORE_COLUMNS = {
    "idea_id": "idea id", "idea": "idea text", "theme": "theme name (None: ungrouped)", "votes": "dots received",
    "method": "RICE or ICE", "reach": "RICE reach", "impact": "impact", "confidence": "confidence",
    "effort": "RICE effort (person-months)", "ease": "ICE ease", "value": "the score",
    "effort_axis": "x of the impact-vs-effort chart: RICE effort, or 11 − ease for ICE (more is harder)",
}


def scores_frame(session_id: int) -> pl.DataFrame:
    """Scored ideas, best score first; columns as in SCORE_COLUMNS."""
    with read_session() as s:
        ws = load_session(s, session_id)
        votes = dict(s.execute(select(Vote.idea_id, func.count()).where(Vote.session_id == ws.id)
                               .group_by(Vote.idea_id)).all())
        rows = s.execute(select(Score, Idea.text, Theme.name).join(Idea, Idea.id == Score.idea_id)
                         .outerjoin(Theme, Theme.id == Idea.theme_id).where(Score.session_id == ws.id)).all()
    data = [{"idea_id": sc.idea_id, "idea": text, "theme": theme, "votes": votes.get(sc.idea_id, 0),
             "method": sc.method, "reach": sc.reach, "impact": sc.impact, "confidence": sc.confidence,
             "effort": sc.effort, "ease": sc.ease, "value": sc.value,
             "effort_axis": sc.effort if sc.method == "RICE" else 11 - (sc.ease or 0)} for sc, text, theme in rows]
    schema = {"idea_id": pl.Int64, "idea": pl.String, "theme": pl.String, "votes": pl.Int64, "method": pl.String,
              "reach": pl.Float64, "impact": pl.Float64, "confidence": pl.Float64, "effort": pl.Float64,
              "ease": pl.Float64, "value": pl.Float64, "effort_axis": pl.Float64}
    return pl.DataFrame(data, schema=schema).sort(["value", "idea_id"], descending=[True, False])

