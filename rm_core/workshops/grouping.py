"""Themes on the board (Group phase): create, rename, merge, move ideas, and accept suggested themes."""
from __future__ import annotations

from sqlalchemy import select, update

from rm_core.audit import record_event
from rm_core.errors import NotFound, UserError
from rm_core.store.db import write_session
from rm_core.store.models import Idea, Theme
from rm_core.workshops._guards import Who, check_board_actor, ensure_phase, load_idea, load_session
from rm_core.workshops.themes import SuggestedTheme

THEME_NAME_MAX = 120


def _clean(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise UserError("Give the theme a name.")
    if len(name) > THEME_NAME_MAX:
        raise UserError(f"Theme names are at most {THEME_NAME_MAX} characters.")
    return name


def _theme(s, ws, theme_id: int) -> Theme:
    theme = s.get(Theme, int(theme_id))
    if theme is None or theme.session_id != ws.id:
        raise NotFound(f"Theme {theme_id} is not on this board (it may have been merged).")
    return theme


def create_theme(session_id: int, name: str, by: Who, idea_ids: list[int] | None = None) -> int:
    """A new theme, optionally with ideas moved into it; returns its id."""
    name = _clean(name)
    with write_session() as s:
        ws = load_session(s, session_id, lock="share")
        who = check_board_actor(s, ws, by)
        ensure_phase(ws, "group", doing="group ideas")
        theme = Theme(session_id=ws.id, name=name, suggested=False)
        s.add(theme)
        s.flush()
        for idea_id in idea_ids or []:
            load_idea(s, ws, idea_id).theme_id = theme.id
        record_event(s, who, "workshop.create_theme", "theme", theme.id, None,
                     {"session_id": ws.id, "name": name, "ideas": list(idea_ids or [])})
        return theme.id


def rename_theme(session_id: int, theme_id: int, name: str, by: Who) -> None:
    name = _clean(name)
    with write_session() as s:
        ws = load_session(s, session_id, lock="share")
        who = check_board_actor(s, ws, by)
        ensure_phase(ws, "group", doing="rename themes")
        theme = _theme(s, ws, theme_id)
        before = {"name": theme.name}
        theme.name, theme.suggested = name, False
        record_event(s, who, "workshop.rename_theme", "theme", theme.id, before, {"name": name})


def merge_themes(session_id: int, keep_id: int, merge_id: int, by: Who) -> None:
    """Move every idea of theme `merge_id` into `keep_id` and remove the emptied theme."""
    if int(keep_id) == int(merge_id):
        raise UserError("Pick two different themes to merge.")
    with write_session() as s:
        ws = load_session(s, session_id, lock="share")
        who = check_board_actor(s, ws, by)
        ensure_phase(ws, "group", doing="merge themes")
        keep, gone = _theme(s, ws, keep_id), _theme(s, ws, merge_id)
        moved = s.execute(update(Idea).where(Idea.theme_id == gone.id).values(theme_id=keep.id)).rowcount
        record_event(s, who, "workshop.merge_themes", "theme", keep.id, {"merged": gone.id, "name": gone.name},
                     {"into": keep.id, "ideas_moved": moved})
        s.delete(gone)


def delete_theme(session_id: int, theme_id: int, by: Who) -> None:
    """Remove a theme; its ideas go back to ungrouped."""
    with write_session() as s:
        ws = load_session(s, session_id, lock="share")
        who = check_board_actor(s, ws, by)
        ensure_phase(ws, "group", doing="remove themes")
        theme = _theme(s, ws, theme_id)
        s.execute(update(Idea).where(Idea.theme_id == theme.id).values(theme_id=None))
        record_event(s, who, "workshop.delete_theme", "theme", theme.id, {"name": theme.name}, None)
        s.delete(theme)


def move_idea(session_id: int, idea_id: int, theme_id: int | None, by: Who) -> None:
    """Put an idea into a theme (None: back to ungrouped)."""
    move_ideas(session_id, [idea_id], theme_id, by)


def move_ideas(session_id: int, idea_ids: list[int], theme_id: int | None, by: Who) -> int:
    """Put several ideas into a theme (None: back to ungrouped) in one transaction: if any idea or the theme is
    gone, none moves. One audit event per idea; returns how many ideas moved."""
    with write_session() as s:
        ws = load_session(s, session_id, lock="share")
        who = check_board_actor(s, ws, by)
        ensure_phase(ws, "group", doing="move ideas")
        target = _theme(s, ws, theme_id).id if theme_id is not None else None
        for idea_id in dict.fromkeys(idea_ids):  # a repeated id moves once
            idea = load_idea(s, ws, idea_id)
            before = {"theme_id": idea.theme_id}
            idea.theme_id = target
            record_event(s, who, "workshop.move_idea", "idea", idea.id, before, {"theme_id": target})
    return len(dict.fromkeys(idea_ids))


def apply_suggestions(session_id: int, suggestions: list[SuggestedTheme], by: Who) -> list[int]:
    """Create the suggested themes and move their still-ungrouped ideas in (ideas already grouped by hand
    stay where people put them); returns the new theme ids."""
    created = []
    with write_session() as s:
        ws = load_session(s, session_id, lock="share")
        who = check_board_actor(s, ws, by)
        ensure_phase(ws, "group", doing="group ideas")
        ungrouped = set(s.scalars(select(Idea.id).where(Idea.session_id == ws.id, Idea.theme_id.is_(None))))
        for suggestion in suggestions:
            members = [i for i in suggestion.idea_ids if i in ungrouped]
            if not members:
                continue
            theme = Theme(session_id=ws.id, name=_clean(suggestion.label)[:THEME_NAME_MAX], suggested=True)
            s.add(theme)
            s.flush()
            s.execute(update(Idea).where(Idea.id.in_(members)).values(theme_id=theme.id))
            ungrouped -= set(members)
            created.append(theme.id)
        record_event(s, who, "workshop.apply_suggestions", "workshop_session", ws.id, None,
                     {"themes": created, "labels": [t.label for t in suggestions]})
    return created
