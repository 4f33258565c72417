"""Feature 1: an MO draft from investigation notes, every field with the sentences of the notes it came from.

Offline ("nearest-MO vote + centrality + keyphrases"): abuse family, stage and severity by a similarity-weighted
vote of the nearest MOs; the summary by sentence centrality; signals by keyphrase extraction; mediums and
marketplaces from the words of the notes. With a model: the same fields as a validated JSON answer; evidence must
be sentences of the notes (an invented sentence is replaced by the offline evidence for that field).
"""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from rm_core.ai.assist import FROM_SETTINGS, Assisted, run_assist
from rm_core.ai.calls import CallStats, structured_call
from rm_core.ai.extractive import best_sentences, central_sentences, keyphrases, sentences
from rm_core.errors import UserError
from rm_core.mos.repository import ABUSE_FAMILIES, SEVERITIES, STAGES

OFFLINE_METHOD = "offline: nearest-MO vote + centrality + keyphrases"
NEIGHBOURS = 10
VOTE_SHARE = 0.5   # only MOs scoring at least half the best one vote (far MOs are not evidence)
TITLE_WORDS = 12
MAX_NOTES_CHARS = 60_000
FIELDS = ("title", "summary", "abuse_family", "stage", "signals", "mediums", "marketplaces", "severity")
MEDIUMS = ("address", "tax ID", "device", "bank account", "phone", "IP", "email", "browser fingerprint", "listing",
           "ASIN", "payment instrument", "gift card", "credit card", "storefront", "review", "return label",
           "tracking number", "shipping label", "VPN", "proxy")
MARKETPLACE_WORDS = {"US": ("US", "USA", "United States", "American"), "UK": ("UK", "United Kingdom", "British"),
                     "DE": ("DE", "Germany", "German"), "IN": ("India", "Indian"), "JP": ("JP", "Japan", "Japanese"),
                     "MX": ("MX", "Mexico", "Mexican"), "CA": ("Canada", "Canadian"), "FR": ("FR", "France", "French"),
                     "IT": ("Italy", "Italian"), "ES": ("Spain", "Spanish"), "BR": ("BR", "Brazil", "Brazilian"),
                     "AE": ("AE", "UAE", "Emirates")}


class MODraft(BaseModel):
    """A draft MO; `evidence` maps each field to the sentences of the notes it came from."""

    title: str
    summary: str
    abuse_family: str
    stage: str
    signals: list[str]
    mediums: list[str]
    marketplaces: list[str]
    severity: str
    evidence: dict[str, list[str]] = {}
    method: str = OFFLINE_METHOD

    def form_values(self) -> dict[str, Any]:
        """The fields as the MO editor and `create_mo` take them."""
        return {"title": self.title, "summary": self.summary, "abuse_family": self.abuse_family,
                "stage": self.stage, "signals": list(self.signals), "mediums": list(self.mediums),
                "marketplaces": list(self.marketplaces), "severity": self.severity}


class _ModelDraft(BaseModel):
    """What the model must answer (the allowed values are fixed here, whatever the notes say)."""

    title: str = Field(min_length=3, max_length=300)
    summary: str = Field(max_length=2000)
    abuse_family: Literal[ABUSE_FAMILIES]  # type: ignore[valid-type]
    stage: Literal[STAGES]  # type: ignore[valid-type]
    signals: list[str] = Field(max_length=12)
    mediums: list[str] = Field(max_length=12)
    marketplaces: list[str] = Field(max_length=12)
    severity: Literal[SEVERITIES]  # type: ignore[valid-type]
    evidence: dict[str, list[str]] = {}

    @field_validator("signals", "mediums", "marketplaces")
    @classmethod
    def _short_items(cls, v: list[str]) -> list[str]:
        return [str(x).strip()[:200] for x in v if str(x).strip()]


