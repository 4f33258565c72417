"""The MO search evaluation set: two corpora (our seller-integrity MOs, the public MITRE F3 records) and labelled
queries of five kinds: paraphrase, keyword, id, notes (pasted investigation notes) and nomatch."""
from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from rm_core.mos.records import MODoc

HERE = Path(__file__).resolve().parent
# The F3 corpus is read where the workplace keeps it, never copied into the repository.
F3_PATH = Path(os.environ.get("RM_F3_CORPUS", HERE.parents[3] / "shared" / "data" / "mitre-f3" / "f3_corpus.jsonl"))


@dataclass(frozen=True)
class EvalQuery:
    corpus: str
    kind: str                 # paraphrase | keyword | id | notes | nomatch
    query: str
    relevant: tuple[str, ...]
    verdict: str = ""         # for notes: the expected known / related / new
    where: dict = field(default_factory=dict)
    held_out: bool = False    # never used to tune anything: the benchmark reports these separately


def seller_docs() -> list[MODoc]:
    docs = []
    for line in (HERE / "seller_corpus.jsonl").read_text().splitlines():
        row = json.loads(line)
        meta = {k: row[k] for k in ("abuse_family", "stage", "marketplaces", "site", "status", "severity",
                                    "first_seen")}
        docs.append(MODoc(row["mo_id"], row["title"], row["description"], meta))
    return docs


def f3_docs() -> list[MODoc]:
    rows = [json.loads(line) for line in F3_PATH.read_text().splitlines() if line.strip()]
    return [MODoc(r["mo_id"], r["title"], r["description"], {}) for r in rows]


def queries() -> list[EvalQuery]:
    out = []
    for name, kind in (("queries.jsonl", None), ("notes.jsonl", "notes")):
        for line in (HERE / name).read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                out.append(EvalQuery(row["corpus"], kind or row["type"], row["query"], tuple(row["relevant"]),
                                     row.get("verdict", ""), row.get("where", {}), bool(row.get("held_out"))))
    return out


def expected_verdict(q: EvalQuery) -> str:
    """Notes carry their verdict; a short query with a true match should be called known, one without new."""
    return q.verdict or ("new" if q.kind == "nomatch" else "known")


def verdict_group(q: EvalQuery) -> str:
    return "notes" if q.kind == "notes" else "no-match" if q.kind == "nomatch" else "short"


def metrics(ranking: list[str], relevant: set[str]) -> tuple[float, float, float]:
    """(recall@5, MRR@10, nDCG@10) of one ranked list of MO ids."""
    recall5 = len(set(ranking[:5]) & relevant) / len(relevant)
    mrr = next((1 / (i + 1) for i, m in enumerate(ranking[:10]) if m in relevant), 0.0)
    dcg = sum(1 / math.log2(i + 2) for i, m in enumerate(ranking[:10]) if m in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), 10)))
    return recall5, mrr, dcg / ideal


def build_engines(model: Any, root: Path | None = None) -> dict[str, Any]:
    """One engine per corpus, each in its own Chroma folder under `root` (a new temporary folder if None),
    indexed with `model`."""
    from rm_core.mos.engine import MOSearchEngine

    engines = {}
    for name, docs in (("seller", seller_docs()), ("f3", f3_docs())):
        folder = root / name if root else Path(tempfile.mkdtemp(prefix=f"rm-quality-{name}-"))
        engine = MOSearchEngine(SimpleNamespace(chroma_host=None, chroma_path=folder / "chroma", home=None,
                                                embeddings="local"), embeddings=model)
        engine.index(docs)
        engines[name] = engine
    return engines
