"""Users (admins only): who may use the workbench, with which role; pre-provision by email; deactivate."""
from __future__ import annotations

import streamlit as st

from pages._ui import act, current_actor, show_flash
from rm_core.errors import UserError
from rm_core.identity import ROLE_PURPOSE, ROLES, can, provision_user, set_active, set_role, users
from rm_core.text import md_escape

actor = current_actor()

st.title("Users")
if not can(actor, "users.manage"):
    st.error("Only an admin manages users.", icon=":material/lock:")
    st.stop()
st.caption("People who sign in are recognised by their identity provider's issuer and subject; an email you add "
           "here is matched only when the provider says it is verified. Every change is in the audit log.")
show_flash(st.container())

try:
    people = users(actor)
except UserError as exc:
    st.error(md_escape(str(exc)), icon=":material/error:")
    st.stop()


def _status(u) -> str:
    if not u.active:
        return "deactivated"
    if u.role is None:
        return "waiting for access"
    if u.kind == "oidc" and u.subject is None:
        return "added, not signed in yet"
    return "active"


st.dataframe([{"name": u.name, "display name": u.display_name, "email": u.email or "",
               "email verified": u.email_verified, "signs in": u.kind == "oidc", "role": u.role or "—",
               "status": _status(u), "last seen": (u.last_seen_at or "")[:16].replace("T", " ")} for u in people],
             hide_index=True, width="stretch")

waiting = [u for u in people if u.active and u.role is None]
if waiting:
    st.info(f"{len(waiting)} signed-in user(s) are waiting for access: give them a role below.",
            icon=":material/person_add:")

names = [u.name for u in people]
change, add, access = st.tabs(["Change role", "Add by email", "Deactivate or reactivate"])

with change:
    c1, c2 = st.columns(2)
    c1.selectbox("User", names, key="u-role-name")
    c2.selectbox("Role", ROLES, key="u-role-role", format_func=lambda r: f"{r} — {ROLE_PURPOSE[r]}")
    st.button("Save role", type="primary", key="u-role-save",
              on_click=lambda: act(set_role, actor, st.session_state["u-role-name"], st.session_state["u-role-role"],
                                   success=lambda u: f"{u.name} is now {u.role}."))

with add:
    c1, c2 = st.columns(2)
    c1.text_input("Email", key="u-add-email", placeholder="name@company.com")
    c2.selectbox("Role", ROLES, key="u-add-role")
    st.caption("They get this role the first time they sign in with this email, if the identity provider says it "
               "is verified.")
    st.button("Add user", type="primary", key="u-add-save",
              on_click=lambda: act(provision_user, actor, st.session_state.get("u-add-email", ""),
                                   st.session_state["u-add-role"],
                                   success=lambda u: f"Added {u.email} as {u.role}."))

with access:
    st.selectbox("User", names, key="u-active-name")
    c1, c2 = st.columns(2)
    c1.button("Deactivate", key="u-deactivate",
              on_click=lambda: act(set_active, actor, st.session_state["u-active-name"], False,
                                   success=lambda u: f"{u.name} is deactivated."))
    c2.button("Reactivate", key="u-reactivate",
              on_click=lambda: act(set_active, actor, st.session_state["u-active-name"], True,
                                   success=lambda u: f"{u.name} is active again."))
