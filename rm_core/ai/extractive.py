"""The offline text methods every AI feature falls back to: sentences, sentence centrality, keyphrases.

Deterministic and local (scikit-learn's TF-IDF, no model): the same text always gives the same output.
"""
from __future__ import annotations

import re

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[\"'(A-Z0-9])|\n+")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'&/-]*")
# words that carry no signal in case notes even though they are not English stop words
NOTE_STOPWORDS = frozenset(ENGLISH_STOP_WORDS | {
    "case", "notes", "note", "seller", "sellers", "account", "accounts", "investigation", "recommend", "day", "days",
    "week", "weeks", "month", "months", "ago", "also", "new", "using", "used", "use", "see", "seen", "saw", "like",
    "just", "later", "earlier", "today", "yesterday", "last", "next", "got", "get", "make", "made", "ve", "ll",
    "about", "within", "per", "via", "one", "two", "three", "four", "five", "six", "opened", "appears", "looks",
    # reporting verbs: they join two content phrases into one run ("buyers said gift cards")
    "said", "says", "say", "report", "reports", "reported", "listed", "lists", "sold", "sells", "changed", "found",
    "showed", "shows", "noticed", "told", "confirmed", "started", "began", "came", "went",
})


def sentences(text: str) -> list[str]:
    """The sentences of `text` in order (blank lines and bullet marks dropped)."""
    parts = [p.strip(" \t-*•") for p in _SENTENCE.split(text or "")]
    return [p for p in parts if len(_WORD.findall(p)) >= 2]


def _tfidf(texts: list[str]) -> np.ndarray:
    try:
        matrix = TfidfVectorizer(stop_words=sorted(NOTE_STOPWORDS), token_pattern=r"(?u)\b[a-zA-Z0-9][a-zA-Z0-9]+\b",
                                 sublinear_tf=True).fit_transform(texts)
    except ValueError:  # nothing but stop words
        return np.zeros((len(texts), 1))
    return matrix.toarray()


def central_sentences(text: str, n: int = 2) -> list[str]:
    """The `n` sentences most similar to the rest of the text (degree centrality over TF-IDF cosine), in the order
    they appear; ties go to the earlier sentence."""
    sents = sentences(text)
    if len(sents) <= n:
        return sents
    vectors = _tfidf(sents)
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, 0.0)
    score = sims.sum(axis=1)
    order = sorted(range(len(sents)), key=lambda i: (-round(float(score[i]), 9), i))[:n]
    return [sents[i] for i in sorted(order)]


def keyphrases(text: str, n: int = 5, max_words: int = 3) -> list[tuple[str, str]]:
    """(phrase, the sentence it came from) for the `n` best keyphrases (RAKE: runs of content words between stop
    words and punctuation, scored by word degree over frequency), best first, one phrase per word set."""
    sents = sentences(text)
    candidates: list[tuple[list[str], int]] = []
    for index, sentence in enumerate(sents):
        for chunk in re.split(r"[,.;:!?()\[\]\"]+", sentence):
            run: list[str] = []
            for word in _WORD.findall(chunk):
                if word.lower() in NOTE_STOPWORDS or word.isdigit():
                    if run:
                        candidates.append((run, index))
                    run = []
                else:
                    run.append(word)
            if run:
                candidates.append((run, index))
    candidates = [(run[:max_words], i) for run, i in candidates if len(run) <= max_words + 1]
    freq: dict[str, int] = {}
    degree: dict[str, int] = {}
    for run, _ in candidates:
        for word in run:
            w = word.lower()
            freq[w] = freq.get(w, 0) + 1
            degree[w] = degree.get(w, 0) + len(run)
    scored: dict[str, tuple[float, str, str]] = {}
    for run, i in candidates:
        key = " ".join(sorted(w.lower() for w in run))
        score = sum(degree[w.lower()] / freq[w.lower()] for w in run)
        if len(run) == 1 and len(run[0]) < 4:
            continue
        if key not in scored or score > scored[key][0]:
            scored[key] = (score, " ".join(run), sents[i])
    best = sorted(scored.values(), key=lambda item: (-item[0], item[1].lower()))
    out: list[tuple[str, str]] = []
    for _, phrase, sentence in best:
        words = set(phrase.lower().split())
        if any(len(words & set(p.lower().split())) * 2 > len(words) for p, _ in out):
            continue  # mostly the words of a phrase already chosen
        out.append((phrase, sentence))
        if len(out) == n:
            break
    return out


def terms(text: str) -> set[str]:
    """The content words of `text`, lower-cased, crudely singular (for overlap checks)."""
    return {w.lower().rstrip("s") for w in _WORD.findall(text or "") if w.lower() not in NOTE_STOPWORDS and len(w) > 2}


def best_sentences(sents: list[str], reference: str, n: int = 1) -> list[str]:
    """The `n` sentences sharing the most content words with `reference` (none when nothing is shared)."""
    ref = terms(reference)
    ranked = sorted(range(len(sents)), key=lambda i: (-len(terms(sents[i]) & ref), i))
    return [sents[i] for i in ranked[:n] if terms(sents[i]) & ref]
