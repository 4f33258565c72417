"""`python -m rm_core report flash …`: the weekly flash report of the Risk Mining deck, from this workbench."""
from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from rm_core.errors import UserError
from rm_core.cli import write_output

FORMATS = ("md", "html", "pdf")


def register(subparsers) -> None:
    report = subparsers.add_parser("report", help="reports the workbench writes (the weekly flash report)")
    sub = report.add_subparsers(dest="report_command", metavar="SUBCOMMAND")
    sub.required = True
    flash = sub.add_parser("flash", help="the weekly flash report of the Risk Mining deck")
    flash.add_argument("--week-ending", type=_date, default=None,
                       help="the week to report (YYYY-MM-DD, a week-end day); default: the last complete week")
    flash.add_argument("--format", choices=FORMATS, default="md", help="md (default), html or pdf")
    flash.add_argument("--out", type=Path, default=None,
                       help="file to write; default: print to standard output (md and html only)")
    flash.add_argument("--site", action="append", default=[], help="only this site (repeatable)")
    flash.add_argument("--team", action="append", default=[], help="only this team (repeatable)")
    flash.add_argument("--abuse-type", action="append", default=[], help="only this abuse type (repeatable)")
    flash.set_defaults(func=run_flash)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; write it like 2026-11-22") from None


def run_flash(args: argparse.Namespace) -> int:
    from rm_core.reports.flash import flash_for_week, render_flash

    if args.format == "pdf" and args.out is None:
        raise UserError("A PDF needs a file: add --out report.pdf")
    filters = {k: v for k, v in (("site", args.site), ("team", args.team), ("abuse_type", args.abuse_type)) if v}
    report = flash_for_week(args.week_ending, filters)
    data = render_flash(report, args.format)
    write_output(data, args.out, f"the flash report for the week ending {report.week_ending:%d %b %Y}")
    return 0
