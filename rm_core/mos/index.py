"""The MO vector index: one Chroma collection of MO chunks with the metadata searches filter on."""
from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from rm_core.mos.chunking import CHUNK_CHARS, OVERLAP_CHARS, Chunk, chunk_mo
from rm_core.mos.embeddings import encode
from rm_core.mos.records import MODoc, index_metadata

log = logging.getLogger(__name__)

COLLECTION = "mos"
# Measured in bench/bench_search_speed.py on real MiniLM vectors: Chroma's defaults (M=16, ef_search=10)
# lose recall@10 at 100k; these keep it >= 0.95 filtered and unfiltered while staying well inside 120 ms.
HNSW = {"space": "cosine", "max_neighbors": 32, "ef_construction": 200, "ef_search": 128,
        "batch_size": 1000, "sync_threshold": 5000}
MAX_ADD = 5000  # Chroma refuses batches above 5,461
ENCODE_BATCH = 256  # chunks embedded per call; progress is reported after each


@dataclass(frozen=True)
class DenseHit:
    chunk_id: str
    mo_id: str
    similarity: float  # cosine, 1 = same direction
    passage: str
    metadata: dict[str, Any]


def open_client(settings: Any) -> Any:
    """An embedded persistent client under settings.chroma_path, or an HttpClient when a host is configured."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if getattr(settings, "chroma_host", None):
        return chromadb.HttpClient(host=settings.chroma_host, port=int(settings.chroma_port),
                                   settings=chroma_settings)
    path = settings.chroma_path
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


# Metadata the index keeps for itself on every chunk; never shown to users or exported with a hit.
INTERNAL_KEYS = frozenset({"mo_id", "position", "title", "content_hash", "chunks"})
# Bumped when what a chunk holds changes shape, so every entry written under the old shape reads as stale.
CONTENT_FORMAT = 1


def content_hash(doc: MODoc) -> str:
    """A fingerprint of everything the index derives from an MO (title, text, filter metadata, chunking), so the
    database and the index can be compared MO by MO without re-embedding anything."""
    payload = json.dumps([CONTENT_FORMAT, CHUNK_CHARS, OVERLAP_CHARS, doc.mo_id, doc.title.strip(), doc.text,
                          index_metadata(doc)], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]


def chunk_metadata(chunk: Chunk, filters: dict[str, Any], digest: str = "", chunks: int = 0) -> dict[str, Any]:
    """A chunk's metadata: the filters, plus the MO's content hash and chunk count (every chunk carries both, so
    an MO whose write was cut short shows a chunk missing or a hash that differs from the database's)."""
    meta = {"mo_id": chunk.mo_id, "position": chunk.position, "title": chunk.title, **filters}
    if digest:
        meta.update(content_hash=digest, chunks=chunks)
    return meta


def doc_chunks(doc: MODoc) -> tuple[list[Chunk], list[dict[str, Any]]]:
    """The MO's chunks and their metadata as the index stores them."""
    filters, digest = index_metadata(doc), content_hash(doc)
    chunks = chunk_mo(doc)
    return chunks, [chunk_metadata(c, filters, digest, len(chunks)) for c in chunks]


@dataclass(frozen=True)
class Drift:
    """Differences between the database (source of truth) and the index."""

    missing_from_index: list[str]   # MOs in the database the index does not have: index them
    orphaned_in_index: list[str]    # MOs in the index the database does not have: delete them
    # MOs in both whose indexed content is not the database's (a chunk missing, another hash): index them again
    stale_in_index: list[str] = field(default_factory=list)

    @property
    def in_sync(self) -> bool:
        return not self.missing_from_index and not self.orphaned_in_index and not self.stale_in_index

    def describe(self) -> str:
        if self.in_sync:
            return "MO index is in sync with the database"
        return (f"MO index drifted from the database: {len(self.missing_from_index)} MO(s) missing from the index, "
                f"{len(self.stale_in_index)} with passages missing or out of date, "
                f"{len(self.orphaned_in_index)} in the index but not in the database "
                "(run `python -m rm_core mo reindex`, or let start-up repair it)")


def reconcile(database: Iterable[str] | Mapping[str, str], index: Iterable[str] | Mapping[str, str | None]) -> Drift:
    """Which MOs to (re)index and which to delete so the index matches the database.

    Given ids only, presence is compared; given {mo_id: content hash} on both sides (the index side's hash is None
    when the MO's chunks are incomplete or disagree), an MO present on both sides with another hash is stale."""
    db, ix = set(database), set(index)
    stale: list[str] = []
    if isinstance(database, Mapping) and isinstance(index, Mapping):
        stale = sorted(m for m in db & ix if index[m] is None or index[m] != database[m])
    return Drift(sorted(db - ix), sorted(ix - db), stale)


class MOIndex:
    """Chroma collection of MO chunks. Vectors always come from our embeddings (never Chroma's default
    function, which would try to download a model)."""

    def __init__(self, client: Any, embeddings: Any, name: str = COLLECTION, hnsw: dict[str, Any] | None = None):
        self.client = client
        self.embeddings = embeddings
        self.name = name
        self.hnsw = dict(hnsw or HNSW)
        self._collection = None
        self._state_collection = None
        # (token seen, token written) per generation bump, oldest first: a writer that cleared this before its
        # write can tell afterwards whether another process bumped in between (see MOSearchEngine._write)
        self.bumps: list[tuple[str | None, str]] = []

    @property
    def collection(self) -> Any:
        if self._collection is None:
            self._collection = self.client.get_or_create_collection(
                self.name, configuration={"hnsw": self.hnsw}, embedding_function=None)
        return self._collection

    # -- writing ---------------------------------------------------------------------------------------------

    def add(self, docs: Iterable[MODoc], progress: Callable[[int, int], None] | None = None,
            total: int | None = None) -> int:
        """Embed and add MOs (ids must not be in the index yet: use `upsert` otherwise). Returns chunks added.

        Chunks are embedded longest first in batches: the model pads a batch to its longest text, so similar
        lengths together keep indexing close to the raw model's speed. `progress(done_mos, total_mos)` is called
        after each batch (MOs done estimated from the share of chunks embedded).
        """
        docs = list(docs)
        total = total if total is not None else len(docs)
        chunks: list[Chunk] = []
        metas: list[dict[str, Any]] = []
        for doc in docs:
            doc_parts, doc_metas = doc_chunks(doc)
            chunks += doc_parts
            metas += doc_metas
        order = sorted(range(len(chunks)), key=lambda i: -len(chunks[i].embed_text))
        self.bump_generation()  # before and after: a crash in between still leaves a changed token
        for start in range(0, len(order), ENCODE_BATCH):
            batch = order[start:start + ENCODE_BATCH]
            self._write([chunks[i] for i in batch], [metas[i] for i in batch])
            if progress:
                done = start + len(batch)
                progress(len(docs) if done == len(order) else len(docs) * done // len(order), total)
        if progress and not chunks:
            progress(0, total)
        self.bump_generation()
        return len(chunks)

    def add_vectors(self, chunks: list[Chunk], vectors: np.ndarray, metas: list[dict[str, Any]],
                    bump: bool = True) -> None:
        """Add chunks whose vectors are already computed (benchmarks and rebuilds from cached vectors)."""
        if bump:
            self.bump_generation()
        for start in range(0, len(chunks), MAX_ADD):
            part = slice(start, start + MAX_ADD)
            self.collection.add(ids=[c.chunk_id for c in chunks[part]], embeddings=vectors[part],
                                documents=[c.passage for c in chunks[part]], metadatas=metas[part])
        if bump:
            self.bump_generation()

    def _write(self, chunks: list[Chunk], metas: list[dict[str, Any]]) -> int:
        vectors = encode(self.embeddings, [c.embed_text for c in chunks])
        self.add_vectors(chunks, vectors, metas, bump=False)
        return len(chunks)

    def upsert(self, doc: MODoc) -> None:
        """Replace one MO's chunks. Embeds first, so a model failure leaves the old entry in place."""
        chunks, metas = doc_chunks(doc)
        vectors = encode(self.embeddings, [c.embed_text for c in chunks])
        old = set(self.chunk_ids_of(doc.mo_id))
        self.bump_generation()
        self.collection.upsert(ids=[c.chunk_id for c in chunks], embeddings=vectors,
                               documents=[c.passage for c in chunks], metadatas=metas)
        stale = sorted(old - {c.chunk_id for c in chunks})
        if stale:
            self.collection.delete(ids=stale)
        self.bump_generation()

    def delete(self, mo_id: str) -> int:
        """Remove an MO's chunks; returns how many there were (0: it was not indexed)."""
        ids = self.chunk_ids_of(mo_id)
        if ids:
            self.bump_generation()
            self.collection.delete(ids=ids)
            self.bump_generation()
        return len(ids)

    def delete_many(self, mo_ids: Iterable[str], batch: int = 500) -> int:
        """Remove the chunks of every listed MO that is indexed; returns chunks removed."""
        mo_ids = list(dict.fromkeys(mo_ids))
        removed = 0
        for start in range(0, len(mo_ids), batch):
            part = mo_ids[start:start + batch]
            ids = self.collection.get(where={"mo_id": {"$in": part}}, include=[])["ids"]
            if ids:
                self.bump_generation()
                for cut in range(0, len(ids), MAX_ADD):
                    self.collection.delete(ids=ids[cut:cut + MAX_ADD])
                removed += len(ids)
        if removed:
            self.bump_generation()
        return removed

    def reset(self) -> None:
        """Drop and recreate the collection (rebuilds start from here)."""
        try:
            self.client.delete_collection(self.name)
        except Exception:  # noqa: BLE001 - a missing collection is what we want anyway
            log.debug("collection %s did not exist", self.name)
        self._collection = None
        self.bump_generation()

    # -- generation: a token every write changes, so any process (or replica on a Chroma server) can tell
    # whether its in-memory keyword side still matches the collection, at the cost of one tiny read.

    @property
    def _state(self) -> Any:
        if self._state_collection is None:
            self._state_collection = self.client.get_or_create_collection(
                f"{self.name}_state", embedding_function=None)
        return self._state_collection

    def generation(self) -> str | None:
        got = self._state.get(ids=["generation"], include=["metadatas"])
        return got["metadatas"][0]["token"] if got["ids"] else None

    def bump_generation(self) -> str:
        seen = self.generation()
        token = uuid.uuid4().hex
        self._state.upsert(ids=["generation"], embeddings=[[0.0]], metadatas=[{"token": token}])
        self.bumps.append((seen, token))
        del self.bumps[:-1000]
        return token

    # -- reading ---------------------------------------------------------------------------------------------

    def chunk_ids_of(self, mo_id: str) -> list[str]:
        return list(self.collection.get(where={"mo_id": mo_id}, include=[])["ids"])

    def chunk_count(self) -> int:
        return int(self.collection.count())

    def mo_ids(self) -> set[str]:
        """Ids of the MOs in the index (every MO has a chunk at position 0)."""
        out: set[str] = set()
        for batch in self.iter_chunks(include=["metadatas"], where={"position": 0}):
            out.update(m["mo_id"] for m in batch["metadatas"])
        return out

    def content_hashes(self) -> dict[str, str | None]:
        """{mo_id: content hash} of every MO in the index, read from every chunk's metadata: None when the MO's
        chunks are not exactly positions 0..n-1 of one write (a chunk missing, one left from another version, or
        written before chunks carried a hash)."""
        seen: dict[str, tuple[set, set, set]] = {}
        for page in self.iter_chunks(include=["metadatas"]):
            for meta in page["metadatas"]:
                hashes, counts, positions = seen.setdefault(meta["mo_id"], (set(), set(), set()))
                hashes.add(meta.get("content_hash"))
                counts.add(meta.get("chunks"))
                positions.add(meta.get("position"))
        out: dict[str, str | None] = {}
        for mo_id, (hashes, counts, positions) in seen.items():
            count = next(iter(counts)) if len(counts) == 1 else None
            whole = (len(hashes) == 1 and None not in hashes and isinstance(count, int)
                     and positions == set(range(count)))
            out[mo_id] = next(iter(hashes)) if whole else None
        return out

    def iter_chunks(self, include: list[str], where: dict[str, Any] | None = None,
                    batch: int = 5000) -> Iterator[dict[str, Any]]:
        """The collection content page by page (rebuilding the keyword side reads it this way)."""
        offset = 0
        while True:
            page = self.collection.get(include=include, where=where, limit=batch, offset=offset)
            if not page["ids"]:
                return
            yield page
            offset += len(page["ids"])

    def query(self, vector: np.ndarray, n: int, where: dict[str, Any] | None = None,
              total: int | None = None, passages: bool = True) -> list[DenseHit]:
        """The `n` nearest chunks (approximate, HNSW) passing `where`; `total` (chunks in the collection, when the
        caller knows it) saves a round trip; `passages=False` skips loading texts (search fetches only the
        passages it shows)."""
        total = self.chunk_count() if total is None else total
        if total == 0:
            return []
        include = ["distances", "metadatas"] + (["documents"] if passages else [])
        result = self.collection.query(query_embeddings=[np.asarray(vector, dtype=np.float32)],
                                       n_results=min(n, total), where=where or None, include=include)
        documents = result["documents"][0] if passages else [""] * len(result["ids"][0])
        return [DenseHit(cid, meta["mo_id"], 1.0 - float(dist), doc or "", meta)
                for cid, dist, meta, doc in zip(result["ids"][0], result["distances"][0],
                                                result["metadatas"][0], documents)]

    def vectors_of(self, chunk_ids: list[str]) -> tuple[list[str], np.ndarray, list[dict[str, Any]], list[str]]:
        """Stored vectors of the given chunks: (ids, vectors, metadatas, passages), in Chroma's order."""
        if not chunk_ids:
            return [], np.zeros((0, 0), dtype=np.float32), [], []
        got = self.collection.get(ids=list(chunk_ids), include=["embeddings", "metadatas", "documents"])
        return (list(got["ids"]), np.asarray(got["embeddings"], dtype=np.float32), list(got["metadatas"]),
                list(got["documents"]))

    def passages(self, chunk_ids: list[str]) -> dict[str, str]:
        if not chunk_ids:
            return {}
        got = self.collection.get(ids=list(chunk_ids), include=["documents"])
        return dict(zip(got["ids"], got["documents"]))
