"""`python -m rm_core metrics …`: compute a WBR deck from a deck file and a daily CSV."""
from __future__ import annotations

import argparse
import json

from rm_core.cli import write_output


def register(subparsers) -> None:
    metrics = subparsers.add_parser("metrics", help="WBR metrics: compute decks")
    sub = metrics.add_subparsers(dest="metrics_command", metavar="SUBCOMMAND")
    sub.required = True
    wbr = sub.add_parser("wbr", help="compute a WBR deck (wbr-app deck files work as they are)")
    wbr.add_argument("--config", required=True, metavar="DECK.yaml", help="the deck: setup, metrics, deck")
    wbr.add_argument("--csv", required=True, metavar="DATA.csv", help="daily data with a Date column")
    wbr.add_argument("--week-ending", metavar="DATE", help="week to review (25-SEP-2021 or 2021-09-25); "
                     "default: the deck's week_ending, else the last complete week of the data")
    wbr.add_argument("--events", metavar="EVENTS.csv", help="annotations: Date, MetricName, EventDescription")
    wbr.add_argument("--format", choices=("json", "md", "html"), default="json")
    wbr.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    wbr.set_defaults(func=run_wbr)


def run_wbr(args: argparse.Namespace) -> int:
    from rm_core.errors import UserError
    from rm_core.metrics import compute_file
    from rm_core.metrics.deck import parse_week_ending
    from rm_core.metrics.render import deck_html, deck_markdown

    week = None
    if args.week_ending:
        try:
            week = parse_week_ending(args.week_ending)
        except ValueError as exc:
            raise UserError(f"--week-ending: {exc}") from None
    result = compute_file(args.config, args.csv, week_ending=week, events=args.events)
    if args.format == "json":
        text = json.dumps(result.to_json(), allow_nan=False)
    elif args.format == "md":
        text = deck_markdown(result)
    else:
        text = deck_html(result)
    write_output(text if args.out or text.endswith("\n") else text + "\n", args.out, f"the {args.format} deck")
    return 0
