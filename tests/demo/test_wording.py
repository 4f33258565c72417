"""MO write-ups read like many analysts wrote them: varied layouts, sentences and lengths, never one template."""
from __future__ import annotations

import re
from collections import Counter

import pytest

from rm_core.demo import DEMO_ANCHOR
from rm_core.demo.families import CARRIERS, DOCS, FAMILIES
from rm_core.demo.mos import build_mos
from rm_core.demo.vocab import ANALYSTS, MARKETPLACE_NAMES, REQUESTER_TEAMS


@pytest.fixture(scope="module")
def mos():
    return [m.row for m in build_mos(7, DEMO_ANCHOR, 320)]


def _masker():
    """Replace every swappable noun (items, mediums, places, people, numbers, dates) with a placeholder, so
    what remains is the wording itself."""
    nouns = set(DOCS) | set(CARRIERS) | set(MARKETPLACE_NAMES.values()) | {t for t, _ in REQUESTER_TEAMS}
    nouns |= {a for names in ANALYSTS.values() for a in names}
    for fam in FAMILIES:
        nouns |= set(fam.items) | set(fam.mediums) | {fam.name}
    pattern = re.compile("|".join(sorted(map(re.escape, nouns), key=len, reverse=True)), re.I)
    months = r"(January|February|March|April|May|June|July|August|September|October|November|December)"

    def mask(text: str) -> str:
        text = pattern.sub("X", text)
        text = re.sub(r"MO-\d+|\$[\d.,]+[kM]?|\d[\d,.]*", "N", text)
        return re.sub(months, "M", text)

    return mask


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if len(s.strip()) > 25]


def _trigrams(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + 3]) for i in range(len(words) - 2)}


def test_no_two_write_ups_are_the_same_once_nouns_are_masked(mos):
    mask = _masker()
    masked = [mask(m["narrative"]) for m in mos]
    assert len(set(masked)) == len(mos)
    assert len({mask(m["summary"]) for m in mos}) > 0.8 * len(mos)
    assert len({m["title"] for m in mos}) == len(mos)


def test_most_sentences_are_worded_only_once_across_the_repository(mos):
    mask = _masker()
    sentences = [s for m in mos for s in _sentences(mask(m["narrative"]))]
    assert len(sentences) > 3000
    assert len(set(sentences)) / len(sentences) > 0.6
    most_common_share = Counter(sentences).most_common(1)[0][1] / len(mos)
    assert most_common_share < 0.1  # no sentence appears in one write-up out of ten


def test_even_the_closest_pair_of_write_ups_shares_little_phrasing(mos):
    mask = _masker()
    grams = [_trigrams(mask(m["narrative"])) for m in mos]
    closest = max(len(a & b) / len(a | b) for i, a in enumerate(grams) for b in grams[i + 1:])
    assert closest < 0.6


def test_write_ups_come_in_several_layouts_and_lengths(mos):
    def layout(text: str) -> str:
        if text.startswith("## "):
            return "formal"
        if "Timeline" in text.split("\n")[0]:
            return "timeline"
        if text.startswith("**"):
            return "q&a"
        if re.search(r"^(- |\* |-> )", text, re.M) and not re.search(r"^## ", text, re.M) and "\n1. " not in text:
            return "notes"
        if "\n1. " in text:
            return "numbered"
        return "prose"

    layouts = Counter(layout(m["narrative"]) for m in mos)
    assert set(layouts) == {"formal", "timeline", "q&a", "notes", "numbered", "prose"}
    assert min(layouts.values()) >= 15
    lengths = sorted(len(m["narrative"].split()) for m in mos)
    assert lengths[0] < 120 < 200 < lengths[-1]
