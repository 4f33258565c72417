"""MO search speed: p95 latency at 10k and 100k MOs (query embedding, BM25 and filters included), HNSW recall@10
against exact search (filtered and unfiltered), indexing throughput against the raw model, memory at 100k; the
search right after saving one MO (against the full keyword rebuild a write used to cost) and the duplicate finder
(time, peak memory, recall against exact neighbours, and the previous all-pairs finder extrapolated from 4k rows).

How the 100k corpus is made (embedding 100k real write-ups takes ~17 min on 2 cores): 3,000 MO-like texts are
built from sentences of the evaluation corpora and embedded for real with all-MiniLM-L6-v2 (cached under
/tmp/rm_bench_cache). Each indexed MO then takes one real text and a vector mixing its real vector with a second
real vector (weight 0.5) and Gaussian noise (norm 0.35), re-normalised: vectors stay on the model's own manifold
and form realistic clusters (cos to the source text ~0.85), which is harder for HNSW than random vectors.
Queries are real query embeddings (the evaluation queries plus sentences from the corpora).

Run: .venv/bin/python bench/bench_search_speed.py [--sizes 10000 100000] [--queries 200] [--upserts 20]
     [--skip-indexing] [--skip-duplicates]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "mos" / "eval"))

import evalset  # noqa: E402
from rm_core.mos.chunking import Chunk, chunk_mo  # noqa: E402
from rm_core.mos.embeddings import MiniLMEmbeddings  # noqa: E402
from rm_core.mos.engine import MOSearchEngine  # noqa: E402
from rm_core.mos.index import chunk_metadata  # noqa: E402
from rm_core.mos.records import MODoc, index_metadata  # noqa: E402

CACHE = Path(os.environ.get("RM_BENCH_CACHE", "/tmp/rm_bench_cache"))
SITES = ["India", "Costa Rica"]
FAMILIES = ["identity fraud", "account takeover", "related/linked accounts", "counterfeit and IP abuse",
            "review manipulation", "listing or inventory hijacking", "payment and gift-card fraud",
            "refund/return abuse", "fee and promotion abuse", "policy circumvention after suspension",
            "shipping/fulfilment fraud", "money laundering through sales"]
STAGES = ["onboarding", "positioning", "monetization", "evasion"]
MARKETS = ["US", "UK", "DE", "IN", "JP", "FR", "IT", "ES", "CA", "MX"]
STATUSES = ["draft", "active", "dormant", "mitigated", "retired"]
FILTERS = [{"site": "India"}, {"abuse_family": "account takeover"}, {"marketplaces": "DE"},
           {"status": "active", "stage": "monetization"}]


def rss_mb() -> tuple[float, float]:
    status = Path("/proc/self/status").read_text()
    get = lambda key: int(next(l for l in status.splitlines() if l.startswith(key)).split()[1]) / 1024  # noqa: E731
    return get("VmRSS:"), get("VmHWM:")


def base_texts(n: int, rng: random.Random) -> list[tuple[str, str]]:
    """(title, text) pairs: 3-5 sentences drawn from the evaluation corpora's write-ups, recombined."""
    import re

    sentences, titles = [], []
    for doc in evalset.seller_docs() + evalset.f3_docs():
        titles.append(doc.title)
        sentences += [s for s in re.split(r"(?<=[.!?])\s+", doc.text) if len(s.split()) > 5]
    out = []
    for _ in range(n):
        k = rng.randint(3, 5)
        out.append((rng.choice(titles), " ".join(rng.sample(sentences, k))))
    return out


def cached_vectors(model: MiniLMEmbeddings, texts: list[str], tag: str) -> tuple[np.ndarray, float]:
    """Real embeddings, cached by content; returns (vectors, seconds it took to encode them, 0 if cached)."""
    key = hashlib.sha256("\x1f".join(texts).encode()).hexdigest()[:16]
    path = CACHE / f"{tag}-{key}.npy"
    if path.exists():
        return np.load(path), 0.0
    CACHE.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    vectors = model.encode(texts)
    seconds = time.perf_counter() - started
    np.save(path, vectors)
    return vectors, seconds


