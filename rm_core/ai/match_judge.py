"""Feature: a chat model's judgement on "is this a known MO?", one more signal on top of the offline verdict.

Offline ("calibrated evidence"): the verdict of `rm_core.mos.match` (similarity, salient-word alignment, coverage).
With a model: the notes and the top candidates' passages go to the model, which answers, per candidate, whether the
notes describe that MO (known), a related one or neither (new), with a short reason. Its judgement is checked (only
candidate ids count) and weighed in by `rm_core.mos.match.with_judgement`: at most one step, and only when the
offline evidence is borderline. A model that fails, times out or names no candidate leaves the offline verdict,
with a note that says why.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from rm_core.ai.assist import FROM_SETTINGS, Assisted, model_label, run_assist
from rm_core.ai.calls import CallStats, ModelFailure, structured_call
from rm_core.mos.match import MatchResult, ModelJudgement, VERDICT_STEPS, with_judgement

OFFLINE_METHOD = "offline: calibrated evidence (similarity + salient-word alignment)"
JUDGED = 5                 # the top candidates the model is shown (the verdict names at most three)
PASSAGE_CHARS = 1_200      # of each candidate's text
NOTES_CHARS = 8_000        # of the notes (long notes: their start carries the pattern; the verdict saw all of them)


class _CandidateJudgement(BaseModel):
    mo_id: str = Field(min_length=1, max_length=64)
    verdict: Literal["known", "related", "new"]
    reason: str = Field(default="", max_length=400)


class _Judgement(BaseModel):
    """What the model must answer: one judgement per candidate MO it was shown."""

    candidates: list[_CandidateJudgement] = Field(min_length=1, max_length=20)


JUDGE_TASK = (
    "An analyst asks whether the investigation notes below describe a modus operandi (MO) that is already in the "
    "repository. For each candidate MO (its id is in square brackets), judge: `known` if the notes describe the same "
    "MO, even in other words; `related` if they describe a variant or a neighbouring pattern of it (same abuse, a "
    "different method, stage or target); `new` if the notes only share a broad topic with it. Use the candidate ids "
    "exactly as given; judge no other MO. `reason`: one short sentence naming what they share or where they differ. "
    "Answer {\"candidates\": [{\"mo_id\": \"...\", \"verdict\": \"known|related|new\", \"reason\": \"...\"}]}.")


def candidate_text(engine: Any, mo_id: str, title: str) -> str:
    """The candidate as the model sees it: its title and the start of its indexed passages."""
    keyword = engine.keyword
    passages = engine.vectors.passages(keyword.chunks_of(mo_id)) if keyword is not None else {}
    body = " ".join(" ".join(p.split()) for p in passages.values())
    return f"[{mo_id}] {title}: {body[:PASSAGE_CHARS]}"


def model_judgement(parsed: _Judgement, candidates: list[str], method: str) -> ModelJudgement:
    """The model's answer as one judgement: its strongest verdict over the candidates (known > related > new; a tie
    goes to the higher-ranked candidate), ids that are not candidates left out and listed. Nothing usable left is a
    ModelFailure."""
    judged: dict[str, _CandidateJudgement] = {}
    ignored: list[str] = []
    for item in parsed.candidates:
        mo_id = item.mo_id.strip().strip("[]")
        if mo_id in candidates:
            judged.setdefault(mo_id, item)
        elif mo_id not in ignored:
            ignored.append(mo_id)
    if not judged:
        raise ModelFailure(f"it judged only MOs that are not among the candidates ({', '.join(ignored)[:160]})")
    best = max(judged, key=lambda m: (VERDICT_STEPS.index(judged[m].verdict), -candidates.index(m)))
    choice = judged[best]
    reason = " ".join(choice.reason.split()) or "no reason given"
    return ModelJudgement(choice.verdict, best if choice.verdict != "new" else None, reason, method,
                          ignored=tuple(ignored))


def judge_match(notes: str, engine: Any, k: int = 5, model: Any = FROM_SETTINGS) -> Assisted[MatchResult]:
    """The "is this a known MO?" result: the offline verdict, with the model's judgement weighed in when a model is
    configured and answers usably (`Assisted.message` says why it did not)."""
    offline = engine.match(notes, k)

    def with_model(chat: Any) -> tuple[MatchResult, str, CallStats]:
        shown = offline.matches[:JUDGED]
        listing = "\n".join(candidate_text(engine, m.mo_id, m.title) for m in shown)
        parsed, stats = structured_call(chat, _Judgement, JUDGE_TASK,
                                        [("Investigation notes", notes[:NOTES_CHARS]), ("Candidate MOs", listing)])
        judgement = model_judgement(parsed, [m.mo_id for m in shown], model_label(chat))
        note = (f"The model also named {', '.join(judgement.ignored)}, which search did not put forward: ignored."
                if judgement.ignored else "")
        return with_judgement(offline, judgement), note, stats

    # nothing to judge (an empty index): the model is not asked
    return run_assist(lambda: offline, OFFLINE_METHOD, with_model if offline.matches and offline.signals else None,
                      model)
