"""Runs first on the fresh server: a deep link opened before anyone visited "/" still goes through the router.

(Streamlit treats a `pages/` folder as a legacy multipage app until st.navigation has run once per process.)
"""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_exception, open_page, shot

pytestmark = pytest.mark.browser


def test_a_deep_link_on_a_fresh_server_is_routed_through_the_app(served_app, page):
    open_page(page, served_app, "roadmap")
    expect(page.get_by_role("heading", name="Roadmap").first).to_be_visible()
    assert page.title() != "roadmap"
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Metrics (WBR)" in nav and "_ui" not in nav  # the app's navigation, not the legacy page list
    assert_no_exception(page)
    shot(page, "deep-link-first-request")
