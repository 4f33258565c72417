"""A PM ticks two rules and sees the impact panel change, in a real browser."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_exception, open_page, shot, wait_for_app

pytestmark = pytest.mark.browser


def _metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text()


def _tick(page, rule_id: str) -> None:
    page.locator('[data-testid="stMultiSelect"]').filter(has_text="Rules to retire").click()
    page.get_by_role("option", name=rule_id, exact=True).click()
    page.keyboard.press("Escape")
    wait_for_app(page)


def test_ticking_two_rules_changes_the_impact(served_app, page):
    open_page(page, served_app, "rules_whatif")
    expect(page.get_by_text("Rules to retire")).to_be_visible()
    assert_no_exception(page)
    before = int(_metric(page, "Flagged after").replace(",", ""))
    assert _metric(page, "Lost confirmed-bad") == "0"

    _tick(page, "R-0001")
    after_one = int(_metric(page, "Flagged after").replace(",", ""))
    _tick(page, "R-0002")
    after_two = int(_metric(page, "Flagged after").replace(",", ""))
    assert after_two <= after_one <= before and after_two < before
    expect(page.get_by_text("confirmed-bad entities would slip through")).to_be_visible()
    assert_no_exception(page)
    shot(page, "rules-whatif-two-rules")
