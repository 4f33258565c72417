"""An analyst searches, filters, opens an MO and edits it — in a real browser."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_exception, open_page, shot, wait_for_app

pytestmark = pytest.mark.browser
SEARCH = "Describe what you are seeing, or type an MO id or keywords"


def test_search_filter_open_and_edit_an_mo(served_app, page):
    open_page(page, served_app, "mo_search")
    box = page.get_by_label(SEARCH)
    box.fill("sellers pass identity checks with an edited lease or utility document")
    box.press("Enter")
    wait_for_app(page)
    # A card's first line: "MO-0170 · title" over "abuse type · stage · marketplaces · site · status · severity".
    cards = page.locator('[data-testid="stMarkdownContainer"]').filter(has_text=re.compile(r"MO-\d{4} · ")).filter(visible=True)
    expect(cards.first).to_be_visible()
    assert "q=" in page.url  # the query lives in the URL, so the list can be shared
    assert_no_exception(page)

    site = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Site")
    site.click()
    page.get_by_role("option", name="India").click()
    page.keyboard.press("Escape")
    wait_for_app(page)
    expect(cards.first).to_be_visible()
    assert "site=India" in page.url
    card_texts = [cards.nth(i).inner_text() for i in range(min(cards.count(), 5))]
    assert all("India" in t for t in card_texts)
    shot(page, "mo-search-results")

    first_id = re.search(r"MO-\d{4}", card_texts[0]).group(0)
    page.locator('[data-testid="stButton"]').get_by_role("button", name="Open").first.click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name=re.compile(first_id))).to_be_visible()
    wait_for_app(page)  # the detail run (similar MOs) must finish before the form is filled

    page.get_by_text("Edit this MO").click()
    summary = page.get_by_label("Summary")
    summary.fill("Reviewed in the browser: " + summary.input_value())
    note = page.get_by_label("What changed (kept in the history)")
    note.fill("severity reviewed in browser test")
    page.get_by_role("button", name="Save MO").click()
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"· version 2 ·"))).to_be_visible()  # the history table is a canvas
    assert_no_exception(page)
    shot(page, "mo-detail-after-edit")


def _tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    wait_for_app(page)


def test_check_gives_a_verdict_on_the_first_click_after_typing(served_app, page):
    open_page(page, served_app, "mo_search")
    _tab(page, "Is this a known MO?")
    box = page.get_by_label("Paste investigation notes (up to a few thousand words)")
    box.click()
    page.keyboard.type("New seller listed discounted gift cards, then changed the payout bank account to a mule "
                       "account two hours before the first disbursement.")
    # no blur, no Ctrl+Enter: one click on Check while the box still has focus
    page.get_by_role("button", name="Check").click()
    wait_for_app(page)
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="Evidence: shares: ")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text(re.compile(r"Known MO|Related to known MOs"))
    link = alert.get_by_role("link").first  # the MO the verdict names links to its detail
    assert re.search(r"\?mo=MO-\d{4}$", link.get_attribute("href"))
    assert_no_exception(page)
    shot(page, "mo-check-first-click")

