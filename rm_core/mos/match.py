""""Is this a known MO?": investigation notes -> the closest MOs and a known / related / new verdict."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


from rm_core.mos.keyword import tokenize
from rm_core.mos.search import fuse

MAX_UNITS = 48          # a few thousand words become at most this many passages to compare one by one
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")


@dataclass(frozen=True)
class MatchCandidate:
    mo_id: str
    title: str
    score: float         # fused search score of the notes against this MO, 0..1


@dataclass(frozen=True)
class MatchSignals:
    """The evidence the verdict weighs (all about the best candidate)."""

    similarity: float     # cosine of the whole notes (mean of passage vectors) to its closest chunk
    margin: float         # that similarity minus the runner-up MO's
    keyword_agrees: bool  # BM25 ranks the same MO first or second
    coverage: float       # share of the notes' term weight found in the MO (meaningful for short notes)
    passage_votes: float  # share of the notes' passages whose nearest MO is this one (1.0 for one passage)
    best_passage: float   # highest cosine of any single passage to any chunk of this MO

    @property
    def strength(self) -> float:
        """One number: similarity, plus how clearly it stands out, plus agreement of the other evidence."""
        return (self.similarity + MARGIN_WEIGHT * min(self.margin, MARGIN_CAP)
                + AGREE_WEIGHT * self.keyword_agrees + COVERAGE_WEIGHT * self.coverage
                + VOTES_WEIGHT * self.passage_votes)


@dataclass(frozen=True)
class MatchResult:
    verdict: str                       # known | related | new
    matches: list[MatchCandidate]
    signals: MatchSignals | None
    reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def known_mo(self) -> str | None:
        return self.matches[0].mo_id if self.verdict == "known" and self.matches else None

    def public(self) -> dict[str, Any]:
        """The CLI's stable JSON shape: {"verdict", "matches": [{"mo_id", "title", "score"}]}."""
        return {"verdict": self.verdict,
                "matches": [{"mo_id": m.mo_id, "title": m.title, "score": round(m.score, 4)} for m in self.matches]}


# Weights and thresholds of the verdict, set on tests/mos/eval (bench/bench_search_quality.py reports accuracy).
# A high cosine alone does not separate "no match" from a match with MiniLM (unrelated notes reach 0.59), so the
# margin over the runner-up, BM25 agreeing on the same MO, the share of the query's rare words found in it and,
# for long notes, how many passages independently point at it all add to one strength.
MARGIN_WEIGHT, MARGIN_CAP = 0.5, 0.15
AGREE_WEIGHT = 0.1
COVERAGE_WEIGHT = 0.5
VOTES_WEIGHT = 0.1
KNOWN_AT = 0.57
RELATED_AT = 0.51


def verdict_for(signals: MatchSignals | None) -> tuple[str, str]:
    """(verdict, reason) from the signals; `known` needs strong and distinctive evidence, not just a high cosine."""
    if signals is None:
        return "new", "the index has no MOs yet"
    strength = signals.strength
    detail = (f"strength {strength:.2f} (similarity {signals.similarity:.2f}, margin {signals.margin:.2f}, "
              f"keywords {'agree' if signals.keyword_agrees else 'disagree'}, "
              f"{signals.passage_votes:.0%} of passages point to it)")
    if strength >= KNOWN_AT:
        return "known", detail
    if strength >= RELATED_AT:
        return "related", detail
    return "new", detail


def note_units(notes: str, max_units: int = MAX_UNITS) -> list[str]:
    """Sentences of the notes, short ones merged with the next, grouped so there are at most `max_units`."""
    sentences = [s.strip() for s in _SENTENCE.split(notes or "") if s.strip()]
    units: list[str] = []
    carry = ""
    for sentence in sentences:
        carry = f"{carry} {sentence}".strip()
        if len(carry.split()) >= 8:
            units.append(carry)
            carry = ""
    if carry and units:
        units[-1] = f"{units[-1]} {carry}"  # a short last sentence joins the one before it
    elif carry:
        units.append(carry)
    if len(units) > max_units:
        size = -(-len(units) // max_units)
        units = [" ".join(units[i:i + size]) for i in range(0, len(units), size)]
    return units


def match_signals(engine: Any, notes: str, pool: int = 50) -> tuple[list[tuple[str, float]], dict, MatchSignals | None]:
    """Fused ranking of MOs for the notes, the per-MO evidence, and the signals about the best candidate."""
    from rm_core.mos.embeddings import encode

    evidence, qtype, chunks = engine._evidence(notes, {}, pool)
    if not evidence:
        return [], chunks, None
    ranked = fuse(evidence.values(), qtype)
    top = ranked[0][0]
    by_dense = sorted(evidence.values(), key=lambda e: -e.dense)
    runner_up = next((e.dense for e in by_dense if e.mo_id != top), 0.0)
    by_keyword = [e.mo_id for e in sorted(evidence.values(), key=lambda e: -e.keyword) if e.keyword > 0]

    units = note_units(notes)
    votes, best_passage = 0, evidence[top].dense
    if len(units) > 1:
        vectors = encode(engine.embeddings, units)
        for vector in vectors:
            hits = engine.vectors.query(vector, 8)
            if hits and hits[0].mo_id == top:
                votes += 1
            best_passage = max([best_passage] + [h.similarity for h in hits if h.mo_id == top])
        share = votes / len(units)
    else:
        share = 1.0
    signals = MatchSignals(similarity=round(evidence[top].dense, 6),
                           margin=round(evidence[top].dense - runner_up, 6),
                           keyword_agrees=top in by_keyword[:2],
                           coverage=round(evidence[top].coverage, 6),
                           passage_votes=round(share, 6), best_passage=round(best_passage, 6))
    return ranked, chunks, signals


def match_notes(engine: Any, notes: str, k: int = 5) -> MatchResult:
    notes = (notes or "").strip()
    if not tokenize(notes):
        from rm_core.errors import UserError

        raise UserError("the notes are empty: paste what you observed (a few sentences at least)")
    ranked, chunks, signals = match_signals(engine, notes)
    verdict, reason = verdict_for(signals)
    matches = [MatchCandidate(m, chunks[m]["metadata"].get("title", ""), s) for m, s in ranked[:k]]
    return MatchResult(verdict, matches, signals, reason)
