"""Risk Mining Workbench: the router. Identity, navigation and the shared sidebar; pages do the rest."""
from __future__ import annotations

import logging

import streamlit as st

from rm_core.charts import enable_theme
from rm_core.errors import UserError
from rm_core.identity import ROLE_PURPOSE, resolve_actor
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
    # Queued index writes (after seeding, an import, or a crash mid-save) are finished here; MOs whose indexed
    # passages are missing, incomplete or not the database's content mean real drift, repaired and reported.
    report = sync_index(mo_engine())
    if report.repaired:
        warnings.append(f"The MO search index had drifted from the database and was repaired: "
                        f"{report.missing_indexed} MOs indexed, {report.stale_reindexed} re-indexed, "
                        f"{report.orphans_removed} removed.")
    return warnings


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
    st.set_page_config(page_title="Risk Mining Workbench", page_icon=":material/shield:", layout="wide",
                       initial_sidebar_state="collapsed" if st.query_params.get("view") == "leadership" else "auto")
    try:
        settings = get_settings()
        logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        warnings = _prepared(settings.database_url, str(settings.home))
        name, display, local = _identity()
        actor = resolve_actor(name, display, local=local)
    except UserError as exc:
        st.error(f"The workbench cannot start: {md_escape(str(exc))}", icon=":material/error:")
        st.stop()
    st.session_state["actor"] = actor
    enable_theme()

    leadership = st.query_params.get("view") == "leadership"
    sections: dict[str, list] = {}
    for section, path, title, icon in PAGES:
        sections.setdefault(section, []).append(st.Page(path, title=title, icon=icon, default=path.endswith("home.py")))
    nav = st.navigation(sections, position="hidden" if leadership else "sidebar")

    if not leadership:
        with st.sidebar:
            st.caption(f"Signed in as **{md_escape(actor.label)}** · {actor.role}")
            st.caption(ROLE_PURPOSE[actor.role])
            for warning in warnings:
                st.warning(warning, icon=":material/warning:")
            if not local:
                st.button("Sign out", on_click=st.logout)
    nav.run()


if __name__ == "__main__":
    main()
