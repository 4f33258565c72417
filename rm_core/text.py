"""Showing user text safely: as text, never as Markdown or HTML that a crafted string could abuse."""
from __future__ import annotations

import html
import re

# Characters that start Markdown, HTML or Streamlit syntax anywhere in a line (`:` opens emoji/icon codes).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|<>~$:])")
# Characters that only matter at the start of a line (lists, numbered lists, quotes).
_MD_BULLET = re.compile(r"^(\s*)([-+=])", re.MULTILINE)
_MD_NUMBERED = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)


def md_escape(text: str | None) -> str:
    """Escape Markdown and HTML so `st.markdown(md_escape(s))` shows exactly the characters typed."""
    if not text:
        return ""
    escaped = _MD_SPECIAL.sub(r"\\\1", str(text))
    escaped = _MD_BULLET.sub(r"\1\\\2", escaped)
    return _MD_NUMBERED.sub(r"\1\\\2", escaped)


def html_escape(text: str | None) -> str:
    return html.escape(text or "", quote=True)


def snippet(text: str, limit: int = 240) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
