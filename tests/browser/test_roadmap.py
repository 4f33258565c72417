"""The roadmap's leadership link in a real browser: read-only, no edit control, and what slipped since
"OP1 approved" (the demo world's baseline) in the table, the headline and the timeline's ghost bars."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import assert_no_exception, open_page, share_path, shot, wait_for_app

pytestmark = pytest.mark.browser

EDIT_BUTTONS = ("Save grid changes", "Add initiative", "Save status", "Save baseline", "Add dependency",
                "Import", "Drop initiative", "Add milestone", "Remove dependency")


def metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(f"^{re.escape(label)}$")))
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_the_leadership_link_is_read_only_and_shows_what_slipped_since_the_baseline(served_env, served_app, page):
    # the server's local user is an admin; the link decides what its holder gets
    open_page(page, served_app, share_path(served_env, "--view", "roadmap", "--baseline", "OP1 approved"))
    assert_no_exception(page)
    assert page.get_by_role("heading", name="Roadmap").count() == 1

    # Read-only: no edit tab, no editable grid, no form, no button that changes anything, no page navigation.
    tabs = [t.strip() for t in page.get_by_role("tab").all_inner_texts()]
    assert tabs == ["Timeline", "Now / Next / Later", "Status", "What moved", "Dependencies"]
    assert page.locator('[data-testid="stForm"]').count() == 0
    assert page.locator('[data-testid="stDataFrameResizable"][data-editable="true"]').count() == 0
    assert page.locator('[data-testid="stFileUploader"]').count() == 0
    for name in EDIT_BUTTONS:
        assert page.get_by_role("button", name=name, exact=True).count() == 0, name
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    assert "Share a read-only link" not in page.locator('[data-testid="stMain"]').inner_text()

    # The timeline is drawn, with ghost bars of the baseline.
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    chart.wait_for()
    assert chart.locator("canvas, svg").count() >= 1

    # What slipped since the baseline: the headline count and the named initiatives agree.
    slipped = int(metric(page, "Slipped since OP1 approved"))
    assert slipped > 0
    page.get_by_role("tab", name="What moved").click()
    wait_for_app(page)
    panel = page.get_by_role("tabpanel", name="What moved")
    markdown = panel.locator('[data-testid="stMarkdownContainer"]')
    summary = markdown.filter(has_text=re.compile(r"^Since OP1 approved")).first.inner_text()
    assert f"{slipped} slipped" in summary
    names = markdown.filter(has_text=re.compile(r"^Slipped most:")).first.inner_text()
    shifts = re.findall(r"\((INI-\d+), \+(\d+) d\)", names)
    assert len(shifts) == min(slipped, 10)
    assert all(int(days) > 0 for _, days in shifts)
    assert panel.locator('[data-testid="stDataFrame"]').count() == 1
    shot(page, "roadmap-leadership-what-moved")

    # The link stays in the URL while its holder looks around, so a reload keeps the same read-only view.
    page.get_by_role("tab", name="Timeline").click()
    wait_for_app(page)
    assert "share=" in page.url


def test_an_editor_renames_an_initiative_in_the_grid_and_every_tab_shows_it(served_app, page):
    open_page(page, served_app, "roadmap?workstream=Detection+%26+Rules")
    assert_no_exception(page)
    page.get_by_role("tab", name="Edit").click()
    wait_for_app(page)
    grid = page.get_by_role("tabpanel", name="Edit").locator('[data-testid="stDataFrameResizable"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    # A title cell near the top (the id column is narrow; rows are about 35 px high).
    page.mouse.dblclick(box["x"] + 200, box["y"] + 35 + 17)
    editor = page.locator("textarea.gdg-input")  # the grid's cell editor, once it is open
    editor.wait_for()
    editor.fill("Rule hygiene renamed in the grid")
    editor.press("Enter")
    page.get_by_text("1 row(s) changed, not saved yet.").wait_for()  # the server has the edit
    wait_for_app(page)
    page.get_by_role("button", name="Save grid changes").click()
    wait_for_app(page)
    assert_no_exception(page)
    page.get_by_text("Saved changes to 1 initiative(s).").wait_for()
    page.get_by_role("tab", name="Now / Next / Later").click()
    wait_for_app(page)
    assert "Rule hygiene renamed in the grid" in page.get_by_role("tabpanel", name="Now / Next / Later").inner_text()
    shot(page, "roadmap-grid-rename")
