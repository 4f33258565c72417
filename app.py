"""Risk Mining Workbench: the router. Identity, navigation and the shared sidebar; pages do the rest."""
from __future__ import annotations

import logging
from dataclasses import dataclass

import streamlit as st

from rm_core.charts import enable_theme
from rm_core.errors import UserError
from rm_core.identity import ROLE_PURPOSE, Actor, resolve_actor
from rm_core.settings import get_settings
from rm_core.startup import prepare_state
from rm_core.text import md_escape
from pages._ui import mo_engine

# (section, file, title, icon); a page is listed here only once it works.
PAGES = [
    ("", "pages/home.py", "Home", ":material/home:"),
    ("Analyze", "pages/metrics.py", "Metrics (WBR)", ":material/monitoring:"),
    ("Analyze", "pages/mo_search.py", "MO search", ":material/manage_search:"),
    ("Analyze", "pages/rules_whatif.py", "Rule what-if", ":material/rule:"),
    ("Plan", "pages/workshops.py", "Workshops", ":material/groups:"),
    ("Plan", "pages/roadmap.py", "Roadmap", ":material/view_timeline:"),
    ("Operate", "pages/requests_escalations.py", "Requests & escalations", ":material/support_agent:"),
    ("Operate", "pages/gaps.py", "Upstream gaps", ":material/troubleshoot:"),
    ("Operate", "pages/sops.py", "SOPs", ":material/checklist:"),
]


@st.cache_resource(show_spinner="Preparing the workbench…")
def _prepared(database_url: str, home: str) -> list[str]:
    """Migrate and repair the state once per process (keyed on where the state lives)."""
    from rm_core.mos.repository import sync_index

    warnings = prepare_state(get_settings())
    # Queued index writes (after seeding, an import, or a crash mid-save) are finished here; ids found in only
    # one of database and index mean real drift, which is repaired and reported.
    report = sync_index(mo_engine())
    if report.missing_indexed or report.orphans_removed:
        warnings.append(f"The MO search index had drifted from the database and was repaired: "
                        f"{report.missing_indexed} MOs indexed, {report.orphans_removed} removed.")
    return warnings


# --- links: a share link or a workshop link decides who the visitor is, before (and instead of) sign-in --------

@dataclass(frozen=True)
class Capability:
    """What a link grants this browser session: an actor the services confine, and the only pages it sees."""

    actor: Actor
    pages: tuple[str, ...]
    note: str  # one line for the sidebar


def _capability() -> Capability | None:
    """The capability of the link in the URL (`share=`, `join=`, `p=`) or, once one verified, the one this browser
    session arrived with (so moving between the pages it grants keeps it). The link decides, not the visitor's
    address or sign-in. A token that does not verify (altered, expired, revoked, for another purpose) opens
    nothing: the visitor is told so and the run stops; a URL without a token leaves the normal identity."""
    from rm_core import links
    from rm_core import workshops as wk

    params, held = st.query_params, st.session_state.get("capability-token")
    kind = next((k for k in ("share", "p", "join") if params.get(k)), None)
    token = params.get(kind) if kind else None
    if kind is None and held:
        kind, token = held
    if kind is None:
        return None
    cap = None
    if kind == "share":
        link = links.link_from_token(token)
        if link is not None:
            cap = Capability(link.actor, tuple(f"pages/{links.VIEW_PAGES[v]}.py" for v in link.scope.views),
                             f"Read-only share link · {md_escape(link.scope.describe())} · until "
                             f"{link.expires_at:%d %b %Y}")
            st.session_state["share-link"] = link
    elif kind == "p":
        joined = wk.participant_from_token(None, token)
        if joined is not None:
            cap = Capability(wk.participant_actor(joined), ("pages/workshops.py",),
                             f"In this workshop as **{md_escape(joined.display_name)}**")
            st.session_state["workshop-participant"] = joined
    else:
        session_id = wk.session_from_join_token(token)
        if session_id is not None:
            cap = Capability(Actor("guest", "viewer", "Guest", via="participant", workshop_session=session_id),
                             ("pages/workshops.py",), "Joining a workshop")
    if cap is None:
        st.session_state.pop("capability-token", None)
        st.title("Risk Mining Workbench")
        st.error("This link does not open anything: it was changed, has expired or was revoked. Ask whoever "
                 "shared it for a new one.", icon=":material/link_off:")
        st.stop()
    st.session_state["capability-token"] = (kind, token)
    return cap


def _identity() -> tuple[str, str, bool]:
    """(user name, display name, is local). OIDC through st.login when [auth] is configured in secrets."""
    try:
        has_auth = "auth" in st.secrets
    except Exception:  # no secrets file at all: a local install
        has_auth = False
    if has_auth:
        if not st.user.is_logged_in:
            st.title("Risk Mining Workbench")
            st.button("Sign in", on_click=st.login, type="primary")
            st.stop()
        name = st.user.get("email") or st.user.get("name") or "user"
        return str(name), str(st.user.get("name") or name), False
    user = get_settings().user
    return user, user, True


def main() -> None:
    st.set_page_config(page_title="Risk Mining Workbench", page_icon=":material/shield:", layout="wide")
    try:
        settings = get_settings()
        logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        warnings = _prepared(settings.database_url, str(settings.home))
        cap = _capability()
        if cap is None:
            name, display, local = _identity()
            actor = resolve_actor(name, display, local=local)
        else:
            actor, local = cap.actor, True
    except UserError as exc:
        st.error(f"The workbench cannot start: {md_escape(str(exc))}", icon=":material/error:")
        st.stop()
    st.session_state["actor"] = actor
    enable_theme()

    sections: dict[str, list] = {}
    shown = [p for p in PAGES if cap is None or p[1] in cap.pages]
    for section, path, title, icon in shown:
        default = path.endswith("home.py") if cap is None else path == shown[0][1]
        sections.setdefault(section, []).append(st.Page(path, title=title, icon=icon, default=default))
    nav = st.navigation(sections, position="sidebar" if len(shown) > 1 else "hidden")

    with st.sidebar:
        if cap is not None:
            st.caption(cap.note)
        else:
            st.caption(f"Signed in as **{md_escape(actor.label)}** · {actor.role}")
            st.caption(ROLE_PURPOSE[actor.role])
            for warning in warnings:
                st.warning(warning, icon=":material/warning:")
            if not local:
                st.button("Sign out", on_click=st.logout)
    nav.run()


if __name__ == "__main__":
    main()