def check_notes(notes: str) -> str:
    notes = (notes or "").strip()
    if len(notes) > MAX_NOTES_CHARS:
        raise UserError(f"The notes are {len(notes):,} characters; the limit is {MAX_NOTES_CHARS:,}. Paste the "
                        "part about this pattern.")
    if not sentences(notes) and len(notes.split()) < 2:
        raise UserError("The notes are empty: paste what you observed (a few sentences at least).")
    return notes


def _vote(hits: list[Any], key: str, allowed: tuple[str, ...]) -> tuple[str, list[Any]]:
    """The value of `key` with the largest summed similarity among the hits, and the hits that voted for it."""
    weight: dict[str, float] = defaultdict(float)
    top = max((h.score for h in hits), default=0.0)
    for hit in (h for h in hits if h.score >= VOTE_SHARE * top):
        value = str(hit.metadata.get(key) or "")
        if value in allowed:
            weight[value] += max(hit.score, 1e-6) ** 2  # the nearest MOs count for more
    if not weight:
        return "", []
    best = sorted(weight.items(), key=lambda kv: (-kv[1], allowed.index(kv[0])))[0][0]
    return best, [h for h in hits if h.metadata.get(key) == best]


def _found(notes: str, words: dict[str, tuple[str, ...]] | tuple[str, ...]) -> list[tuple[str, str]]:
    """(value, sentence) for each vocabulary value the notes mention, in the order of first mention."""
    items = words.items() if isinstance(words, dict) else [(w, (w,)) for w in words]
    out = []
    for value, forms in items:
        for sentence in sentences(notes):
            if any(re.search(rf"(?<![\w-]){re.escape(f)}s?(?![\w-])", sentence,
                             0 if f.isupper() and len(f) <= 3 else re.IGNORECASE) for f in forms):
                out.append((value, sentence, notes.find(sentence)))
                break
    return [(v, s) for v, s, _ in sorted(out, key=lambda t: t[2])]


def offline_draft(notes: str, engine: Any) -> MODraft:
    """The draft without a model (deterministic for the same notes and index)."""
    notes = check_notes(notes)
    sents = sentences(notes) or [notes]
    hits = engine.search(notes, NEIGHBOURS).hits if engine is not None else []
    evidence: dict[str, list[str]] = {}
    votes = {}
    for key, allowed in (("abuse_family", ABUSE_FAMILIES), ("stage", STAGES), ("severity", SEVERITIES)):
        value, voters = _vote(hits, key, allowed)
        votes[key] = value
        reference = " ".join(f"{h.title} {h.snippet}" for h in voters[:3])
        evidence[key] = best_sentences(sents, reference, 2)
    summary = central_sentences(notes, 2)
    # the most central sentence that says something (not "Investigation 77.")
    ranked = central_sentences(notes, len(sents))
    title_source = next((s for s in sorted(ranked, key=lambda s: summary.index(s) if s in summary else 99)
                         if len(s.split()) >= 6), sents[0])
    words = title_source.rstrip(".!?;: ").split()
    title = " ".join(words[:TITLE_WORDS]) + ("…" if len(words) > TITLE_WORDS else "")
    if len(title) < 3:
        title = "Draft MO from notes"
    phrases = keyphrases(notes, 5)
    mediums = _found(notes, MEDIUMS)
    markets = _found(notes, MARKETPLACE_WORDS)
    evidence.update({"title": [title_source], "summary": summary,
                     "signals": list(dict.fromkeys(s for _, s in phrases)),
                     "mediums": list(dict.fromkeys(s for _, s in mediums)),
                     "marketplaces": list(dict.fromkeys(s for _, s in markets))})
    return MODraft(title=title, summary=" ".join(summary), abuse_family=votes["abuse_family"], stage=votes["stage"],
                   signals=[p for p, _ in phrases], mediums=[m for m, _ in mediums],
                   marketplaces=[m for m, _ in markets], severity=votes["severity"] or "S3",
                   evidence={k: v for k, v in evidence.items() if v}, method=OFFLINE_METHOD)


