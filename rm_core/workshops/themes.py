"""Suggested themes: cluster the ideas' embeddings and name each cluster with class-based TF-IDF terms.

Deterministic and offline: the same ideas give the same themes and labels on every run. Vectors come from the
workbench's embeddings (`rm_core.mos.embeddings.get_embeddings`); if those cannot load, TF-IDF vectors are used
instead, and `ThemeSuggestions.vectors` says which.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select

from rm_core.settings import Settings, get_settings
from rm_core.store.db import read_session
from rm_core.store.models import Idea
from rm_core.workshops._guards import load_session

log = logging.getLogger(__name__)

MAX_THEMES = 8
LABEL_TERMS = 2
LABEL_METHOD = "class-based TF-IDF (c-TF-IDF) keywords"


@dataclass(frozen=True)
class SuggestedTheme:
    label: str
    keywords: list[str]
    idea_ids: list[int]


@dataclass(frozen=True)
class ThemeSuggestions:
    themes: list[SuggestedTheme]
    vectors: str  # which vectors clustered the ideas: "embeddings (hash)", "embeddings (local)" or "TF-IDF"
    labels: str = LABEL_METHOD


def tfidf_vectors(texts: list[str]) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer

    matrix = TfidfVectorizer(stop_words="english", ngram_range=(1, 2), sublinear_tf=True).fit_transform(texts)
    return matrix.toarray().astype(np.float32)


def cluster(vectors: np.ndarray, k: int | None = None, max_themes: int = MAX_THEMES) -> list[int]:
    """Cluster labels per row: average-linkage agglomerative clustering on cosine distance (deterministic);
    when `k` is not given, the k in 2..max_themes with the best silhouette wins (ties: fewer themes)."""
    n = len(vectors)
    if n == 0:
        return []
    if n < 3:
        return [0] * n
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics import silhouette_score

    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.where(norms == 0, 1, norms)
    if k is not None:
        k = max(1, min(k, n))
        if k == 1:
            return [0] * n
        return _canonical(AgglomerativeClustering(n_clusters=k, metric="cosine", linkage="average")
                          .fit_predict(unit).tolist())
    best: tuple[float, list[int]] | None = None
    for candidate in range(2, min(max_themes, n - 1) + 1):
        labels = AgglomerativeClustering(n_clusters=candidate, metric="cosine", linkage="average").fit_predict(unit)
        if len(set(labels.tolist())) < 2:
            continue
        score = float(silhouette_score(unit, labels, metric="cosine"))
        if best is None or score > best[0] + 1e-9:
            best = (score, labels.tolist())
    return _canonical(best[1]) if best else [0] * n


def _canonical(labels: list[int]) -> list[int]:
    """Number clusters in order of first appearance, so equal partitions print equally."""
    order: dict[int, int] = {}
    return [order.setdefault(label, len(order)) for label in labels]


def ctfidf_keywords(texts: list[str], labels: list[int], top: int = 15) -> dict[int, list[tuple[str, float]]]:
    """The terms that best tell each cluster apart, best first, with their weight: c-TF-IDF (term frequency in
    the cluster's joined text, times log(1 + average words per cluster / term frequency across all clusters));
    ties alphabetical."""
    from sklearn.feature_extraction.text import CountVectorizer

    clusters = sorted(set(labels))
    docs = [" ".join(t for t, lab in zip(texts, labels) if lab == c) for c in clusters]
    try:
        vectorizer = CountVectorizer(stop_words="english", ngram_range=(1, 2),
                                     token_pattern=r"(?u)\b[a-zA-Z][\w-]+\b")
        counts = vectorizer.fit_transform(docs).toarray().astype(float)
    except ValueError:  # only stop words: nothing to name the clusters with
        return {c: [] for c in clusters}
    terms = vectorizer.get_feature_names_out()
    words_per_cluster = counts.sum(axis=1)
    term_freq = counts.sum(axis=0)
    tf = counts / np.where(words_per_cluster == 0, 1, words_per_cluster)[:, None]
    weights = tf * np.log1p(words_per_cluster.mean() / term_freq)
    result = {}
    for row, c in enumerate(clusters):
        ranked = sorted((-round(float(weights[row, j]), 12), str(terms[j])) for j in np.nonzero(counts[row])[0])
        result[c] = [(term, -w) for w, term in ranked[:top]]
    return result


def label_from(ranked: list[tuple[str, float]], terms: int = LABEL_TERMS) -> str:
    """A short theme name from the best-ranked terms. A word is shown inside a phrase that weighs nearly as much
    ("account" → "bank account"), and terms sharing a word with one already chosen are skipped, so names read
    "Bank account · Payout", not "Account · Bank"."""
    chosen: list[str] = []
    for term, weight in ranked:
        if " " not in term:
            phrase = next((p for p, w in ranked if " " in p and term in p.split() and w >= 0.8 * weight
                           and not any(set(p.split()) & set(c.split()) for c in chosen)), None)
            term = phrase or term
        if any(set(term.split()) & set(c.split()) for c in chosen):
            continue
        chosen.append(term)
        if len(chosen) == terms:
            break
    if not chosen:
        return "Other ideas"
    return " · ".join(c[0].upper() + c[1:] for c in chosen)


def suggest(texts: list[str], ids: list[int], vectors: np.ndarray, k: int | None = None) -> list[SuggestedTheme]:
    """Themes for the given ideas, biggest first (ties: the one holding the oldest idea first)."""
    labels = cluster(vectors, k)
    keywords = ctfidf_keywords(texts, labels)
    themes = []
    for c in sorted(set(labels)):
        members = [i for i, lab in zip(ids, labels) if lab == c]
        themes.append(SuggestedTheme(label_from(keywords[c]), [term for term, _ in keywords[c][:5]], members))
    themes.sort(key=lambda t: (-len(t.idea_ids), min(t.idea_ids)))
    seen: dict[str, int] = {}
    unique = []
    for t in themes:  # two clusters can share their best words; number them so names stay distinct
        n = seen[t.label] = seen.get(t.label, 0) + 1
        unique.append(t if n == 1 else SuggestedTheme(f"{t.label} ({n})", t.keywords, t.idea_ids))
    return unique


def embed(texts: list[str], settings: Settings | None = None) -> tuple[np.ndarray, str]:
    """Vectors for the texts and which kind they are (embeddings, else TF-IDF)."""
    settings = settings or get_settings()
    try:
        from rm_core.mos.embeddings import encode, get_embeddings

        return encode(get_embeddings(settings), texts), f"embeddings ({settings.embeddings})"
    except (ImportError, RuntimeError, OSError, ValueError) as exc:
        log.warning("embeddings unavailable (%s); clustering on TF-IDF vectors", exc)
        return tfidf_vectors(texts), "TF-IDF"


def suggest_for_session(session_id: int, *, k: int | None = None, only_ungrouped: bool = True,
                        settings: Settings | None = None) -> ThemeSuggestions:
    """Suggested themes for a session's ideas (by default the ones nobody has grouped yet). Reads only."""
    with read_session() as s:
        ws = load_session(s, session_id)
        query = select(Idea.id, Idea.text).where(Idea.session_id == ws.id).order_by(Idea.id)
        if only_ungrouped:
            query = query.where(Idea.theme_id.is_(None))
        rows = s.execute(query).all()
    if not rows:
        return ThemeSuggestions([], "none")
    texts, ids = [r.text for r in rows], [r.id for r in rows]
    vectors, kind = embed(texts, settings)
    return ThemeSuggestions(suggest(texts, ids, vectors, k), kind)

