"""How a page shows AI-assist output: always labelled with the method that wrote it, always as text."""
from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from typing import Any

import streamlit as st

from rm_core.ai.calls import streaming
from rm_core.ai.assist import resolve_model
from rm_core.text import md_escape

_DONE = object()


def method_caption(result) -> None:
    """Which method produced the text, and why the offline method answered when it did."""
    st.caption(f"Written by **{md_escape(result.method)}**" + (" (AI model)" if result.used_model else ""))
    if result.message:
        st.warning(md_escape(result.message), icon=":material/smart_toy:")


def show_text(sentences: Iterable[str], result) -> None:
    """Sentences as plain text (never Markdown or HTML), whichever method wrote them."""
    st.text(" ".join(sentences))


def streamed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`fn(*args)` (an AI feature) with the model's text shown as it is written (`st.write_stream`), then cleared for
    the validated result the caller lays out. The call runs in a worker thread that never touches Streamlit; this
    script thread only reads what it sends. Exceptions (a UserError) are raised here, as from a direct call."""
    if resolve_model()[0] is None:  # no model (or one that cannot be built): the offline methods do not stream
        return fn(*args, **kwargs)
    pieces: queue.Queue = queue.Queue()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            with streaming(pieces.put):
                outcome["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 (re-raised on the script thread below)
            outcome["error"] = exc
        finally:
            pieces.put(_DONE)

    def arriving():
        while (piece := pieces.get()) is not _DONE:
            yield md_escape(piece)

    worker = threading.Thread(target=work, name="ai-assist", daemon=True)
    worker.start()
    slot = st.empty()
    with slot.container():
        st.caption("The model is writing; what it says is checked when it is done.")
        st.write_stream(arriving())
    worker.join()
    slot.empty()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
