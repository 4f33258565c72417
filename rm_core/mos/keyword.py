"""Keyword (BM25) search over the same chunks as the vector index, patched in memory write by write."""
from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass
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


K1, B = 1.2, 0.75  # BM25 (Lucene variant, as bm25s scores it): the usual defaults


class _Store:
    """Append-only storage shared by successive versions of one index: a version reads only its first `n`
    slots, so an older version a search still holds never sees later appends."""

    def __init__(self, capacity: int, dim: int | None):
        self.chunk_ids: list[str] = []
        self.metadatas: list[dict[str, Any]] = []
        self.mo_ids: list[str] = []
        self.mo_position: dict[str, int] = {}
        self.vocab: dict[str, int] = {}
        self.chunk_mo = np.zeros(capacity, dtype=np.int64)
        self.lengths = np.zeros(capacity, dtype=np.float32)
        self.vectors = np.zeros((capacity, dim), dtype=np.float32) if dim else None
        self.delta_terms: list[tuple[np.ndarray, np.ndarray]] = []  # (term ids, tf) of slots after the base
        self.n = 0

    def reserve(self, extra: int) -> None:
        need = self.n + extra
        if need <= len(self.chunk_mo):
            return
        capacity = max(need, int(len(self.chunk_mo) * 1.25) + 64)
        # new buffers, not resized ones: older versions keep viewing the old buffers
        for name in ("chunk_mo", "lengths"):
            old = getattr(self, name)
            new = np.zeros(capacity, dtype=old.dtype)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)
        if self.vectors is not None:
            new = np.zeros((capacity, self.vectors.shape[1]), dtype=np.float32)
            new[: self.n] = self.vectors[: self.n]
            self.vectors = new

    def mo(self, mo_id: str) -> int:
        if mo_id not in self.mo_position:
            self.mo_position[mo_id] = len(self.mo_ids)
            self.mo_ids.append(mo_id)
        return self.mo_position[mo_id]


def _terms_of(text: str, vocab: dict[str, int]) -> list[int]:
    return [vocab.setdefault(t, len(vocab)) for t in (tokenize(text) or ["<empty>"])]


def _postings(doc_terms: list[tuple[np.ndarray, np.ndarray]], offset: int, n_terms: int):
    """Term-major (CSC) tf matrix of some consecutive slots starting at `offset`: (indptr, slots, tf)."""
    from scipy import sparse

    if not doc_terms:
        return np.zeros(n_terms + 1, dtype=np.int64), np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
    rows = np.repeat(np.arange(offset, offset + len(doc_terms), dtype=np.int32),
                     [len(t) for t, _ in doc_terms])
    cols = np.concatenate([t for t, _ in doc_terms]).astype(np.int32)
    tf = np.concatenate([f for _, f in doc_terms]).astype(np.float32)
    matrix = sparse.csc_matrix((tf, (rows - offset, cols)), shape=(len(doc_terms), n_terms))
    matrix.sort_indices()
    return matrix.indptr.astype(np.int64), (matrix.indices + offset).astype(np.int32), matrix.data


