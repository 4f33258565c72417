"""Before an idea is saved: the existing ideas and roadmap initiatives that say much the same thing.

Texts are embedded with the MO search's embeddings (`rm_core.mos.embeddings.get_embeddings`: all-MiniLM-L6-v2,
or the hash stand-in under RM_EMBEDDINGS=hash), so "similar" means the same here as on the MO page. Ideas and
initiatives number in the hundreds, so they are compared exactly (one matrix product); each text's vector is kept
per process by content hash, and only new or edited texts are embedded again.
"""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select

from rm_core.intake.ideas import STATUS_LABELS
from rm_core.mos.embeddings import encode, get_embeddings
from rm_core.settings import get_settings
from rm_core.store.db import read_session
from rm_core.store.models import Initiative, IntakeIdea

# cosine at or above which a record is shown as a possible duplicate, per embedding (measured on the demo
# initiatives): MiniLM put paraphrases at 0.82-0.88 and the next closest at 0.48 or less; the hash stand-in at
# 0.39-0.49 against 0.22 or less (it only sees shared words)
THRESHOLDS = {"local": 0.6, "hash": 0.35}
LIMIT = 5
_CACHE_MAX = 50_000
_VECTORS: dict[tuple[str, str], np.ndarray] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class SimilarRecord:
    kind: str       # idea | initiative
    id: str
    title: str
    status: str     # the idea's or the initiative's status, in words
    score: float    # cosine similarity, 0-1

    @property
    def label(self) -> str:
        return "Idea" if self.kind == "idea" else "Roadmap initiative"


def idea_text(title: str, problem: str = "", proposed_change: str = "") -> str:
    return "\n".join(p.strip() for p in (title, problem, proposed_change) if p and p.strip())


def _vectors(texts: list[str]) -> np.ndarray:
    settings = get_settings()
    embeddings = get_embeddings(settings)
    keys = [(settings.embeddings, hashlib.sha1(t.encode("utf-8")).hexdigest()) for t in texts]
    with _LOCK:
        missing = [i for i, k in enumerate(keys) if k not in _VECTORS]
    if missing:
        fresh = encode(embeddings, [texts[i] for i in missing])
        with _LOCK:
            if len(_VECTORS) + len(missing) > _CACHE_MAX:
                _VECTORS.clear()
            for i, vec in zip(missing, fresh):
                _VECTORS[keys[i]] = vec
    with _LOCK:
        return np.stack([_VECTORS[k] for k in keys]) if keys else np.zeros((0, 1), dtype=np.float32)


def similar_records(title: str, problem: str = "", proposed_change: str = "", *, exclude: str | None = None,
                    limit: int = LIMIT, threshold: float | None = None) -> list[SimilarRecord]:
    """Ideas (not merged ones: they live on in another) and initiatives at or above the threshold, most similar
    first; `exclude` leaves one idea out (the one being triaged)."""
    query = idea_text(title, problem, proposed_change)
    if not query:
        return []
    with read_session() as s:
        candidates = [("idea", i.id, i.title, STATUS_LABELS[i.status], idea_text(i.title, i.problem,
                                                                                  i.proposed_change))
                      for i in s.scalars(select(IntakeIdea).where(IntakeIdea.status != "merged")
                                         .order_by(IntakeIdea.id)) if i.id != exclude]
        candidates += [("initiative", i.id, i.title, i.status.replace("_", " "),
                        idea_text(i.title, i.description or ""))
                       for i in s.scalars(select(Initiative).order_by(Initiative.id))]
    if not candidates:
        return []
    from threadpoolctl import threadpool_limits

    vectors = _vectors([query] + [c[4] for c in candidates])
    with threadpool_limits(1):  # one BLAS thread: see STACK_NOTES (2 shared cores)
        scores = vectors[1:] @ vectors[0]
    cut = THRESHOLDS.get(get_settings().embeddings, 0.6) if threshold is None else threshold
    order = np.argsort(-scores, kind="stable")
    out = []
    for i in order[:max(limit, 0)]:
        if scores[i] < cut:
            break
        kind, rid, rtitle, status, _ = candidates[int(i)]
        out.append(SimilarRecord(kind, rid, rtitle, status, round(float(scores[i]), 3)))
    return out


def similar_to_idea(idea_id: str, *, limit: int = LIMIT) -> list[SimilarRecord]:
    """For triage: what an existing idea resembles (itself left out)."""
    from rm_core.intake.ideas import get_idea

    idea = get_idea(idea_id).idea
    return similar_records(idea.title, idea.problem, idea.proposed_change, exclude=idea.id, limit=limit)
