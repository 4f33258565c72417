"""The command line: one top-level command per domain, each registered by its own `<domain>/cli.py`.

Handlers return an exit code. A `UserError` (or an `OSError` on a path the user gave) becomes exit 2 with its
message on stderr, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import stat
import sys
import tempfile
from pathlib import Path

from rm_core.errors import UserError

# Each module defines `register(subparsers)`; handlers import heavy libraries lazily so `--help` stays fast.
DOMAIN_CLIS = (
    "rm_core.state.cli",
    "rm_core.demo.cli",
    "rm_core.metrics.cli",
    "rm_core.reports.cli",
    "rm_core.mos.cli",
    "rm_core.rules.cli",
    "rm_core.workshops.cli",
    "rm_core.roadmap.cli",
    "rm_core.trackers.cli",
    "rm_core.users_cli",
    "rm_core.ai.cli",
    "rm_core.links.cli",
)


# commands that never open the workbench's database (the rest migrate it first: an empty state folder is a valid
# start for every command, as for the app)
FILE_ONLY_COMMANDS = frozenset({"db", "metrics"})


def _migrate() -> None:
    from rm_core.store.db import check_database
    from rm_core.store.migrate import is_current, upgrade

    check_database()
    if not is_current():
        upgrade()


def cli_actor():
    """Who runs the command: the machine's own user (`RM_USER`, else `$USER`), registered on first use like the
    app's local user (the first user of an empty workbench is admin). A shell on the server can read the state
    folder anyway; roles on the CLI stop mistakes and scripts run under a lesser account."""
    from rm_core.identity import resolve_actor
    from rm_core.settings import get_settings

    return resolve_actor(get_settings().user, via="cli")


def write_output(data: str | bytes, out: Path | str | None, what: str = "") -> None:
    """A command's result to `out` (written whole to a temporary file, then moved into place, so a failure never
    leaves half a file) and a one-line receipt on stderr, or to stdout when no file is named."""
    if out is None or str(out) == "-":
        sys.stdout.write(data.decode("utf-8") if isinstance(data, bytes) else data)
        return
    path = Path(out)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    partial: Path | None = None
    try:
        target = path.resolve()  # a symlink's target is what gets the new content
        if target.is_dir():
            raise IsADirectoryError(21, "Is a directory")
        if target.exists() and not target.is_file():  # a pipe or a device (/dev/stdout): write to it as it is
            target.write_bytes(payload)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o666 & ~_umask()
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
            partial = Path(name)
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
            os.chmod(partial, mode)
            partial.replace(target)
    except OSError as exc:
        if partial is not None:
            partial.unlink(missing_ok=True)
        raise UserError(f"Cannot write {path}: {exc.strerror or exc}") from None
    print(f"Wrote {what + ' to ' if what else ''}{path} ({len(payload):,} bytes).", file=sys.stderr)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rm_core", description="Risk Mining Workbench command line")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in DOMAIN_CLIS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a domain not built yet in this checkout
            if not exc.name or not (name == exc.name or name.startswith(exc.name + ".")):
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.command not in FILE_ONLY_COMMANDS:
            _migrate()
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a path that cannot be read or written (a folder, no permission, a full disk)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the database went away after the start-up check
        from rm_core.store.db import database_problem

        problem = database_problem(exc)
        if problem is None:
            raise
        print(f"error: {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
