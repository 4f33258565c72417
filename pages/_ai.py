"""How a page shows AI-assist output: always labelled with the method that wrote it, always as text."""
from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

from rm_core.text import md_escape


def method_caption(result) -> None:
    """Which method produced the text, and why the offline method answered when it did."""
    st.caption(f"Written by **{md_escape(result.method)}**" + (" (AI model)" if result.used_model else ""))
    if result.message:
        st.warning(md_escape(result.message), icon=":material/smart_toy:")


def show_text(sentences: Iterable[str], result) -> None:
    """Sentences as plain text; streamed in when a model wrote them (escaped: never Markdown or HTML)."""
    sentences = list(sentences)
    if result.used_model:
        st.write_stream(md_escape(s) + " " for s in sentences)
    else:
        st.text(" ".join(sentences))