class KeywordIndex:
    """BM25 over chunk texts, kept in step with the vector index write by write, with per-chunk metadata and
    vectors beside it so filters mask scores (and exact filtered dense search runs) in numpy.

    Chunks live in numbered slots (`chunk_ids`, `chunk_mo`, `metadatas`, `vectors` share the numbering). A
    change (`patched`) does not rebuild anything: it marks the slots of replaced or deleted chunks dead and
    appends the new chunks after the last slot, returning a NEW version (the old one stays valid for searches
    still running on it; both share the append-only storage). Scores are exact: term frequencies are stored,
    not precomputed BM25 weights, and the idf / average length statistics are those of the live chunks at query
    time, so a patched index scores like one rebuilt from scratch over the same chunks (tested). Term postings
    are kept in two parts: a base built at `build` / `compacted` time, and a small delta of appended slots
    rebuilt on each patch; once the delta or the dead slots pass `COMPACT_SHARE` of the index, `needs_compaction`
    says so and `compacted` rebuilds a dense base from memory (no Chroma reads, no embedding).
    """

    COMPACT_SHARE = 0.05
    COMPACT_MIN = 1000

    def __init__(self, store: _Store, n: int, live: np.ndarray, df: np.ndarray, base_n: int,
                 base: tuple, base_rows: tuple, delta: tuple, total_length: float,
                 positions: dict[str, int], by_mo: dict[str, list[int]], known: dict[str, str],
                 masks: dict[str, np.ndarray] | None = None):
        self._store = store
        self.n = n
        self.live = live
        self._df = df
        self._base_n = base_n
        self._base = base            # (indptr, slots, tf) of slots < base_n, term-major
        self._base_rows = base_rows  # (indptr, term ids, tf) of slots < base_n, slot-major (to undo df on removal)
        self._delta = delta          # (indptr, slots, tf) of slots base_n..n-1, term-major
        self._total_length = total_length
        self._positions = positions  # chunk id -> live slot
        self._by_mo = by_mo          # mo id -> live slots, in chunk order
        self._known = known          # upper-cased mo id -> mo id, live MOs only
        self._mask_cache: dict[str, np.ndarray] = dict(masks or {})
        self._live_f32: np.ndarray | None = None
        self._norm: np.ndarray | None = None

    # -- the fields searches read (slot-numbered; dead slots are masked out by `live`) ------------------------

    @property
    def chunk_ids(self) -> list[str]:
        return self._store.chunk_ids

    @property
    def metadatas(self) -> list[dict[str, Any]]:
        return self._store.metadatas

    @property
    def mo_ids(self) -> list[str]:
        return self._store.mo_ids

    @property
    def chunk_mo(self) -> np.ndarray:
        return self._store.chunk_mo[: self.n]

    @property
    def vectors(self) -> np.ndarray | None:
        """Chunk vectors by slot (exact search within a filter); None when built without vectors."""
        return None if self._store.vectors is None else self._store.vectors[: self.n]

    @property
    def live_count(self) -> int:
        return int(len(self._positions))

    # -- building ---------------------------------------------------------------------------------------------

    @classmethod
    def build(cls, entries: Iterable[tuple[str, str, str, dict[str, Any]]],
              vectors: np.ndarray | None = None) -> "KeywordIndex":
        """From (chunk_id, mo_id, keyword_text, metadata) tuples, and optionally their vectors (same order)."""
        from scipy import sparse

        entries = list(entries)
        n = len(entries)
        with_vectors = vectors is not None and len(vectors) == n and n > 0
        store = _Store(n + max(64, n // 50), vectors.shape[1] if with_vectors else None)
        term_ids: list[int] = []
        lengths = np.zeros(n, dtype=np.float32)
        for i, (chunk_id, mo_id, text, metadata) in enumerate(entries):
            terms = _terms_of(text, store.vocab)
            term_ids.extend(terms)
            lengths[i] = len(terms)
            store.chunk_ids.append(chunk_id)
            store.metadatas.append(metadata)
            store.chunk_mo[i] = store.mo(mo_id)
        store.lengths[:n] = lengths
        if with_vectors:
            store.vectors[:n] = vectors
        store.n = n
        rows = np.repeat(np.arange(n, dtype=np.int32), lengths.astype(np.int64))
        counts = sparse.csr_matrix((np.ones(len(term_ids), dtype=np.float32),
                                    (rows, np.asarray(term_ids, dtype=np.int32))), shape=(n, len(store.vocab)))
        counts.sum_duplicates()
        return cls._from_counts(store, counts, np.ones(n, dtype=bool))

    @classmethod
    def _from_counts(cls, store: _Store, counts: Any, live: np.ndarray) -> "KeywordIndex":
        """A compact version whose base holds every slot of `store` (all `counts` rows, slot order)."""
        counts = counts.tocsr()
        counts.sort_indices()
        csc = counts.tocsc()
        csc.sort_indices()
        n = counts.shape[0]
        df = np.bincount(counts.indices, minlength=len(store.vocab)).astype(np.int64)
        positions: dict[str, int] = {}
        by_mo: dict[str, list[int]] = {}
        for slot, (chunk_id, mo) in enumerate(zip(store.chunk_ids, store.chunk_mo[:n].tolist())):
            positions[chunk_id] = slot
            by_mo.setdefault(store.mo_ids[mo], []).append(slot)
        known = {m.upper(): m for m in by_mo}
        empty = (np.zeros(len(store.vocab) + 1, dtype=np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32))
        return cls(store, n, live, df, n,
                   (csc.indptr.astype(np.int64), csc.indices.astype(np.int32), csc.data.astype(np.float32)),
                   (counts.indptr.astype(np.int64), counts.indices.astype(np.int32), counts.data.astype(np.float32)),
                   empty, float(store.lengths[:n].sum()), positions, by_mo, known)

    def patched(self, removed_mos: Iterable[str], entries: list[tuple[str, str, str, dict[str, Any]]],
                vectors: np.ndarray | None = None) -> "KeywordIndex":
        """A new version with every chunk of `removed_mos` and of the MOs in `entries` gone, then `entries`
        (chunk_id, mo_id, keyword_text, metadata) added with their `vectors` (same order)."""
        store = self._store
        if store.n != self.n:
            raise RuntimeError("only the newest version of a keyword index can be patched")
        live = self.live.copy()
        df = self._df
        positions, by_mo, known = dict(self._positions), dict(self._by_mo), dict(self._known)
        total_length = self._total_length
        gone = set(removed_mos) | {e[1] for e in entries}
        dead = [slot for mo_id in gone for slot in by_mo.pop(mo_id, [])]
        for mo_id in gone:
            known.pop(mo_id.upper(), None)
        if dead:
            live[dead] = False
            for slot in dead:
                positions.pop(store.chunk_ids[slot], None)
            df = df.copy()
            np.subtract.at(df, self._terms_of_slots(dead), 1)
            total_length -= float(store.lengths[dead].sum())
        if entries:
            m = len(entries)
            if store.vectors is None and store.n == 0 and vectors is not None and len(vectors) == m:
                store.vectors = np.zeros((0, np.asarray(vectors).shape[1]), dtype=np.float32)
                store.chunk_mo, store.lengths = store.chunk_mo[:0], store.lengths[:0]
            store.reserve(m)
            start = store.n
            for offset, (chunk_id, mo_id, text, metadata) in enumerate(entries):
                slot = start + offset
                terms = np.asarray(_terms_of(text, store.vocab), dtype=np.int32)
                unique, tf = np.unique(terms, return_counts=True)
                store.delta_terms.append((unique.astype(np.int32), tf.astype(np.float32)))
                store.chunk_ids.append(chunk_id)
                store.metadatas.append(metadata)
                store.chunk_mo[slot] = store.mo(mo_id)
                store.lengths[slot] = len(terms)
                total_length += len(terms)
                positions[chunk_id] = slot
                by_mo[mo_id] = by_mo.get(mo_id, []) + [slot]
                known[mo_id.upper()] = mo_id
            if store.vectors is not None:
                if vectors is None or len(vectors) != m:
                    raise ValueError("this index keeps chunk vectors: patch it with the new chunks' vectors")
                store.vectors[start:start + m] = vectors
            store.n = start + m
            live = np.concatenate([live, np.ones(m, dtype=bool)])
            grown = np.zeros(len(store.vocab), dtype=np.int64)
            grown[: len(df)] = df
            for unique, _ in store.delta_terms[-m:]:
                grown[unique] += 1
            df = grown
        n = store.n
        delta = _postings(store.delta_terms[: n - self._base_n], self._base_n, len(store.vocab))
        return KeywordIndex(store, n, live, df, self._base_n, self._base, self._base_rows, delta, total_length,
                            positions, by_mo, known, self._mask_cache)

    def _terms_of_slots(self, slots: list[int]) -> np.ndarray:
        indptr, terms, _ = self._base_rows
        parts = []
        for slot in slots:
            if slot < self._base_n:
                parts.append(terms[indptr[slot]:indptr[slot + 1]])
            else:
                parts.append(self._store.delta_terms[slot - self._base_n][0])
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)

    @property
    def needs_compaction(self) -> bool:
        waste = (self.n - self._base_n) + (self.n - self.live_count)
        return waste > max(self.COMPACT_MIN, self.COMPACT_SHARE * self.live_count)

    def compacted(self) -> "KeywordIndex":
        """The same live chunks in a fresh, dense index (dead slots dropped, delta merged into the base), in the
        order a rebuild from the vector index uses (MO id, chunk position)."""
        from scipy import sparse

        store = self._store
        slots = [s for s in self._positions.values()]
        slots.sort(key=lambda s: (store.mo_ids[store.chunk_mo[s]], store.metadatas[s].get("position", 0), s))
        dim = store.vectors.shape[1] if store.vectors is not None else None
        fresh = _Store(len(slots) + max(64, len(slots) // 50), dim)
        fresh.vocab = dict(store.vocab)
        rows_indptr, rows_terms, rows_tf = self._base_rows
        indptr, terms, tfs = [0], [], []
        for new, slot in enumerate(slots):
            if slot < self._base_n:
                lo, hi = rows_indptr[slot], rows_indptr[slot + 1]
                t, f = rows_terms[lo:hi], rows_tf[lo:hi]
            else:
                t, f = store.delta_terms[slot - self._base_n]
            terms.append(t)
            tfs.append(f)
            indptr.append(indptr[-1] + len(t))
            fresh.chunk_ids.append(store.chunk_ids[slot])
            fresh.metadatas.append(store.metadatas[slot])
            fresh.chunk_mo[new] = fresh.mo(store.mo_ids[store.chunk_mo[slot]])
        n = len(slots)
        fresh.n = n
        if n:
            index = np.asarray(slots)
            fresh.lengths[:n] = store.lengths[index]
            if dim:
                fresh.vectors[:n] = store.vectors[index]
        counts = sparse.csr_matrix(
            (np.concatenate(tfs) if tfs else np.zeros(0, np.float32),
             np.concatenate(terms) if terms else np.zeros(0, np.int32), np.asarray(indptr, dtype=np.int64)),
            shape=(n, len(fresh.vocab)))
        return KeywordIndex._from_counts(fresh, counts, np.ones(n, dtype=bool))

    # -- lookups ----------------------------------------------------------------------------------------------

    def known_ids(self) -> dict[str, str]:
        """Upper-cased MO id -> MO id of the MOs in the index, so a query naming "mo-0142" finds MO-0142."""
        return self._known

    def position(self, chunk_id: str) -> int:
        """The slot of a live chunk."""
        return self._positions[chunk_id]

    def chunks_of(self, mo_id: str) -> list[str]:
        """Chunk ids of one MO (empty if unknown or removed)."""
        return [self._store.chunk_ids[s] for s in self._by_mo.get(mo_id, [])]

    def __len__(self) -> int:
        """Live chunks."""
        return self.live_count

    def idf(self, term: str) -> float:
        """BM25's idf of a stemmed term over the live chunks; unseen terms weigh like the rarest ones."""
        n = max(self.live_count, 1)
        t = self._store.vocab.get(term)
        df = int(self._df[t]) if t is not None and t < len(self._df) else 0
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    def mask(self, key: str, predicate: Callable[[dict[str, Any]], bool]) -> np.ndarray:
        """1.0 for live chunks whose metadata passes `predicate` (the metadata part cached per filter `key`)."""
        cached = self._mask_cache.get(key)
        if cached is None or len(cached) < self.n:
            done = 0 if cached is None else len(cached)
            fresh = np.fromiter((1.0 if predicate(m) else 0.0 for m in self._store.metadatas[done:self.n]),
                                dtype=np.float32, count=self.n - done)
            cached = fresh if cached is None else np.concatenate([cached, fresh])
            if len(self._mask_cache) > 64:
                self._mask_cache.clear()
            self._mask_cache[key] = cached
        return cached[: self.n] * self._live_weights() if self.live_count < self.n else cached[: self.n]

    def _live_weights(self) -> np.ndarray:
        if self._live_f32 is None:
            self._live_f32 = self.live.astype(np.float32)
        return self._live_f32

    def nearest(self, vector: np.ndarray, mask: np.ndarray, n: int) -> list[tuple[int, float]]:
        """Exact nearest live chunks among those `mask` lets through: (slot, cosine), best first.

        Chroma 1.5 evaluates a metadata filter on every query (135-375 ms at 100,000 chunks here), while one
        matrix-vector product over all vectors takes ~10 ms, so filtered searches come here.
        """
        from threadpoolctl import threadpool_limits

        if self.vectors is None or not self.live_count:
            return []
        with threadpool_limits(1):
            sims = self.vectors @ np.asarray(vector, dtype=np.float32)
        allowed = (np.asarray(mask)[: self.n] > 0) & self.live
        sims = np.where(allowed, sims, -np.inf)
        n = min(n, int(allowed.sum()))
        if n <= 0:
            return []
        top = np.argpartition(-sims, n - 1)[:n] if n < len(sims) else np.arange(len(sims))
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(int(i), float(sims[i])) for i in top if np.isfinite(sims[i])]

    # -- scoring ----------------------------------------------------------------------------------------------

    def scores(self, terms: list[str]) -> np.ndarray:
        """BM25 (Lucene variant, k1=1.2, b=0.75, as bm25s) of every slot for stemmed query `terms` (a term
        given twice counts twice); dead slots score 0."""
        scores = np.zeros(self.n, dtype=np.float32)
        counted: dict[int, int] = {}
        for term in terms:
            t = self._store.vocab.get(term)
            if t is not None and t < len(self._df) and self._df[t] > 0:
                counted[t] = counted.get(t, 0) + 1
        if not counted:
            return scores
        norm = self._length_norm()
        for t, times in counted.items():
            weight = times * float(np.log(1 + (self.live_count - self._df[t] + 0.5) / (self._df[t] + 0.5)))
            for indptr, slots, tf in (self._base, self._delta):
                if t + 1 >= len(indptr):
                    continue
                lo, hi = indptr[t], indptr[t + 1]
                if hi > lo:
                    f, s = tf[lo:hi], slots[lo:hi]
                    part = norm[s]          # in place from here: this runs over every posting of the term
                    part += f
                    np.divide(f, part, out=part)
                    part *= np.float32(weight)
                    scores[s] += part
        if self.live_count < self.n:
            scores *= self._live_weights()
        return scores

    def _length_norm(self) -> np.ndarray:
        """k1 * (1 - b + b * length / average length) per slot, for the live chunks' average length."""
        if self._norm is None:
            average = self._total_length / max(self.live_count, 1) or 1.0
            self._norm = (K1 * (1 - B + B * self._store.lengths[: self.n] / average)).astype(np.float32)
        return self._norm

    def search(self, query: str, k: int = 50, weight_mask: np.ndarray | None = None,
               chunks_per_query: int = 200) -> list[KeywordHit]:
        """Best `k` MOs by their best chunk's BM25 score (0 matches -> empty list); ties go to the lower MO id
        then the earlier chunk, so the order never depends on slot numbering."""
        if not self.live_count:
            return []
        vocab = self._store.vocab
        terms = [t for t in tokenize(query) if t in vocab and vocab[t] < len(self._df) and self._df[vocab[t]] > 0]
        if not terms:
            return []
        if len(set(terms)) > MAX_QUERY_TERMS:
            # pasted notes: each term costs one pass over its postings, and the rarest terms carry the match,
            # so only the most specific ones are scored
            keep = set(sorted(set(terms), key=lambda t: (-self.idf(t), t))[:MAX_QUERY_TERMS])
            terms = [t for t in terms if t in keep]
        scores = self.scores(terms)
        if weight_mask is not None:
            scores = scores * np.asarray(weight_mask)[: self.n]
        n = min(chunks_per_query, len(scores))
        top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
        top = top[scores[top] > 0]
        top = top[np.argsort(-scores[top], kind="stable")]
        store = self._store
        if len(top) > 1 and (np.diff(scores[top]) == 0).any():
            # equal scores: lower MO id, then earlier chunk first, whatever the slot order (patched or rebuilt)
            names = np.asarray([store.mo_ids[m] for m in store.chunk_mo[top].tolist()])
            chunk = np.asarray([store.metadatas[i].get("position", 0) for i in top.tolist()])
            top = top[np.lexsort((chunk, names, -scores[top]))]
        ranked = top.tolist()
        best: dict[str, KeywordHit] = {}
        for i in ranked:
            mo_id = store.mo_ids[store.chunk_mo[i]]
            if mo_id not in best:
                best[mo_id] = KeywordHit(mo_id, float(scores[i]), store.chunk_ids[i])
                if len(best) >= k:
                    break
        return list(best.values())
