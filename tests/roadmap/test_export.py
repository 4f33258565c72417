"""Exports: CSV without live formulas, the quarterly one-pager, the timeline image."""
from __future__ import annotations

import datetime as dt

from rm_core.roadmap.baselines import moved_since, save_baseline
from rm_core.roadmap.charts import timeline_spec
from rm_core.roadmap.export import initiatives_csv, one_pager_html, one_pager_markdown, timeline_image
from rm_core.roadmap.initiatives import (PathToGreenInput, create_initiative, load_plan, set_status,
                                         update_initiative)

TODAY = dt.date(2026, 5, 15)


def test_a_title_that_looks_like_a_formula_is_neutralised_in_the_csv(owners, editor):
    create_initiative(editor, title="=HYPERLINK(\"http://evil\")", workstream="@Detection", owner="priya")
    text = initiatives_csv(load_plan())
    assert "'=HYPERLINK" in text and "'@Detection" in text
    assert "\n=" not in text and ",=" not in text


def test_the_one_pager_shows_path_to_green_what_moved_and_conflicts(small_roadmap, editor):
    save_baseline(editor, "OP1 approved")
    update_initiative(editor, "INI-002", end="2026-07-31")
    set_status(editor, "INI-002", "off_track", "Payments API slipped",
               PathToGreenInput("Use batch export", "priya", "2026-06-01", decision_needed="VP Eng: staffing"))
    set_status(editor, "INI-003", "at_risk", "BRP staffing unclear")
    plan = load_plan()
    text = one_pager_markdown(plan, today=TODAY, baseline_name="OP1 approved", moves=moved_since("OP1 approved"))
    assert "# Roadmap one-pager — 2026-05-15" in text
    assert "### Off track: Payout bank-change alerts (INI-002)" in text
    assert "Actions: Use batch export — owner priya, due 2026-06-01" in text
    assert "Decision needed: VP Eng\\: staffing" in text
    assert "**Path to green missing**" in text  # INI-003 is amber without one
    assert "1 slipped, 0 pulled in, 0 added, 0 dropped, 2 status changes." in text
    assert "| Payout bank-change alerts (INI-002) | Slipped | 2026-06-30 | 2026-07-31 | +31 d |" in text
    # INI-002 starts 2026-03-01 while INI-001 runs to 2026-03-31
    assert "| Payout bank-change alerts (INI-002) | 2026-03-01 | Seller identity graph (INI-001) | 2026-03-31 | 30 d |" in text


def test_the_html_one_pager_escapes_user_html(owners, editor):
    create_initiative(editor, title="<script>alert(1)</script>", workstream="Detection", horizon="now")
    html = one_pager_html(load_plan(), today=TODAY)
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert html.startswith("<!doctype html>") and "<table>" in html


def test_the_timeline_renders_to_svg_and_png_offline(small_roadmap):
    spec = timeline_spec(load_plan(), today=TODAY, width=700)
    svg = timeline_image(spec, "svg").decode("utf-8")
    assert svg.startswith("<svg") and "Seller identity graph · INI-001" in svg
    png = timeline_image(spec, "png", scale=1)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
