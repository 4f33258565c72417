"""`ai` commands: an MO draft from notes and an answer from the repository, as the MO page gives them."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    ai = sub.add_parser("ai", help="AI assist: draft an MO from notes, ask the repository (offline without a model)")
    asub = ai.add_subparsers(dest="ai_command", required=True)

    dr = asub.add_parser("draft", help="draft an MO from investigation notes (nothing is saved)")
    dr.add_argument("--text-file", type=Path, required=True)
    dr.add_argument("--format", choices=("json", "text"), default="text")
    dr.set_defaults(func=_draft)

    ak = asub.add_parser("ask", help="answer a question from the MOs, citing their ids")
    ak.add_argument("question")
    ak.add_argument("--k", type=int, default=8, help="MOs retrieved for the answer (1-20)")
    ak.add_argument("--format", choices=("json", "text"), default="text")
    ak.set_defaults(func=_ask)


def _engine():
    from rm_core.mos.cli import _engine as mo_engine, _replay

    engine = mo_engine()
    _replay(engine)
    return engine


def _warn(result) -> None:
    if result.message:
        print(f"warning: {result.message}", file=sys.stderr)


def _draft(args) -> int:
    from rm_core.ai.assist import log_result
    from rm_core.ai.draft import check_notes, draft_mo
    from rm_core.cli import cli_actor
    from rm_core.errors import UserError

    try:
        notes = args.text_file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{args.text_file}: not UTF-8 text.") from None
    check_notes(notes)  # bad input is refused before the index or a model is touched
    result = log_result(cli_actor(), "mo_draft", draft_mo(notes, _engine()))
    _warn(result)
    draft = result.value
    if args.format == "json":
        print(json.dumps(draft.model_dump(), ensure_ascii=False))
    else:
        print(f"{draft.title}\n  method: {draft.method}\n  family: {draft.abuse_family} · stage: {draft.stage} · "
              f"severity: {draft.severity}\n  summary: {draft.summary}\n  signals: {'; '.join(draft.signals)}")
    return 0


def _ask(args) -> int:
    from rm_core.ai.ask import ask_repository, check_question
    from rm_core.ai.assist import log_result
    from rm_core.cli import cli_actor

    check_question(args.question, args.k)
    result = log_result(cli_actor(), "ask", ask_repository(args.question, _engine(), args.k))
    _warn(result)
    if args.format == "json":
        print(json.dumps(result.value.public(result.method), ensure_ascii=False))
    else:
        print(f"({result.method})\n{result.value.text or 'No MO was retrieved for this question.'}")
    return 0
