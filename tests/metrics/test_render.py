"""The deck as Markdown and HTML: readable numbers, every text escaped in HTML."""
from datetime import date, timedelta

import polars as pl

from rm_core.metrics import compute_deck, parse_deck
from rm_core.metrics.formatting import format_change, format_value
from rm_core.metrics.render import deck_html, deck_markdown


def result(title="Risk WBR", legend="Orders"):
    ds = [date(2024, 1, 1) + timedelta(days=i) for i in range(500)]
    data = pl.DataFrame({"Date": ds, "orders": [1000.0] * len(ds),
                         "rate": [0.4] * len(ds)})
    data = data.with_columns(pl.when(pl.col("Date") == date(2025, 4, 30)).then(None).otherwise(pl.col("orders"))
                             .alias("orders"))
    deck = parse_deck({
        "setup": {"title": title, "week_ending": "10-MAY-2025", "week_number": 19},
        "metrics": {"Orders": {"column": "orders", "aggf": "sum", "owner": "Ana", "direction": "higher",
                               "target": 7000},
                    "Rate": {"column": "rate", "aggf": "mean", "unit": "%", "metric_comparison_method": "bps"}},
        "deck": [{"block": {"ui_type": "section", "title": "Volume"}},
                 {"block": {"ui_type": "6_12Graph", "title": title, "metrics": {"Orders": {"legend_name": legend}}}},
                 {"block": {"ui_type": "6_12Graph", "title": "Rate", "metrics": {"Rate": {}}}},
                 {"block": {"ui_type": "6_WeeksTable", "title": "Table", "rows": [
                     {"row": {"header": "Rate", "metric": "Rate"}}]}}],
    })
    return compute_deck(deck, data)


def test_markdown_shows_weeks_months_boxes_owner_rag_and_missing_days():
    text = deck_markdown(result())
    assert text.startswith("# Risk WBR\n")
    assert "Week ending Sat 10 May 2025 (week 19)" in text
    assert "| LastWk | WOW | YOY | MTD | YOY | QTD | YOY | YTD | YOY |" in text
    assert "RAG GREEN · owner Ana" in text
    assert "Days without a value: 30 Apr 2025." in text
    assert "40.0%" in text and "## Volume" in text


def test_html_escapes_every_text_from_the_deck():
    page = deck_html(result(title="<script>alert(1)</script>", legend="a & <b>"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "a &amp; &lt;b&gt;" in page
    assert page.startswith("<!doctype html>") and "rag-" in page


def test_values_and_changes_are_formatted_by_unit_and_scale():
    assert format_value(470759324.0) == "470.8M"
    assert format_value(0.4229, "%") == "42.3%"
    assert format_value(2201761.44, None, "##KK") == "2,201.8K"
    assert format_value(3.25, "days") == "3.25 days"
    assert format_value(None) == "–"
    assert format_change(2.2928) == "+2.3%" and format_change(-45.2, "bps") == "-45 bps"


def test_markdown_escapes_every_text_from_the_deck():
    text = deck_markdown(result(title="<script>alert(1)</script> [x](http://evil)", legend="Orders [y](http://e) |"))
    assert "<script>" not in text and "[x](http://evil)" not in text and "[y](http://e)" not in text
    assert text.startswith("# \\<script\\>alert(1)\\</script\\> \\[x\\](http\\://evil)\n")
    assert "### 2. \\<script\\>" in text
    assert "| Orders \\[y\\](http\\://e) \\| (CY) |" in text  # the legend in its row, its | kept inside the cell
    assert "RAG GREEN · owner Ana" in text
