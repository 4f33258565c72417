"""What every page shares: the acting user, calling a service with clear errors, empty states, downloads."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from rm_core.errors import UserError
from rm_core.exports import safe_csv
from rm_core.identity import Actor, resolve_actor
from rm_core.links import ShareLinkView
from rm_core.settings import get_settings
from rm_core.text import md_escape

T = TypeVar("T")
log = logging.getLogger("rm_ui")


def _route_through_the_app() -> None:
    """Until the router has run once in this process, Streamlit treats a `pages/` folder as a legacy multipage
    app: a first request for a deep link (e.g. a leadership link to /roadmap) would run that page alone, with
    Streamlit's own page list and without sign-in. Every page imports this module first, so such a run is
    turned over to app.py's st.navigation at once (same URL, same page)."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


_route_through_the_app()

def current_actor() -> Actor:
    """Who is acting (set by app.py: a share-link or participant actor, or the signed-in user); a page run on its
    own falls back to the configured local user."""
    actor = st.session_state.get("actor")
    if actor is None:
        settings = get_settings()
        actor = resolve_actor(settings.user)
        st.session_state["actor"] = actor
    return actor


def share_link() -> ShareLinkView | None:
    """The share link this run reads through (app.py verified it), or None for a normal visitor."""
    actor = current_actor()
    link = st.session_state.get("share-link")
    return link if actor.via == "link" and link is not None and actor.name == f"link:{link.id}" else None


def run_action(fn: Callable[..., T], *args: Any, success: str | None = None, **kwargs: Any) -> T | None:
    """Call a service; a UserError (bad input, permission) becomes a message, never a traceback."""
    try:
        result = fn(*args, **kwargs)
    except UserError as exc:
        st.error(md_escape(str(exc)), icon=":material/error:")  # messages may quote what the user typed
        return None
    if success:
        st.toast(success, icon=":material/check_circle:")
    return result


def empty_state(message: str, icon: str = ":material/info:") -> None:
    st.info(message, icon=icon)


def csv_download(label: str, data, file_name: str, key: str | None = None) -> None:
    """A CSV download whose text cells cannot run as spreadsheet formulas."""
    st.download_button(label, safe_csv(data).encode("utf-8"), file_name=file_name, mime="text/csv",
                       key=key, icon=":material/download:")


@st.cache_resource(show_spinner="Opening the MO index…")
def _search_engine(where: str, embeddings: str):
    from rm_core.startup import shared_engine

    return shared_engine(get_settings())  # the one the background indexing writes with


def mo_engine():
    """The process's MO search engine (Chroma + keyword side + embedding model, loaded once, lazily)."""
    s = get_settings()
    where = f"{s.chroma_host}:{s.chroma_port}" if s.chroma_host else str(s.chroma_path)
    return _search_engine(where, s.embeddings)


_FLASH = "rm-flash"


def act(fn: Callable[..., T], *args: Any, success: str | Callable[[T], str] | None = None, **kwargs: Any) -> T | None:
    """Call a service from a widget callback; its message (error or success) is shown by `show_flash` on the
    run that follows, since a callback cannot draw where the message belongs."""
    try:
        result = fn(*args, **kwargs)
    except UserError as exc:
        st.session_state[_FLASH] = ("error", str(exc))
        return None
    if success:
        st.session_state[_FLASH] = ("success", success(result) if callable(success) else success)
    return result


def show_flash(box=None) -> None:
    """The last action's message, in a container that is always there: an element appearing above tabs
    would shift them and send the user back to the first tab."""
    box = box or st
    item = st.session_state.pop(_FLASH, None)
    if item and item[0] == "error":
        box.error(md_escape(item[1]), icon=":material/error:")  # messages may quote what the user typed
    elif item:
        box.success(md_escape(item[1]), icon=":material/check_circle:")


def record_by_id(label: str, key: str, placeholder: str, empty: str, get: Callable[[str], T]) -> T | None:
    """An id box and the record it names: the empty state while the box is empty, the lookup's message (an unknown
    id) as an error, else what `get` returns for the upper-cased id."""
    st.text_input(label, key=key, placeholder=placeholder)
    record_id = (st.session_state.get(key) or "").strip().upper()
    if not record_id:
        empty_state(empty)
        return None
    try:
        return get(record_id)
    except UserError as exc:
        st.error(md_escape(str(exc)), icon=":material/error:")
        return None


