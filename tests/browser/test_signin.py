"""Sign-in end to end: the real app with an [auth] section, a mock OpenID Connect provider on loopback, Chromium.

The app reads its secrets from a file of the test's own (`--secrets.files`), never from the repository's
`.streamlit/`.
"""
from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.browser.conftest import ROOT, STREAMLIT_RUN, browser_env, serve, wait_for_app
from tests.pg import free_port

pytestmark = pytest.mark.browser

PRIYA = {"email": "priya@example.com", "email_verified": True, "name": "Priya Pm"}
STRANGER = {"email": "stranger@example.com", "email_verified": True, "name": "Sam Stranger"}


@pytest.fixture(scope="module")
def provider():
    from oidc_provider_mock import User, run_server_in_thread

    with run_server_in_thread(port=free_port(), user_claims=[User(sub="priya-sub", claims=PRIYA),
                                                             User(sub="stranger-sub", claims=STRANGER)]) as server:
        yield f"http://localhost:{server.server_port}"


def _secrets(path: Path, port: int, provider_url: str, *, complete: bool = True) -> Path:
    lines = ["[auth]", f'redirect_uri = "http://localhost:{port}/oauth2callback"',
             'cookie_secret = "a-test-cookie-secret-that-is-long-enough"', 'client_id = "workbench"',
             f'server_metadata_url = "{provider_url}/.well-known/openid-configuration"']
    if complete:
        lines.append('client_secret = "workbench-secret"')
    path.write_text("\n".join(lines) + "\n")
    return path


@contextmanager
def _serve(home: Path, secrets: Path, port: int):
    """Plain `streamlit run app.py` (the router's own sign-in checks) with this test's secrets file."""
    env = {**browser_env(home), "RM_EMBEDDINGS": "hash"}
    with serve(home, env, "--secrets.files", str(secrets), port=port, launcher=STREAMLIT_RUN,
               host="localhost") as base:
        yield base


@pytest.fixture(scope="module")
def signin_app(provider, tmp_path_factory):
    home = tmp_path_factory.mktemp("signin-state")
    env = browser_env(home)
    env["RM_EMBEDDINGS"] = "hash"
    # the machine's own user (browser-admin) becomes the first admin and pre-provisions Priya by email
    added = subprocess.run([sys.executable, "-m", "rm_core", "users", "add", "priya@example.com", "editor"],
                           env=env, cwd=ROOT, capture_output=True, text=True)
    assert added.returncode == 0, added.stderr
    port = free_port()
    with _serve(home, _secrets(home / "secrets.toml", port, provider), port) as base:
        yield base, home, env


def _sign_in_as(page, base: str, sub: str) -> None:
    page.goto(base)
    wait_for_app(page)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/oauth2/authorize**")
    page.locator(f'button[name="sub"][value="{sub}"]').click()
    page.wait_for_url(f"{base}/**")
    wait_for_app(page)


def test_a_pre_provisioned_user_signs_in_with_their_role_and_signs_out(signin_app, page):
    from playwright.sync_api import expect

    base, home, env = signin_app
    _sign_in_as(page, base, "priya-sub")
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar).to_contain_text("Priya Pm")
    expect(sidebar).to_contain_text("priya@example.com")
    expect(sidebar).to_contain_text("· editor")
    expect(page.locator('[data-testid="stSidebarNav"]')).to_contain_text("MO search")
    expect(page.locator('[data-testid="stSidebarNav"]')).not_to_contain_text("Users")  # admins only
    listed = subprocess.run([sys.executable, "-m", "rm_core", "users", "list", "--format", "json"], env=env,
                            cwd=ROOT, capture_output=True, text=True)
    assert '"subject": "priya-sub"' in listed.stdout and '"issuer": "http://localhost:' in listed.stdout

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="End session").click()  # the provider's own end-session page
    page.wait_for_url(f"{base}/**")
    wait_for_app(page)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.locator('[data-testid="stSidebarNav"]')).to_have_count(0)
    page.goto(f"{base}/mo_search")
    wait_for_app(page)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_an_unknown_user_sees_only_the_ask_an_admin_page(signin_app, page):
    from playwright.sync_api import expect

    base, _home, _env_ = signin_app
    _sign_in_as(page, base, "stranger-sub")
    main = page.locator('[data-testid="stMain"]')
    expect(main).to_contain_text("Ask an admin for access")
    expect(main).to_contain_text("stranger@example.com")
    expect(page.locator('[data-testid="stSidebarNav"]')).to_have_count(0)
    for path in ("mo_search", "metrics", "users", "roadmap"):
        page.goto(f"{base}/{path}")
        wait_for_app(page)
        expect(main).to_contain_text("Ask an admin for access")
        expect(main).not_to_contain_text("MOs documented")
    expect(page.locator('[data-testid="stSidebarNav"]')).to_have_count(0)


def test_a_broken_auth_section_refuses_to_start(provider, tmp_path, page):
    from playwright.sync_api import expect

    port = free_port()
    secrets = _secrets(tmp_path / "broken.toml", port, provider, complete=False)
    home = tmp_path / "state"
    home.mkdir()
    with _serve(home, secrets, port) as base:
        page.goto(base)
        wait_for_app(page)
        main = page.locator('[data-testid="stMain"]')
        expect(main).to_contain_text("The workbench cannot start")
        expect(main).to_contain_text("client_secret is missing")
        expect(page.get_by_role("button", name="Sign in")).to_have_count(0)
        expect(page.locator("body")).not_to_contain_text("browser-admin")  # no fallback to the local user
        expect(page.locator('[data-testid="stSidebarNav"]')).to_have_count(0)
