"""A deep link opened on a fresh server, before anyone visited "/", still goes through the router.

(Streamlit treats a `pages/` folder as a legacy multipage app until st.navigation has run once per process.)
serve.py (what `make run` serves with) switches that mode off before the server starts; this test proves it on
a server process of its own, so it holds whatever order the tests run in. (A plain `streamlit run app.py` shows
the legacy page list for a moment on such a link; the README says to serve with serve.py.)
"""
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (RECORD_NAV, ROOT, SERVE_PY, SHOWN, assert_no_exception, browser_env,
                                    open_page, serve, shot)

pytestmark = pytest.mark.browser


def test_a_deep_link_on_a_fresh_server_is_routed_through_the_app(tmp_path, page):
    home = tmp_path / "state"
    env = browser_env(home)
    subprocess.run([sys.executable, "-m", "rm_core", "db", "upgrade"], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    import app

    titles = {title for _s, _p, title, _i in app.PAGES + app.ADMIN_PAGES}  # the local user is admin
    page.add_init_script(RECORD_NAV)
    with serve(home, env, launcher=SERVE_PY) as base:
        open_page(page, base, "roadmap")  # the very first request this server process answers
        expect(page.get_by_role("heading", name="Roadmap").first).to_be_visible()
        assert page.title() != "roadmap"
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert "Metrics (WBR)" in nav and "_ui" not in nav  # the app's navigation, not the legacy page list
        assert set(page.evaluate(SHOWN)) <= titles, page.evaluate(SHOWN)  # not even for a moment
        assert_no_exception(page)
        shot(page, "deep-link-first-request")
