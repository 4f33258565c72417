"""The router's identity part: who gets the app, who gets only an access page, and the admin-only Users page."""
import pytest
from streamlit import config

from rm_core.identity import Actor, resolve_actor, set_role
from tests.pages.conftest import app_test


def _texts(at) -> str:
    return " ".join(str(e.value) for kind in (at.warning, at.info, at.error, at.markdown) for e in kind)


@pytest.mark.parametrize("address", ["0.0.0.0", ""])
def test_without_sign_in_a_server_beyond_loopback_lets_nobody_in(state, address):
    config.set_option("server.address", address)
    at = app_test("app.py").run()
    assert not at.exception
    assert "Sign-in is not configured on this server" in _texts(at)
    assert not at.metric and not at.sidebar.caption  # no Home numbers, no "signed in as"
    assert "actor" not in at.session_state


def test_a_broken_secrets_file_stops_the_app_instead_of_letting_the_local_user_in(state, tmp_path):
    bad = tmp_path / "secrets.toml"
    bad.write_text("[auth\nredirect_uri = 1\n")
    before = config.get_option("secrets.files")
    config.set_option("secrets.files", [str(bad)])
    try:
        at = app_test("app.py").run()
    finally:
        config.set_option("secrets.files", before)
    assert "The workbench cannot start" in _texts(at) and "is not valid TOML" in _texts(at)
    assert not at.sidebar.caption


def test_an_admin_sees_the_users_page_and_changes_a_role(state):
    set_role(resolve_actor("tester"), "carlos", "viewer")
    at = app_test("app.py").run()
    at.switch_page("pages/users.py").run()
    assert not at.exception
    assert {"tester", "carlos"} <= set(at.dataframe[0].value["name"])
    at.selectbox(key="u-role-name").set_value("carlos")
    at.selectbox(key="u-role-role").set_value("editor")
    at.button(key="u-role-save").click().run()
    assert resolve_actor("carlos").role == "editor"
    assert any("carlos is now editor" in s.value for s in at.success)


def test_the_last_admin_cannot_demote_themself_on_the_page(state):
    at = app_test("app.py").run()
    at.switch_page("pages/users.py").run()
    at.selectbox(key="u-role-name").set_value("tester")
    at.selectbox(key="u-role-role").set_value("viewer")
    at.button(key="u-role-save").click().run()
    assert any("last active admin" in e.value for e in at.error)
    assert resolve_actor("tester").role == "admin"


def test_a_non_admin_has_no_users_page(state):
    boss = resolve_actor("tester")
    set_role(boss, "ada", "admin")
    set_role(Actor("ada", "admin"), "tester", "editor")
    at = app_test("app.py").run()
    assert not at.exception
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/users.py")
