"""`python -m rm_core users …`: the Users page from a shell (list, grant, add by email, deactivate)."""
from __future__ import annotations

import argparse
import json

ROLE_CHOICES = ("viewer", "editor", "facilitator", "admin")


def register(sub: argparse._SubParsersAction) -> None:
    users = sub.add_parser("users", help="who may use the workbench, with which role (admin)")
    usub = users.add_subparsers(dest="users_command", required=True)
    ls = usub.add_parser("list", help="every user with role, active flag, email and how they sign in")
    ls.add_argument("--format", choices=("json", "table"), default="table")
    ls.set_defaults(func=_list)
    grant = usub.add_parser("grant", help="give NAME a role (an unknown email is pre-provisioned)")
    grant.add_argument("name", help="user name, or the email of someone who signs in")
    grant.add_argument("role", choices=ROLE_CHOICES)
    grant.set_defaults(func=_grant)
    add = usub.add_parser("add", help="pre-provision an email: whoever signs in with it, verified, gets ROLE")
    add.add_argument("email")
    add.add_argument("role", choices=ROLE_CHOICES)
    add.set_defaults(func=_add)
    for name, active in (("deactivate", False), ("activate", True)):
        p = usub.add_parser(name, help=f"{name} a user" + (" (they keep their history, lose access)" if not active
                                                          else ""))
        p.add_argument("name")
        p.set_defaults(func=_set_active, active=active)


def _list(args) -> int:
    from rm_core.cli import cli_actor
    from rm_core.identity import users

    rows = users(cli_actor())
    if args.format == "json":
        print(json.dumps([u.to_json() for u in rows], indent=2))
        return 0
    for u in rows:
        state = "active" if u.active else "deactivated"
        print(f"{u.name:<40} {u.role or '(no role)':<12} {state:<12} {u.email or ''}")
    return 0


def _grant(args) -> int:
    from rm_core.cli import cli_actor
    from rm_core.identity import set_role

    user = set_role(cli_actor(), args.name, args.role)
    print(f"{user.name} is now {user.role}.")
    return 0


def _add(args) -> int:
    from rm_core.cli import cli_actor
    from rm_core.identity import provision_user

    user = provision_user(cli_actor(), args.email, args.role)
    print(f"Added {user.email} as {user.role}; they get it at their first sign-in with that email, verified.")
    return 0


def _set_active(args) -> int:
    from rm_core.cli import cli_actor
    from rm_core.identity import set_active

    user = set_active(cli_actor(), args.name, args.active)
    print(f"{user.name} is {'active' if user.active else 'deactivated'}.")
    return 0
