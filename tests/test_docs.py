"""Docs kept honest by tests (the Datasette manner): what the CLI and the role model offer is in the README."""
from __future__ import annotations

import argparse
import re

from rm_core.cli import build_parser
from rm_core.identity import PERMISSIONS, ROLE_PURPOSE, ROLES
from rm_core.settings import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text()


def _choices(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


def _cells(line: str) -> list[str]:
    """A Markdown table row's cells; `\\|` inside a cell is a literal bar."""
    return [c.strip().replace("\0", "|") for c in line.replace("\\|", "\0").strip().strip("|").split("|")]


def _first_cells(section: str) -> list[str]:
    return [_cells(line)[0] for line in section.splitlines() if line.startswith("| `")]


def _commands_in(cell: str) -> set[tuple[str, str]]:
    """`rules stats|whatif --retire …` / `db backup …` -> {(rules, stats), (rules, whatif), (db, backup)}."""
    found = set()
    for code in re.findall(r"`([^`]+)`", cell):
        command, _, rest = re.sub(r"\[[^\]]*\]", "", code).partition(" ")
        found |= {(command, alternative.split()[0]) for alternative in rest.split("|") if alternative.strip()}
    return found


def test_every_cli_command_is_in_the_readme_table():
    documented = set().union(*(_commands_in(cell) for cell in _first_cells(_section("Command line"))))
    offered = {(name, sub) for name, parser in _choices(build_parser()).items() for sub in _choices(parser)}
    assert offered - documented == set(), "README's command table misses these `python -m rm_core` commands"
    stale = {command for command, _ in documented} - {command for command, _ in offered}
    assert stale == set(), "README's command table lists commands the CLI does not have"


def test_every_role_and_permission_is_documented_as_the_code_grants_it():
    rows = {}
    for line in _section("Sign-in and roles").splitlines():
        cells = _cells(line)
        if len(cells) == 2 and cells[0].startswith("`") and cells[0].strip("`") in PERMISSIONS:
            rows[cells[0].strip("`")] = {r.strip("` ") for r in cells[1].split(",")}
    assert rows == {name: set(roles) for name, roles in PERMISSIONS.items()}
    for role in ROLES:
        assert f"**{role}**: {ROLE_PURPOSE[role]}" in README, f"README does not describe the {role} role"
