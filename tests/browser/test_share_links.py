"""Share links in a real browser, on a server with sign-in configured and a visitor who is not signed in: a valid
link shows its read-only view and nothing else; the same URL without the token, with one character altered,
expired or revoked shows no data and no editing."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (ROOT, assert_no_exception, browser_env, open_page, rm_command, serve,
                                    share_path, shot)

pytestmark = pytest.mark.browser

MINE, OTHERS = "Seller identity graph", "Lunch menu survey"
SETUP = """
from rm_core import roadmap as rm
from rm_core.identity import resolve_actor
me = resolve_actor("browser-admin")
rm.create_initiative(me, title="Seller identity graph", workstream="Detection", status="on_track")
rm.create_initiative(me, title="Lunch menu survey", workstream="Operations", status="at_risk")
"""
EXPIRED = """
import datetime as dt
from rm_core.identity import resolve_actor
from rm_core.links import LinkScope, create_link, link_path
from rm_core.store.db import write_session
from rm_core.store.models import ShareLink
link = create_link(resolve_actor("browser-admin"), LinkScope(("roadmap",), {"workstream": ["Detection"]}))
with write_session() as s:
    s.get(ShareLink, link.id).expires_at = link.created_at - dt.timedelta(minutes=1)
link = type(link)(**{**link.__dict__, "expires_at": link.created_at - dt.timedelta(minutes=1)})
print(link_path(link))  # correctly signed, with an expiry in the past
"""
AUTH = """[auth]
redirect_uri = "http://127.0.0.1:9/oauth2callback"
cookie_secret = "a-test-cookie-secret-that-is-long-enough"
client_id = "workbench"
client_secret = "not-a-secret"
server_metadata_url = "http://127.0.0.1:9/.well-known/openid-configuration"
"""


@pytest.fixture(scope="module")
def signed_out(tmp_path_factory):
    """(base URL, env) of a server whose visitors must sign in (an [auth] section), over two initiatives."""
    home = tmp_path_factory.mktemp("share-links")
    env = {**browser_env(home), "RM_EMBEDDINGS": "hash"}
    rm_command(env, "db", "upgrade")
    subprocess.run([sys.executable, "-c", SETUP], env=env, cwd=ROOT, check=True, capture_output=True)
    secrets = Path(home) / "secrets.toml"
    secrets.write_text(AUTH)
    with serve(home, env, "--secrets.files", str(secrets)) as base:
        yield base, env


def body(page) -> str:
    """Everything on the page, hidden tabs included."""
    return page.locator('[data-testid="stApp"]').text_content()


def test_a_valid_link_shows_its_read_only_view_to_a_visitor_who_is_not_signed_in(signed_out, page):
    base, env = signed_out
    open_page(page, base, "")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()  # without a link: sign in, nothing else
    assert MINE not in body(page) and OTHERS not in body(page)

    path = share_path(env, "--view", "roadmap", "--workstream", "Detection")
    open_page(page, base, path)
    assert_no_exception(page)
    expect(page.get_by_role("heading", name="Roadmap").first).to_be_visible()
    expect(page.get_by_text("Read-only view shared by link").first).to_be_visible()
    page.get_by_role("tab", name="Now / Next / Later").click()
    expect(page.get_by_role("tabpanel", name="Now / Next / Later").get_by_text(MINE).first).to_be_visible()
    text = body(page)
    assert OTHERS not in text  # another workstream: outside the link's scope
    assert page.get_by_role("tab", name="Edit").count() == 0
    assert page.locator('[data-testid="stForm"]').count() == 0
    assert page.get_by_role("button", name="Sign in").count() == 0
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0  # no other page to go to
    shot(page, "share-link-valid")

    # asking for another page with the same token still shows only what the link names
    open_page(page, base, f"mo_search{path}")
    assert page.get_by_role("heading", name="MO search").count() == 0
    assert OTHERS not in body(page)


@pytest.mark.parametrize("how", ["removed", "altered", "expired", "revoked"])
def test_a_broken_link_shows_no_data_and_no_editing(signed_out, page, how):
    base, env = signed_out
    path = share_path(env, "--view", "roadmap", "--workstream", "Detection")
    token = path.split("share=", 1)[1]
    if how == "removed":
        path = ""
    elif how == "altered":
        i = len(token) // 2
        path = f"?share={token[:i]}{'A' if token[i] != 'A' else 'B'}{token[i + 1:]}"
    elif how == "expired":
        path = subprocess.run([sys.executable, "-c", EXPIRED], env=env, cwd=ROOT, check=True, capture_output=True,
                              text=True).stdout.strip()
    else:
        listed = json.loads(rm_command(env, "links", "list", "--format", "json"))
        link_id = listed[0]["id"]  # newest first: the link just made
        rm_command(env, "links", "revoke", link_id)
        revoked = [link for link in json.loads(rm_command(env, "links", "list", "--format", "json"))
                   if link["id"] == link_id]
        assert revoked[0]["status"] == "revoked"
    open_page(page, base, path)
    assert_no_exception(page)
    text = body(page)
    assert MINE not in text and OTHERS not in text
    assert page.get_by_role("heading", name="Roadmap").count() == 0
    assert page.get_by_role("tab").count() == 0 and page.locator('[data-testid="stForm"]').count() == 0
    if how == "removed":
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    else:
        expect(page.get_by_text("This link does not open anything")).to_be_visible()
    shot(page, f"share-link-{how}")
