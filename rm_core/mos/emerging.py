"""Emerging patterns: recent case notes and requests linked to no MO, clustered, ranked by growth and by distance
from every known MO — what investigators keep seeing that the repository does not describe yet.

Notes are embedded with the same model as MO search and clustered with scikit-learn's HDBSCAN (clusters of any
number and shape, and notes that belong to none are left out as noise rather than forced into a cluster).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from sqlalchemy import func, select

from rm_core.mos.case_notes import case_notes_since
from rm_core.store.db import read_session
from rm_core.store.models import CaseNote, Request

MIN_CLUSTER = 5        # fewer notes than this are not a pattern yet
EXAMPLES = 5           # notes shown per cluster (the ones nearest its centre)
NEAREST_MOS = 3
DEFAULT_WEEKS = 12     # the window when no start date is given
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Note:
    source: str          # "case note" | "request"
    ref: str             # case id or request id
    opened_at: dt.datetime
    text: str
    marketplace: str = ""
    site: str = ""


@dataclass(frozen=True)
class WeekCount:
    week_start: dt.date  # Monday
    notes: int


@dataclass(frozen=True)
class NearMO:
    mo_id: str
    title: str
    score: float


@dataclass(frozen=True)
class EmergingCluster:
    """One cluster. `distance` is 1 - the cosine of its centre to the nearest MO (higher: further from everything
    the repository knows); `growth` compares the later half of the window with the earlier half, -1..1 (1: all
    notes in the later half); `score` = distance x (1 + growth), what clusters are ranked by."""

    rank: int
    label: str                  # the words that set this cluster apart
    size: int
    growth: float
    distance: float
    score: float
    weeks: list[WeekCount]
    examples: list[Note]
    members: list[str]          # refs of every note in it
    verdict: str = ""           # known | related | new, from "is this a known MO?" on the examples
    reason: str = ""
    nearest: list[NearMO] = field(default_factory=list)

    @property
    def draft_notes(self) -> str:
        """The example notes as one text, blank lines between them (what drafting an MO starts from)."""
        return "\n\n".join(n.text for n in self.examples)

    @property
    def draft_title(self) -> str:
        return f"Emerging: {self.label}"[:300]

    def public(self) -> dict[str, Any]:
        return {"rank": self.rank, "label": self.label, "size": self.size, "growth": round(self.growth, 4),
                "distance": round(self.distance, 4), "score": round(self.score, 4),
                "weeks": [{"week_start": w.week_start.isoformat(), "notes": w.notes} for w in self.weeks],
                "examples": [{"source": n.source, "ref": n.ref, "opened_at": n.opened_at.isoformat(),
                              "text": n.text} for n in self.examples],
                "members": self.members, "verdict": self.verdict,
                "nearest_mos": [{"mo_id": m.mo_id, "title": m.title, "score": round(m.score, 4)}
                                for m in self.nearest]}


@dataclass(frozen=True)
class EmergingReport:
    since: dt.datetime
    notes: int                  # notes considered
    unclustered: int            # notes in no cluster
    clusters: list[EmergingCluster]

    def public(self) -> dict[str, Any]:
        return {"since": self.since.date().isoformat(), "notes": self.notes, "unclustered": self.unclustered,
                "clusters": [c.public() for c in self.clusters]}


def default_since(today: dt.date | None = None) -> dt.date:
    """DEFAULT_WEEKS before the newest note (so a demo world dated in the past still shows its recent weeks)."""
    with read_session() as s:
        newest = [s.scalar(select(func.max(CaseNote.opened_at))),
                  s.scalar(select(func.max(Request.opened_at)).where(Request.mo_id.is_(None)))]
    newest_day = max((n.date() for n in newest if n is not None), default=today or dt.date.today())
    return newest_day - dt.timedelta(weeks=DEFAULT_WEEKS)


def unlinked_notes(since: dt.datetime) -> list[Note]:
    """Case notes opened since `since`, and requests opened since then that are linked to no MO."""
    notes = [Note("case note", n.case_id, n.opened_at, n.text, n.marketplace, n.site) for n in case_notes_since(since)]
    with read_session() as s:
        for r in s.scalars(select(Request).where(Request.mo_id.is_(None), Request.opened_at >= since)
                           .order_by(Request.opened_at)):
            text = f"{r.title}. {r.description}".strip() if r.description else r.title
            notes.append(Note("request", r.id, r.opened_at, text, "", r.site))
    return notes


def notes_version(since: dt.datetime) -> str:
    """A token that changes whenever the notes `emerging_patterns(since)` reads change (page cache key)."""
    digest = hashlib.sha256()
    for n in unlinked_notes(since):
        digest.update(f"{n.source}\x1f{n.ref}\x1f{n.opened_at.isoformat()}\x1f{n.text}\x1e".encode())
    return digest.hexdigest()[:16]


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _weeks(notes: list[Note], first: dt.date, last: dt.date) -> list[WeekCount]:
    counts = Counter(_monday(n.opened_at.date()) for n in notes)
    out, week = [], _monday(first)
    while week <= last:
        out.append(WeekCount(week, counts.get(week, 0)))
        week += dt.timedelta(days=7)
    return out


def _growth(notes: list[Note], first: dt.date, last: dt.date) -> float:
    middle = first + (last - first) / 2
    later = sum(n.opened_at.date() > middle for n in notes)
    earlier = len(notes) - later
    return (later - earlier) / max(len(notes), 1)


def _labels(texts: list[str], groups: list[list[int]], words: int = 4) -> list[str]:
    """The words most particular to each group (in many of its notes, few of the others)."""
    from rm_core.mos.keyword import tokenize

    docs = [set(tokenize(t)) for t in texts]
    frequency = Counter(w for d in docs for w in d)
    total = len(docs)
    out = []
    for members in groups:
        inside = Counter(w for i in members for w in docs[i])
        scored = sorted(((inside[w] / len(members)) * math.log(total / frequency[w]), w)
                        for w in inside if len(w) > 2 and inside[w] >= max(2, len(members) // 4))
        out.append(", ".join(w for _, w in sorted(scored, reverse=True)[:words]) or "mixed notes")
    return out


def _examples(vectors: np.ndarray, members: list[int], centre: np.ndarray, count: int = EXAMPLES) -> list[int]:
    """Notes near the cluster's centre that differ from each other (the nearest first, then each next one trading
    closeness to the centre against likeness to those already picked), so examples are not five copies."""
    closeness = {i: float(vectors[i] @ centre) for i in members}
    chosen = [max(members, key=lambda i: (closeness[i], -i))]
    while len(chosen) < min(count, len(members)):
        rest = [i for i in members if i not in chosen]
        chosen.append(max(rest, key=lambda i: (closeness[i] - max(float(vectors[i] @ vectors[j]) for j in chosen),
                                               -i)))
    return chosen


def emerging_patterns(engine: Any, since: dt.date | dt.datetime | None = None, limit: int = 10,
                      progress: Progress | None = None) -> EmergingReport:
    """The recent unlinked notes, clustered, best `limit` clusters first (see EmergingCluster for the ranking);
    each with its weekly sizes, examples, and the nearest MOs with the "is this a known MO?" verdict."""
    from sklearn.cluster import HDBSCAN

    from rm_core.mos.embeddings import encode

    report = progress or (lambda fraction, message: None)
    since = since or default_since()
    start = since if isinstance(since, dt.datetime) else dt.datetime.combine(since, dt.time())
    notes = unlinked_notes(start)
    if len(notes) < MIN_CLUSTER:
        return EmergingReport(start, len(notes), len(notes), [])
    report(0.05, f"Reading {len(notes):,} notes")
    vectors = encode(engine.embeddings, [n.text for n in notes])
    report(0.45, "Finding clusters")
    labels = HDBSCAN(min_cluster_size=MIN_CLUSTER, min_samples=3, copy=True).fit_predict(vectors)
    if (labels == -1).all():
        # HDBSCAN never returns the whole set as one cluster unless allowed: a few notes that all describe one
        # thing are one pattern, not noise (allowed only here, or it swallows real clusters into one)
        labels = HDBSCAN(min_cluster_size=MIN_CLUSTER, min_samples=3, allow_single_cluster=True,
                         copy=True).fit_predict(vectors)
    groups = [np.flatnonzero(labels == c).tolist() for c in sorted(set(labels.tolist()) - {-1})]
    if not groups:
        return EmergingReport(start, len(notes), len(notes), [])
    report(0.6, "Comparing clusters with the known MOs")
    mo_ids, titles, mo_matrix = engine.mo_vectors()
    first = start.date()
    last = max(n.opened_at.date() for n in notes)
    names = _labels([n.text for n in notes], groups)
    ranked = []
    for members, name in zip(groups, names):
        centre = vectors[members].mean(axis=0)
        centre /= np.linalg.norm(centre) or 1.0
        closest = float((mo_matrix @ centre).max()) if len(mo_ids) else 0.0
        distance = min(1.0, max(0.0, 1.0 - closest))
        in_cluster = [notes[i] for i in members]
        growth = _growth(in_cluster, first, last)
        ranked.append(dict(label=name, size=len(members), growth=growth, distance=distance,
                           score=distance * (1.0 + growth), weeks=_weeks(in_cluster, first, last),
                           examples=[notes[i] for i in _examples(vectors, members, centre)],
                           members=[notes[i].ref for i in sorted(members, key=lambda i: notes[i].opened_at)]))
    ranked.sort(key=lambda c: (-c["score"], -c["size"], c["label"]))
    clusters = []
    shown = ranked[:limit]
    for rank, c in enumerate(shown, start=1):
        report(0.65 + 0.35 * (rank - 1) / len(shown), f"Checking cluster {rank} of {len(shown)} against the MOs")
        verdict, reason, nearest = "", "", []
        if len(mo_ids):
            match = engine.match("\n\n".join(n.text for n in c["examples"]), k=NEAREST_MOS)
            verdict, reason = match.verdict, match.reason
            nearest = [NearMO(m.mo_id, m.title, m.score) for m in match.matches]
        clusters.append(EmergingCluster(rank=rank, verdict=verdict, reason=reason, nearest=nearest, **c))
    report(1.0, "Done")
    return EmergingReport(start, len(notes), int((labels == -1).sum()), clusters)
