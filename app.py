"""Risk Mining Workbench: the router. Identity, navigation and the shared sidebar; pages do the rest."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from rm_core.charts import enable_theme
from rm_core.errors import UserError
from rm_core.identity import ROLE_PURPOSE, Actor, can, resolve_actor, resolve_signed_in
from rm_core.settings import get_settings
from rm_core.signin import AuthConfig, auth_config, is_local_visitor, read_secrets
from rm_core.startup import import_shared_modules, index_warnings, prepare_state, start_indexing
from rm_core.text import md_escape
from pages._ui import mo_engine

FAVICON = str(Path(__file__).resolve().parent / "assets" / "favicon.png")
# (section, file, title, icon); a page is listed here only once it works.
PAGES = [
    ("", "pages/home.py", "Home", ":material/home:"),
    ("Analyze", "pages/metrics.py", "Metrics (WBR)", ":material/monitoring:"),
    ("Analyze", "pages/mo_search.py", "MO search", ":material/manage_search:"),
    ("Analyze", "pages/rules_whatif.py", "Rule what-if", ":material/rule:"),
    ("Plan", "pages/ideas.py", "Ideas", ":material/lightbulb:"),
    ("Plan", "pages/workshops.py", "Workshops", ":material/groups:"),
    ("Plan", "pages/roadmap.py", "Roadmap", ":material/view_timeline:"),
    ("Operate", "pages/requests_escalations.py", "Requests & escalations", ":material/support_agent:"),
    ("Operate", "pages/gaps.py", "Upstream gaps", ":material/troubleshoot:"),
    ("Operate", "pages/sops.py", "SOPs", ":material/checklist:"),
]
# registered only for admins (the services refuse everyone else anyway)
ADMIN_PAGES = [
    ("Admin", "pages/users.py", "Users", ":material/manage_accounts:"),
]


@st.cache_resource(show_spinner="Preparing the workbench…")
def _prepared(database_url: str, home: str) -> list[str]:
    """Migrate the state once per process (keyed on where the state lives) and start the background work."""
    settings = get_settings()
    warnings = prepare_state(settings)
    # Queued index writes (after seeding, an import, or a crash mid-save) are finished in the background, after
    # the embedding model is loaded; the MO page shows the progress and searches by keyword until then.
    # (serve.py starts this at launch already; a second start is a no-op.)
    import_shared_modules()
    start_indexing(settings, mo_engine())
    return warnings


@dataclass(frozen=True)
class Visitor:
    """Who is looking: an actor, or none with the reason the no-role page explains."""

    actor: Actor | None
    # "local", "signed_in", "no_sign_in" (no [auth] and not the machine's own user), "sign_in" (not signed in
    # yet), "pending" (signed in, no role granted), "deactivated"
    reason: str
    email: str = ""


def _auth() -> AuthConfig | None:
    """The validated [auth] section of the secrets files Streamlit reads; a broken one raises (never local mode)."""
    secrets, found = read_secrets(st.get_option("secrets.files") or [])
    return auth_config(secrets, ", ".join(found) or "secrets.toml")


def _identity(auth: AuthConfig | None) -> Visitor:
    """Who this visitor is, resolved in one place; `.actor` is None for "no role" (they may still hold a share
    link)."""
    settings = get_settings()
    if auth is None:
        headers = dict(st.context.headers or {})
        remote = st.context.ip_address  # None for a loopback connection
        if is_local_visitor(st.get_option("server.address"), headers, remote if isinstance(remote, str) else None):
            return Visitor(resolve_actor(settings.user, via="local"), "local")
        return Visitor(None, "no_sign_in")
    if not st.user.is_logged_in:
        return Visitor(None, "sign_in")
    access = resolve_signed_in(st.user.to_dict(), settings)
    return Visitor(access.actor, "signed_in" if access.actor else access.reason, access.email)


def _only(render, title: str) -> None:
    """Serve one page for every URL: without st.navigation Streamlit would list the pages/ folder itself."""
    st.navigation([st.Page(render, title=title, url_path="welcome", default=True)], position="hidden").run()
    st.stop()


def _no_role_page(visitor: Visitor, auth: AuthConfig | None) -> None:
    def render() -> None:
        st.title("Risk Mining Workbench")
        if visitor.reason == "sign_in":
            st.write("Sign in with your company account to use the workbench.")
            for provider in (auth.providers if auth else ()):
                label = "Sign in" if provider == "default" else f"Sign in with {provider}"
                st.button(label, on_click=st.login, args=(None if provider == "default" else provider,),
                          type="primary", key=f"login-{provider}")
        elif visitor.reason == "pending":
            st.info(f"You are signed in as **{md_escape(visitor.email or 'an unknown account')}**, but nobody has "
                    "given you access to the workbench yet. Ask an admin for access: they grant you a role on the "
                    "Users page.", icon=":material/lock:")
            st.button("Sign out", on_click=st.logout)
        elif visitor.reason == "deactivated":
            st.warning(f"The account **{md_escape(visitor.email or '')}** has been deactivated. Ask an admin if "
                       "you need access again.", icon=":material/block:")
            st.button("Sign out", on_click=st.logout)
        else:
            st.warning("Sign-in is not configured on this server, so only the machine's own user (a browser on "
                       "the server itself, at http://localhost) can use it without signing in.",
                       icon=":material/lock:")
            st.markdown("To let others in, the person running the server adds an `[auth]` section (OpenID "
                        "Connect) to `.streamlit/secrets.toml` — see *Sign-in and roles* in the README. If you "
                        "were sent a share link, open that link instead.")

    _only(render, "Sign in" if visitor.reason == "sign_in" else "Access")


def _cannot_start(message: str) -> None:
    def render() -> None:
        st.error(f"The workbench cannot start: {md_escape(message)}", icon=":material/error:")

    _only(render, "Cannot start")


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

        def render() -> None:
            st.title("Risk Mining Workbench")
            st.error("This link does not open anything: it was changed, has expired or was revoked. Ask whoever "
                     "shared it for a new one.", icon=":material/link_off:")

        _only(render, "Link")
    st.session_state["capability-token"] = (kind, token)
    return cap


def main() -> None:
    # A local file: a ":material/…:" page icon makes every browser fetch the favicon from fonts.gstatic.com.
    st.set_page_config(page_title="Risk Mining Workbench", page_icon=FAVICON, layout="wide")
    try:
        settings = get_settings()
        logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        auth = _auth()
        warnings = _prepared(settings.database_url, str(settings.home)) + index_warnings(settings)
        # A link decides who the visitor is, before (and instead of) sign-in.
        cap = _capability()
        visitor = Visitor(cap.actor, "link") if cap is not None else _identity(auth)
    except UserError as exc:
        st.session_state.pop("actor", None)
        _cannot_start(str(exc))
        return
    actor = visitor.actor
    if actor is None:
        st.session_state.pop("actor", None)
        _no_role_page(visitor, auth)
        return
    st.session_state["actor"] = actor
    enable_theme()

    sections: dict[str, list] = {}
    shown = [p for p in PAGES if cap is None or p[1] in cap.pages]
    if cap is None and can(actor, "users.manage"):
        shown += ADMIN_PAGES
    for section, path, title, icon in shown:
        default = path.endswith("home.py") if cap is None else path == shown[0][1]
        sections.setdefault(section, []).append(st.Page(path, title=title, icon=icon, default=default))
    nav = st.navigation(sections, position="sidebar" if len(shown) > 1 else "hidden")

    with st.sidebar:
        if cap is not None:
            st.caption(cap.note)
        else:
            who = md_escape(actor.label)
            if visitor.email and visitor.email != actor.label.lower():
                who += f" ({md_escape(visitor.email)})"
            st.caption(f"Signed in as **{who}** · {actor.role}")
            st.caption(ROLE_PURPOSE[actor.role])
            for warning in warnings:
                st.warning(warning, icon=":material/warning:")
            if actor.via == "oidc":
                st.button("Sign out", on_click=st.logout)
    nav.run()


if __name__ == "__main__":
    main()
