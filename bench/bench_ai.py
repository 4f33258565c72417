"""AI assist, offline methods: MO draft accuracy (abuse family, stage) against a majority-class baseline, Ask citation
precision on a labelled set, and p95 latency of each offline feature at the default demo size.

Draft accuracy, two sets, each scored against the majority class of the MOs the vote could see, in the same run:
- tuning: the seller evaluation set (tests/mos/eval): its notes and paraphrase queries with one true MO; the true
  MO is taken out of the index before drafting (a new MO's notes have no MO of their own yet). NEIGHBOURS,
  VOTE_SHARE and the squared weights were chosen looking at this set only.
- held out: 60 MOs of a demo world with a seed nothing was tuned on (seed 11); their narratives are the notes and
  none of the 60 is in the index (the other 260 are). Never looked at before these figures were written down.
Ask: citation precision (cited MOs that are labelled relevant) on the seller paraphrase and keyword queries.
Latency: each offline feature on the default demo world (320 MOs; the hit log does not matter here).

Run: .venv/bin/python bench/bench_ai.py [--embeddings local|hash]   (about 2-4 minutes on 2 shared cores)
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "mos" / "eval"))

import evalset  # noqa: E402
from rm_core.ai.ask import ask_repository  # noqa: E402
from rm_core.ai.draft import offline_draft  # noqa: E402
from rm_core.mos.records import MODoc  # noqa: E402

HELD_OUT = 60


def _engine(docs, embeddings, folder: Path):
    from rm_core.mos.engine import MOSearchEngine

    engine = MOSearchEngine(SimpleNamespace(chroma_host=None, chroma_path=folder / "chroma", home=None,
                                            embeddings="local"), embeddings=embeddings)
    engine.index(docs)
    return engine


def _score(cases, engine, pool_meta) -> dict:
    """cases: (notes, true family, true stage); pool_meta: metadata of the MOs the vote could see."""
    majority_family = Counter(m["abuse_family"] for m in pool_meta).most_common(1)[0][0]
    majority_stage = Counter(m["stage"] for m in pool_meta).most_common(1)[0][0]
    family = stage = base_family = base_stage = 0
    for notes, true_family, true_stage, remove in cases:
        if remove:
            remove()
        draft = offline_draft(notes, engine)
        family += draft.abuse_family == true_family
        stage += draft.stage == true_stage
        base_family += majority_family == true_family
        base_stage += majority_stage == true_stage
    n = len(cases)
    return {"n": n, "family": family / n, "stage": stage / n, "base_family": base_family / n,
            "base_stage": base_stage / n}


def tuning_set(embeddings, root: Path) -> dict:
    docs = {d.mo_id: d for d in evalset.seller_docs()}
    engine = _engine(list(docs.values()), embeddings, root / "seller")
    cases = []
    restore: list[MODoc] = []

    def leave_out(mo_id):
        def run():
            while restore:
                engine.upsert(restore.pop())
            engine.delete(mo_id)
            restore.append(docs[mo_id])
        return run

    for q in evalset.queries():
        if q.corpus != "seller" or len(q.relevant) != 1 or q.kind not in ("notes", "paraphrase"):
            continue
        true = docs[q.relevant[0]]
        cases.append((q.query, true.metadata["abuse_family"], true.metadata["stage"], leave_out(true.mo_id)))
    return _score(cases, engine, [d.metadata for d in docs.values()])


def demo_docs(seed: int) -> list[MODoc]:
    from rm_core.demo.mos import build_mos
    from rm_core.demo.world import DEMO_ANCHOR

    out = []
    for m in build_mos(seed, DEMO_ANCHOR, 320):
        r = m.row
        out.append(MODoc(r["id"], r["title"], r["narrative"], {"abuse_family": r["abuse_family"],
                                                               "stage": r["stage"], "severity": r["severity"]}))
    return out


def held_out_set(embeddings, root: Path) -> dict:
    docs = demo_docs(11)
    held, pool = docs[::len(docs) // HELD_OUT][:HELD_OUT], None
    held_ids = {d.mo_id for d in held}
    pool = [d for d in docs if d.mo_id not in held_ids]
    engine = _engine(pool, embeddings, root / "demo11")
    cases = [(d.text, d.metadata["abuse_family"], d.metadata["stage"], None) for d in held]
    return _score(cases, engine, [d.metadata for d in pool])


def ask_precision(embeddings, root: Path) -> dict:
    engine = _engine(evalset.seller_docs(), embeddings, root / "seller-ask")
    out = {}
    qs = [q for q in evalset.queries() if q.corpus == "seller" and q.kind in ("paraphrase", "keyword") and q.relevant]
    for k in (1, 3):
        cited = relevant = answered = 0
        for q in qs:
            result = ask_repository(q.query, engine, k=k, model=None)
            ids = result.value.citations
            cited += len(ids)
            relevant += sum(i in q.relevant for i in ids)
            answered += any(i in q.relevant for i in ids)
        # baseline: citing the k MOs most often relevant across the set, whatever the question
        common = [m for m, _ in Counter(r for q in qs for r in q.relevant).most_common(k)]
        base = sum(sum(m in q.relevant for m in common) for q in qs) / (k * len(qs))
        out[k] = {"n": len(qs), "precision": relevant / max(cited, 1), "any_relevant": answered / len(qs),
                  "baseline_precision": base}
    return out


def _p95(fn, runs: int = 30) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return times[int(0.95 * (len(times) - 1))]


def latency(embeddings, root: Path) -> dict:
    from rm_core.ai.narrative import narrative
    from rm_core.ai.themes import ThemeIdeas, name_themes, session_summary
    from rm_core.demo import workshop
    from rm_core.demo.world import DEMO_ANCHOR

    docs = demo_docs(7)
    engine = _engine(docs, embeddings, root / "demo7")
    notes = docs[3].text
    out = {"draft": _p95(lambda: offline_draft(notes, engine)),
           "ask": _p95(lambda: ask_repository("sellers change the payout bank account before disbursement", engine,
                                              8, model=None))}
    # the demo workshop's ideas, grouped by the theme the demo world gives them
    by_theme: dict[int, list[str]] = {}
    for theme, _, text in workshop.IDEAS:
        by_theme.setdefault(theme, []).append(text)
    themes = [ThemeIdeas(n, workshop.THEMES[n] if n < len(workshop.THEMES) else f"Theme {n}", texts)
              for n, texts in sorted(by_theme.items())]
    out["theme_names"] = _p95(lambda: name_themes(themes, model=None))
    out["session_summary"] = _p95(lambda: session_summary(themes, model=None))
    report = _flash_report(root)
    if report is not None:
        out["narrative"] = _p95(lambda: narrative(report, model=None))
    return out


def _flash_report(root: Path):
    """The flash report of a seeded small demo world (same 320 MOs as default; 50k hits instead of 2M)."""
    import os

    os.environ.update({"RM_HOME": str(root / "world"), "RM_EMBEDDINGS": "hash"})
    from rm_core.demo.world import seed_demo
    from rm_core.reports.flash import flash_for_week
    from rm_core.settings import get_settings
    from rm_core.store.migrate import upgrade

    get_settings.cache_clear()
    upgrade(get_settings())
    seed_demo(get_settings(), scale="small")
    return flash_for_week()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--embeddings", choices=("local", "hash"), default="local")
    args = parser.parse_args()
    if args.embeddings == "local":
        from rm_core.mos.embeddings import MiniLMEmbeddings

        embeddings = MiniLMEmbeddings()
    else:
        from rm_core.mos.embeddings import HashEmbeddings

        embeddings = HashEmbeddings()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rm-bench-ai-") as tmp:
        root = Path(tmp)
        print(f"embeddings: {args.embeddings}")
        for name, result in (("tuning (seller eval, leave-one-out)", tuning_set(embeddings, root)),
                             ("held out (demo seed 11, 60 MOs not indexed)", held_out_set(embeddings, root))):
            print(f"draft {name}: n={result['n']}  family {result['family']:.0%} (majority baseline "
                  f"{result['base_family']:.0%})  stage {result['stage']:.0%} (baseline {result['base_stage']:.0%})")
        for k, r in ask_precision(embeddings, root).items():
            print(f"ask k={k}: n={r['n']}  citation precision {r['precision']:.0%}  (baseline: the {k} most often "
                  f"relevant MOs {r['baseline_precision']:.0%})  questions with a relevant citation "
                  f"{r['any_relevant']:.0%}")
        for feature, ms in latency(embeddings, root).items():
            print(f"p95 latency {feature}: {ms:.1f} ms")
    print(f"total {time.perf_counter() - started:.0f} s ({dt.date.today().isoformat()})")


if __name__ == "__main__":
    main()
