"""`python -m rm_core rules …`: per-rule stats, retirement what-if and recommendation from a hit log.

The log is a file (`--hits PATH`, read into memory) or lives in an engine (`--hits-url URL [--hits-table T]`:
DuckDB over Parquet files or folders, or any SQLAlchemy database; see `rm_core.rules.sqlsource`).

The JSON shapes are stable (checks and scripts read them): `stats` prints a list of objects with exactly
RULE_STATS_FIELDS (a model's object adds MODEL_STATS_FIELDS), `whatif` one object with exactly IMPACT_FIELDS
(plus THRESHOLD_FIELDS when `--threshold` moves a model), `recommend` `retire` plus those fields.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime

from rm_core.errors import UserError


def register(subparsers) -> None:
    rules = subparsers.add_parser("rules", help="rule hit logs: stats, retirement what-if, recommendation")
    sub = rules.add_subparsers(dest="rules_command", metavar="SUBCOMMAND")
    sub.required = True

    def common(p: argparse.ArgumentParser) -> None:
        where = p.add_mutually_exclusive_group(required=True)
        where.add_argument("--hits", metavar="PATH", help="hit log, Parquet or CSV")
        where.add_argument("--hits-url", metavar="URL",
                           help="hit log in an engine: parquet:///file-or-folder, duckdb:///db.duckdb, sqlite:///…, "
                                "postgresql+psycopg://…")
        p.add_argument("--hits-table", metavar="TABLE", help="table holding the hits (with --hits-url)")
        p.add_argument("--since", metavar="YYYY-MM-DD", help="first day of the window (default: first hit)")
        p.add_argument("--until", metavar="YYYY-MM-DD", help="last day of the window, inclusive (default: last hit)")
        p.add_argument("--format", choices=("json", "table"), default="json", help="output format (default json)")

    stats = sub.add_parser("stats", help="per-rule hits, entities, labels, precision, last hit, unique catches")
    common(stats)
    stats.set_defaults(func=_stats)

    whatif = sub.add_parser("whatif", help="impact of retiring rules")
    common(whatif)
    whatif.add_argument("--retire", default="", metavar="R1,R2,…",
                        help="comma-separated detector ids (rules or models) to retire")
    whatif.add_argument("--threshold", action="append", default=[], metavar="MODEL_ID=0.9",
                        help="move a model's threshold (repeat, or comma-separate, for several models)")
    whatif.set_defaults(func=_whatif)

    recommend = sub.add_parser("recommend", help="largest set of rules to retire within a budget")
    common(recommend)
    budget = recommend.add_mutually_exclusive_group(required=True)
    budget.add_argument("--max-lost-confirmed-bad", type=int, metavar="N",
                        help="lose at most N confirmed-bad entities")
    budget.add_argument("--max-recall-loss", type=float, metavar="PCT",
                        help="lose at most PCT %% of the confirmed-bad entities flagged today")
    recommend.add_argument("--keep", default="", metavar="R1,R2,…", help="rules never to retire")
    recommend.add_argument("--with-models", action="store_true",
                           help="also raise model thresholds with what is left of the budget (adds `thresholds`)")
    recommend.set_defaults(func=_recommend)

    synth = sub.add_parser("synth", help="write a deterministic demo hit log (Parquet, or CSV by extension)")
    synth.add_argument("--out", required=True, metavar="PATH")
    synth.add_argument("--rows", type=int, default=200_000)
    synth.add_argument("--rules", type=int, default=60)
    synth.add_argument("--entities", type=int, default=30_000)
    synth.add_argument("--weeks", type=int, default=26)
    synth.add_argument("--seed", type=int, default=7)
    synth.set_defaults(func=_synth)


def _day(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"{flag} '{value}' is not a date; use YYYY-MM-DD") from None


def _prepared(args):
    from rm_core.rules.whatif import load_prepared

    since, until = _day(args.since, "--since"), _day(args.until, "--until")
    if args.hits_url:
        from rm_core.rules.sqlsource import open_hit_source

        source = open_hit_source(args.hits_url, args.hits_table)
        try:
            return source.prepare(since, until)
        finally:
            source.close()
    if args.hits_table:
        raise UserError("--hits-table goes with --hits-url")
    return load_prepared(args.hits, since, until)


def _ids(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _emit(payload, fmt: str) -> None:
    if fmt == "json":
        json.dump(payload, sys.stdout, indent=2, default=_json_default, allow_nan=False)
        sys.stdout.write("\n")
        return
    import polars as pl

    rows = payload if isinstance(payload, list) else [payload]
    with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=80, tbl_width_chars=200):
        print(pl.DataFrame(rows))


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _stats(args) -> int:
    from rm_core.rules.whatif import RULE_STATS_FIELDS, rule_stats

    from rm_core.rules.whatif import model_score_stats

    prepared = _prepared(args)
    rows = rule_stats(prepared).select(RULE_STATS_FIELDS).to_dicts()
    models = {m["rule_id"]: m for m in model_score_stats(prepared)}
    for row in rows:  # a model's row adds its kind, threshold and score distribution
        row.update(models.get(row["rule_id"], {}))
    _emit(rows, args.format)
    return 0


def _thresholds(values: list[str]) -> dict[str, float]:
    """`MODEL_ID=0.9` pairs; a malformed one is refused naming it (field threshold)."""
    from rm_core.errors import Problem, ValidationFailed

    out, problems = {}, []
    for part in (p.strip() for v in values for p in v.split(",") if p.strip()):
        name, _, value = part.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = None
        if not name.strip() or number is None or not 0 <= number <= 1:
            problems.append(Problem(f"'{part}' is not MODEL_ID=THRESHOLD with a threshold from 0 to 1",
                                    field="threshold"))
        else:
            out[name.strip()] = number
    if problems:
        raise ValidationFailed(problems)
    return out


def _whatif(args) -> int:
    from rm_core.rules.whatif import detector_whatif

    thresholds = _thresholds(args.threshold)
    if not _ids(args.retire) and not thresholds:
        raise UserError("give --retire R1,R2,… and/or --threshold MODEL_ID=0.9")
    prepared = _prepared(args)
    _emit(detector_whatif(prepared, _ids(args.retire), thresholds).as_dict(), args.format)
    return 0


def _recommend(args) -> int:
    from rm_core.rules.recommend import recommend_retirement

    prepared = _prepared(args)
    from rm_core.rules.recommend import recommend_detectors

    recommend = recommend_detectors if args.with_models else recommend_retirement  # adds `thresholds`
    result = recommend(prepared, max_lost_confirmed_bad=args.max_lost_confirmed_bad,
                                  max_recall_loss_pct=args.max_recall_loss, keep=_ids(args.keep))
    _emit(result.as_dict(), args.format)
    return 0


def _synth(args) -> int:
    from rm_core.rules.synth import write_synth_hit_log

    try:
        path = write_synth_hit_log(args.out, rows=args.rows, rules=args.rules, entities=args.entities,
                                   weeks=args.weeks, seed=args.seed)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    print(path)
    return 0
