"""Requests & escalations in a real browser: file a request, walk it to resolved with a root cause, and watch the
ageing chart and the WBR figures (open requests, resolved in the last 7 days) change."""
import re

import pytest
from playwright.sync_api import expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import assert_no_exception, open_page, shot, wait_for_app

pytestmark = pytest.mark.browser


def metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(f"^{re.escape(label)}$")))
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def count(page, label: str) -> int:
    return int(metric(page, label).replace(",", ""))


def tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    wait_for_app(page)


def choose(page, label: str, option: str) -> None:
    """Pick an option of the (visible) Streamlit selectbox with this label, once the app is idle."""
    wait_for_app(page)
    box = page.get_by_role("combobox", name=label, exact=True).filter(visible=True).first
    choice = page.get_by_role("option", name=option, exact=True)
    for _ in range(3):  # a rerun finishing just then can close the list it opened; open it again
        box.click()
        try:
            choice.wait_for(state="visible", timeout=10_000)
            break
        except PlaywrightTimeout:
            continue
    choice.click()
    wait_for_app(page)
    assert box.input_value() == option


def move(page, request_id: str, status: str) -> None:
    click(page, "Move")
    page.get_by_text(f"{request_id} moved to {status}.").wait_for(state="visible")


def click(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).filter(visible=True).first.click()
    wait_for_app(page)


def test_file_a_request_resolve_it_with_a_root_cause_and_see_ageing_and_wbr_figures_change(served_app, page):
    open_page(page, served_app, "requests_escalations")
    assert_no_exception(page)
    open_before, resolved_before = count(page, "Open requests"), count(page, "Resolved (7 days)")

    tab(page, "Ageing & trend")
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    chart.wait_for(state="visible")
    assert chart.locator("canvas, svg").count() > 0
    shot(page, "trackers-ageing-before")

    tab(page, "File a request")
    choose(page, "Kind", "Sev2 action item")
    choose(page, "Requester team", "BRP EU")
    page.get_by_label("Title", exact=True).filter(visible=True).first.fill("Browser test: payout-change burst")
    click(page, "File request")
    assert_no_exception(page)
    filed = page.get_by_text(re.compile(r"Filed REQ-\d+")).first
    filed.wait_for(state="visible")
    request_id = re.search(r"REQ-\d+", filed.inner_text()).group(0)
    assert count(page, "Open requests") == open_before + 1

    tab(page, "Update a request")
    assert page.get_by_label("Request id", exact=True).input_value() == request_id
    move(page, request_id, "Triaged")          # the first next step is preselected
    choose(page, "Move to", "In progress")     # wait for the form to offer the next steps before choosing
    move(page, request_id, "In progress")
    choose(page, "Move to", "Resolved")
    choose(page, "Root-cause category", "Missing data or signal upstream")
    note = page.get_by_label("Root-cause note", exact=True)
    note.fill("Bank-change events are batch-loaded; rules see them a day late.")
    note.blur()
    wait_for_app(page)
    move(page, request_id, "Resolved")
    assert_no_exception(page)
    expect(page.get_by_text("Root cause: Missing data or signal upstream")).to_be_visible()

    assert count(page, "Open requests") == open_before
    assert count(page, "Resolved (7 days)") == resolved_before + 1
    assert metric(page, "Within SLA (7 days)").endswith("%")
    tab(page, "Ageing & trend")
    page.locator('[data-testid="stVegaLiteChart"]').filter(visible=True).first.wait_for(state="visible")
    shot(page, "trackers-after-resolving")


def test_gaps_and_sops_pages_open_with_their_charts(served_app, page):
    open_page(page, served_app, "gaps")
    assert_no_exception(page)
    expect(page.get_by_text("Open gaps by owning team")).to_be_visible()
    tab(page, "The loop")
    page.locator('[data-testid="stVegaLiteChart"]').filter(visible=True).first.wait_for(state="visible")
    open_page(page, served_app, "sops")
    assert_no_exception(page)
    page.locator('[data-testid="stVegaLiteChart"]').filter(visible=True).first.wait_for(state="visible")
    shot(page, "trackers-sop-parity")


def test_a_gaps_csv_with_a_bad_row_imports_nothing_then_the_fixed_file_imports(served_app, page, tmp_path):
    open_page(page, served_app, "gaps")
    assert_no_exception(page)
    open_before = count(page, "Open gaps")
    tab(page, "Import / export")
    bad = tmp_path / "gaps.csv"
    bad.write_text("title,owning_team,status\nNo device id on mobile,Engineering,identified\n"
                   "Refund codes hidden,Product,sideways\n", encoding="utf-8")
    upload = page.locator('[data-testid="stFileUploader"] input[type="file"]').first
    upload.set_input_files(str(bad))
    expect(page.get_by_role("region", name="Gaps CSV")).to_contain_text("gaps.csv")
    wait_for_app(page)
    click(page, "Import")
    error = page.locator('[data-testid="stAlertContentError"]').first
    expect(error).to_contain_text("row 3")  # the header is row 1, as a spreadsheet numbers it
    expect(error).to_contain_text("status")
    assert count(page, "Open gaps") == open_before  # nothing written

    fixed = tmp_path / "gaps-fixed.csv"
    fixed.write_text("title,owning_team,status\nNo device id on mobile,Engineering,identified\n"
                     "Refund codes hidden,Product,identified\n", encoding="utf-8")
    upload.set_input_files(str(fixed))
    expect(page.get_by_role("region", name="Gaps CSV")).to_contain_text("gaps-fixed.csv")
    wait_for_app(page)
    click(page, "Import")
    expect(page.get_by_text("Imported 2 gaps.")).to_be_visible()
    assert count(page, "Open gaps") == open_before + 2
    assert_no_exception(page)
