"""The MO search engine the service layer calls: index, search, match, similar MOs, duplicates, repair."""
from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np

from rm_core.mos.index import COLLECTION, MOIndex, Drift, open_client, reconcile
from rm_core.mos.keyword import KeywordIndex, tokenize
from rm_core.mos.records import MODoc
from rm_core.mos.search import (ID_TOKEN, Evidence, SearchHit, SearchResults, check_where, chroma_where, fuse,
                                query_type, snippet, where_matches)

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class IndexReport:
    mos: int
    chunks: int
    seconds: float


@dataclass(frozen=True)
class DuplicatePair:
    """Two MOs whose write-ups are close enough to consider merging; `score` is cosine similarity."""

    first: str
    second: str
    score: float
    first_title: str = ""
    second_title: str = ""


class MOSearchEngine:
    """One per process (the page caches it): owns the Chroma collection and the in-memory keyword side.

    Writes go to Chroma at once; the keyword side notices (chunk count changed, or a write from this process)
    and rebuilds itself from the collection before the next search.
    """

    def __init__(self, settings: Any = None, *, embeddings: Any = None, client: Any = None,
                 collection: str = COLLECTION, hnsw: dict[str, Any] | None = None):
        if settings is None:
            from rm_core.settings import get_settings

            settings = get_settings()
        self.settings = settings
        if embeddings is None:
            from rm_core.mos.embeddings import get_embeddings

            embeddings = get_embeddings(settings)
        self.embeddings = embeddings
        self._client = client
        self._collection_name = collection
        self._hnsw = hnsw
        self._vectors: MOIndex | None = None
        self._keyword: KeywordIndex | None = None
        self._keyword_stale = True
        self._lock = threading.RLock()

    # -- parts -----------------------------------------------------------------------------------------------

    @property
    def vectors(self) -> MOIndex:
        if self._vectors is None:
            client = self._client if self._client is not None else open_client(self.settings)
            self._vectors = MOIndex(client, self.embeddings, self._collection_name, self._hnsw)
        return self._vectors

    @property
    def keyword(self) -> KeywordIndex:
        """The BM25 side, rebuilt from the collection when stale (cheap: no embedding involved)."""
        with self._lock:
            if self._keyword is None or self._keyword_stale or len(self._keyword) != self.vectors.chunk_count():
                self._keyword = self._build_keyword()
                self._keyword_stale = False
            return self._keyword

    def _build_keyword(self) -> KeywordIndex:
        entries = []
        for page in self.vectors.iter_chunks(include=["documents", "metadatas"]):
            for cid, doc, meta in zip(page["ids"], page["documents"], page["metadatas"]):
                entries.append((cid, meta["mo_id"], f"{meta['mo_id']} {meta.get('title', '')} {doc or ''}", meta))
        # Chroma pages come back in storage order; sort so chunk order (and ties) never depend on it.
        entries.sort(key=lambda e: (e[1], e[3].get("position", 0)))
        return KeywordIndex.build(entries)

    # -- writing ---------------------------------------------------------------------------------------------

    def index(self, docs: Iterable[MODoc], progress: Progress | None = None) -> IndexReport:
        """Add or replace many MOs (import, demo seeding). MOs already indexed are replaced."""
        started = time.perf_counter()
        docs = list(docs)
        with self._lock:
            present = self.ids() if self.vectors.chunk_count() else set()
            for doc in docs:
                if doc.mo_id in present:
                    self.vectors.delete(doc.mo_id)
            chunks = self.vectors.add(docs, progress=progress)
            self._keyword_stale = True
        return IndexReport(len(docs), chunks, time.perf_counter() - started)

    def upsert(self, doc: MODoc) -> None:
        with self._lock:
            self.vectors.upsert(doc)
            self._keyword_stale = True

    def delete(self, mo_id: str) -> bool:
        with self._lock:
            removed = self.vectors.delete(mo_id)
            self._keyword_stale = True
        return removed > 0

    def rebuild(self, docs: Iterable[MODoc], progress: Progress | None = None) -> IndexReport:
        """Drop the collection and index `docs` from scratch (`mo reindex`)."""
        with self._lock:
            self.vectors.reset()
            self._keyword_stale = True
            return self.index(docs, progress)

    # -- consistency -----------------------------------------------------------------------------------------

    def ids(self) -> set[str]:
        return self.vectors.mo_ids()

    def count(self) -> int:
        return len(self.ids())

    def drift(self, database_ids: Iterable[str]) -> Drift:
        return reconcile(database_ids, self.ids())

    def repair(self, database_ids: Iterable[str], load: Callable[[list[str]], Iterable[MODoc]]) -> Drift:
        """Make the index match the database: index what is missing (`load(ids)` gives their docs), delete
        orphans. Returns the drift that was found (after repair the index is in sync)."""
        found = self.drift(database_ids)
        with self._lock:
            for mo_id in found.orphaned_in_index:
                self.vectors.delete(mo_id)
            if found.missing_from_index:
                self.vectors.add(list(load(found.missing_from_index)))
            self._keyword_stale = True
        return found

    # -- reading ---------------------------------------------------------------------------------------------

    def search(self, query: str, k: int = 10, where: dict[str, Any] | None = None,
               method: str = "fused") -> SearchResults:
        """Best `k` MOs for `query` passing `where`. `method` "dense" or "keyword" ranks by one side only
        (the quality benchmark compares them; users get "fused")."""
        query = (query or "").strip()
        where = check_where(where)
        if not query or k <= 0:
            return SearchResults(query, "empty", where, [])
        evidence, qtype, chunks = self._evidence(query, where, pool=max(50, 4 * k))
        if method == "fused":
            ranked = fuse(evidence.values(), qtype)[:k]
        else:
            side = "dense" if method == "dense" else "keyword"
            ranked = sorted(((e.mo_id, getattr(e, side)) for e in evidence.values() if getattr(e, side) > 0),
                            key=lambda item: (-item[1], item[0]))[:k]
        return SearchResults(query, qtype, where, self._hits(query, qtype, ranked, evidence, chunks))

    def search_many(self, queries: Iterable[tuple[str, dict[str, Any]]], k: int = 10) -> list[SearchResults]:
        return [self.search(q, k, w) for q, w in queries]

    def query_vector(self, text: str) -> np.ndarray:
        """Unit vector of a query; text longer than one chunk (pasted notes) is the mean of its passages' vectors,
        since the model would silently read only the first 256 tokens."""
        from rm_core.mos.chunking import split_text
        from rm_core.mos.embeddings import encode, encode_query

        passages = split_text(text)
        if len(passages) <= 1:
            return encode_query(self.embeddings, text)
        mean = encode(self.embeddings, passages).mean(axis=0)
        return mean / (np.linalg.norm(mean) or 1.0)

    def _evidence(self, query: str, where: dict[str, Any], pool: int
                  ) -> tuple[dict[str, Evidence], str, dict[str, dict[str, Any]]]:
        """Per-MO evidence from both methods, plus the best chunk each method found per MO."""
        keyword = self.keyword
        known = keyword.known_ids()
        qtype = query_type(query, known)
        vector = self.query_vector(query)

        best: dict[str, dict[str, Any]] = {}   # mo_id -> {"dense_chunk", "keyword_chunk", "passage", "metadata"}
        dense: dict[str, float] = {}
        for hit in self.vectors.query(vector, pool, chroma_where(where)):
            if hit.mo_id not in dense:
                dense[hit.mo_id] = hit.similarity
                best[hit.mo_id] = {"dense_chunk": hit.chunk_id, "passages": {hit.chunk_id: hit.passage},
                                   "metadata": hit.metadata}

        mask = keyword.mask(json.dumps(where, sort_keys=True), lambda m: where_matches(where, m)) if where else None
        terms = set(tokenize(query))
        ideal = sum(keyword.idf(t) for t in terms) or 1.0
        keyword_hits = {h.mo_id: h for h in keyword.search(query, k=pool, weight_mask=mask)}
        named = {known[t.upper()] for t in ID_TOKEN.findall(query) if t.upper() in known}

        candidates = set(dense) | set(keyword_hits) | named
        missing = [m for m in candidates if m not in dense]
        if missing:
            chunk_ids = [c for m in missing for c in keyword.chunks_of(m)]
            ids, vecs, metas, docs = self.vectors.vectors_of(chunk_ids)
            sims = vecs @ vector if len(ids) else []
            for cid, sim, meta, doc in zip(ids, sims, metas, docs):
                mo_id = meta["mo_id"]
                if mo_id in named and where and not where_matches(where, meta):
                    continue
                entry = best.setdefault(mo_id, {"dense_chunk": cid, "passages": {}, "metadata": meta})
                entry["passages"][cid] = doc or ""
                if float(sim) > dense.get(mo_id, -2.0):
                    dense[mo_id] = float(sim)
                    entry["dense_chunk"] = cid
        for mo_id, hit in keyword_hits.items():
            if mo_id in best:
                best[mo_id]["keyword_chunk"] = hit.chunk_id
        evidence = {}
        for mo_id in candidates:
            if mo_id not in best:
                continue  # named by id but filtered out
            kw = keyword_hits.get(mo_id)
            evidence[mo_id] = Evidence(mo_id, dense.get(mo_id, 0.0), kw.score if kw else 0.0,
                                       min(1.0, kw.score / ideal) if kw else 0.0, mo_id in named)
        return evidence, qtype, best

    def _hits(self, query: str, qtype: str, ranked: list[tuple[str, float]], evidence: dict[str, Evidence],
              chunks: dict[str, dict[str, Any]]) -> list[SearchHit]:
        # Term-like queries show the passage the terms were found in; described behaviour the closest passage.
        chosen = {}
        for mo_id, _ in ranked:
            entry = chunks[mo_id]
            use_keyword = qtype in ("keyword", "id") or evidence[mo_id].coverage >= 0.5
            chosen[mo_id] = entry.get("keyword_chunk") if use_keyword and entry.get("keyword_chunk") else \
                entry["dense_chunk"]
        need = [cid for mo_id, cid in chosen.items() if cid not in chunks[mo_id]["passages"]]
        fetched = self.vectors.passages(need)
        hits = []
        for mo_id, score in ranked:
            entry = chunks[mo_id]
            passage = entry["passages"].get(chosen[mo_id], fetched.get(chosen[mo_id], ""))
            meta = {k: v for k, v in entry["metadata"].items() if k not in ("mo_id", "position", "title")}
            hits.append(SearchHit(mo_id, entry["metadata"].get("title", ""), score, snippet(passage, query),
                                  round(evidence[mo_id].dense, 6), round(evidence[mo_id].keyword, 6), meta))
        return hits

    def similar(self, mo_id: str, k: int = 5, where: dict[str, Any] | None = None) -> list[SearchHit]:
        """MOs closest to `mo_id` (best pair of chunks), itself excluded."""
        from rm_core.errors import NotFound

        own = self.vectors.chunk_ids_of(mo_id)
        if not own:
            raise NotFound(f"MO {mo_id} is not in the search index")
        ids, vecs, metas, docs = self.vectors.vectors_of(own)
        best: dict[str, tuple[float, Any]] = {}
        for vec in vecs:
            for hit in self.vectors.query(vec, k * 3 + len(own), chroma_where(where)):
                if hit.mo_id != mo_id and hit.similarity > best.get(hit.mo_id, (-2.0, None))[0]:
                    best[hit.mo_id] = (hit.similarity, hit)
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))[:k]
        return [SearchHit(m, h.metadata.get("title", ""), round(max(s, 0.0), 6), snippet(h.passage, ""),
                          round(s, 6), 0.0, {kk: v for kk, v in h.metadata.items()
                                             if kk not in ("mo_id", "position", "title")})
                for m, (s, h) in ranked]

    def mo_vectors(self) -> tuple[list[str], dict[str, str], np.ndarray]:
        """One unit vector per MO (mean of its chunk vectors): (mo_ids, titles, matrix)."""
        sums: dict[str, np.ndarray] = {}
        titles: dict[str, str] = {}
        for page in self.vectors.iter_chunks(include=["embeddings", "metadatas"]):
            for vec, meta in zip(page["embeddings"], page["metadatas"]):
                mo_id = meta["mo_id"]
                titles[mo_id] = meta.get("title", "")
                vec = np.asarray(vec, dtype=np.float32)
                sums[mo_id] = sums[mo_id] + vec if mo_id in sums else vec.copy()
        mo_ids = sorted(sums)
        if not mo_ids:
            return [], {}, np.zeros((0, 0), dtype=np.float32)
        matrix = np.stack([sums[m] for m in mo_ids])
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        return mo_ids, titles, matrix

    def duplicates(self, threshold: float = 0.85) -> list[DuplicatePair]:
        from rm_core.mos.duplicates import duplicate_pairs

        mo_ids, titles, matrix = self.mo_vectors()
        return [DuplicatePair(a, b, s, titles.get(a, ""), titles.get(b, ""))
                for a, b, s in duplicate_pairs(mo_ids, matrix, threshold)]

    def match(self, notes: str, k: int = 5) -> Any:
        from rm_core.mos.match import match_notes

        return match_notes(self, notes, k)
