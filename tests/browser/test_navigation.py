"""Every registered page opens in a real browser, with one navigation list and no exception."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_exception, open_page, shot, wait_for_app

pytestmark = pytest.mark.browser


def test_navigation_is_shown_once_and_every_page_opens(served_app, page):
    open_page(page, served_app)
    expect(page.get_by_text("Risk Mining Workbench").first).to_be_visible()
    nav = page.locator('[data-testid="stSidebarNav"]')
    assert nav.count() == 1, "Streamlit's legacy pages/ list must not appear beside st.navigation"
    links = page.locator('[data-testid="stSidebarNavLink"]')
    # A link's text is its icon's name, then its title.
    titles = [links.nth(i).inner_text().strip().splitlines()[-1].strip() for i in range(links.count())]
    assert titles and len(titles) == len(set(titles))
    shot(page, "home")
    for i, title in enumerate(titles):
        page.locator('[data-testid="stSidebarNavLink"]').nth(i).click()
        wait_for_app(page)
        assert_no_exception(page)
        shot(page, f"page-{i:02d}-{title.lower().replace(' ', '-').replace('&', 'and')}")


def test_home_shows_the_seeded_counts(served_app, page):
    open_page(page, served_app)
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="MOs documented")
    value = metric.locator('[data-testid="stMetricValue"]').inner_text()
    assert int(value.replace(",", "")) >= 300
