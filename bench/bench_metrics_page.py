"""Metrics page speed: a deck of 40 metrics over 3 years of daily data with 3 filter dimensions.

Target: the page's rerun after a filter change ≤ 500 ms server time, warm (the process has loaded the data; the
new filter value has not been computed before). Measured here on the page's compute path — filter + roll-up,
the WBR engine, RAG/statuses, every 6/12 chart spec and box row, the flash report's highlights — and, when
`--apptest` is given, as a real AppTest rerun of pages/metrics.py over the seeded demo world.

Baseline in the same run: the same page written the obvious way — one engine pass per metric and every chart
built through Altair's classes (even without schema validation; `st.altair_chart` validates, which is slower
still).

    .venv/bin/python bench/bench_metrics_page.py [--apptest]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rm_core.metrics import parse_deck  # noqa: E402
from rm_core.metrics.charts import six_twelve_chart, six_twelve_spec  # noqa: E402
from rm_core.metrics.formatting import format_box  # noqa: E402
from rm_core.metrics.risk_deck import DeckSource, compute_source  # noqa: E402
from rm_core.metrics.sources import RiskData  # noqa: E402
from rm_core.metrics.status import metric_statuses  # noqa: E402
from rm_core.reports.flash import highlights_and_lowlights  # noqa: E402

SITES = ["India", "Costa Rica"]
TEAMS = ["RM India", "RM Costa Rica", "BRP NA", "BRP EU", "ML"]
ABUSE = ["account takeover", "identity fraud", "refund abuse", "counterfeit", "review manipulation",
         "payment fraud", "linked accounts", "listing hijack", "promo abuse", "money laundering"]
END = dt.date(2026, 11, 22)
DAYS = 3 * 365 + 1


def make_data(seed: int = 11) -> tuple[pl.DataFrame, dict]:
    """(daily frame with Date, site, team, abuse_type and 30 value columns, the 40-metric deck)."""
    rng = random.Random(seed)
    days = pl.date_range(END - dt.timedelta(days=DAYS - 1), END, "1d", eager=True)
    combos = [(s, t, a) for s in SITES for t in TEAMS for a in ABUSE]
    grid = pl.DataFrame({"site": [c[0] for c in combos], "team": [c[1] for c in combos],
                         "abuse_type": [c[2] for c in combos]}).join(pl.DataFrame({"Date": days}), how="cross")
    n = grid.height
    import numpy as np

    gen = np.random.default_rng(seed)
    columns = {}
    for i in range(20):  # event counts
        columns[f"events_{i}"] = gen.poisson(3 + i % 5, n).astype(float)
    for i in range(5):  # ratio numerators / denominators
        den = gen.poisson(20, n).astype(float)
        columns[f"den_{i}"] = den
        columns[f"num_{i}"] = np.minimum(den, gen.binomial(den.astype(int), 0.6 + 0.05 * i)).astype(float)
    frame = grid.with_columns([pl.Series(k, v) for k, v in columns.items()])
    metrics, blocks = {}, []
    for i in range(20):
        metrics[f"Events{i}"] = {"column": f"events_{i}", "aggf": "sum", "owner": f"owner{i % 4}",
                                 "direction": rng.choice(["higher", "lower"]), "target": 7 * (3 + i % 5) * 100,
                                 "unit": "count"}
    for i in range(5):
        metrics[f"Num{i}"] = {"column": f"num_{i}", "aggf": "sum"}
        metrics[f"Den{i}"] = {"column": f"den_{i}", "aggf": "sum"}
        ratio = [{"metric": {"name": f"Num{i}"}}, {"metric": {"name": f"Den{i}"}}]
        metrics[f"Rate{i}"] = {"function": {"divide": ratio},
                               "metric_comparison_method": "bps", "direction": "higher", "target": 0.65,
                               "unit": "%", "rag": {"green": 0.65, "amber": 0.6}}
    for i in range(5):
        metrics[f"Events{i}Avg"] = {"column": f"events_{i}", "aggf": "mean", "direction": "higher", "unit": "count"}
    for i in range(10):
        metrics[f"Share{i}"] = {"function": {"divide": [{"metric": {"name": f"Events{i}"}},
                                                        {"metric": {"name": f"Events{i + 10}"}}]},
                                "metric_comparison_method": "bps", "direction": "higher", "target": 0.8,
                                "unit": "%"}
    charted = [m for m in metrics if not m.startswith(("Num", "Den"))]
    assert len(charted) == 40, len(charted)
    for k, name in enumerate(charted):
        if k % 10 == 0:
            blocks.append({"block": {"ui_type": "section", "title": f"Section {k // 10 + 1}"}})
        blocks.append({"block": {"ui_type": "6_12Graph", "title": name, "metrics": {name: {}}}})
    deck = {"setup": {"title": "Bench WBR", "week_ends_on": "Sunday"}, "metrics": metrics, "deck": blocks}
    return frame, deck


def page_compute(source: DeckSource, filters: dict, *, altair: bool = False, per_metric: bool = False) -> int:
    """What one page rerun computes after a filter change; returns the number of charts built."""
    if per_metric:
        results = []
        for block in source.deck.deck:
            if block.ui_type != "6_12Graph":
                continue
            one = source.deck.model_copy(update={"deck": [block]})
            results.append(compute_source(DeckSource(one, source.frame, source.calendar, source.dimensions,
                                                     source.options, source.key, source.label, True, source.risk),
                                          END, filters))
        graphs = [g for r in results for g in r.graphs()]
        result = results[0]
        statuses = [s for r in results for s in metric_statuses(r)]
    else:
        result = compute_source(source, END, filters)
        graphs = result.graphs()
        statuses = metric_statuses(result)
    for g in graphs:
        if altair:
            six_twelve_chart(g).to_dict(validate=False)
        else:
            six_twelve_spec(g)
        [format_box(i, v, g.primary.info) for i, v in enumerate(g.primary.boxes)]
    highlights_and_lowlights(statuses)
    assert result.week_ending == END
    return len(graphs)


def timed(fn, repeat: int) -> list[float]:
    out = []
    for i in range(repeat):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1000)
    return out


def _reruns(at, changes) -> list[float]:
    runs = []
    for change in changes:
        t = time.perf_counter()
        change(at).run()
        runs.append((time.perf_counter() - t) * 1000)
        assert not at.exception, at.exception
    return runs


def apptest_rerun(home: Path) -> tuple[float, float, float, float]:
    """AppTest of the real page (first run, median rerun after a filter change): the Risk Mining deck over the
    small demo world, then the 40-metric deck saved in the state folder's decks/."""
    os.environ.update({"RM_HOME": str(home), "RM_USER": "bench", "RM_EMBEDDINGS": "hash"})
    from rm_core.demo.world import seed_demo
    from rm_core.settings import get_settings
    from rm_core.store.migrate import upgrade
    from streamlit.testing.v1 import AppTest

    get_settings.cache_clear()
    upgrade(get_settings())
    seed_demo(get_settings(), scale="small")
    os.chdir(Path(__file__).resolve().parents[1])
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "pages" / "metrics.py"), default_timeout=120)
    t = time.perf_counter()
    at.run()
    first = (time.perf_counter() - t) * 1000
    abuse = at.multiselect(key="metrics-filter-abuse_type").options
    site = at.multiselect(key="metrics-filter-site")
    changes = [lambda a, v=v: a.multiselect(key="metrics-filter-site").set_value(v)
               for v in (["India"], ["Costa Rica"], ["India", "Costa Rica"])]
    changes += [lambda a, v=v: a.multiselect(key="metrics-filter-abuse_type").set_value([v]) for v in abuse[:3]]
    runs = _reruns(at, changes)
    assert site is not None

    at.radio(key="metrics-mode").set_value("Saved decks")
    t = time.perf_counter()
    at.run()
    first40 = (time.perf_counter() - t) * 1000
    assert len([s for s in at.subheader]) == 40, len(at.subheader)
    changes = [lambda a, v=v: a.multiselect(key="metrics-filter-site").set_value(v)
               for v in (["India"], ["Costa Rica"])]
    changes += [lambda a, v=v: a.multiselect(key="metrics-filter-team").set_value([v]) for v in TEAMS[:2]]
    changes += [lambda a, v=v: a.multiselect(key="metrics-filter-abuse_type").set_value([v]) for v in ABUSE[:2]]
    runs40 = _reruns(at, changes)
    return first, statistics.median(runs), first40, statistics.median(runs40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apptest", action="store_true", help="also time the real page in AppTest (seeds a demo)")
    args = parser.parse_args()

    t = time.perf_counter()
    frame, deck_raw = make_data()
    deck = parse_deck(deck_raw, name="bench")
    calendar = frame["Date"].unique().sort()
    risk = RiskData(daily=frame, records={}, start=calendar.min(), end=calendar.max(),
                    options={"site": SITES, "team": TEAMS, "abuse_type": ABUSE})
    source = DeckSource(deck=deck, frame=frame, calendar=calendar, dimensions=("site", "team", "abuse_type"),
                        options=risk.options, key="bench", label="bench", rollup=True, risk=risk)
    print(f"data: {frame.height:,} rows ({DAYS} days x {frame.height // DAYS} site/team/abuse-type combinations), "
          f"{len([c for c in frame.columns if c not in ('Date', 'site', 'team', 'abuse_type')])} value columns, "
          f"deck of {len(deck.deck) - 4} charted metrics; built in {time.perf_counter() - t:.1f} s")

    # every run uses a filter not computed before (a filter change), after one warm-up run
    filters = [{"site": [SITES[i % 2]], "abuse_type": [ABUSE[i % 10]], "team": [TEAMS[i % 5]]} for i in range(40)]
    page_compute(source, {})
    ours = timed(lambda i: page_compute(source, filters[i]), 7)
    base = timed(lambda i: page_compute(source, filters[20 + i], altair=True, per_metric=True), 1)
    med_ours, med_base = statistics.median(ours), statistics.median(base)
    print(f"page compute after a filter change (40 charts): median {med_ours:.0f} ms, max {max(ours):.0f} ms "
          f"(target <= 500 ms)")
    print(f"baseline (one engine pass per metric, Altair-built charts): median {med_base:.0f} ms")
    if args.apptest:
        home = Path(tempfile.mkdtemp(prefix="bench-metrics-"))
        (home / "decks").mkdir()
        import yaml

        (home / "decks" / "bench40.yaml").write_text(yaml.safe_dump(deck_raw, sort_keys=False))
        frame.write_csv(home / "decks" / "bench40.csv")
    print(f"ratio baseline / ours: {med_base / med_ours:.1f}x")
    if args.apptest:
        first, rerun, first40, rerun40 = apptest_rerun(home)
        print(f"AppTest, real page, Risk Mining deck over the small demo world (17 metrics): first run {first:.0f} ms,"
              f" rerun after a filter change median {rerun:.0f} ms")
        print(f"AppTest, real page, the 40-metric deck saved with its 3-year CSV: first run {first40:.0f} ms, "
              f"rerun after a filter change median {rerun40:.0f} ms (target <= 500 ms)")


if __name__ == "__main__":
    main()
