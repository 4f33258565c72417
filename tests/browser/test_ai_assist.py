"""An analyst drafts an MO from investigation notes (no model configured: the offline method) and saves it."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_exception, open_page, shot, wait_for_app

pytestmark = pytest.mark.browser
NOTES = ("New storefront in the US store, nine days old. It listed discounted gift cards and buyers report the codes "
         "as already redeemed. Two hours before the first disbursement the payout bank account was changed to a "
         "neobank account. The same device was seen on two accounts we closed last month.")


def test_draft_an_mo_from_notes_and_save_it(served_app, page):
    open_page(page, served_app, "mo_search")
    page.get_by_role("tab", name="Is this a known MO?").click()
    page.get_by_label("Paste investigation notes (up to a few thousand words)").fill(NOTES)
    page.keyboard.press("Control+Enter")
    wait_for_app(page)
    page.get_by_role("button", name="Draft a new MO").click()
    wait_for_app(page)
    expect(page.get_by_text(re.compile("Written by offline: nearest-MO vote"))).to_be_visible()
    form = page.locator('[data-testid="stForm"]').filter(has_text="Create MO").first
    title = form.get_by_label("Title")
    assert title.input_value()  # the draft filled the editor; nothing is saved yet
    title.fill("Gift card cash-out with a late payout bank change")
    shot(page, "ai-draft-from-notes")
    form.get_by_role("button", name="Create MO").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name=re.compile("Gift card cash-out with a late payout bank change"))
           ).to_be_visible()
    assert "mo=MO-" in page.url
    assert_no_exception(page)
