"""Feature 3: workshop theme names and the session summary.

Offline: names by class-based TF-IDF keywords (`rm_core.workshops.themes`), the summary by extractive selection
(each theme's most central idea). With a model: generated, then checked against the theme's ideas: a name that
shares no salient term with its ideas is replaced by the offline one, and so is a summary sentence.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from rm_core.ai.assist import FROM_SETTINGS, Assisted, run_assist
from rm_core.ai.calls import CallStats, structured_call
from rm_core.ai.extractive import central_sentences, terms
from rm_core.workshops.themes import LABEL_METHOD, ctfidf_keywords, label_from

NAMES_METHOD = f"offline: {LABEL_METHOD}"
SUMMARY_METHOD = "offline: extractive (most central idea per theme)"
SALIENT_TERMS = 10
SUMMARY_THEMES = 6


@dataclass(frozen=True)
class ThemeIdeas:
    key: int            # the theme's id (or any caller key)
    name: str           # its current name
    ideas: list[str]
    votes: int | None = None


def salient_terms(themes: list[ThemeIdeas]) -> dict[int, set[str]]:
    """The content words of each theme's best c-TF-IDF terms (what a name must share at least one of)."""
    texts = [i for t in themes for i in t.ideas]
    labels = [t.key for t in themes for _ in t.ideas]
    if not texts:
        return {t.key: set() for t in themes}
    ranked = ctfidf_keywords(texts, labels, top=SALIENT_TERMS)
    return {t.key: {w for term, _ in ranked.get(t.key, []) for w in terms(term)} for t in themes}


def offline_names(themes: list[ThemeIdeas]) -> dict[int, str]:
    texts = [i for t in themes for i in t.ideas]
    labels = [t.key for t in themes for _ in t.ideas]
    ranked = ctfidf_keywords(texts, labels) if texts else {}
    return {t.key: label_from(ranked.get(t.key, [])) for t in themes}


class _Name(BaseModel):
    theme: int
    name: str = Field(min_length=2, max_length=80)


class _Names(BaseModel):
    names: list[_Name] = Field(max_length=40)


NAMES_TASK = ("Give each theme of a workshop a short name (2 to 5 words) that says what its ideas have in common. "
              "Use the theme numbers given. Answer {\"names\": [{\"theme\": N, \"name\": \"...\"}]}.")


def name_themes(themes: list[ThemeIdeas], model: Any = FROM_SETTINGS) -> Assisted[dict[int, str]]:
    """A name per theme key; a model's name that shares no salient term with its ideas is replaced."""
    themes = [t for t in themes if t.ideas]
    offline = offline_names(themes)

    def with_model(chat: Any) -> tuple[dict[int, str], str, CallStats]:
        listing = "\n".join(f"Theme {t.key}:\n" + "\n".join(f"- {i}" for i in t.ideas[:40]) for t in themes)
        parsed, stats = structured_call(chat, _Names, NAMES_TASK, [("Themes and their ideas", listing)])
        salient = salient_terms(themes)
        given = {n.theme: " ".join(n.name.split()) for n in parsed.names if n.theme in offline}
        names, replaced = {}, []
        for t in themes:
            name = given.get(t.key)
            if name and terms(name) & salient[t.key]:
                names[t.key] = name
            else:
                names[t.key] = offline[t.key]
                replaced.append(t.name or str(t.key))
        note = (f"Replaced by the offline name (no salient term shared with the ideas, or missing): "
                f"{', '.join(replaced)}." if replaced else "")
        return names, note, stats

    return run_assist(lambda: offline, NAMES_METHOD, with_model if themes else None, model)


def offline_summary(themes: list[ThemeIdeas]) -> list[str]:
    """One sentence per theme (most ideas first, then most votes): its name, size and most central idea."""
    order = sorted((t for t in themes if t.ideas), key=lambda t: (-len(t.ideas), -(t.votes or 0), t.name))
    out = []
    for t in order[:SUMMARY_THEMES]:
        central = central_sentences("\n".join(t.ideas), 1)
        idea = central[0] if central else t.ideas[0]
        votes = f", {t.votes} votes" if t.votes else ""
        out.append(f"{t.name} ({len(t.ideas)} ideas{votes}): {idea.rstrip('.')}.")
    return out


class _Summary(BaseModel):
    sentences: list[str] = Field(max_length=12)


SUMMARY_TASK = ("Summarise this workshop session in at most 6 sentences, one per important theme, saying what the "
                "ideas in it propose. Answer {\"sentences\": [\"...\"]}.")


def session_summary(themes: list[ThemeIdeas], model: Any = FROM_SETTINGS) -> Assisted[list[str]]:
    themes = [t for t in themes if t.ideas]

    def with_model(chat: Any) -> tuple[list[str], str, CallStats]:
        listing = "\n".join(f"Theme \"{t.name}\" ({len(t.ideas)} ideas, {t.votes or 0} votes):\n"
                            + "\n".join(f"- {i}" for i in t.ideas[:40]) for t in themes)
        parsed, stats = structured_call(chat, _Summary, SUMMARY_TASK, [("Themes and their ideas", listing)],
                                        preview=lambda partial: " ".join(map(str, partial.get("sentences") or [])))
        vocabulary = set().union(*(terms(" ".join(t.ideas) + " " + t.name) for t in themes))
        kept = [" ".join(s.split()) for s in parsed.sentences if terms(s) & vocabulary]
        dropped = len(parsed.sentences) - len(kept)
        if not kept:
            from rm_core.ai.calls import ModelFailure

            raise ModelFailure("no sentence of the summary was about the session's ideas")
        return kept, (f"{dropped} sentence(s) not about the session's ideas were dropped." if dropped else ""), stats

    return run_assist(lambda: offline_summary(themes), SUMMARY_METHOD, with_model if themes else None, model)
