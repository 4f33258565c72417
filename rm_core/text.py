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


# --- narratives: the Markdown analysts write, re-written so it can only format, never fetch or impersonate ---

_FENCE_INFO = re.compile(r"[^A-Za-z0-9_+#.-]")
_LINKABLE = ("http://", "https://", "mailto:")


def narrative_markdown(text: str | None) -> str:
    """Markdown a reader's browser can show without harm: emphasis, lists, quotes, code and tables stay; an
    image becomes a link naming it (nothing is fetched), every link shows its real target after its text,
    headings become bold lines (a narrative cannot imitate the page's own headings), and raw HTML, Streamlit
    directives (`:red[…]`, `:material/…:`) and math are shown as the characters typed."""
    if not text or not text.strip():
        return ""
    from markdown_it import MarkdownIt
    from markdown_it.tree import SyntaxTreeNode

    parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    tree = SyntaxTreeNode(parser.parse(str(text)))
    return "\n\n".join(b for b in (_block(node) for node in tree.children) if b).strip()


def _visible_target(url: str) -> str:
    """A link's target as the link's own text: what the reader sees is where it goes."""
    if url.lower().startswith(_LINKABLE):
        return f"[{md_escape(url)}](<{url}>)"
    return f"`{url}`" if "`" not in url else md_escape(url)


def _inline(node, in_table: bool = False) -> str:
    out = []
    for child in node.children:
        kind = child.type
        if kind == "text":
            out.append(md_escape(child.content))
        elif kind in ("softbreak", "hardbreak"):
            out.append("  \n" if kind == "hardbreak" else "\n")
        elif kind == "code_inline":
            span = _code_span(child.content)
            out.append(span.replace("|", "\\|") if in_table else span)  # a pipe would end the table cell
        elif kind in ("em", "strong", "s"):
            mark = {"em": "*", "strong": "**", "s": "~~"}[kind]
            inner = _inline(child, in_table)
            out.append(f"{mark}{inner}{mark}" if inner.strip() else inner)
        elif kind == "link":
            label = _inline(child, in_table)
            target = _visible_target(str(child.attrs.get("href", "")))
            out.append(f"{label} ({target})" if label.strip() else target)
        elif kind == "image":
            alt = md_escape(_plain(child)) or "image"
            out.append(f"image “{alt}” ({_visible_target(str(child.attrs.get('src', '')))})")
        else:  # html_inline and anything a newer parser adds: the characters typed
            out.append(md_escape(child.content or _plain(child)))
    return "".join(out)


def _plain(node) -> str:
    if node.type in ("text", "code_inline"):
        return node.content
    return "".join(_plain(c) for c in node.children) if node.children else (node.content or "")


def _code_span(code: str) -> str:
    runs = [len(r) for r in re.findall(r"`+", code)]
    fence = "`" * (max(runs) + 1 if runs else 1)
    pad = " " if code.startswith("`") or code.endswith("`") else ""
    return f"{fence}{pad}{code}{pad}{fence}"


def _indent(text: str, first: str, rest: str) -> str:
    lines = text.split("\n")
    return "\n".join([first + lines[0]] + [(rest + line) if line else line for line in lines[1:]])


def _block(node) -> str:
    kind = node.type
    if kind == "paragraph":
        return _inline(node.children[0]) if node.children else ""
    if kind == "inline":
        return _inline(node)
    if kind == "heading":
        inner = _inline(node.children[0]) if node.children else ""
        return f"**{inner}**" if inner.strip() else ""
    if kind in ("bullet_list", "ordered_list"):
        # a tight list (markdown-it hides its paragraphs) stays tight, a loose one loose
        gap = "\n" if all(c.hidden for item in node.children for c in item.children if c.type == "paragraph") \
            else "\n\n"
        items = []
        number = int(node.attrs.get("start", 1) or 1)
        for item in node.children:
            marker = "- " if kind == "bullet_list" else f"{number}. "
            number += 1
            body = gap.join(b for b in (_block(c) for c in item.children) if b) or " "
            items.append(_indent(body, marker, " " * len(marker)))
        return gap.join(items)
    if kind == "blockquote":
        body = "\n\n".join(b for b in (_block(c) for c in node.children) if b)
        return _indent(body, "> ", "> ").replace("\n\n", "\n>\n")
    if kind in ("fence", "code_block"):
        code = node.content.rstrip("\n")
        runs = [len(r) for r in re.findall(r"`{3,}", code)]
        fence = "`" * (max(runs) + 1 if runs else 3)
        lang = _FENCE_INFO.sub("", (node.info or "").split(" ")[0])[:20] if kind == "fence" else ""
        return f"{fence}{lang}\n{code}\n{fence}"
    if kind == "hr":
        return "---"
    if kind == "table":
        return _table(node)
    # html_block and anything else: shown as text
    return md_escape((node.content or _plain(node)).strip())


def _table(node) -> str:
    rows: list[list[str]] = []
    aligns: list[str] = []
    for section in node.children:          # thead, tbody
        for row in section.children:       # tr
            cells = []
            for cell in row.children:      # th / td
                cells.append(_inline(cell.children[0], in_table=True).replace("\n", " ") if cell.children else "")
                if section.type == "thead":
                    style = str(cell.attrs.get("style", ""))
                    aligns.append(":---:" if "center" in style else "---:" if "right" in style
                                  else ":---" if "left" in style else "---")
            rows.append(cells)
    if not rows:
        return ""
    width = len(rows[0])
    lines = ["| " + " | ".join(rows[0]) + " |", "| " + " | ".join(aligns or ["---"] * width) + " |"]
    lines += ["| " + " | ".join((r + [""] * width)[:width]) + " |" for r in rows[1:]]
    return "\n".join(lines)
