"""MO search quality on tests/mos/eval: recall@5, MRR@10, nDCG@10 for keyword only, dense only and fused, per
corpus and query type, plus the known / related / new verdict accuracy of "is this a known MO?".

Corpora: our 44 seller-integrity MOs (tests/mos/eval/seller_corpus.jsonl) and the 123 public MITRE F3 records
(read from ../shared/data/mitre-f3 at run time, or RM_F3_CORPUS). Runs in ~1 minute on 2 cores.

Run: .venv/bin/python bench/bench_search_quality.py [--json]
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "mos" / "eval"))

import evalset  # noqa: E402
from rm_core.mos.embeddings import MiniLMEmbeddings  # noqa: E402
from rm_core.mos.engine import MOSearchEngine  # noqa: E402

METHODS = ("keyword", "dense", "fused")
KINDS = ("paraphrase", "keyword", "id", "notes")


def metrics(ranking: list[str], relevant: set[str]) -> tuple[float, float, float]:
    recall5 = len(set(ranking[:5]) & relevant) / len(relevant)
    mrr = next((1 / (i + 1) for i, m in enumerate(ranking[:10]) if m in relevant), 0.0)
    dcg = sum(1 / math.log2(i + 2) for i, m in enumerate(ranking[:10]) if m in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), 10)))
    return recall5, mrr, dcg / ideal


def build_engines(model) -> dict[str, MOSearchEngine]:
    engines = {}
    for name, docs in (("seller", evalset.seller_docs()), ("f3", evalset.f3_docs())):
        folder = Path(tempfile.mkdtemp(prefix=f"rm-quality-{name}-"))
        engine = MOSearchEngine(SimpleNamespace(chroma_host=None, chroma_path=folder / "chroma",
                                                embeddings="local"), embeddings=model)
        engine.index(docs)
        engines[name] = engine
    return engines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON object")
    args = parser.parse_args()
    started = time.perf_counter()
    engines = build_engines(MiniLMEmbeddings())
    queries = evalset.queries()

    scores: dict[tuple[str, str, str], list[tuple[float, float, float]]] = defaultdict(list)
    for q in queries:
        if not q.relevant:
            continue
        for method in METHODS:
            hits = engines[q.corpus].search(q.query, k=10, where=q.where, method=method).hits
            scores[(q.corpus, q.kind, method)].append(metrics([h.mo_id for h in hits], set(q.relevant)))

    report: dict = {"retrieval": {}, "verdict": {}}
    print(f"{'corpus':7} {'type':11} {'n':>3} | " + " | ".join(f"{m:^22}" for m in METHODS) + " | fused >= best?")
    print(f"{'':7} {'':11} {'':>3} | " + " | ".join(f"{'R@5   MRR@10 nDCG@10':^22}" for _ in METHODS) + " |")
    for corpus in ("seller", "f3"):
        for kind in KINDS:
            rows = {m: scores.get((corpus, kind, m)) for m in METHODS}
            if not rows["fused"]:
                continue
            avg = {m: [sum(col) / len(col) for col in zip(*rows[m])] for m in METHODS}
            best = [max(avg["keyword"][i], avg["dense"][i]) for i in range(3)]
            ok = all(avg["fused"][i] >= best[i] - 1e-9 for i in range(3))
            report["retrieval"][f"{corpus}/{kind}"] = {m: [round(x, 3) for x in avg[m]] for m in METHODS}
            print(f"{corpus:7} {kind:11} {len(rows['fused']):>3} | " + " | ".join(
                f"{avg[m][0]:.3f} {avg[m][1]:.3f} {avg[m][2]:.3f} " for m in METHODS)
                + " | " + ("yes" if ok else "no: " + " ".join(f"{avg['fused'][i] - best[i]:+.3f}" for i in range(3))))
    # macro view over both corpora, per query type
    print("\nall corpora, fused vs better single method (MRR@10):")
    for kind in KINDS:
        per = {m: [x for c in ("seller", "f3") for x in scores.get((c, kind, m), [])] for m in METHODS}
        if per["fused"]:
            mrr = {m: sum(x[1] for x in per[m]) / len(per[m]) for m in METHODS}
            better = max(mrr["keyword"], mrr["dense"])
            print(f"  {kind:11} keyword {mrr['keyword']:.3f}  dense {mrr['dense']:.3f}  fused {mrr['fused']:.3f}"
                  f"  ratio fused/best single {mrr['fused'] / better:.3f}")

    # "is this a known MO?": notes have a labelled verdict; short queries: a true match means known, none new
    outcomes = Counter()
    by_group: dict[str, list[bool]] = defaultdict(list)
    nomatch_top = []
    for q in queries:
        if q.kind == "id":
            continue
        expected = q.verdict or ("new" if q.kind == "nomatch" else "known")
        result = engines[q.corpus].match(q.query)
        outcomes[(expected, result.verdict)] += 1
        group = "notes" if q.kind == "notes" else "short queries"
        by_group[group].append(result.verdict == expected)
        by_group["known vs not-known (all)"].append((result.verdict == "known") == (expected == "known"))
        if q.kind == "nomatch":
            nomatch_top.append(result.signals.similarity)
    total = sum(outcomes.values())
    correct = sum(v for (e, p), v in outcomes.items() if e == p)
    print(f"\nverdict accuracy: {correct}/{total} = {correct / total:.3f} (3 classes, all non-id queries)")
    for group, values in by_group.items():
        print(f"  {group}: {sum(values)}/{len(values)} = {sum(values) / len(values):.3f}")
    print("  confusion (expected -> given): " + ", ".join(f"{e}->{p}: {v}" for (e, p), v in sorted(outcomes.items())))
    print(f"  baseline, top-1 cosine alone can't separate: no-match queries reach cosine {max(nomatch_top):.2f}")
    report["verdict"] = {"accuracy": round(correct / total, 3),
                         **{g: round(sum(v) / len(v), 3) for g, v in by_group.items()},
                         "confusion": {f"{e}->{p}": v for (e, p), v in sorted(outcomes.items())}}
    print(f"\n({time.perf_counter() - started:.0f} s)")
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
