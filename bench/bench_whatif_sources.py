"""Rule what-if on hit logs kept in an engine (issue #16): DuckDB over Parquet at 100 M hits with a memory limit,
PostgreSQL at 10 M, against the in-memory polars path at 10 M, in one run.

    .venv/bin/python bench/bench_whatif_sources.py                    # 10 M in memory + DuckDB, 100 M DuckDB, PG 10 M
    .venv/bin/python bench/bench_whatif_sources.py --parts 3 --no-pg  # a shorter run (30 M through DuckDB)

The log is generated once under /tmp (10 parts of 10 M hits, 500 rules, one pool of 1.5 M entities, 26 weeks;
part 1 is also the 10 M log). Each case runs in a child process so its peak RSS (DuckDB's memory included:
it runs in the app's process) is its own. Figures: prepare time (connect, check every row, aggregate in the
engine, lay out the signatures), what-if re-evaluation after preparation (target <= 50 ms), peak RSS; every
case's what-if answers are compared with the in-memory path on the same rows.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = (1, 2, 3, 5, 10, 20, 50, 100, 200, 400)
FOLDER = Path("/tmp/rm_hits_100m")


def part(i: int) -> Path:
    return FOLDER / f"part-{i:02d}.parquet"


def ensure_parts(n: int) -> None:
    for i in range(1, n + 1):
        if part(i).exists():
            continue
        code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); from rm_core.rules.synth import write_synth_hit_log; "
                f"write_synth_hit_log({str(part(i)) + '.tmp.parquet'!r}, rows=10_000_000, rules=500, "
                f"entities=1_500_000, weeks=26, seed={i})")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        Path(str(part(i)) + ".tmp.parquet").rename(part(i))
        print(f"generated {part(i)} in {time.perf_counter() - started:.0f} s", flush=True)


def child(case: dict) -> None:
    """Prepare one case, time the re-evaluations, print one JSON line."""
    import numpy as np

    from rm_core.rules import load_hit_log, prepare_hits, retire_whatif, rule_stats
    from rm_core.rules.recommend import recommend_retirement
    from rm_core.rules.whatif import recall_loss_budget

    started = time.perf_counter()
    if case["kind"] == "memory":
        prepared = prepare_hits(load_hit_log(case["path"]))
    else:
        from rm_core.rules.sqlsource import open_hit_source

        source = open_hit_source(case["url"], case.get("table"), memory_limit=case.get("memory_limit"))
        opened = time.perf_counter() - started
        prepared = source.prepare()
    prepare_s = time.perf_counter() - started
    rng = np.random.default_rng(1)
    sets = [sorted(rng.choice(prepared.rule_ids, min(SIZES[i % len(SIZES)], prepared.rule_count),
                              replace=False).tolist()) for i in range(60)]
    retire_whatif(prepared, sets[0])
    times, answers = [], []
    for chosen in sets:
        t = time.perf_counter()
        impact = retire_whatif(prepared, chosen)
        times.append(time.perf_counter() - t)
        answers.append(impact.as_dict())
    t = time.perf_counter()
    rule_stats(prepared)
    stats_s = time.perf_counter() - t
    t = time.perf_counter()
    rec = recommend_retirement(prepared, max_lost_confirmed_bad=recall_loss_budget(prepared, 1.0))
    rec_s = time.perf_counter() - t
    print(json.dumps({
        "prepare_s": prepare_s, "open_s": opened if case["kind"] != "memory" else None,
        "median_ms": statistics.median(times) * 1000, "p90_ms": float(np.percentile(times, 90) * 1000),
        "stats_s": stats_s, "recommend_s": rec_s, "retire": len(rec.retire),
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "positions": int(prepared.label.size), "entities": prepared.entity_count,
        "flagged": prepared.flagged_entities, "answers": answers,
    }))


def run_case(case: dict, timeout: float | None = None) -> dict | None:
    """The child's figures, or None when it did not finish within `timeout` seconds."""
    try:
        out = subprocess.run([sys.executable, __file__, "--child", json.dumps(case)], capture_output=True,
                             text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if out.returncode:
        raise SystemExit(f"case {case['name']} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def load_postgres(url: str, path: Path) -> tuple[str, float]:
    """Copy a Parquet part into a PostgreSQL table (timestamp column) in 1 M-row CSV chunks."""
    import polars as pl
    import psycopg

    started = time.perf_counter()
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute("ALTER DATABASE postgres SET work_mem = '256MB'")  # hash aggregates in memory, not on disk
        con.execute("DROP TABLE IF EXISTS hits")
        con.execute("CREATE UNLOGGED TABLE hits (rule_id TEXT, entity_id TEXT, event_time TIMESTAMP, label TEXT, "
                    "action TEXT, amount_usd DOUBLE PRECISION)")
        frame = pl.scan_parquet(path)
        total = frame.select(pl.len()).collect().item()
        with con.cursor().copy("COPY hits FROM STDIN WITH (FORMAT csv)") as copy:
            for lo in range(0, total, 1_000_000):
                buf = io.BytesIO()
                frame.slice(lo, 1_000_000).collect().write_csv(buf, include_header=False)
                copy.write(buf.getvalue())
        con.execute("ANALYZE hits")
    return "hits", time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child")
    parser.add_argument("--parts", type=int, default=10, help="10 M-hit parts read through DuckDB (10 = 100 M)")
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--no-pg", action="store_true", help="skip PostgreSQL at 10 M")
    parser.add_argument("--case-timeout", type=float, default=1500, help="give up on a case after this many seconds")
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return 0

    import duckdb
    import polars as pl
    import sqlglot

    ensure_parts(args.parts)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (shared with other helpers); "
          f"duckdb {duckdb.__version__}, polars {pl.__version__}, sqlglot {sqlglot.__version__}", flush=True)
    results: dict[str, dict] = {}
    cases = [
        {"name": "polars in memory, 10 M (baseline)", "kind": "memory", "path": str(part(1))},
        {"name": "DuckDB over Parquet, 10 M", "kind": "sql", "url": f"parquet://{part(1)}",
         "memory_limit": args.memory_limit},
    ]
    big = FOLDER / "parts"
    if args.parts > 1:
        big.mkdir(exist_ok=True)
        for old in big.iterdir():
            old.unlink()
        for i in range(1, args.parts + 1):
            (big / part(i).name).symlink_to(part(i))
        cases.append({"name": f"DuckDB over Parquet, {args.parts * 10} M, memory_limit {args.memory_limit}",
                      "kind": "sql", "url": f"parquet://{big}", "memory_limit": args.memory_limit})
    unfinished = []
    for case in cases:
        started = time.perf_counter()
        result = run_case(case, args.case_timeout)
        if result is None:
            unfinished.append(case["name"])
            print(f"  gave up: {case['name']} after {time.perf_counter() - started:.0f} s", flush=True)
            continue
        results[case["name"]] = result
        print(f"  done: {case['name']} ({result['prepare_s']:.1f} s, re-evaluation median "
              f"{result['median_ms']:.1f} ms, peak RSS {result['rss_mb']:,.0f} MB)", flush=True)

    if not args.no_pg:
        from tests.pg import TempPostgres

        server = TempPostgres().start()
        try:
            table, load_s = load_postgres(server.url, part(1))
            print(f"  PostgreSQL: 10 M rows copied in {load_s:.0f} s", flush=True)
            name = "PostgreSQL 15, 10 M"
            result = run_case({"name": name, "kind": "sql", "url": server.url, "table": table}, args.case_timeout)
            if result is None:
                unfinished.append(name)
            else:
                results[name] = result
                print(f"  done: {name} ({result['prepare_s']:.1f} s)", flush=True)
        finally:
            server.stop()

    baseline = results[cases[0]["name"]]
    ten_m = [n for n in results if "10 M" in n]
    print("\n| case | prepare | re-evaluation median / p90 | per-rule stats | recommendation (1 %) | peak RSS | "
          "signatures / entities | same answers as in memory |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, r in results.items():
        same = "—" if r is baseline else ("yes" if r["answers"] == baseline["answers"] else
                                          "NO" if name in ten_m else "n/a (more rows)")
        opened = f" (open + check {r['open_s']:.1f} s)" if r["open_s"] is not None else ""
        print(f"| {name} | {r['prepare_s']:.1f} s{opened} | {r['median_ms']:.1f} / {r['p90_ms']:.1f} ms | "
              f"{r['stats_s']:.2f} s | {r['recommend_s']:.2f} s ({r['retire']} rules) | {r['rss_mb']:,.0f} MB | "
              f"{r['positions']:,} / {r['entities']:,} | {same} |")
    for name in unfinished:
        print(f"| {name} | did not finish within {args.case_timeout:.0f} s | | | | | | |")
    misses = [n for n in ten_m if results[n]["answers"] != baseline["answers"]]
    slow = [n for n, r in results.items() if r["median_ms"] > 50]
    print(f"\nre-evaluation target <= 50 ms: {'ok' if not slow else 'MISSED for ' + ', '.join(slow)}; "
          f"identical answers at 10 M: {'yes' if not misses else 'NO for ' + ', '.join(misses)}; "
          f"load average now {os.getloadavg()[0]:.1f}")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
