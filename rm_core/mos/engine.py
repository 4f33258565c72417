"""The MO search engine the service layer calls: index, search, match, similar MOs, duplicates, repair."""
from __future__ import annotations

import contextlib
import json
import logging
import os
import pickle
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Mapping
from typing import Any, Callable, Iterable

import numpy as np

from rm_core.mos.index import COLLECTION, INTERNAL_KEYS, Drift, MOIndex, content_hash, open_client, reconcile
from rm_core.mos.keyword import KeywordIndex, tokenize
from rm_core.mos.records import MODoc
from rm_core.mos.search import (ID_TOKEN, Evidence, SearchHit, SearchResults, check_where, chroma_where, fuse,
                                query_type, snippet, where_matches)

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
SNAPSHOT_FORMAT = "keyword-2"  # snapshots in another format (an older KeywordIndex) are rebuilt, never loaded


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

    Writes go to Chroma at once and change the collection's generation token. After this engine's own write the
    keyword side (BM25 plus the chunk vectors exact filtered search uses) is patched in memory with what the
    collection now holds for the written MOs (milliseconds, no rebuild: see `KeywordIndex`), and the change is
    saved beside the last whole snapshot so a restart loads snapshot + changes. Writes by other processes (other
    replicas on a Chroma server) are noticed by comparing tokens at most every `generation_ttl` seconds, and the
    keyword side then reloads the snapshot of that generation or rebuilds from the collection.
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
        self._snapshot_base: str | None = None   # generation of the whole snapshot on disk ...
        self._pending: dict[str, Any] = {}         # ... and the MO changes since it (see `_save_changes`)
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
        """The BM25 side for the collection's current generation: in memory (patched by this engine's own
        writes), else the snapshot saved in the state folder, else rebuilt from the collection content (no
        embedding involved) and saved."""
        with self._lock:
            now = time.monotonic()
            if self._keyword is not None and now - self._generation_checked < self.generation_ttl:
                return self._keyword
            generation = self.vectors.generation()
            self._generation_checked = now
            if generation is None:
                generation = self.vectors.bump_generation()
            if self._keyword is None or self._keyword_generation != generation:
                loaded = self._load_keyword(generation)
                if loaded is not None and loaded.vectors is None and len(loaded):
                    loaded = None  # saved before it kept chunk vectors: filtered search would fall back to Chroma
                self._keyword = loaded if loaded is not None else self._build_keyword()
                self._keyword_generation = generation
                if loaded is None:
                    self._save_keyword(generation)
            return self._keyword

    def current_generation(self) -> str:
        """The collection's generation token, after bringing the in-memory side up to it (a result cached under
        this token was computed from exactly this content)."""
        with self._lock:
            self._generation_checked = float("-inf")
            self.keyword
            return self._keyword_generation or ""

    @property
    def _keyword_path(self) -> Path | None:
        home = getattr(self.settings, "home", None)
        return Path(home) / f"{self._collection_name}_keyword.pickle" if home else None

    @property
    def _delta_path(self) -> Path | None:
        path = self._keyword_path
        return path.with_name(f"{self._collection_name}_keyword_changes.pickle") if path else None

    @staticmethod
    def _read_snapshot(path: Path | None) -> Any:
        if path is None or not path.exists():
            return None
        try:
            with path.open("rb") as fh:
                return pickle.load(fh)
        except Exception:  # noqa: BLE001 - a damaged snapshot is rebuilt, never fatal
            log.warning("keyword index snapshot %s unreadable: rebuilding", path)
            return None

    def _load_keyword(self, generation: str) -> KeywordIndex | None:
        """The snapshot for `generation`: the saved index alone, or the saved index plus the saved changes since
        (both files name the generation they hold, so a snapshot from before any later write is never used)."""
        saved = self._read_snapshot(self._keyword_path)
        if not isinstance(saved, tuple) or len(saved) != 3 or saved[0] != SNAPSHOT_FORMAT:
            return None  # none, or written by an earlier version of this code: rebuilt
        _, base_generation, index = saved
        if base_generation == generation:
            self._snapshot_base, self._pending = base_generation, {}
            return index
        changes = self._read_snapshot(self._delta_path)
        expected = (SNAPSHOT_FORMAT, base_generation, generation)
        if not isinstance(changes, tuple) or len(changes) != 4 or changes[:3] != expected:
            return None  # changes on top of another snapshot, or not up to the current generation
        self._snapshot_base, self._pending = base_generation, dict(changes[3])
        return self._apply(index, self._pending)[0]

    @staticmethod
    def _apply(index: KeywordIndex, changes: dict[str, Any]) -> tuple[KeywordIndex, bool]:
        """`index` with `changes` (mo_id -> (entries, vectors) now in the collection, or None: deleted), and
        whether it was compacted on the way."""
        present = [change for change in changes.values() if change]
        entries = [e for change in present for e in change[0]]
        # an index that keeps vectors, or one with nothing yet (it starts keeping them with its first chunks)
        vectors = np.concatenate([change[1] for change in present]) \
            if present and (index.vectors is not None or index.n == 0) else None
        patched = index.patched(list(changes), entries, vectors)
        return (patched.compacted(), True) if patched.needs_compaction else (patched, False)

    def _save_keyword(self, generation: str) -> None:
        """Snapshot the whole keyword side (after a rebuild or compaction); changes saved since are void."""
        path = self._keyword_path
        if path is None:
            return
        self._write_snapshot(path, (SNAPSHOT_FORMAT, generation, self._keyword))
        self._snapshot_base, self._pending = generation, {}
        delta = self._delta_path
        if delta is not None and delta.exists():
            delta.unlink(missing_ok=True)

    def _save_changes(self, generation: str) -> None:
        """Snapshot only the MOs changed since the last whole snapshot (small: compaction resets it)."""
        path = self._delta_path
        if path is None:
            return
        if self._snapshot_base is None:
            self._save_keyword(generation)
        else:
            self._write_snapshot(path, (SNAPSHOT_FORMAT, self._snapshot_base, generation, self._pending))

    @staticmethod
    def _write_snapshot(path: Path, payload: Any) -> None:
        """Save a snapshot; it is only a cache (the collection is the truth), so a full disk or a read-only state
        folder costs a rebuild at the next start, never the write that is being saved."""
        partial = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.partial")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with partial.open("wb") as fh:
                pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
            partial.replace(path)  # atomic: a reader sees the old snapshot or the new one, never half
        except OSError as exc:
            for stale in (partial, path):  # an older snapshot must not outlive the write it missed
                with contextlib.suppress(OSError):
                    stale.unlink(missing_ok=True)
            log.warning("could not save the keyword snapshot %s (%s): the next start rebuilds it", path, exc)

    @staticmethod
    def _keyword_entry(chunk_id: str, document: str | None, meta: dict[str, Any]) -> tuple[str, str, str, dict]:
        return chunk_id, meta["mo_id"], f"{meta['mo_id']} {meta.get('title', '')} {document or ''}", meta

    def _build_keyword(self) -> KeywordIndex:
        entries, vectors = [], []
        for page in self.vectors.iter_chunks(include=["documents", "metadatas", "embeddings"]):
            for cid, doc, meta, vec in zip(page["ids"], page["documents"], page["metadatas"], page["embeddings"]):
                entries.append(self._keyword_entry(cid, doc, meta))
                vectors.append(vec)
        # Chroma pages come back in storage order; sort so chunk order (and ties) never depend on it.
        order = sorted(range(len(entries)), key=lambda i: (entries[i][1], entries[i][3].get("position", 0)))
        matrix = np.asarray([vectors[i] for i in order], dtype=np.float32) if order else None
        return KeywordIndex.build([entries[i] for i in order], matrix)

    def _read_back(self, mo_ids: list[str]) -> dict[str, tuple[list[tuple], np.ndarray]]:
        """The chunks (keyword entries, vectors) the collection now holds for `mo_ids`; absent MOs are missing."""
        found: dict[str, tuple[list[tuple], list[Any]]] = {}
        for start in range(0, len(mo_ids), 500):
            got = self.vectors.collection.get(where={"mo_id": {"$in": mo_ids[start:start + 500]}},
                                              include=["documents", "metadatas", "embeddings"])
            for cid, doc, meta, vec in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"]):
                entries, vectors = found.setdefault(meta["mo_id"], ([], []))
                entries.append(self._keyword_entry(cid, doc, meta))
                vectors.append(vec)
        out = {}
        for mo_id, (entries, vectors) in found.items():
            order = sorted(range(len(entries)), key=lambda i: entries[i][3].get("position", 0))
            out[mo_id] = ([entries[i] for i in order], np.asarray([vectors[i] for i in order], dtype=np.float32))
        return out

    def _write(self, mo_ids: list[str], action: Callable[[], Any]) -> Any:
        """Run a write on the collection, then patch the keyword side with what the collection now holds for
        `mo_ids`, if no other process wrote since this engine last synced (else the next search reloads).

        Chroma has no compare-and-set, so one gap remains: another writer's two token bumps would both have to
        land inside this engine's read-then-write of the token (well under a millisecond each) to go unseen."""
        with self._lock:
            if self._keyword is None and len(set(mo_ids)) <= KeywordIndex.COMPACT_MIN:
                # a process that has not searched yet (a restart, the CLI): load the keyword side first so this
                # write is patched in and saved, instead of leaving every process a full rebuild
                self.keyword
            bumps = self.vectors.bumps
            bumps.clear()
            try:
                result = action()
            except BaseException:
                self._generation_checked = float("-inf")  # a half-done write: compare tokens before next search
                raise
            chain = list(bumps)
            if not chain:
                return result  # nothing was written
            self._generation_checked = float("-inf")
            keyword = self._keyword
            # Each bump records the token it replaced: an unbroken chain from the token our keyword side
            # matches means no other writer bumped in between, so the patch below is the whole difference.
            in_step = keyword is not None and chain[0][0] == self._keyword_generation and all(
                later[0] == earlier[1] for earlier, later in zip(chain, chain[1:]))
            mo_ids = list(dict.fromkeys(mo_ids))
            if not in_step or len(mo_ids) > max(KeywordIndex.COMPACT_MIN, 0.2 * len(keyword)):
                # another writer got in (or a bulk load: rebuilding once is cheaper than patching)
                self._keyword = self._keyword_generation = None
                return result
            now = self._read_back(mo_ids)
            changes = {mo_id: now.get(mo_id) for mo_id in mo_ids}
            patched, compacted = self._apply(keyword, changes)
            generation = chain[-1][1]
            self._keyword, self._keyword_generation = patched, generation
            self._generation_checked = time.monotonic()
            if compacted:
                self._save_keyword(generation)
            else:
                self._pending.update(changes)
                self._save_changes(generation)
            return result

    # -- writing ---------------------------------------------------------------------------------------------

    def index(self, docs: Iterable[MODoc], progress: Progress | None = None) -> IndexReport:
        """Add or replace many MOs (import, demo seeding). MOs already indexed are replaced."""
        started = time.perf_counter()
        docs = list(docs)

        def write() -> int:
            if self.vectors.chunk_count():
                self.vectors.delete_many(d.mo_id for d in docs)
            return self.vectors.add(docs, progress=progress)

        chunks = self._write([d.mo_id for d in docs], write)
        return IndexReport(len(docs), chunks, time.perf_counter() - started)

    def upsert(self, doc: MODoc) -> None:
        """Add or replace one MO; the next search (in this process) sees it without rebuilding anything."""
        self._write([doc.mo_id], lambda: self.vectors.upsert(doc))

    def delete(self, mo_id: str) -> bool:
        return self._write([mo_id], lambda: self.vectors.delete(mo_id)) > 0

    def rebuild(self, docs: Iterable[MODoc], progress: Progress | None = None) -> IndexReport:
        """Drop the collection and index `docs` from scratch (`mo reindex`)."""
        with self._lock:
            self.vectors.reset()
            self._keyword = self._keyword_generation = None  # rebuilt from the new collection on next search
            self._generation_checked = float("-inf")
            return self.index(docs, progress)

    # -- consistency -----------------------------------------------------------------------------------------

    def ids(self) -> set[str]:
        return self.vectors.mo_ids()

    def count(self) -> int:
        return len(self.ids())

    def drift(self, database: Iterable[str] | Mapping[str, str | MODoc]) -> Drift:
        """What differs between the database and the index. Given {mo_id: content hash or MODoc}, every MO's
        indexed content is compared (hash and complete chunks); given ids only, presence."""
        if isinstance(database, Mapping):
            expected = {m: v if isinstance(v, str) else content_hash(v) for m, v in database.items()}
            return reconcile(expected, self.vectors.content_hashes())
        return reconcile(database, self.ids())

    def repair(self, database: Iterable[str] | Mapping[str, str | MODoc],
               load: Callable[[list[str]], Iterable[MODoc]]) -> Drift:
        """Make the index match the database: index what is missing or stale (`load(ids)` gives their docs; a
        stale MO's chunks are deleted first), delete orphans. Returns the drift that was found."""
        found = self.drift(database)
        redo = found.missing_from_index + found.stale_in_index

        def write() -> None:
            self.vectors.delete_many(found.orphaned_in_index + found.stale_in_index)
            if redo:
                self.vectors.add(list(load(redo)))

        self._write(found.orphaned_in_index + redo, write)
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
            meta = {k: v for k, v in entry["metadata"].items() if k not in INTERNAL_KEYS}
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
                          round(s, 6), 0.0, {kk: v for kk, v in h.metadata.items() if kk not in INTERNAL_KEYS})
                for m, (s, h) in ranked]

    def mo_vectors(self) -> tuple[list[str], dict[str, str], np.ndarray]:
        """One unit vector per MO (mean of its chunk vectors): (mo_ids sorted, titles, matrix in that order).

        Taken from the keyword side's in-memory chunk vectors (reading 100,000 vectors back from Chroma takes
        tens of seconds); from Chroma only when that side keeps no vectors."""
        from scipy import sparse

        keyword = self.keyword
        if keyword.vectors is None:
            return self._mo_vectors_from_index()
        slots = np.flatnonzero(keyword.live)
        if not len(slots):
            return [], {}, np.zeros((0, 0), dtype=np.float32)
        owners, row = np.unique(keyword.chunk_mo[slots], return_inverse=True)
        names = [keyword.mo_ids[o] for o in owners]
        order = sorted(range(len(owners)), key=lambda i: names[i])
        rank = np.empty(len(owners), dtype=np.int64)
        rank[order] = np.arange(len(owners))
        member = sparse.csr_matrix((np.ones(len(slots), dtype=np.float32), (rank[row], np.arange(len(slots)))),
                                   shape=(len(owners), len(slots)))
        matrix = np.asarray(member @ keyword.vectors[slots], dtype=np.float32)
        matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
        titles = {}
        for slot in slots.tolist():
            meta = keyword.metadatas[slot]
            titles.setdefault(meta["mo_id"], meta.get("title", ""))
        return [names[i] for i in order], titles, matrix

    def _mo_vectors_from_index(self) -> tuple[list[str], dict[str, str], np.ndarray]:
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

    def duplicates(self, threshold: float = 0.85, neighbours: int = 20) -> list[DuplicatePair]:
        """Pairs of MOs at or above `threshold` cosine (MO vector = mean of its chunks), most similar first.
        Each MO is compared with its `neighbours` nearest MOs (see rm_core.mos.duplicates): a pair is listed
        when one of the two is among the other's nearest, which bounds the list in dense clusters."""
        from rm_core.mos.duplicates import duplicate_pairs

        mo_ids, titles, matrix = self.mo_vectors()
        return [DuplicatePair(a, b, s, titles.get(a, ""), titles.get(b, ""))
                for a, b, s in duplicate_pairs(mo_ids, matrix, threshold, neighbours)]

    def match(self, notes: str, k: int = 5) -> Any:
        from rm_core.mos.match import match_notes

        return match_notes(self, notes, k)