DRAFT_TASK = ("Draft a modus operandi (MO) record from the investigation notes below. Choose abuse_family, stage and "
              "severity from the schema's allowed values; signals are short observable indicators; mediums are the "
              "entities abused (device, bank account, listing...); marketplaces are two-letter store codes. For each "
              "field put in `evidence` the sentences of the notes it came from, copied exactly. Similar known MOs "
              "are given for reference only.")


def _normalise(text: str) -> str:
    return " ".join(text.split()).lower()


def model_draft(model: Any, notes: str, engine: Any) -> tuple[MODraft, str, CallStats]:
    """The model's draft, checked: evidence must be sentences of the notes, marketplaces known codes."""
    offline = offline_draft(notes, engine)
    hits = engine.search(notes, 5).hits if engine is not None else []
    reference = "\n".join(f"[{h.mo_id}] {h.title} ({h.metadata.get('abuse_family', '')}, {h.metadata.get('stage', '')})"
                          for h in hits)
    answer, stats = structured_call(model, _ModelDraft, DRAFT_TASK,
                                    [("Investigation notes", notes), ("Similar known MOs", reference or "(none)")])
    haystack = _normalise(notes)
    evidence: dict[str, list[str]] = {}
    replaced = []
    for name in FIELDS:
        kept = [s for s in answer.evidence.get(name, []) if s.strip() and _normalise(s) in haystack]
        if answer.evidence.get(name) and len(kept) < len(answer.evidence[name]):
            replaced.append(name)
        evidence[name] = kept or offline.evidence.get(name, [])
    markets = [m.strip().upper() for m in answer.marketplaces if m.strip().upper() in MARKETPLACE_WORDS]
    draft = MODraft(**{**answer.model_dump(exclude={"evidence", "marketplaces"}), "marketplaces": markets,
                       "evidence": {k: v for k, v in evidence.items() if v}})
    note = (f"Evidence the model quoted that is not in the notes was replaced for: {', '.join(replaced)}."
            if replaced else "")
    return draft, note, stats


def draft_mo(notes: str, engine: Any, model: Any = FROM_SETTINGS) -> Assisted[MODraft]:
    """The draft: the model's when one is configured and answers usably, else the offline one (and why)."""
    notes = check_notes(notes)

    def with_model(chat: Any) -> tuple[MODraft, str, CallStats]:
        return model_draft(chat, notes, engine)

    result = run_assist(lambda: offline_draft(notes, engine), OFFLINE_METHOD, with_model, model)
    result.value.method = result.method
    return result


def _same(draft: MODraft, data: dict[str, Any]) -> bool:
    """Whether the saved fields are the draft's (lists compared as the editor splits them)."""
    from rm_core.mos.repository import validate_input

    saved = validate_input({**draft.form_values(), **data}).model_dump()
    drafted = validate_input(draft.form_values()).model_dump()
    return all(saved[k] == drafted[k] for k in FIELDS)


def save_drafted_mo(actor: Any, result: Assisted[MODraft], data: dict[str, Any], engine: Any = None) -> Any:
    """Create the MO the user saved from a draft (`data`: the editor's fields): source ai_assist, drafted_by the
    method, and the draft's usage entry marked accepted (saved as drafted) or edited. Checks the caller first."""
    from rm_core.ai.assist import log_result
    from rm_core.ai.usage import record_outcome
    from rm_core.identity import require
    from rm_core.mos.repository import AI_ASSIST, create_mo

    require(actor, "mo.edit")
    if result.usage_id is None:
        log_result(actor, "mo_draft", result)
    mo = create_mo(actor, {**data, "source": AI_ASSIST, "drafted_by": result.method}, engine,
                   note=f"drafted with AI assist ({result.method})")
    record_outcome(actor, result.usage_id, "accepted" if _same(result.value, data) else "edited", record_id=mo.id)
    return mo


def discard_draft(actor: Any, result: Assisted[MODraft]) -> None:
    """The user threw the draft away: its usage entry says so."""
    from rm_core.ai.assist import log_result
    from rm_core.ai.usage import record_outcome

    if result.usage_id is None:
        log_result(actor, "mo_draft", result)
    record_outcome(actor, result.usage_id, "discarded")
