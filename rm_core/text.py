"""Showing user text safely: as text, never as Markdown or HTML that a crafted string could abuse."""
from __future__ import annotations

import html
import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md_escape(text: str | None) -> str:
    """Escape Markdown and HTML so `st.markdown(md_escape(s))` shows exactly the characters typed."""
    if not text:
        return ""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def html_escape(text: str | None) -> str:
    return html.escape(text or "", quote=True)


def snippet(text: str, limit: int = 240) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