def synthetic_corpus(n: int, bases: list[tuple[str, str]], base_vecs: np.ndarray, rng: np.random.Generator):
    chunks, metas, vecs = [], [], np.empty((n, base_vecs.shape[1]), dtype=np.float32)
    for start in range(0, n, 20000):
        stop = min(n, start + 20000)
        i = rng.integers(0, len(bases), stop - start)
        j = rng.integers(0, len(bases), stop - start)
        noise = rng.normal(size=(stop - start, base_vecs.shape[1])).astype(np.float32)
        noise *= 0.35 / np.linalg.norm(noise, axis=1, keepdims=True)
        mixed = base_vecs[i] + 0.5 * base_vecs[j] + noise
        vecs[start:stop] = mixed / np.linalg.norm(mixed, axis=1, keepdims=True)
        for row, b in zip(range(start, stop), i):
            mo_id = f"MO-{row + 1:06d}"
            title, text = bases[b]
            doc = MODoc(mo_id, title, text, {
                "abuse_family": FAMILIES[row % len(FAMILIES)], "stage": STAGES[row % 4],
                "marketplaces": sorted({MARKETS[row % 10], MARKETS[(row // 10) % 10]}), "site": SITES[row % 2],
                "status": STATUSES[(row // 3) % 5], "severity": f"S{row % 4 + 1}",
                "first_seen": f"20{20 + row % 6}-0{row % 9 + 1}-1{row % 9}"})
            chunk = Chunk(f"{mo_id}::0", mo_id, 0, title, text)
            chunks.append(chunk)
            metas.append(chunk_metadata(chunk, index_metadata(doc)))
    return chunks, metas, vecs


def exact_top(vectors: np.ndarray, query: np.ndarray, mask: np.ndarray | None, k: int = 10) -> set[int]:
    sims = vectors @ query
    if mask is not None:
        sims = np.where(mask, sims, -np.inf)
    top = np.argpartition(-sims, k)[:k]
    return set(top.tolist())


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def bench_size(n: int, bases, base_vecs, query_texts, query_vecs, model, rng, upserts: int = 20,
               duplicates: bool = True) -> dict:
    from threadpoolctl import threadpool_limits

    folder = Path(tempfile.mkdtemp(prefix=f"rm-bench-{n}-"))
    settings = SimpleNamespace(chroma_host=None, chroma_path=folder / "chroma", embeddings="local", home=folder)
    engine = MOSearchEngine(settings, embeddings=model)
    chunks, metas, vecs = synthetic_corpus(n, bases, base_vecs, rng)
    started = time.perf_counter()
    engine.vectors.add_vectors(chunks, vecs, metas)
    add_seconds = time.perf_counter() - started
    started = time.perf_counter()
    engine.search("warm up the keyword side")
    keyword_build = time.perf_counter() - started
    out = {"mos": n, "chroma_add_per_s": round(n / add_seconds), "keyword_rebuild_s": round(keyword_build, 2)}
    t0 = time.perf_counter()
    for i, qv in enumerate(query_vecs[:30]):
        engine.vectors.collection.query(query_embeddings=[qv], n_results=50, where=FILTERS[i % 2], include=[])
    out["chroma_filtered_query_ms"] = round((time.perf_counter() - t0) / 30 * 1000, 1)

    # fresh client = what a restarted app sees (and ef_search is read at open)
    engine = MOSearchEngine(settings, embeddings=model)
    started = time.perf_counter()
    engine.search("warm up")
    out["reopen_first_search_s"] = round(time.perf_counter() - started, 2)
    # baseline in the same run: the query embedding alone (one model call per query, as search does)
    embed_times = []
    for text in query_texts:
        t0 = time.perf_counter()
        model.encode([text])
        embed_times.append((time.perf_counter() - t0) * 1000)
    out["embed_only_p50_ms"] = round(percentile(embed_times, 50), 1)
    out["embed_only_p95_ms"] = round(percentile(embed_times, 95), 1)
    for label, where_list in (("unfiltered", [None]), ("filtered", FILTERS)):
        for w in where_list:  # warm filter masks once, as a running app would have
            engine.search("warm up", where=w)
        times = []
        for i, text in enumerate(query_texts):
            where = where_list[i % len(where_list)]
            t0 = time.perf_counter()
            engine.search(text, k=10, where=where)
            times.append((time.perf_counter() - t0) * 1000)
        out[f"{label}_p50_ms"] = round(percentile(times, 50), 1)
        out[f"{label}_p95_ms"] = round(percentile(times, 95), 1)

    # approximate (HNSW) vs exact recall@10 on the same chunk vectors
    site = np.array([m["site"] for m in metas])
    family = np.array([m["abuse_family"] for m in metas])
    market_de = np.array(["DE" in m["marketplaces"] for m in metas])
    masks = [site == "India", family == "account takeover", market_de]
    where_list = [{"site": "India"}, {"abuse_family": "account takeover"}, {"marketplaces": {"$contains": "DE"}}]
    for label, use_filter in (("unfiltered", False), ("filtered", True)):
        recalls = []
        with threadpool_limits(1):
            for i, qv in enumerate(query_vecs):
                mask = masks[i % 3] if use_filter else None
                where = where_list[i % 3] if use_filter else None
                got = engine.vectors.collection.query(query_embeddings=[qv], n_results=10, where=where,
                                                      include=[])["ids"][0]
                truth = exact_top(vecs, qv, mask)
                recalls.append(len({int(g.split("::")[0][3:]) - 1 for g in got} & truth) / 10)
        out[f"recall10_{label}"] = round(float(np.mean(recalls)), 4)
    rss, peak = rss_mb()
    out["rss_mb"], out["peak_rss_mb"] = round(rss), round(peak)
    out["disk_mb"] = round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20)
    out.update(bench_writes(engine, n, bases, query_texts, upserts))
    if duplicates:
        out.update(bench_duplicates(engine))
    return out


def bench_writes(engine: MOSearchEngine, n: int, bases, query_texts, rounds: int) -> dict:
    """An analyst saves an MO, then searches: the save's own time, and the search right after it, against the
    normal searches measured above and the full keyword rebuild every write used to cost (`keyword_rebuild_s`)."""
    rng = random.Random(11)
    save_ms, after_ms = [], []
    for i in range(rounds):
        title, text = bases[rng.randrange(len(bases))]
        mo_id = f"MO-{rng.randrange(n) + 1:06d}" if i % 2 else f"MO-9{i:05d}"  # edits and new MOs
        doc = MODoc(mo_id, title, f"{text} Saved again as edit {i}.", {
            "abuse_family": FAMILIES[i % len(FAMILIES)], "stage": STAGES[i % 4], "marketplaces": ["DE", "US"],
            "site": SITES[i % 2], "status": "active", "severity": "S2", "first_seen": "2025-01-01"})
        t0 = time.perf_counter()
        engine.upsert(doc)
        save_ms.append((time.perf_counter() - t0) * 1000)
        where = None if i % 2 else FILTERS[(i // 2) % len(FILTERS)]
        t0 = time.perf_counter()
        hits = engine.search(query_texts[i % len(query_texts)], k=10, where=where)
        after_ms.append((time.perf_counter() - t0) * 1000)
        assert hits is not None
    assert engine.search(f"{doc.mo_id}", k=1).hits[0].mo_id == doc.mo_id  # the last save is searchable
    keyword = engine.keyword
    t0 = time.perf_counter()
    keyword.compacted()
    compact_s = time.perf_counter() - t0
    return {"save_p50_ms": round(percentile(save_ms, 50), 1), "save_p95_ms": round(percentile(save_ms, 95), 1),
            "search_after_save_p50_ms": round(percentile(after_ms, 50), 1),
            "search_after_save_p95_ms": round(percentile(after_ms, 95), 1),
            "search_after_save_max_ms": round(max(after_ms), 1), "keyword_compaction_s": round(compact_s, 2)}


def _all_pairs_before(vectors: np.ndarray, threshold: float, rows: int) -> float:
    """Seconds the previous duplicate finder (every pair, 2,048 rows x all MOs per block) took for `rows` rows."""
    from threadpoolctl import threadpool_limits

    started = time.perf_counter()
    with threadpool_limits(1):
        for start in range(0, rows, 2048):
            block = vectors[start:start + 2048] @ vectors.T
            r, c = np.nonzero(block >= threshold)
            [(int(a), int(b)) for a, b in zip(r, c) if b > a + start]
    return time.perf_counter() - started


def bench_duplicates(engine: MOSearchEngine, threshold: float = 0.85, sample: int = 400) -> dict:
    """duplicates() at this size: time, peak memory it allocates, pairs, and recall against exact search for a
    sample of MOs (their exact nearest neighbours at or above the threshold must be in the result)."""
    from rm_core.mos.duplicates import NEIGHBOURS

    engine.keyword  # loaded, as in a running app
    try:  # reset the process's peak-RSS mark, so VmHWM afterwards is the peak during the call (tracemalloc
        Path("/proc/self/clear_refs").write_text("5")  # would slow numpy several times over)
    except OSError:
        pass
    before_mb, _ = rss_mb()
    t0 = time.perf_counter()
    pairs = engine.duplicates(threshold)
    seconds = time.perf_counter() - t0
    peak = (rss_mb()[1] - before_mb) * 2**20
    mo_ids, _, matrix = engine.mo_vectors()
    found = {(p.first, p.second) for p in pairs}
    rng = np.random.default_rng(3)
    expected = hit = 0
    for i in rng.choice(len(mo_ids), min(sample, len(mo_ids)), replace=False):
        sims = matrix @ matrix[i]
        sims[i] = -np.inf
        top = np.argpartition(-sims, NEIGHBOURS)[:NEIGHBOURS]
        for j in top[sims[top] >= threshold]:
            expected += 1
            hit += tuple(sorted((mo_ids[i], mo_ids[j]))) in found
    before_rows = min(len(mo_ids), 4096)
    before = _all_pairs_before(matrix, threshold, before_rows) * len(mo_ids) / before_rows
    return {"duplicates_s": round(seconds, 2), "duplicates_peak_extra_rss_mb": round(peak / 2**20),
            "duplicate_pairs": len(pairs), "duplicates_recall": round(hit / expected, 4) if expected else None,
            "duplicates_before_s_estimated": round(before, 1),
            "duplicates_before_block_mb": round(2048 * len(mo_ids) * 4 / 2**20)}


def bench_indexing(model: MiniLMEmbeddings, bases, rounds: int = 3) -> dict:
    """Full indexing path (chunk, embed, write to Chroma) against the raw model on the same chunk texts.

    The machine is shared, so both are timed `rounds` times, interleaved, and the fastest of each is compared.
    """
    docs = [MODoc(f"MO-{i:05d}", t, x, {"site": SITES[i % 2], "marketplaces": ["US"]}) for i, (t, x) in
            enumerate(bases)]
    texts = [c.embed_text for d in docs for c in chunk_mo(d)]
    model.encode(texts[:64])  # warm
    raw_times, full_times = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        model.encode(texts)
        raw_times.append(time.perf_counter() - started)
        folder = Path(tempfile.mkdtemp(prefix="rm-bench-index-"))
        engine = MOSearchEngine(SimpleNamespace(chroma_host=None, chroma_path=folder / "chroma",
                                                embeddings="local"), embeddings=model)
        engine.vectors.chunk_count()  # the client opens once per process (~0.9 s here), not per import
        started = time.perf_counter()
        engine.index(docs)
        full_times.append(time.perf_counter() - started)
    raw, full = min(raw_times), min(full_times)
    return {"mos": len(docs), "chunks": len(texts), "raw_encode_per_s": round(len(texts) / raw, 1),
            "indexing_per_s": round(len(texts) / full, 1), "ratio": round(full / raw, 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--bases", type=int, default=3000)
    parser.add_argument("--index-mos", type=int, default=300, help="MOs for the indexing-throughput comparison")
    parser.add_argument("--skip-indexing", action="store_true")
    parser.add_argument("--upserts", type=int, default=20, help="saves, each followed by a search, per size")
    parser.add_argument("--skip-duplicates", action="store_true")
    args = parser.parse_args()
    rng = random.Random(7)
    model = MiniLMEmbeddings()
    started = time.perf_counter()
    model.encode(["load the model"])
    print(f"model import + load: {time.perf_counter() - started:.1f} s")

    if not args.skip_indexing:
        indexing = bench_indexing(model, base_texts(args.index_mos, random.Random(3)))
        print("indexing throughput:", json.dumps(indexing))
        print(f"  -> indexing is {indexing['ratio']:.2f}x the raw encode time (target <= 1.5x)")

    bases = base_texts(args.bases, rng)
    base_vecs, secs = cached_vectors(model, [f"{t}. {x}" for t, x in bases], "bases")
    print(f"base texts: {len(bases)} real embeddings ({'cached' if not secs else f'{secs:.0f} s'})")
    queries = [q.query for q in evalset.queries()]
    sentences = [x.split(". ")[0] for _, x in bases[: max(0, args.queries - len(queries))]]
    query_texts = (queries + sentences)[: args.queries]
    query_vecs, _ = cached_vectors(model, query_texts, "queries")
    for n in args.sizes:
        result = bench_size(n, bases, base_vecs, query_texts, query_vecs, model, np.random.default_rng(n),
                            args.upserts, not args.skip_duplicates)
        print(f"{n} MOs:", json.dumps(result))
        target = 60 if n <= 10_000 else 120
        print(f"  -> p95 unfiltered {result['unfiltered_p95_ms']} ms, filtered {result['filtered_p95_ms']} ms "
              f"(target <= {target} ms; the query embedding alone: p95 {result['embed_only_p95_ms']} ms); "
              f"Chroma HNSW recall@10 vs exact {result['recall10_unfiltered']} unfiltered / "
              f"{result['recall10_filtered']} filtered (target >= 0.95; filtered searches use the exact in-memory "
              "path, recall 1.0)")
        print(f"  -> search right after saving one MO: p50 {result['search_after_save_p50_ms']} ms, p95 "
              f"{result['search_after_save_p95_ms']} ms (a full keyword rebuild, what every write cost before: "
              f"{result['keyword_rebuild_s']} s); the save itself p95 {result['save_p95_ms']} ms")
        if "duplicates_s" in result:
            print(f"  -> duplicates(0.85): {result['duplicates_s']} s, "
                  f"peak +{result['duplicates_peak_extra_rss_mb']} MB RSS, "
                  f"{result['duplicate_pairs']} pairs, recall vs exact neighbours {result['duplicates_recall']} "
                  f"(all pairs as before: ~{result['duplicates_before_s_estimated']} s, "
                  f"{result['duplicates_before_block_mb']} MB per block)")


if __name__ == "__main__":
    main()
