"""Errors a user can act on: every surface (page, CLI) shows their message, never a traceback."""
from __future__ import annotations

from dataclasses import dataclass


class UserError(Exception):
    """Something the user can fix; the message says what and how."""


class PermissionDenied(UserError):
    """The acting user's role does not allow the action."""


class NotFound(UserError):
    """A record the user named does not exist."""


@dataclass(frozen=True)
class Problem:
    """One reason an input was refused: where it is (file, row, field) and why."""

    message: str
    file: str | None = None
    row: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = [p for p in (
            self.file,
            f"row {self.row}" if self.row is not None else None,
            f"field '{self.field}'" if self.field else None,
        ) if p]
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ValidationFailed(UserError):
    """Input was refused as a whole; `problems` lists every reason found (nothing was written)."""

    def __init__(self, problems: list[Problem] | Problem | str, *, limit: int = 20):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        shown = "\n".join(f"- {p}" for p in self.problems[:limit])
        more = len(self.problems) - limit
        tail = f"\n- … and {more} more" if more > 0 else ""
        super().__init__(f"{len(self.problems)} problem(s), nothing was changed:\n{shown}{tail}")
