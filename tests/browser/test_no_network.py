"""Nothing reaches the network: every page, and an MO whose narrative names a remote image, load only from the app."""
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_exception, open_page, shot, wait_for_app

pytestmark = pytest.mark.browser
REMOTE_IMAGE = "https://tracker.example/pixel.png"


@pytest.fixture
def guarded(served_app, page):
    """The page, with every request to a host other than the app's recorded (and refused, so a test run never
    reaches the network either)."""
    app_host = urlparse(served_app).netloc
    foreign: list[str] = []

    def outside(url: str) -> bool:
        parts = urlparse(url)
        return parts.scheme not in ("data", "blob", "about") and parts.netloc != app_host

    page.on("request", lambda request: foreign.append(request.url) if outside(request.url) else None)
    page.context.route(lambda url: outside(url), lambda route: route.abort())
    return page, foreign


def test_no_page_requests_anything_from_another_host(served_app, guarded):
    page, foreign = guarded
    open_page(page, served_app)
    links = page.locator('[data-testid="stSidebarNavLink"]')
    expect(links.first).to_be_visible()
    assert links.count() >= 9
    for i in range(links.count()):
        page.locator('[data-testid="stSidebarNavLink"]').nth(i).click()
        wait_for_app(page)
        assert_no_exception(page)
    # the favicon is requested once the page is idle
    page.wait_for_function("() => !!document.querySelector('link[rel~=\"icon\"]')")
    page.reload()
    wait_for_app(page)
    assert foreign == []


def test_a_narrative_with_a_remote_image_shows_a_link_and_fetches_nothing(served_app, guarded):
    page, foreign = guarded
    open_page(page, served_app, "mo_search")
    page.get_by_role("tab", name="New MO").click()
    page.get_by_role("textbox", name="Title", exact=True).fill("Pixel-tracked cash-out guide")
    page.get_by_label("Narrative").fill(f"# Approved by Legal\n\nSellers follow a guide ![guide]({REMOTE_IMAGE}) "
                                        "and [https://intranet.example/sop](https://evil.example/login).")
    page.get_by_role("button", name="Create MO").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Pixel-tracked cash-out guide")).to_be_visible()
    narrative = page.locator('[data-testid="stMarkdownContainer"]').filter(has_text="Sellers follow a guide")
    expect(narrative).to_be_visible()
    assert narrative.locator("img").count() == 0
    assert narrative.locator("h1, h2, h3").count() == 0
    for link in narrative.locator("a").all():
        assert link.inner_text() == link.get_attribute("href")  # what it says is where it goes
    assert narrative.get_by_role("link", name=REMOTE_IMAGE).count() == 1
    shot(page, "mo-narrative-remote-image")
    assert foreign == []
