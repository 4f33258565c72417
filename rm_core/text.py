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


# For Markdown files people read as text: only what CommonMark/GFM itself would act on. `_` inside a word never
# starts emphasis, and `:`/`$` are Streamlit's own syntax, so neither is escaped in a file.
_MD_FILE_SPECIAL = re.compile(r"([\\`*\[\]<>|~]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z]))")
_MD_FILE_LINE_START = re.compile(r"^(\s*)([-+=#])", re.MULTILINE)


def md_file_escape(text: str | None) -> str:
    """Escape user text for a Markdown file (a download): it renders as typed in any Markdown viewer and reads
    cleanly as plain text. Use `md_escape` for what Streamlit renders on screen."""
    if not text:
        return ""
    escaped = _MD_FILE_SPECIAL.sub(r"\\\1", str(text))
    escaped = _MD_FILE_LINE_START.sub(r"\1\\\2", escaped)
    return _MD_NUMBERED.sub(r"\1\\\2", escaped)


def md_code(text: str | None) -> str:
    """`text` as a Markdown code span, shown literally (no escapes inside): the fence is one backtick longer
    than any run of backticks in it."""
    text = str(text or "")
    fence = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """'1 row', '2 rows', '1,204 rows'."""
    return f"{n:,} {noun if n == 1 else (nouns or noun + 's')}"


def html_escape(text: str | None) -> str:
    return html.escape(text or "", quote=True)


def snippet(text: str, limit: int = 240) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
