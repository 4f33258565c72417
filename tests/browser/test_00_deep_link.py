"""Runs first on the fresh server: a deep link opened before anyone visited "/" still goes through the router.

(Streamlit treats a `pages/` folder as a legacy multipage app until st.navigation has run once per process.)
"""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_exception, open_page, shot

pytestmark = pytest.mark.browser


def test_a_leadership_deep_link_on_a_fresh_server_is_routed_and_read_only(served_app, page):
    open_page(page, served_app, "roadmap?view=leadership")
    expect(page.get_by_role("heading", name="Roadmap").first).to_be_visible()
    assert page.title() != "roadmap"
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0  # hidden navigation, no legacy page list
    assert page.get_by_role("tab", name="Edit").count() == 0
    assert_no_exception(page)
    shot(page, "leadership-deep-link-first-request")
