"""Metrics (WBR) page in a real browser: a filter recomputes the deck, and the flash report downloads."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_exception, open_page, shot, wait_for_app

pytestmark = pytest.mark.browser


def _box_rows(page) -> list[str]:
    tables = page.locator('[data-testid="stMarkdownContainer"] table')
    texts = [tables.nth(i).inner_text() for i in range(tables.count())]
    return [t for t in texts if t.startswith("LastWk")]  # the box rows (not the flash report's metrics table)


def test_a_site_filter_recomputes_the_deck_and_the_flash_report_downloads(served_app, page, tmp_path):
    open_page(page, served_app, "metrics")
    assert_no_exception(page)
    expect(page.get_by_role("heading", name="Metrics (WBR)")).to_be_visible()
    before = _box_rows(page)
    assert len(before) >= 16

    site = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Site")
    site.locator("input").click()
    page.get_by_role("option", name="India", exact=True).click()
    wait_for_app(page)
    page.keyboard.press("Escape")
    wait_for_app(page)
    assert_no_exception(page)
    expect(page.get_by_text("Site: India").first).to_be_visible()
    after = _box_rows(page)
    assert len(after) == len(before) and after != before
    shot(page, "metrics-filtered")

    page.get_by_role("tab", name="Flash report").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download Markdown").click()
    md = tmp_path / "flash.md"
    download.value.save_as(md)
    text = md.read_text()
    assert download.value.suggested_filename.startswith("flash-report-")
    assert "Scope: Site: India" in text and "\\:" not in text and "## Highlights" in text and "| Section | Metric | RAG |" in text
    wait_for_app(page)  # a download click reruns the page; let it finish before the next click

    with page.expect_download() as download:
        page.get_by_role("button", name="Download PDF").click()
    pdf = tmp_path / "flash.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    from pypdf import PdfReader

    assert "LastWk" in "".join(p.extract_text() for p in PdfReader(pdf).pages)
    shot(page, "metrics-flash")


DECK = """setup: {title: Orders WBR, week_ending: 14-JAN-2023}
metrics:
  Orders: {column: orders, aggf: sum, owner: ana, direction: higher, target: 60, unit: count}
deck:
  - block: {ui_type: section, title: Sales}
  - block: {ui_type: 6_12Graph, title: Orders per week, metrics: {Orders: {}}}
"""


def test_an_uploaded_deck_and_csv_get_the_same_page(served_app, page, tmp_path):
    import datetime as dt

    deck, csv = tmp_path / "orders.yaml", tmp_path / "orders.csv"
    deck.write_text(DECK)
    lines = ["Date,region,orders"] + [f"{dt.date(2022, 1, 1) + dt.timedelta(days=i):%Y-%m-%d},{r},{n}"
                                      for i in range(400) for r, n in (("north", 5), ("south", 3))]
    csv.write_text("\n".join(lines) + "\n")
    open_page(page, served_app, "metrics")
    page.get_by_text("My deck + CSV").click()
    wait_for_app(page)
    uploads = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    uploads.nth(0).set_input_files(str(deck))
    wait_for_app(page)
    uploads.nth(1).set_input_files(str(csv))
    wait_for_app(page)
    assert_no_exception(page)
    expect(page.get_by_role("heading", name="Sales")).to_be_visible()
    rows = _box_rows(page)
    assert len(rows) == 1 and "56" in rows[0]  # 7 days x (5 + 3)
    region = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Region")
    region.locator("input").click()
    page.get_by_role("option", name="north", exact=True).click()
    wait_for_app(page)
    page.keyboard.press("Escape")
    wait_for_app(page)
    assert "35" in _box_rows(page)[0]  # 7 days x 5
    shot(page, "metrics-uploaded")
