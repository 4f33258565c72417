"""The MO vector index: one Chroma collection of MO chunks with the metadata searches filter on."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from rm_core.mos.chunking import Chunk, chunk_mo
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


def chunk_metadata(chunk: Chunk, filters: dict[str, Any]) -> dict[str, Any]:
    return {"mo_id": chunk.mo_id, "position": chunk.position, "title": chunk.title, **filters}


@dataclass(frozen=True)
class Drift:
    """Differences between the database (source of truth) and the index."""

    missing_from_index: list[str]   # MOs in the database the index does not have: index them
    orphaned_in_index: list[str]    # MOs in the index the database does not have: delete them

    @property
    def in_sync(self) -> bool:
        return not self.missing_from_index and not self.orphaned_in_index

    def describe(self) -> str:
        if self.in_sync:
            return "MO index is in sync with the database"
        return (f"MO index drifted from the database: {len(self.missing_from_index)} MO(s) missing from the index, "
                f"{len(self.orphaned_in_index)} in the index but not in the database "
                "(run `python -m rm_core mo reindex`, or let start-up repair it)")


def reconcile(database_ids: Iterable[str], index_ids: Iterable[str]) -> Drift:
    """Which ids to (re)index and which to delete so the index matches the database."""
    db, ix = set(database_ids), set(index_ids)
    return Drift(sorted(db - ix), sorted(ix - db))


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
            filters = index_metadata(doc)
            for chunk in chunk_mo(doc):
                chunks.append(chunk)
                metas.append(chunk_metadata(chunk, filters))
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
        filters = index_metadata(doc)
        chunks = chunk_mo(doc)
        vectors = encode(self.embeddings, [c.embed_text for c in chunks])
        old = set(self.chunk_ids_of(doc.mo_id))
        self.bump_generation()
        self.collection.upsert(ids=[c.chunk_id for c in chunks], embeddings=vectors,
                               documents=[c.passage for c in chunks],
                               metadatas=[chunk_metadata(c, filters) for c in chunks])
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
