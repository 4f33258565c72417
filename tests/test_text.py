"""User text shown safely: narratives keep their formatting but cannot fetch, impersonate or hide a link."""
from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st
from markdown_it import MarkdownIt

from rm_core.text import narrative_markdown

# What a reader's browser gets: Streamlit renders Markdown as CommonMark + GFM tables (raw HTML off).
_RENDER = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.S)


def html_of(narrative: str) -> str:
    return _RENDER.render(narrative_markdown(narrative))


def links(html: str) -> list[tuple[str, str]]:
    import html as h
    return [(h.unescape(href), h.unescape(re.sub(r"<[^>]+>", "", text))) for href, text in _LINK.findall(html)]


def test_a_remote_image_is_shown_as_a_link_naming_it_and_never_fetched():
    html = html_of("Sellers list gift cards ![payout screen](https://host.example/p.png) then cash out.")
    assert "<img" not in html
    assert links(html) == [("https://host.example/p.png", "https://host.example/p.png")]
    assert "payout screen" in html


def test_a_reference_image_and_a_raw_html_image_are_not_fetched_either():
    html = html_of('![x][pic]\n\n<img src="https://host.example/q.png">\n\n[pic]: https://host.example/r.png')
    assert "<img" not in html
    assert "&lt;img src=" in html  # the characters typed
    assert ("https://host.example/r.png", "https://host.example/r.png") in links(html)


def test_a_link_shows_its_real_target_even_when_its_text_pretends_another():
    html = html_of("Check [https://intranet.example/mo](https://evil.example/steal) and [the SOP](https://sop.example/7).")
    shown = links(html)
    assert shown == [("https://evil.example/steal", "https://evil.example/steal"),
                     ("https://sop.example/7", "https://sop.example/7")]
    assert "https://intranet.example/mo" in re.sub(r"<[^>]+>", "", html)  # the label is still there, as text


def test_headings_become_bold_lines_so_a_narrative_cannot_imitate_the_page():
    html = html_of("# Verdict: KNOWN MO — approved\n\nBody\n\nSetext\n===\n\n### Steps")
    assert not re.search(r"<h[1-6]", html)
    assert "<strong>Verdict: KNOWN MO — approved</strong>" in html
    assert "<strong>Setext</strong>" in html and "<strong>Steps</strong>" in html


def test_streamlit_directives_math_and_javascript_links_are_shown_as_typed():
    out = narrative_markdown("Pay :red[now] :material/warning: $x$ [go](javascript:alert(1))")
    html = _RENDER.render(out)
    assert "<a " not in html
    text = re.sub(r"<[^>]+>", "", html)
    assert ":red[now] :material/warning: $x$ [go](javascript:alert(1))" in text


def test_formatting_analysts_use_survives():
    src = ("Intro with *emphasis*, **bold**, ~~old~~ and `code|x`.\n\n1. first\n2. second\n   - nested\n\n"
           "> a quote\n\n| signal | weight |\n|:--|--:|\n| new bank | `high` |\n\n```python\nprint('![x](https://h/p.png)')\n```")
    html = html_of(src)
    for fragment in ("<em>emphasis</em>", "<strong>bold</strong>", "<s>old</s>", "<code>code|x</code>", "<ol>",
                     "<li>first</li>", "<ul>", "<blockquote>", "<table>", "<td style=\"text-align:left\">new bank</td>",
                     "<td style=\"text-align:right\"><code>high</code></td>",
                     "print('![x](https://h/p.png)')"):
        assert fragment in html, fragment
    assert "<img" not in html


_PIECES = st.sampled_from(["![a](https://h.example/i.png)", "[t](https://x.example/y)", "# H", "\n", "\n\n", "*",
                           "`", "<img src=x>", "[", "]", "(", ")", "!", "https://u.example", "- ", "1. ", "> ",
                           "|", "word", " ", ":red[", "$", "\\", "<https://a.example>", "[r]", "\n[r]: https://r.example"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_whatever_is_typed_no_image_no_heading_and_every_link_shows_its_target(typed):
    html = html_of(typed)
    assert "<img" not in html
    assert not re.search(r"<h[1-6]", html)
    for href, text in links(html):
        assert text == href
