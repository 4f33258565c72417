"""`mo` commands: import, search, match, emerging, import-notes, reindex — the same services the MO page uses."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    mo = sub.add_parser("mo", help="MO repository: import, search, 'is this a known MO?', reindex")
    msub = mo.add_subparsers(dest="mo_command", required=True)

    imp = msub.add_parser("import", help="import MOs from CSV, JSONL or Parquet (all rows or none)")
    imp.add_argument("path", type=Path)
    imp.add_argument("--map", action="append", default=[], metavar="SRC=DEST",
                     help="read the file's column SRC as DEST (e.g. abuse_type=abuse_family); repeatable")
    imp.add_argument("--ignore", action="append", default=[], metavar="COL", help="leave column COL out; repeatable")
    imp.add_argument("--allow-duplicates", action="store_true",
                     help="also create rows without an id whose title and text match an existing MO")
    imp.set_defaults(func=_import)

    se = msub.add_parser("search", help="fused semantic + keyword search")
    se.add_argument("query", nargs="?")
    se.add_argument("--queries-file", type=Path, help='JSONL: {"query": ..., "where": {FIELD: VALUE}} per line')
    se.add_argument("--k", type=int, default=10)
    se.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE")
    se.add_argument("--format", choices=("json", "text"), default="text")
    se.set_defaults(func=_search)

    ma = msub.add_parser("match", help="is this a known MO? (paste investigation notes in a file)")
    ma.add_argument("--text-file", type=Path, required=True)
    ma.add_argument("--k", type=int, default=5)
    ma.add_argument("--format", choices=("json", "text"), default="text")
    ma.set_defaults(func=_match)

    em = msub.add_parser("emerging", help="clusters of recent case notes and requests linked to no MO, "
                                          "ranked by growth and by distance from every known MO")
    em.add_argument("--since", type=_date, help="first day to read notes from (YYYY-MM-DD; default: 12 weeks "
                                                "before the newest note)")
    em.add_argument("--limit", type=int, default=10, help="clusters to list (default 10)")
    em.add_argument("--format", choices=("json", "text"), default="text")
    em.set_defaults(func=_emerging)

    notes = msub.add_parser("import-notes", help="import investigation case notes from CSV or JSONL "
                                                 "(case_id, opened_at, text, optional marketplace, site; "
                                                 "all rows or none)")
    notes.add_argument("path", type=Path)
    notes.set_defaults(func=_import_notes)

    ri = msub.add_parser("reindex", help="rebuild the search index from the database")
    ri.add_argument("--check", action="store_true", help="compare every MO's indexed passages (content hash, "
                                                         "chunk count) with the database and repair what differs")
    ri.set_defaults(func=_reindex)


def _date(value: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-09-01") from None


def _engine():
    from rm_core.mos.engine import MOSearchEngine
    from rm_core.settings import get_settings

    return MOSearchEngine(get_settings())  # the database is migrated by rm_core.cli.main


def _replay(engine) -> None:
    """Finish index writes a crashed process left queued, so a search never misses a saved MO."""
    from sqlalchemy import select

    from rm_core.mos.repository import _apply_to_index
    from rm_core.store.db import read_session
    from rm_core.store.models import IndexOutbox

    with read_session() as s:
        pending = list(s.scalars(select(IndexOutbox.mo_id)))
    _apply_to_index(engine, pending)


def _progress(done: int, total: int) -> None:
    print(f"\rindexing {done:,}/{total:,}", end="" if done < total else "\n", file=sys.stderr)


def _import(args) -> int:
    from rm_core.errors import UserError
    from rm_core.cli import cli_actor
    from rm_core.mos.repository import import_mos

    if not args.path.is_file():
        raise UserError(f"{args.path}: no such file.")
    mapping = {}
    for pair in args.map:
        src, sep, dest = pair.partition("=")
        if not sep or not src.strip() or not dest.strip():
            raise UserError(f"--map {pair!r}: write it as SRC=DEST, e.g. --map abuse_type=abuse_family.")
        mapping[src.strip()] = dest.strip()
    engine = _engine()
    report = import_mos(cli_actor(), args.path, engine, progress=_progress, mapping=mapping, ignore=args.ignore,
                        allow_duplicates=args.allow_duplicates)
    print(f"{report.file}: {report.created} MOs created, {report.updated} updated, {report.indexed} indexed, "
          f"{report.unchanged} unchanged, {len(report.duplicates)} probable duplicates skipped")
    for dup in report.duplicates:
        print(f"  row {dup.row}: {dup.title!r} has the title and text of {dup.existing}; skipped "
              "(--allow-duplicates creates it)")
    return 0


def _search(args) -> int:
    from rm_core.errors import UserError
    from rm_core.mos.search import parse_where, read_queries_file

    if bool(args.query) == bool(args.queries_file):
        raise UserError("give either a QUERY or --queries-file, not both or neither.")
    if args.k < 1:
        raise UserError("--k must be at least 1.")
    if args.queries_file:
        try:
            lines = args.queries_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{args.queries_file}: cannot be read ({exc}).") from None
        queries = read_queries_file(lines, str(args.queries_file))
    else:
        queries = [(args.query, parse_where(args.where))]
    engine = _engine()
    _replay(engine)
    for results in engine.search_many(queries, k=args.k):
        if args.format == "json":
            print(results.to_json(), flush=True)
        else:
            print(f"# {results.query}")
            for rank, hit in enumerate(results.hits, 1):
                print(f"{rank:>2}. {hit.mo_id}  {hit.score:.3f}  {hit.title}\n    {hit.snippet}")
    return 0


def _match(args) -> int:
    from rm_core.ai.match_judge import judge_match
    from rm_core.errors import UserError

    try:
        notes = args.text_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{args.text_file}: cannot be read ({exc}).") from None
    if not notes.strip():
        raise UserError(f"{args.text_file}: is empty; paste the investigation notes into it.")
    engine = _engine()
    _replay(engine)
    checked = judge_match(notes, engine, k=args.k)  # the offline verdict unless RM_CHAT_MODEL names a model
    result = checked.value
    if args.format == "json":
        print(json.dumps(result.public() | {"method": checked.method}
                         | ({"note": checked.message} if checked.message else {}), ensure_ascii=False))
    else:
        named = ", ".join(f"{m.mo_id} ({m.title})" for m in result.named)
        print(f"verdict: {result.verdict}" + (f": {named}" if named else ""))
        print(f"evidence: {result.evidence}")
        if result.judgement is not None:
            print(f"model: {result.judgement.describe()}")
        for m in result.matches:
            print(f"  {m.mo_id}  {m.score:.3f}  {m.title}")
    if checked.message:
        print(f"warning: {checked.message}", file=sys.stderr)
    return 0


def _reindex(args) -> int:
    from rm_core.cli import cli_actor
    from rm_core.identity import require
    from rm_core.mos.repository import reindex, sync_index

    if not args.check:  # --check only finishes queued writes, as the app does at every start; a rebuild is editing
        require(cli_actor(), "mo.edit")
    engine = _engine()
    if args.check:
        print(sync_index(engine).describe())
        return 0
    print(f"reindexed {reindex(engine, progress=_progress):,} MOs")
    return 0


def _emerging(args) -> int:
    from rm_core.errors import UserError
    from rm_core.mos.emerging import emerging_patterns

    if args.limit < 1:
        raise UserError("--limit must be at least 1.")
    engine = _engine()
    _replay(engine)
    report = emerging_patterns(engine, args.since, limit=args.limit)
    if args.format == "json":
        print(json.dumps(report.public(), ensure_ascii=False))
        return 0
    print(f"{report.notes:,} notes since {report.since.date()}, {report.unclustered:,} in no cluster")
    for c in report.clusters:
        weekly = " ".join(str(w.notes) for w in c.weeks)
        nearest = ", ".join(f"{m.mo_id} {m.score:.2f}" for m in c.nearest) or "none"
        print(f"{c.rank:>2}. {c.label}  ({c.size} notes, growth {c.growth:+.2f}, distance {c.distance:.2f}, "
              f"verdict {c.verdict or 'n/a'})\n    per week: {weekly}\n    nearest MOs: {nearest}")
        for note in c.examples[:2]:
            print(f"    - {note.ref}: {note.text[:160]}")
    return 0


def _import_notes(args) -> int:
    from rm_core.cli import cli_actor
    from rm_core.errors import UserError
    from rm_core.mos.case_notes import import_case_notes

    if not args.path.is_file():
        raise UserError(f"{args.path}: no such file.")
    report = import_case_notes(cli_actor(), args.path.read_bytes(), args.path.name)
    print(f"{report.file}: {report.created} case notes created, {report.updated} updated, "
          f"{report.unchanged} unchanged")
    return 0
