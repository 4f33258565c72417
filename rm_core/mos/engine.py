"""The MO search engine the service layer calls: index, search, match, similar MOs, duplicates, repair."""
from __future__ import annotations

import json
import logging
import os
import pickle
import threading
import time
from dataclasses import dataclass
from pathlib import Path
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

    Writes go to Chroma at once and change the collection's generation token; the keyword side compares tokens
    (at most every `generation_ttl` seconds, and at once after this engine's own writes) and reloads or
    rebuilds itself before the next search.
    """

    generation_ttl = 1.0

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
        self._keyword_generation: str | None = None
        self._generation_checked = float("-inf")
        self._saved_generation: str | None = None
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
        """The BM25 side for the collection's current generation: in memory, else the snapshot saved in the
        state folder, else rebuilt from the collection content (no embedding involved) and saved."""
        with self._lock:
            now = time.monotonic()
            if self._keyword is not None and now - self._generation_checked < self.generation_ttl:
                return self._keyword
            generation = self.vectors.generation()
            self._generation_checked = now
            if generation is None:
                generation = self.vectors.bump_generation()
            if self._keyword is None or self._keyword_generation != generation:
                self._keyword = self._load_keyword(generation) or self._build_keyword()
                self._keyword_generation = generation
                self._save_keyword(generation)
            return self._keyword

    @property
    def _keyword_path(self) -> Path | None:
        home = getattr(self.settings, "home", None)
        return Path(home) / f"{self._collection_name}_keyword.pickle" if home else None

    def _load_keyword(self, generation: str) -> KeywordIndex | None:
        path = self._keyword_path
        if path is None or not path.exists():
            return None
        try:
            with path.open("rb") as fh:
                saved_generation, index = pickle.load(fh)
        except Exception:  # noqa: BLE001 - a damaged snapshot is rebuilt, never fatal
            log.warning("keyword index snapshot %s unreadable: rebuilding", path)
            return None
        return index if saved_generation == generation else None

    def _save_keyword(self, generation: str) -> None:
        path = self._keyword_path
        if path is None or self._saved_generation == generation:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.partial")
        with partial.open("wb") as fh:
            pickle.dump((generation, self._keyword), fh, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(path)  # atomic: a reader sees the old snapshot or the new one, never half
        self._saved_generation = generation

    def _build_keyword(self) -> KeywordIndex:
        entries, vectors = [], []
        for page in self.vectors.iter_chunks(include=["documents", "metadatas", "embeddings"]):
            for cid, doc, meta, vec in zip(page["ids"], page["documents"], page["metadatas"], page["embeddings"]):
                entries.append((cid, meta["mo_id"], f"{meta['mo_id']} {meta.get('title', '')} {doc or ''}", meta))
                vectors.append(vec)
        # Chroma pages come back in storage order; sort so chunk order (and ties) never depend on it.
        order = sorted(range(len(entries)), key=lambda i: (entries[i][1], entries[i][3].get("position", 0)))
        matrix = np.asarray([vectors[i] for i in order], dtype=np.float32) if order else None
        return KeywordIndex.build([entries[i] for i in order], matrix)

    # -- writing ---------------------------------------------------------------------------------------------

    def index(self, docs: Iterable[MODoc], progress: Progress | None = None) -> IndexReport:
        """Add or replace many MOs (import, demo seeding). MOs already indexed are replaced."""
        started = time.perf_counter()
        docs = list(docs)
        with self._lock:
            if self.vectors.chunk_count():
                self.vectors.delete_many(d.mo_id for d in docs)
            chunks = self.vectors.add(docs, progress=progress)
            self._generation_checked = float("-inf")
        return IndexReport(len(docs), chunks, time.perf_counter() - started)

    def upsert(self, doc: MODoc) -> None:
        with self._lock:
            self.vectors.upsert(doc)
            self._generation_checked = float("-inf")

    def delete(self, mo_id: str) -> bool:
        with self._lock:
            removed = self.vectors.delete(mo_id)
            self._generation_checked = float("-inf")
        return removed > 0

    def rebuild(self, docs: Iterable[MODoc], progress: Progress | None = None) -> IndexReport:
        """Drop the collection and index `docs` from scratch (`mo reindex`)."""
        with self._lock:
            self.vectors.reset()
            self._generation_checked = float("-inf")
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
            self.vectors.delete_many(found.orphaned_in_index)
            if found.missing_from_index:
                self.vectors.add(list(load(found.missing_from_index)))
            self._generation_checked = float("-inf")
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
        mask = keyword.mask(json.dumps(where, sort_keys=True), lambda m: where_matches(where, m)) if where else None
        if where and keyword.vectors is not None:
            # exact, in memory: Chroma's filtered query is 10-40x slower than this at 100k MOs
            for position, sim in keyword.nearest(vector, mask, pool):
                mo_id = keyword.mo_ids[keyword.chunk_mo[position]]
                if mo_id not in dense:
                    dense[mo_id] = sim
                    best[mo_id] = {"dense_chunk": keyword.chunk_ids[position], "passages": {},
                                   "metadata": keyword.metadatas[position]}
        else:
            for hit in self.vectors.query(vector, pool, chroma_where(where), total=len(keyword), passages=False):
                if hit.mo_id not in dense:
                    dense[hit.mo_id] = hit.similarity
                    best[hit.mo_id] = {"dense_chunk": hit.chunk_id, "passages": {}, "metadata": hit.metadata}
        terms = set(tokenize(query))
        ideal = sum(keyword.idf(t) for t in terms) or 1.0
        keyword_hits = {h.mo_id: h for h in keyword.search(query, k=pool, weight_mask=mask)}
        named = {known[t.upper()] for t in ID_TOKEN.findall(query) if t.upper() in known}

        candidates = set(dense) | set(keyword_hits) | named
        missing = [m for m in candidates if m not in dense]
        if missing:
            self._add_dense_for(missing, vector, keyword, named, where, dense, best)
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

    def _add_dense_for(self, mo_ids: list[str], vector: np.ndarray, keyword: KeywordIndex, named: set[str],
                       where: dict[str, Any], dense: dict[str, float], best: dict[str, dict[str, Any]]) -> None:
        """Dense similarity of MOs that only the keyword side (or an id) brought in, from the in-memory vectors
        (or from Chroma when the snapshot has none)."""
        chunk_ids = [c for m in mo_ids for c in keyword.chunks_of(m)]
        if keyword.vectors is not None:
            positions = [keyword.position(c) for c in chunk_ids]
            sims = keyword.vectors[positions] @ vector if positions else []
            metas = [keyword.metadatas[p] for p in positions]
        else:
            chunk_ids, vecs, metas, _ = self.vectors.vectors_of(chunk_ids)
            sims = vecs @ vector if len(chunk_ids) else []
        for cid, sim, meta in zip(chunk_ids, sims, metas):
            mo_id = meta["mo_id"]
            if mo_id in named and where and not where_matches(where, meta):
                continue
            entry = best.setdefault(mo_id, {"dense_chunk": cid, "passages": {}, "metadata": meta})
            if float(sim) > dense.get(mo_id, -2.0):
                dense[mo_id] = float(sim)
                entry["dense_chunk"] = cid

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
