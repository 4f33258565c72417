"""Keyword search straight from the database, for the minutes the vector index is still being built.

No embedding is involved, so it answers at once on a fresh server: BM25 over each MO's whole write-up, with
the same filters as the fused search. The MO page uses it only while `rm_core.startup` reports the index busy.
"""
from __future__ import annotations

import threading
from typing import Any

import numpy as np
from sqlalchemy import func, select

from rm_core.mos.keyword import KeywordIndex, tokenize
from rm_core.mos.records import index_metadata
from rm_core.mos.search import SearchHit, SearchResults, check_where, snippet, where_matches

_CACHE: dict[str, tuple[tuple, KeywordIndex, dict[str, str]]] = {}
_LOCK = threading.Lock()


def _database_index(database_url: str) -> tuple[KeywordIndex, dict[str, str]]:
    """(BM25 over the MOs as the database holds them now, MO id -> text); rebuilt when an MO changes."""
    from rm_core.mos.repository import to_doc
    from rm_core.store.db import read_session
    from rm_core.store.models import MO

    with read_session() as s:
        stamp = tuple(s.execute(select(func.count(MO.id), func.max(MO.updated_at), func.sum(MO.version))).one())
        with _LOCK:
            cached = _CACHE.get(database_url)
            if cached is not None and cached[0] == stamp:
                return cached[1], cached[2]
        docs = [to_doc(m) for m in s.scalars(select(MO).order_by(MO.id))]
    entries, texts = [], {}
    for doc in docs:
        meta = {"mo_id": doc.mo_id, "position": 0, "title": doc.title, **index_metadata(doc)}
        entries.append((f"{doc.mo_id}:0", doc.mo_id, f"{doc.mo_id} {doc.title} {doc.text}", meta))
        texts[doc.mo_id] = doc.text
    index = KeywordIndex.build(entries)
    with _LOCK:
        _CACHE[database_url] = (stamp, index, texts)
    return index, texts


def keyword_search(database_url: str, query: str, k: int = 10, where: dict[str, Any] | None = None
                   ) -> SearchResults:
    """Best `k` MOs for `query` by keywords alone (`query_type` "keyword"); scores 0..1 are the share of the
    query's term weight the MO's write-up contains."""
    query = (query or "").strip()
    where = check_where(where)
    if not query or k <= 0:
        return SearchResults(query, "empty", where, [])
    index, texts = _database_index(database_url)
    mask = None
    if where:
        mask = np.fromiter((1.0 if where_matches(where, m) else 0.0 for m in index.metadatas[:index.n]),
                           dtype=np.float32, count=index.n)
    ideal = sum(index.idf(t) for t in set(tokenize(query))) or 1.0
    hits = []
    for hit in index.search(query, k=k, weight_mask=mask):
        meta = index.metadatas[index.position(hit.chunk_id)]
        hits.append(SearchHit(hit.mo_id, meta.get("title", ""), round(min(1.0, hit.score / ideal), 6),
                              snippet(texts.get(hit.mo_id, ""), query), 0.0, round(hit.score, 6),
                              {k2: v for k2, v in meta.items() if k2 not in ("mo_id", "position", "title")}))
    return SearchResults(query, "keyword", where, hits)
