"""Keyword (BM25) search over the same chunks as the vector index, rebuilt in memory from the index content."""
from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np

_WORD = re.compile(r"[a-z0-9]+")

STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between
both but by can could did do does doing down during each few for from further had has have having he her here
hers him his how i if in into is it its itself just me more most my no nor not of off on once only or other our
out over own same she should so some such than that the their them then there these they this those through to
too under until up very was we were what when where which while who whom why will with would you your yours
may might must shall via use used using etc e g ie eg one two new get gets got make makes made
""".split())


MAX_QUERY_TERMS = 40


@lru_cache(maxsize=262_144)
def stem(word: str) -> str:
    """A light English suffix stripper: enough to match 'refunds'/'refunded'/'refunding' without a stemmer library."""
    if len(word) <= 4 or word.isdigit():
        return word
    for suffix, keep in (("ization", "ize"), ("ations", "ate"), ("ation", "ate"), ("ities", "ity"), ("iness", "y"),
                         ("ments", ""), ("ment", ""), ("ness", ""), ("ingly", ""), ("edly", ""), ("ings", ""),
                         ("ing", ""), ("ies", "y"), ("ied", "y"), ("ers", "er"), ("sses", "ss"), ("ed", ""),
                         ("ly", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            base = word[: len(word) - len(suffix)] + keep
            if suffix in ("ing", "ed", "ings") and len(base) > 3 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]  # stopped -> stop, shipping -> ship
            word = base
            break
    # a final e goes too, so forge / forged / forging and box / boxes meet on one stem
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


def tokenize(text: str) -> list[str]:
    """Lower-cased, stop words out, lightly stemmed terms."""
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


@dataclass
class KeywordHit:
    mo_id: str
    score: float
    chunk_id: str


@dataclass
class KeywordIndex:
    """BM25 over chunk texts with per-chunk metadata kept beside it so filters mask scores in numpy.

    bm25s cannot add or remove documents: any change marks the index stale and the next search rebuilds it
    (a few seconds at 100,000 MOs, milliseconds at demo sizes).
    """

    chunk_ids: list[str] = field(default_factory=list)
    chunk_mo: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    mo_ids: list[str] = field(default_factory=list)
    metadatas: list[dict[str, Any]] = field(default_factory=list)
    vectors: np.ndarray | None = None   # chunk vectors in chunk order: exact search within a filter
    _retriever: Any = None
    _doc_freq: dict[str, int] = field(default_factory=dict)
    _mask_cache: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def build(cls, entries: Iterable[tuple[str, str, str, dict[str, Any]]],
              vectors: np.ndarray | None = None) -> "KeywordIndex":
        """From (chunk_id, mo_id, keyword_text, metadata) tuples, and optionally their vectors (same order)."""
        import bm25s

        index = cls()
        mo_position: dict[str, int] = {}
        corpus: list[list[str]] = []
        chunk_mo: list[int] = []
        for chunk_id, mo_id, text, metadata in entries:
            if mo_id not in mo_position:
                mo_position[mo_id] = len(index.mo_ids)
                index.mo_ids.append(mo_id)
            index.chunk_ids.append(chunk_id)
            chunk_mo.append(mo_position[mo_id])
            index.metadatas.append(metadata)
            corpus.append(tokenize(text) or ["<empty>"])
        index.chunk_mo = np.asarray(chunk_mo, dtype=np.int64)
        if vectors is not None and len(vectors) == len(index.chunk_ids):
            index.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if corpus:
            retriever = bm25s.BM25(k1=1.2, b=0.75)
            retriever.index(corpus, show_progress=False)
            index._retriever = retriever
            doc_freq: dict[str, int] = {}
            for terms in corpus:
                for term in set(terms):
                    doc_freq[term] = doc_freq.get(term, 0) + 1
            index._doc_freq = doc_freq
        return index

    def known_ids(self) -> dict[str, str]:
        """Upper-cased MO id -> MO id, so a query naming "mo-0142" finds MO-0142 (built once per index)."""
        if not hasattr(self, "_known"):
            self._known = {m.upper(): m for m in self.mo_ids}
        return self._known

    def position(self, chunk_id: str) -> int:
        if not hasattr(self, "_positions"):
            self._positions = {c: i for i, c in enumerate(self.chunk_ids)}
        return self._positions[chunk_id]

    def chunks_of(self, mo_id: str) -> list[str]:
        """Chunk ids of one MO (empty if unknown)."""
        if not hasattr(self, "_by_mo"):
            by_mo: dict[str, list[str]] = {}
            for cid, pos in zip(self.chunk_ids, self.chunk_mo):
                by_mo.setdefault(self.mo_ids[pos], []).append(cid)
            self._by_mo = by_mo
        return self._by_mo.get(mo_id, [])

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def idf(self, term: str) -> float:
        """BM25's idf of a stemmed term; unseen terms weigh like the rarest ones."""
        n = max(len(self.chunk_ids), 1)
        df = self._doc_freq.get(term, 0)
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    def mask(self, key: str, predicate: Callable[[dict[str, Any]], bool]) -> np.ndarray:
        """1.0 for chunks whose metadata passes `predicate` (cached per filter `key`)."""
        if key not in self._mask_cache:
            if len(self._mask_cache) > 64:
                self._mask_cache.clear()
            self._mask_cache[key] = np.fromiter((1.0 if predicate(m) else 0.0 for m in self.metadatas),
                                                dtype=np.float32, count=len(self.metadatas))
        return self._mask_cache[key]

    def nearest(self, vector: np.ndarray, mask: np.ndarray, n: int) -> list[tuple[int, float]]:
        """Exact nearest chunks among those `mask` lets through: (chunk position, cosine), best first.

        Chroma 1.5 evaluates a metadata filter on every query (135-375 ms at 100,000 chunks here), while one
        matrix-vector product over all vectors takes ~10 ms, so filtered searches come here.
        """
        from threadpoolctl import threadpool_limits

        if self.vectors is None or not len(self.chunk_ids):
            return []
        with threadpool_limits(1):
            sims = self.vectors @ np.asarray(vector, dtype=np.float32)
        sims = np.where(mask > 0, sims, -np.inf)
        n = min(n, int((mask > 0).sum()))
        if n <= 0:
            return []
        top = np.argpartition(-sims, n - 1)[:n] if n < len(sims) else np.arange(len(sims))
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(int(i), float(sims[i])) for i in top if np.isfinite(sims[i])]

    def search(self, query: str, k: int = 50, weight_mask: np.ndarray | None = None,
               chunks_per_query: int = 200) -> list[KeywordHit]:
        """Best `k` MOs by their best chunk's BM25 score (0 matches -> empty list)."""
        if self._retriever is None:
            return []
        terms = [t for t in tokenize(query) if t in self._retriever.vocab_dict]
        if not terms:
            return []
        if len(set(terms)) > MAX_QUERY_TERMS:
            # pasted notes: BM25 costs one pass over all documents per term (~0.4 ms each at 100k chunks), and
            # the rarest terms carry the match, so only the most specific ones are scored
            keep = set(sorted(set(terms), key=lambda t: (-self.idf(t), t))[:MAX_QUERY_TERMS])
            terms = [t for t in terms if t in keep]
        scores = self._retriever.get_scores(terms)
        if weight_mask is not None:
            scores = scores * weight_mask
        n = min(chunks_per_query, len(scores))
        top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        best: dict[str, KeywordHit] = {}
        for i in top:
            score = float(scores[i])
            if score <= 0:
                break
            mo_id = self.mo_ids[self.chunk_mo[i]]
            if mo_id not in best:
                best[mo_id] = KeywordHit(mo_id, score, self.chunk_ids[i])
                if len(best) >= k:
                    break
        return list(best.values())
