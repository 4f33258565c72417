"""Feature 4: the flash report's narrative: a short paragraph per deck section.

Every number in the narrative must be one of the deck's numbers (as the flash report shows them): a sentence with
any other number is dropped. Offline ("largest movements and RAG"): sentences built from each section's largest
moves against target and prior year and its red and amber metrics.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from rm_core.ai.assist import FROM_SETTINGS, Assisted, run_assist
from rm_core.ai.calls import CallStats, ModelFailure, structured_call
from rm_core.reports.flash import FlashReport

OFFLINE_METHOD = "offline: largest movements and RAG"
_NUMBER = re.compile(r"(?<![\w.])[-+−]?\d[\d,]*(?:\.\d+)?")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class SectionNarrative:
    section: str
    sentences: list[str]

    @property
    def paragraph(self) -> str:
        return " ".join(self.sentences)


def _value(token: str) -> float | None:
    try:
        return round(float(token.replace(",", "").replace("−", "-").lstrip("+")), 6)
    except ValueError:
        return None


def numbers_in(text: str) -> set[float]:
    """Every number written in `text`, as a value (1,234 and 1234 are the same; a sign is kept)."""
    out = set()
    for token in _NUMBER.findall(text or ""):
        value = _value(token)
        if value is not None:
            out.add(value)
            out.add(abs(value))
    return out


def deck_numbers(report: FlashReport) -> set[float]:
    """The numbers the deck shows: every box, target, move, title and the week, as the flash report writes them."""
    texts = [report.title, str(report.week_number), report.week_ending.isoformat()]
    for row in report.metrics:
        texts += [row.title, row.target, *row.boxes]
    for move in report.highlights + report.lowlights:
        texts += [move.sentence]
    return set().union(*(numbers_in(t) for t in texts))


def check_numbers(sentences: list[str], allowed: set[float]) -> tuple[list[str], list[str]]:
    """(kept, dropped): a sentence is kept only when every number in it is one of `allowed`."""
    kept, dropped = [], []
    for sentence in sentences:
        (kept if numbers_in(sentence) <= allowed else dropped).append(sentence)
    return kept, dropped


def _sections(report: FlashReport) -> list[str]:
    return list(dict.fromkeys(row.section for row in report.metrics))


def offline_narrative(report: FlashReport) -> list[SectionNarrative]:
    """Per section: its largest favourable and unfavourable moves (from the report's highlights and lowlights,
    else the row's own week-on-week and year-on-year boxes) and which metrics are red or amber."""
    moves = {m.metric: m for m in report.lowlights + report.highlights}
    out = []
    for section in _sections(report):
        rows = [r for r in report.metrics if r.section == section]
        sentences = []
        for row in rows:
            move = moves.get(row.metric)
            if move is not None:
                word = "ahead of" if move.score > 0 else "behind"
                sentences.append(f"{move.title} was {move.value_text} last week, {move.change_text} vs {move.against} "
                                 f"({move.reference_text}), {word} plan.")
        if not sentences:
            for row in rows[:2]:
                if row.boxes[0] and row.boxes[0] not in ("—", "n/a"):
                    sentences.append(f"{row.title} was {row.boxes[0]} last week ({row.boxes[1]} week on week, "
                                     f"{row.boxes[2]} year on year).")
        red = [r.title for r in rows if r.rag == "red"]
        amber = [r.title for r in rows if r.rag == "amber"]
        if red:
            sentences.append(f"Red against target: {', '.join(red)}.")
        if amber:
            sentences.append(f"Amber: {', '.join(amber)}.")
        if not red and not amber and any(r.rag == "green" for r in rows):
            sentences.append("Every metric with a target is green.")
        kept, _ = check_numbers(sentences, deck_numbers(report))
        if kept:
            out.append(SectionNarrative(section, kept))
    return out


class _Paragraph(BaseModel):
    section: str
    paragraph: str = Field(max_length=1500)


class _Narrative(BaseModel):
    sections: list[_Paragraph] = Field(max_length=20)


NARRATIVE_TASK = ("Write the weekly flash report's narrative: for each section, two or three sentences on what moved "
                  "and what is off target. Use only the numbers given, written exactly as given. Answer "
                  "{\"sections\": [{\"section\": \"...\", \"paragraph\": \"...\"}]}.")


def _deck_text(report: FlashReport) -> str:
    lines = [f"Week {report.week_number} ending {report.week_ending.isoformat()}"]
    for row in report.metrics:
        lines.append(f"[{row.section}] {row.title}: last week {row.boxes[0]}, WOW {row.boxes[1]}, YOY {row.boxes[2]}, "
                     f"target {row.target or 'none'}, RAG {row.rag or 'none'}")
    for move in report.highlights:
        lines.append(f"Highlight: {move.sentence}")
    for move in report.lowlights:
        lines.append(f"Lowlight: {move.sentence}")
    return "\n".join(lines)


def _preview(partial: dict[str, Any]) -> str:
    """The paragraphs written so far, section by section, as the page streams them (numbers are checked after)."""
    parts = [p for p in partial.get("sections") or [] if isinstance(p, dict)]
    return "\n\n".join(f"{p.get('section', '')}\n{p.get('paragraph', '')}".rstrip() for p in parts)


def narrative(report: FlashReport, model: Any = FROM_SETTINGS) -> Assisted[list[SectionNarrative]]:
    sections = _sections(report)

    def with_model(chat: Any) -> tuple[list[SectionNarrative], str, CallStats]:
        parsed, stats = structured_call(chat, _Narrative, NARRATIVE_TASK, [("The computed deck", _deck_text(report))],
                                        preview=_preview)
        allowed = deck_numbers(report)
        out, dropped = [], []
        for part in parsed.sections:
            if part.section not in sections:
                continue
            kept, lost = check_numbers([s for s in _SENTENCE.split(part.paragraph.strip()) if s], allowed)
            dropped += lost
            if kept:
                out.append(SectionNarrative(part.section, kept))
        if not out:
            raise ModelFailure("no sentence of the narrative kept to the deck's numbers and sections")
        note = (f"{len(dropped)} sentence(s) with a number that is not in the deck were dropped." if dropped else "")
        return out, note, stats

    return run_assist(lambda: offline_narrative(report), OFFLINE_METHOD, with_model if sections else None, model)
