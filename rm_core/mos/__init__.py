"""MO repository search: embeddings, the Chroma index, keyword side, fused search, "is this a known MO?".

Heavy libraries (torch, chromadb) load on first use, so importing this package stays cheap.
"""
from __future__ import annotations

from typing import Any

from rm_core.mos.records import FILTER_FIELDS, MODoc

__all__ = ["FILTER_FIELDS", "MODoc", "MOSearchEngine", "SearchHit", "SearchResults", "MatchResult",
           "DuplicatePair", "Drift", "reconcile", "parse_where", "read_queries_file", "get_embeddings"]

_LAZY = {
    "MOSearchEngine": "rm_core.mos.engine", "DuplicatePair": "rm_core.mos.engine",
    "SearchHit": "rm_core.mos.search", "SearchResults": "rm_core.mos.search",
    "parse_where": "rm_core.mos.search", "read_queries_file": "rm_core.mos.search",
    "MatchResult": "rm_core.mos.match", "Drift": "rm_core.mos.index", "reconcile": "rm_core.mos.index",
    "get_embeddings": "rm_core.mos.embeddings",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rm_core.mos' has no attribute {name!r}")
