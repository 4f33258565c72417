"""`db` commands: migrations, backup and restore."""
from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="database migrations, backup and restore")
    dsub = db.add_subparsers(dest="db_command", required=True)
    up = dsub.add_parser("upgrade", help="apply pending migrations (safe to run any time)")
    up.set_defaults(func=_upgrade)
    cur = dsub.add_parser("current", help="print the schema revision and whether it is current")
    cur.set_defaults(func=_current)
    bk = dsub.add_parser("backup", help="write every table and hit log to a zip")
    bk.add_argument("--out", required=True, type=Path)
    bk.set_defaults(func=_backup)
    rs = dsub.add_parser("restore", help="replace the whole state with a backup (admin)")
    rs.add_argument("path", type=Path)
    rs.add_argument("--yes", action="store_true", help="confirm that current data is replaced")
    rs.set_defaults(func=_restore)


def _upgrade(args) -> int:
    from rm_core.store.db import check_database
    from rm_core.store.migrate import upgrade

    check_database()
    print(f"database at revision {upgrade()}")
    return 0


def _current(args) -> int:
    from rm_core.store.migrate import current_revision, head_revision

    cur, head = current_revision(), head_revision()
    print(f"{cur or 'empty'} (head {head}){'' if cur == head else ' — run: python -m rm_core db upgrade'}")
    return 0 if cur == head else 1


def _backup(args) -> int:
    from rm_core.cli import cli_actor
    from rm_core.settings import get_settings
    from rm_core.state import backup_state
    from rm_core.store.db import check_database
    from rm_core.store.migrate import upgrade

    check_database()
    upgrade()
    counts = backup_state(cli_actor(), args.out, get_settings().hits_path)
    print(f"wrote {args.out}: {sum(counts.values()):,} rows in {len(counts)} tables")
    return 0


def _restore(args) -> int:
    from rm_core.cli import cli_actor
    from rm_core.errors import UserError
    from rm_core.identity import require
    from rm_core.settings import get_settings
    from rm_core.state import restore_index, restore_state
    from rm_core.store.db import check_database
    from rm_core.store.migrate import upgrade

    check_database()
    upgrade()
    actor = cli_actor()
    require(actor, "admin")  # before --yes: a viewer learns the role needed, not how to confirm
    if not args.yes:
        raise UserError("restore replaces every record in the database; add --yes to confirm.")
    settings = get_settings()
    counts = restore_state(actor, args.path, settings.hits_path)
    print(f"restored {sum(counts.values()):,} rows from {args.path}")
    print(f"search index: {restore_index(settings).describe()}")
    return 0