def pick_record(label: str, labels: dict[str, str], key: str, **kwargs: Any) -> str | None:
    """A selectbox of record ids (shown as `labels`) that keeps naming the record the user picked, whatever
    the labels say after an action. The browser holds a selectbox's choice as its label text: when a label
    changes (a status in it, an edited title), the next submit carries a label no option has, and Streamlit
    falls back to the first option, so a form below would act on a record nobody picked. So the chosen id is
    kept under `key` (which code may also set to pick a record), and the widget's own key carries a digest of
    the labels and the chosen id: new labels or a new pick draw a fresh widget showing the current text."""
    ids = list(labels)
    if not ids:
        return None
    chosen = st.session_state.get(key)
    if chosen not in labels:
        chosen = ids[0]
    digest = hashlib.blake2b("\x1f".join(f"{i}\x1e{t}" for i, t in labels.items()).encode(),
                             digest_size=6).hexdigest()
    widget = f"{key}-{digest}-{chosen}"

    def _remember() -> None:
        st.session_state[key] = st.session_state[widget]

    picked = st.selectbox(label, ids, index=ids.index(chosen), format_func=labels.__getitem__, key=widget,
                          on_change=_remember, **kwargs)
    st.session_state[key] = picked
    return picked


def record_key(*parts: Any) -> str:
    """A widget or form key for acting on one record in one state (e.g. `record_key("move", rule_id, status)`):
    after the record changes, its form is a new one, drawn from the record's current values, and a submit from
    the form drawn for another record or an older state does nothing."""
    return "-".join(str(p) for p in parts)


def flash(kind: str, message: str) -> None:
    """Queue a message ("error" or "success") for `show_flash` on the next run."""
    st.session_state[_FLASH] = (kind, message)


def import_export_tab(noun: str, *, key: str, has_rows: bool, export: Callable[[], str], columns: str,
                      import_fn: Callable[..., Any], actor: Actor, editable: bool,
                      template: Any = None) -> None:
    """The Import / export tab of a tracker page: a CSV of every `noun` (written on demand: formula cells are
    neutralised by the service), the import's column list, an optional template, and the upload (editors only;
    the service validates the whole file and writes nothing when any row is invalid)."""
    st.subheader("Export")
    if not has_rows:
        empty_state("Nothing to export yet.")
    else:
        if st.button(f"Prepare CSV of all {noun}", key=f"export-{key}-prepare", icon=":material/table:"):
            with st.spinner("Writing the CSV…"):
                st.session_state[f"export-{key}-csv"] = export()
                st.session_state[f"export-{key}-at"] = dt.datetime.now().strftime("%H:%M:%S")
        if st.session_state.get(f"export-{key}-csv"):
            st.download_button(f"Download {noun} (CSV)", st.session_state[f"export-{key}-csv"].encode("utf-8"),
                               file_name=f"{key}.csv", mime="text/csv", icon=":material/download:",
                               key=f"export-{key}", on_click="ignore")
            st.caption(f"Prepared at {st.session_state.get(f'export-{key}-at', '')}; prepare it again to include "
                       "later changes.")
    st.subheader("Import")
    st.caption(f"{columns} If any row is invalid nothing is imported, and every problem is listed by row and field.")
    if template is not None:
        csv_download("Download a template", template, f"{key}_template.csv", key=f"template-{key}")
    if not editable:
        st.caption("Importing needs the editor role.")
        return
    st.file_uploader(f"{noun.capitalize()} CSV", type=["csv"], key=f"import-{key}-file")

    def _import() -> None:
        upload = st.session_state.get(f"import-{key}-file")  # the file as it is now, not as the last run saw it
        if upload is None:
            flash("error", "Choose a CSV file first.")
            return
        if act(import_fn, actor, upload.getvalue(), upload.name,
               success=lambda r: f"Imported {r.count} {noun}.") is not None:
            st.session_state.pop(f"export-{key}-csv", None)  # a CSV prepared before the import is out of date

    st.button("Import", on_click=_import, key=f"import-{key}-go", icon=":material/upload:")
