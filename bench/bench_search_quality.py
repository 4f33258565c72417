"""MO search quality on tests/mos/eval: recall@5, MRR@10, nDCG@10 for keyword only, dense only and fused, per
corpus and query type, plus the known / related / new verdict accuracy of "is this a known MO?" (overall and per
kind: short queries, notes, no-match), and a cross-corpus check of both: every weight and threshold re-tuned on one
corpus only and scored on the other (seller -> MITRE F3 and back), to show what a held-out set can expect.

Corpora: our 44 seller-integrity MOs (tests/mos/eval/seller_corpus.jsonl) and the 123 public MITRE F3 records
(read from ../shared/data/mitre-f3 at run time, or RM_F3_CORPUS). Runs in ~1 minute on 2 cores.

Run: .venv/bin/python bench/bench_search_quality.py [--json] [--no-split]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "mos" / "eval"))

import evalset  # noqa: E402
from rm_core.mos.embeddings import MiniLMEmbeddings  # noqa: E402
from rm_core.mos.match import (ALIGNMENT_WEIGHT, COVERAGE_WEIGHT, KNOWN_AT, NOTES_ALIGNMENT_WEIGHT,  # noqa: E402
                               NOTES_COVERAGE_WEIGHT, NOTES_DISCOUNT, RELATED_AT, match_signals, verdict_for)
from rm_core.mos.search import KEYWORD_WEIGHTS, NOTES_RANK_K, NOTES_RANK_WEIGHT, fuse  # noqa: E402

METHODS = ("keyword", "dense", "fused")
KINDS = ("paraphrase", "keyword", "id", "notes")

metrics, build_engines = evalset.metrics, evalset.build_engines
expected_verdict, verdict_group = evalset.expected_verdict, evalset.verdict_group


# -- cross-corpus check ------------------------------------------------------------------------------------------

FUSION_GRID = {
    "natural": [(wc, wb) for wc in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0) for wb in (0.0, 0.05, 0.1, 0.2, 0.4, 0.8)],
    "keyword": [(wc, wb) for wc in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0) for wb in (0.0, 0.1, 0.2, 0.4, 0.6, 0.8, 1.2)],
    "notes": [(w, k) for w in (1.0, 2.0, 3.0, 4.0) for k in (1.0, 2.0, 5.0, 10.0, 60.0)],
}
# short queries: (coverage weight, alignment weight) and KNOWN_AT; then long notes, given that KNOWN_AT, their own
# (coverage weight, alignment weight, discount onto the short scale)
VERDICT_GRID = [(cw, aw) for cw in (0.0, 0.25, 0.5, 0.75, 1.0) for aw in (0.0, 0.25, 0.5, 0.75, 1.0, 1.5)]
NOTES_GRID = [(cw, aw, nd / 100) for cw in (0.0, 0.5, 1.0, 2.0, 3.0) for aw in (0.5, 1.0, 1.5)
              for nd in range(-40, 81)]
KNOWN_GRID = [t / 100 for t in range(30, 181)]
# The targets: share of each group given the right answer ("new" for no match; known or related, with the
# right MO in the top 3, for a true match).
TARGETS = {"true match (short)": 0.95, "no match (short)": 0.90, "true match (notes)": 0.95, "no match (notes)": 0.95}


def fusion_margin(items, qtype: str, weights) -> tuple[float, float]:
    """(worst of fused - better single method over R@5/MRR/nDCG, mean fused) for queries of one fusion type."""
    if not items:
        return 0.0, 0.0
    fused = [metrics([m for m, _ in fuse(ev.values(), qtype, {qtype: weights})][:10], rel) for ev, rel, _ in items]
    singles = [x for _, _, x in items]
    f = [sum(col) / len(col) for col in zip(*fused)]
    d = [sum(s[0][i] for s in singles) / len(singles) for i in range(3)]
    k = [sum(s[1][i] for s in singles) / len(singles) for i in range(3)]
    return min(f[i] - max(d[i], k[i]) for i in range(3)), sum(f) / 3


def plateau_middle(grid: list, score) -> Any:
    """The middle (in grid order) of the settings that tie for the best score: a saturated corpus (every setting
    scores 1.0) must not hand the first grid point to the other corpus."""
    scored = [(score(p), p) for p in grid]
    top = max(s for s, _ in scored)
    tied = [p for s, p in scored if s == top]
    return tied[len(tied) // 2]


def cross_corpus_fusion(cache) -> dict:
    """Per fusion type: weights tuned on one corpus (worst margin, then mean), scored on the other."""
    out = {}
    for qtype, grid in FUSION_GRID.items():
        for train, test in (("seller", "f3"), ("f3", "seller")):
            tr = [c for c in cache if c[0] == train and c[1] == qtype]
            te = [c for c in cache if c[0] == test and c[1] == qtype]
            best = plateau_middle(grid, lambda w: tuple(round(x, 6) for x in fusion_margin([c[2:] for c in tr],
                                                                                             qtype, w)))
            worst, mean = fusion_margin([c[2:] for c in te], qtype, best)
            shipped = (NOTES_RANK_WEIGHT, NOTES_RANK_K) if qtype == "notes" else KEYWORD_WEIGHTS[qtype]
            out[f"{qtype}: tuned on {train}, scored on {test}"] = {
                "weights": best, "worst fused - best single": round(worst, 3), "mean fused": round(mean, 3),
                "shipped weights on it": round(fusion_margin([c[2:] for c in te], qtype, shipped)[0], 3)}
    return out


@dataclass(frozen=True)
class VerdictRow:
    group: str          # a TARGETS key
    expected: str       # known | related | new
    similarity: float
    coverage: float
    alignment: float
    long_text: bool
    top3: bool          # a right MO is among the 3 closest (always True for no match)
    held_out: bool


def target_group(q) -> str:
    return (("no match" if expected_verdict(q) == "new" else "true match")
            + (" (notes)" if q.kind == "notes" else " (short)"))


def verdicts_for(rows: list[VerdictRow], cw: float, aw: float, ncw: float, naw: float, nd: float,
                 known_at: float) -> list[str]:
    related_at = known_at - (KNOWN_AT - RELATED_AT)
    out = []
    for r in rows:
        s = (r.similarity + ncw * r.coverage + naw * r.alignment - nd if r.long_text
             else r.similarity + cw * r.coverage + aw * r.alignment)
        out.append("known" if s >= known_at else "related" if s >= related_at else "new")
    return out


def right(row: VerdictRow, verdict: str) -> bool:
    """The issue's reading: a no-match must be called new; a true match known or related with a right MO in the
    top 3 (notes labelled related count right when called known or related)."""
    return verdict == "new" if row.expected == "new" else verdict != "new" and row.top3


def group_rates(rows: list[VerdictRow], params) -> dict[str, tuple[int, int]]:
    out: dict[str, list[bool]] = defaultdict(list)
    for row, verdict in zip(rows, verdicts_for(rows, *params)):
        out[row.group].append(right(row, verdict))
    return {g: (sum(v), len(v)) for g, v in out.items()}


def calibration_score(rows: list[VerdictRow], params) -> tuple[float, float]:
    """(worst share of a target reached over the groups, mean share right): what tuning maximises."""
    rates = group_rates(rows, params)
    shares = [(k / n) / TARGETS[g] for g, (k, n) in rates.items() if n]
    return round(min(shares), 6), round(sum(k / n for k, n in rates.values() if n) / max(len(rates), 1), 6)


def tune_verdict(rows: list[VerdictRow]):
    """Short queries set the scale (their weights and KNOWN_AT); long notes are then fitted onto it on their own, so
    neither kind's plateau is decided by the other's worst group."""
    short = [r for r in rows if not r.long_text]
    notes = [r for r in rows if r.long_text]
    cw, aw, _, _, _, known_at = plateau_middle([(cw, aw, 0.0, 0.0, 0.0, t) for cw, aw in VERDICT_GRID
                                                for t in KNOWN_GRID], lambda p: calibration_score(short, p))
    return plateau_middle([(cw, aw, ncw, naw, nd, known_at) for ncw, naw, nd in NOTES_GRID],
                          lambda p: calibration_score(notes, p))


def cross_corpus_verdict(rows_by_corpus) -> dict:
    """Coverage weight, alignment weight, notes discount and KNOWN_AT tuned on one corpus (its queries marked
    held_out left out), the calibration figures on the other corpus."""
    out = {}
    for train, test in (("seller", "f3"), ("f3", "seller")):
        tr = [r for r in rows_by_corpus[train] if not r.held_out]
        best = tune_verdict(tr)
        out[f"tuned on {train}, scored on {test}"] = {
            "short cw, aw; notes cw, aw, discount; known at": best,
            "train": group_rates(tr, best), "test": group_rates(rows_by_corpus[test], best),
            "test, held-out queries only": group_rates([r for r in rows_by_corpus[test] if r.held_out], best)}
    return out


def _rate(cell: tuple[int, int] | None) -> str:
    return f"{cell[0]:>3}/{cell[1]:<3} {cell[0] / cell[1]:.3f}" if cell and cell[1] else f"{'—':^13}"


def match_latency(engines, queries, n: int = 60) -> dict:
    """p50 / p95 ms of "is this a known MO?" per query, with the term alignment and, as the baseline in the same
    run, without it (what match cost before). Fresh engines' word cache: the alignment encodes each MO's vocabulary
    the first time that MO is the best candidate."""
    import rm_core.mos.match as match

    sample = [q for q in queries if q.kind in ("paraphrase", "nomatch", "notes")][:n]
    out = {}
    real = match.term_alignment
    match._WORD_VECTORS.clear()
    for label, alignment in (("with alignment (cold word cache)", real), ("with alignment (warm)", real),
                             ("baseline: without alignment", lambda *a, **k: (0.0, ()))):
        match.term_alignment = alignment
        times = []
        try:
            for q in sample:
                started = time.perf_counter()
                match_signals(engines[q.corpus], q.query)
                times.append((time.perf_counter() - started) * 1000)
        finally:
            match.term_alignment = real
        times.sort()
        out[label] = (round(times[len(times) // 2], 1), round(times[int(len(times) * 0.95)], 1))
    print("\nmatch latency over %d queries, p50 / p95 ms: " % len(sample)
          + "; ".join(f"{k} {v[0]} / {v[1]}" for k, v in out.items()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON object")
    parser.add_argument("--no-split", action="store_true", help="skip the cross-corpus (held-out) check")
    args = parser.parse_args()
    started = time.perf_counter()
    engines = build_engines(MiniLMEmbeddings())
    queries = evalset.queries()

    scores: dict[tuple[str, str, str], list[tuple[float, float, float]]] = defaultdict(list)
    cache = []  # (corpus, fusion type, evidence, relevant, (dense metrics, keyword metrics)) for the split check
    for q in queries:
        if not q.relevant:
            continue
        for method in METHODS:
            hits = engines[q.corpus].search(q.query, k=10, where=q.where, method=method).hits
            scores[(q.corpus, q.kind, method)].append(metrics([h.mo_id for h in hits], set(q.relevant)))
        if not args.no_split and not q.where:
            evidence, qtype, _ = engines[q.corpus]._evidence(q.query, {}, 50)
            cache.append((q.corpus, qtype, evidence, set(q.relevant),
                          (scores[(q.corpus, q.kind, "dense")][-1], scores[(q.corpus, q.kind, "keyword")][-1])))

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
    rows_by_corpus: dict[str, list[VerdictRow]] = defaultdict(list)
    nomatch_top = []
    called: list[tuple[str, str, str]] = []
    for q in queries:
        if q.kind == "id":
            continue
        expected = expected_verdict(q)
        ranked, _, signals = match_signals(engines[q.corpus], q.query)
        given = verdict_for(signals)[0]
        top3 = not q.relevant or bool({m for m, _ in ranked[:3]} & set(q.relevant))
        rows_by_corpus[q.corpus].append(VerdictRow(target_group(q), expected, signals.similarity, signals.coverage,
                                                   signals.alignment, signals.long_text, top3, q.held_out))
        outcomes[(expected, given)] += 1
        called.append((expected, given, verdict_group(q)))
        by_group[verdict_group(q)].append(given == expected)
        by_group["known vs not-known (all)"].append((given == "known") == (expected == "known"))
        if q.kind == "nomatch":
            nomatch_top.append(signals.similarity)
    total = sum(outcomes.values())
    correct = sum(v for (e, p), v in outcomes.items() if e == p)
    print(f"\nverdict accuracy: {correct}/{total} = {correct / total:.3f} (3 classes, all non-id queries)")
    for group in ("short", "notes", "no-match", "known vs not-known (all)"):
        values = by_group[group]
        print(f"  {group}: {sum(values)}/{len(values)} = {sum(values) / len(values):.3f}")
    print("  confusion (expected -> given): " + ", ".join(f"{e}->{p}: {v}" for (e, p), v in sorted(outcomes.items())))
    for group in ("no-match", "notes"):
        wrong = [g for e, g, grp in called if e == "new" and grp == group]
        print(f"  {'no-match queries' if group == 'no-match' else 'notes with no true MO'} called known: "
              f"{wrong.count('known')} of {len(wrong)}")
    print(f"  top-1 cosine alone can't separate: no-match queries reach cosine {max(nomatch_top):.2f}")
    shipped = (COVERAGE_WEIGHT, ALIGNMENT_WEIGHT, NOTES_COVERAGE_WEIGHT, NOTES_ALIGNMENT_WEIGHT, NOTES_DISCOUNT,
               KNOWN_AT)
    report["verdict"] = {"accuracy": round(correct / total, 3),
                         **{g: round(sum(v) / len(v), 3) for g, v in by_group.items()},
                         "confusion": {f"{e}->{p}": v for (e, p), v in sorted(outcomes.items())},
                         "calibration (shipped)": {c: group_rates(rows, shipped) for c, rows in rows_by_corpus.items()}}

    report["match latency"] = match_latency(engines, queries)

    if not args.no_split:
        print("\ncross-corpus check (held-out): tuned on one corpus only, scored on the other")
        fusion = cross_corpus_fusion(cache)
        for name, row in fusion.items():
            print(f"  fusion {name}: weights {row['weights']} -> worst fused - best single "
                  f"{row['worst fused - best single']:+.3f} (shipped weights {row['shipped weights on it']:+.3f})")
        verdict = cross_corpus_verdict(rows_by_corpus)
        print("\ncalibration: share right per corpus x query type (no match -> new; true match -> known or related "
              "with a right MO in the top 3)")
        print("  shipped settings (short coverage, alignment; notes coverage, alignment, discount; known at) = "
              f"{shipped}")
        print(f"  {'corpus':7} {'group':19} {'target':>6} | {'shipped':^13} | {'held out: tuned on the other':^28} | "
              f"{'held-out queries':^16}")
        for corpus, other in (("seller", "f3"), ("f3", "seller")):
            cross = verdict[f"tuned on {other}, scored on {corpus}"]
            mine = group_rates(rows_by_corpus[corpus], shipped)
            for group, target in TARGETS.items():
                print(f"  {corpus:7} {group:19} {target:>6.2f} | {_rate(mine.get(group))} | "
                      f"{_rate(cross['test'].get(group)):^28} | {_rate(cross['test, held-out queries only'].get(group)):^16}")
        for name, row in verdict.items():
            print(f"  verdict {name}: {row['short cw, aw; notes cw, aw, discount; known at']}; on the "
                  f"training corpus " + ", ".join(f"{g} {_rate(c).strip()}" for g, c in sorted(row["train"].items())))
        report["cross_corpus"] = {"fusion": fusion, "verdict": verdict}
    print(f"\n({time.perf_counter() - started:.0f} s)")
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
