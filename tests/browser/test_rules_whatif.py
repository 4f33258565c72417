"""A PM ticks two rules and sees the impact panel change; an analyst moves a rule twice, in a real browser."""
import re

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



def _pick(page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=re.compile(f"^{re.escape(option)}\\b")).click()
    wait_for_app(page)


def _move(page, to: str | None, reason: str) -> None:
    form = page.locator('[data-testid="stForm"]').filter(has_text="Move to")
    if to is not None:
        form.get_by_role("combobox", name="Move to").click()
        page.get_by_role("option", name=to, exact=True).click()
    form.get_by_label("Reason (kept with the rule)").fill(reason)
    form.get_by_role("button", name="Move").click()
    wait_for_app(page)


def test_lifecycle_moves_only_the_rule_it_shows_after_each_move(served_app, page):
    """The issue's sequence: R-0003 to candidate, then (without touching the Rule box) to shadow. Both moves
    must land on R-0003, and the box must read its new status after each move; R-0001 stays as it was."""
    open_page(page, served_app, "rules_whatif")
    page.get_by_role("tab", name="Lifecycle").click()
    rule_box = page.get_by_role("combobox", name="Rule", exact=True)
    expect(rule_box).to_have_value(re.compile("^R-0001 .*\\(active\\)$"))
    _pick(page, "Rule", "R-0003")
    expect(rule_box).to_have_value(re.compile("^R-0003 .*\\(active\\)$"))

    _move(page, None, "overlaps R-0001 on every catch")
    expect(rule_box).to_have_value(re.compile("^R-0003 .*\\(candidate\\)$"))
    expect(page.get_by_text("Status: candidate")).to_be_visible()
    expect(page.get_by_role("combobox", name="Move to")).to_have_value("shadow")

    _move(page, "shadow", "watch it in shadow for two weeks")
    expect(rule_box).to_have_value(re.compile("^R-0003 .*\\(shadow\\)$"))
    expect(page.get_by_text("Status: shadow until")).to_be_visible()
    expect(page.locator('[data-testid="stDataFrame"]').filter(has_text="watch it in shadow")).to_have_count(1)
    assert_no_exception(page)

    _pick(page, "Rule", "R-0001")
    expect(page.get_by_text("Status: active", exact=True)).to_be_visible()
    expect(page.locator('[data-testid="stDataFrame"]').filter(has_text="watch it in shadow")).to_have_count(0)
    shot(page, "rules-whatif-lifecycle")
