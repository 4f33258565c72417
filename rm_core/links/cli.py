"""`python -m rm_core links …`: list, create and revoke read-only share links as the configured user."""
from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("links", help="read-only share links to the roadmap and metrics: list, create, "
                                                 "revoke")
    sub = parser.add_subparsers(dest="links_command", metavar="SUBCOMMAND")
    sub.required = True

    p = sub.add_parser("list", help="your links (an admin: everyone's), newest first")
    p.add_argument("--active", action="store_true", help="only links that still work")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=_list)

    p = sub.add_parser("create", help="make a link and print its address")
    p.add_argument("--view", action="append", choices=("roadmap", "metrics"), required=True,
                   help="a view the link shows (repeat for both)")
    p.add_argument("--workstream", action="append", default=[], help="roadmap: only this workstream (repeatable)")
    p.add_argument("--baseline", help="roadmap: compare with this baseline")
    p.add_argument("--filter", action="append", default=[], metavar="DIMENSION=VALUE",
                   help="metrics: keep only rows where DIMENSION is VALUE (repeatable)")
    p.add_argument("--days", type=int, default=14, help="how long the link works (1-90 days, default 14)")
    p.add_argument("--base-url", default="http://localhost:8501", help="the server's address, to print in front")
    p.set_defaults(func=_create)

    p = sub.add_parser("revoke", help="stop a link working (its creator or an admin)")
    p.add_argument("link_id")
    p.set_defaults(func=_revoke)


def _list(args) -> int:
    from rm_core.cli import cli_actor
    from rm_core.links import list_links

    links = list_links(cli_actor(), include_inactive=not args.active)
    if args.format == "json":
        print(json.dumps([{"id": link.id, "status": link.status(), "scope": link.scope.to_json(),
                           "created_by": link.created_by, "created_at": link.created_at.isoformat(),
                           "expires_at": link.expires_at.isoformat(),
                           "revoked_at": link.revoked_at.isoformat() if link.revoked_at else None}
                          for link in links], indent=2))
        return 0
    if not links:
        print("No share links yet: make one on the Roadmap page or with `links create`.")
        return 0
    for link in links:
        print(f"{link.id}  {link.status():8}  until {link.expires_at:%Y-%m-%d %H:%M}  by {link.created_by:16}  "
              f"{link.scope.describe()}")
    return 0


def _create(args) -> int:
    from rm_core.cli import cli_actor
    from rm_core.errors import UserError
    from rm_core.links import LinkScope, create_link, link_path

    filters: dict[str, list[str]] = {}
    for item in args.filter:
        dim, sep, value = item.partition("=")
        if not sep or not dim.strip() or not value.strip():
            raise UserError(f"--filter {item!r}: write DIMENSION=VALUE, e.g. --filter workstream=Operations")
        filters.setdefault(dim.strip(), []).append(value.strip())
    scope = LinkScope(tuple(args.view), {"workstream": args.workstream, "baseline": args.baseline},
                      {"filters": filters})
    link = create_link(cli_actor(), scope, days=args.days)
    print(f"{args.base_url.rstrip('/')}/{link_path(link)}")
    print(f"link {link.id}: {link.scope.describe()}, until {link.expires_at:%Y-%m-%d %H:%M} UTC",
          file=sys.stderr)
    return 0


def _revoke(args) -> int:
    from rm_core.cli import cli_actor
    from rm_core.links import revoke_link

    link = revoke_link(cli_actor(), args.link_id)
    print(f"Link {link.id} is revoked (by {link.revoked_by}); it no longer opens anything.")
    return 0
