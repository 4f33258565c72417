"""Feature 2: ask the repository: an answer grounded in the MOs retrieved for the question, every statement
citing the MO ids it used.

A citation must be an id retrieved for this question: anything else is removed and the answer says so; a
statement left without a citation is dropped; an answer with no cited statement falls back to the offline one.
Offline ("retrieved passages"): the ranked passages themselves with their ids, grouped by MO. Never an answer
without a source.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from rm_core.ai.assist import FROM_SETTINGS, Assisted, run_assist
from rm_core.ai.calls import CallStats, structured_call
from rm_core.errors import UserError

OFFLINE_METHOD = "offline: retrieved passages"
MAX_QUESTION_CHARS = 2_000
MAX_K = 20


@dataclass(frozen=True)
class Statement:
    text: str
    citations: list[str]


@dataclass
class Answer:
    """`statements` each cite MO ids from `sources` (mo_id -> title, the MOs retrieved for the question)."""

    question: str
    statements: list[Statement]
    sources: dict[str, str] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)   # citations removed because they were not retrieved

    @property
    def citations(self) -> list[str]:
        return list(dict.fromkeys(c for s in self.statements for c in s.citations))

    @property
    def text(self) -> str:
        return "\n".join(f"{s.text} [{', '.join(s.citations)}]" for s in self.statements)

    def public(self, method: str) -> dict[str, Any]:
        """The CLI's JSON shape: {"answer", "citations", "method"}."""
        return {"answer": self.text, "citations": self.citations, "method": method}


class _ModelStatement(BaseModel):
    text: str = Field(min_length=1, max_length=1500)
    citations: list[str] = Field(max_length=20)


class _ModelAnswer(BaseModel):
    statements: list[_ModelStatement] = Field(max_length=12)


def check_question(question: str, k: int) -> str:
    question = " ".join((question or "").split())
    if not question:
        raise UserError("The question is empty: ask something about the MOs in the repository.")
    if len(question) > MAX_QUESTION_CHARS:
        raise UserError(f"The question is {len(question):,} characters; the limit is {MAX_QUESTION_CHARS:,}.")
    if not 1 <= k <= MAX_K:
        raise UserError(f"--k must be between 1 and {MAX_K}.")
    return question


def retrieve(question: str, engine: Any, k: int) -> list[Any]:
    """The MOs (search hits) an answer may use."""
    return engine.search(question, k).hits


def offline_answer(question: str, hits: list[Any]) -> Answer:
    """One statement per retrieved MO: its best passage, cited with its id, in rank order."""
    statements = [Statement(f"{h.title}: {' '.join(h.snippet.split())}", [h.mo_id]) for h in hits]
    return Answer(question, statements, {h.mo_id: h.title for h in hits})


ASK_TASK = ("Answer the question using only the MO passages below. Each statement must list in `citations` the MO "
            "ids (the id in square brackets before each passage) it is based on. If the passages do not answer the "
            "question, say so in one statement citing the closest passages.")


def validate_citations(question: str, answer: _ModelAnswer, hits: list[Any]) -> tuple[Answer, str]:
    """Keep only citations of retrieved ids; drop statements left without one; say what was removed."""
    retrieved = {h.mo_id: h.title for h in hits}
    removed: list[str] = []
    statements = []
    dropped = 0
    for statement in answer.statements:
        ids = [c.strip().strip("[]") for c in statement.citations]
        kept = list(dict.fromkeys(c for c in ids if c in retrieved))
        removed += [c for c in ids if c not in retrieved]
        if kept:
            statements.append(Statement(" ".join(statement.text.split()), kept))
        else:
            dropped += 1
    removed = list(dict.fromkeys(removed))
    parts = []
    if removed:
        parts.append(f"Removed citation(s) of MOs not retrieved for this question: {', '.join(removed)}.")
    if dropped:
        parts.append(f"{dropped} statement(s) without a valid source were dropped.")
    return Answer(question, statements, retrieved, removed), " ".join(parts)


def _preview(partial: dict[str, Any]) -> str:
    """The statements written so far, as the page streams them (citations are checked and shown afterwards)."""
    return "\n\n".join(str(s.get("text", "")) for s in partial.get("statements") or [] if isinstance(s, dict))


def _passages(hits: list[Any]) -> str:
    return "\n".join(f"[{h.mo_id}] {h.title}: {h.snippet}" for h in hits)


def ask_repository(question: str, engine: Any, k: int = 8, model: Any = FROM_SETTINGS) -> Assisted[Answer]:
    question = check_question(question, k)
    hits = retrieve(question, engine, k)

    def with_model(chat: Any) -> tuple[Answer, str, CallStats]:
        from rm_core.ai.calls import ModelFailure

        if not hits:
            raise ModelFailure("no MO was retrieved for the question")
        parsed, stats = structured_call(chat, _ModelAnswer, ASK_TASK,
                                        [("Question", question), ("MO passages", _passages(hits))], preview=_preview)
        answer, note = validate_citations(question, parsed, hits)
        if not answer.statements:
            raise ModelFailure(f"no statement of the answer cited a retrieved MO. {note}".strip())
        return answer, note, stats

    return run_assist(lambda: offline_answer(question, hits), OFFLINE_METHOD, with_model, model)


