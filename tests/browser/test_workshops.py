"""Workshops in a real browser: a facilitator and a participant in two separate browser contexts."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_exception, open_page, shot, wait_for_app

pytestmark = pytest.mark.browser

IDEA = "Hold payouts when the bank account changed in the last 48 hours"


def votes_cast(page):
    return page.get_by_test_id("stMetric").filter(has_text="Votes cast")


def test_a_participants_idea_reaches_the_facilitators_board_live_and_a_vote_changes_the_tally(served_app, page,
                                                                                              browser):
    # The facilitator starts a session and lands on its board with the join code.
    open_page(page, served_app, "workshops")
    page.get_by_label("Title").fill("Browser OP1")
    page.get_by_role("button", name="Create session").click()
    wait_for_app(page)
    page.wait_for_url(re.compile(r"session=\d+"))
    session_id = re.search(r"session=(\d+)", page.url).group(1)
    expect(page.get_by_text("Join code").first).to_be_visible()

    participant_context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        other = participant_context.new_page()
        other.set_default_timeout(60_000)
        # The participant opens the join link (no identity in it), picks a name and adds an idea.
        open_page(other, served_app, f"workshops?session={session_id}")
        other.get_by_label("Display name").fill("Pat")
        other.get_by_role("button", name="Join the session").click()
        wait_for_app(other)
        other.get_by_placeholder("One idea per card…").first.fill(IDEA)
        other.get_by_role("button", name="Add idea").first.click()
        wait_for_app(other)

        # Without any reload, the idea appears on the facilitator's board within 3 s (live fragment).
        expect(page.get_by_text(IDEA)).to_be_visible(timeout=3_000)

        page.get_by_role("button", name="Next: Group →").click()
        wait_for_app(page)
        page.get_by_role("button", name="Next: Vote →").click()
        wait_for_app(page)
        expect(votes_cast(page)).to_contain_text("0")

        # The participant's board switches to voting by itself; one click is one vote.
        expect(other.get_by_text("Your votes left")).to_be_visible(timeout=3_000)
        other.get_by_role("radio", name=re.compile("Hold payouts")).click()
        wait_for_app(other)
        expect(other.get_by_test_id("stMetric").filter(has_text="Your votes left")).to_contain_text("4")

        # The facilitator's tally changes without a reload.
        expect(votes_cast(page)).to_contain_text("1", timeout=3_000)
        expect(page.get_by_text("Not voted yet:")).to_be_visible()
        assert_no_exception(page)
        assert_no_exception(other)
        shot(page, "workshops-facilitator")
        shot(other, "workshops-participant")
    finally:
        participant_context.close()
