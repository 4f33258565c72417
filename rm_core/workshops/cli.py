"""`python -m rm_core workshop …`: list sessions, print a tally, export a summary, suggest themes."""
from __future__ import annotations

import argparse
from pathlib import Path

from rm_core.cli import write_output


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("workshop", help="OP1 workshop sessions: list, tally, export, suggest themes")
    sub = parser.add_subparsers(dest="workshop_command", metavar="SUBCOMMAND")
    sub.required = True

    p = sub.add_parser("list", help="sessions, open first, with their outcomes")
    p.add_argument("--open", action="store_true", help="only sessions that are still open")
    p.set_defaults(func=_list)

    p = sub.add_parser("tally", help="votes per idea, most voted first")
    p.add_argument("session", help="session id or join code")
    p.set_defaults(func=_tally)

    p = sub.add_parser("export", help="the session summary as Markdown or HTML, or the ideas as CSV")
    p.add_argument("session", help="session id or join code")
    p.add_argument("--format", choices=("md", "html", "csv"), default="md")
    p.add_argument("--output", "-o", type=Path, help="write to this file instead of standard output")
    p.set_defaults(func=_export)

    p = sub.add_parser("suggest", help="suggested themes for the ideas nobody has grouped yet (reads only)")
    p.add_argument("session", help="session id or join code")
    p.add_argument("--themes", type=int, help="number of themes (default: chosen by silhouette)")
    p.set_defaults(func=_suggest)


def _list(args) -> int:
    from rm_core.workshops import list_sessions

    rows = list_sessions(include_closed=not args.open)
    if not rows:
        print("No workshop sessions yet: create one on the Workshops page.")
        return 0
    print(f"{'id':>4}  {'code':6}  {'phase':10}  {'people':>6}  {'ideas':>5}  {'votes':>5}  promoted  title")
    for r in rows:
        ws = r.session
        print(f"{ws.id:>4}  {ws.code:6}  {ws.phase_label:10}  {r.participants:>6}  {r.ideas:>5}  {r.votes:>5}  "
              f"{', '.join(r.promoted) or '-':8}  {ws.title}")
    return 0


def _tally(args) -> int:
    from rm_core.workshops import find_session, tally

    ws = find_session(args.session)
    rows = tally(ws.id)
    print(f"{ws.title} ({ws.phase_label}): {sum(r.votes for r in rows)} votes on {len(rows)} ideas")
    for r in rows:
        print(f"{r.votes:>4}  #{r.idea_id:<5} {(r.theme or '-')[:24]:24}  {' '.join(r.text.split())[:90]}")
    return 0


def _export(args) -> int:
    from rm_core.workshops import find_session
    from rm_core.workshops.export import ideas_csv, summary, to_html, to_markdown

    sm = summary(find_session(args.session).id)
    text = {"md": to_markdown, "html": to_html, "csv": ideas_csv}[args.format](sm)
    write_output(text, args.output)
    return 0


def _suggest(args) -> int:
    from rm_core.workshops import find_session, suggest_for_session

    result = suggest_for_session(find_session(args.session).id, k=args.themes)
    if not result.themes:
        print("Every idea is already in a theme (or there are no ideas).")
        return 0
    print(f"clustered on {result.vectors}; named by {result.labels}")
    for t in result.themes:
        print(f"{t.label} ({len(t.idea_ids)} ideas): {', '.join(map(str, t.idea_ids))}")
    return 0
