"""The MO search evaluation set: two corpora (our seller-integrity MOs, the public MITRE F3 records) and labelled
queries of five kinds: paraphrase, keyword, id, notes (pasted investigation notes) and nomatch."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

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
                                     row.get("verdict", ""), row.get("where", {})))
    return out
