"""Metrics (WBR) page: empty state, the deck in its fixed order, the week picker, filters that recompute every
metric, the rows behind a number, a path to green saved from the page, and the flash report preview."""
from __future__ import annotations

import datetime as dt

from rm_core.metrics.status import flash_note, latest_paths
from tests.metrics.risk_world import WEEK, seed_risk_world
from tests.pages.conftest import app_test

PAGE = "pages/metrics.py"


def _box_rows(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("| LastWk")]


def test_an_empty_workbench_tells_a_new_user_what_to_do(state):
    at = app_test(PAGE).run()
    assert not at.exception
    assert any("No records to measure yet" in i.value for i in at.info)


def test_the_deck_shows_every_section_and_metric_in_deck_order_for_the_last_complete_week(state):
    seed_risk_world(state)
    at = app_test(PAGE).run()
    assert not at.exception
    assert at.selectbox(key="metrics-week-risk").value == WEEK
    assert [h.value for h in at.header] == ["MO lifecycle", "Rule portfolio", "Partner requests and escalations",
                                            "Upstream gaps", "SOP parity", "AI ROI"]
    titles = [s.value for s in at.subheader]
    assert titles[:3] == ["MO identification speed (days) :green-badge[Green]",  # median 30 days, target 35
                          "MO mitigation time (days) :green-badge[Green]",  # 88 days, target 100
                          "Share of MOs actioned :red-badge[Red]"]  # 50%, red below 60%
    rows = _box_rows(at)
    assert len(rows) == 16
    assert "| 30 days |" in rows[0]  # median identification speed, all sites
    assert "| 50.0% |" in rows[2]  # share of MOs actioned
    assert "| 60.0% | +2,000 bps |" in rows[-2]  # SOP parity: a rate, compared in basis points


def test_a_site_filter_recomputes_every_metric(state):
    seed_risk_world(state)
    at = app_test(PAGE).run()
    before = _box_rows(at)
    at.multiselect(key="metrics-filter-site").set_value(["India"]).run()
    assert not at.exception
    after = _box_rows(at)
    assert "| 20 days |" in after[0]  # (30 + 10) / 2 India MOs
    assert after != before
    precision = next(r for r, t in zip(after, [s.value for s in at.subheader]) if t.startswith("Rule portfolio"))
    assert "| 75.0% |" in precision
    at.multiselect(key="metrics-filter-abuse_type").set_value(["account takeover"]).run()
    assert "| 30 days |" in _box_rows(at)[0]  # only MO-1 is India and account takeover


def test_the_week_picker_moves_every_number_to_that_week(state):
    seed_risk_world(state)
    at = app_test(PAGE).run()
    at.selectbox(key="metrics-week-risk").set_value(WEEK - dt.timedelta(days=7)).run()
    assert not at.exception
    assert any("15 Nov 2026" in c.value and "week 46" in c.value for c in at.caption)
    sop = _box_rows(at)[-2]  # SOP parity, the last chart before AI ROI
    assert "| 40.0% |" in sop


def test_the_rows_behind_a_number_open_under_its_chart_and_in_the_drill_down_tab(state):
    seed_risk_world(state)
    at = app_test(PAGE).run()
    before = len(at.dataframe)
    at.toggle(key="drill-toggle-MOIdentificationSpeed").set_value(True).run()
    assert not at.exception
    assert len(at.dataframe) > before
    at.selectbox(key="metrics-drill").set_value("PartnerRequestsOver30Days").run()
    frames = [d.value for d in at.dataframe]
    assert any("request_id" in f.columns and list(f["request_id"]) == ["REQ-1"] for f in frames)


def test_an_editor_saves_a_path_to_green_for_a_red_metric_from_the_page(state):
    seed_risk_world(state)
    at = app_test(PAGE).run()
    metric = "PartnerWithinSLARate"
    form_id = f"ptg-form-{metric}-new"
    at.text_area(key=f"{form_id}-actions").input("Daily triage of P2 requests")
    at.text_input(key=f"{form_id}-owner").input("tom.lead")
    at.selectbox(key=f"{form_id}-rag").set_value("red")
    form = next(b for b in at.button if b.label == "Save path to green" and b.form_id == form_id)
    form.click().run()
    assert not at.exception
    saved = latest_paths()[metric]
    assert (saved.rag, saved.owner, saved.actions) == ("red", "tom.lead", "Daily triage of P2 requests")
    assert any("Daily triage of P2 requests" in m.value for m in at.markdown)


def test_the_flash_report_preview_has_highlights_lowlights_and_the_metrics_table(state):
    seed_risk_world(state)
    at = app_test(PAGE).run()
    preview = next(m.value for m in at.markdown if m.value.startswith("### Risk Mining WBR"))
    assert "#### Highlights" in preview and "#### Lowlights" in preview
    assert "Partner requests resolved within SLA\\: 50.0% last week, -3,500 bps vs target" in preview
    assert "| Section | Metric | RAG | LastWk |" in preview
    next(t for t in at.text_area if t.label == "Note from the PM for this week").input("Precision recovered this week.")
    next(b for b in at.button if b.label == "Save note").click().run()
    preview = next(m.value for m in at.markdown if m.value.startswith("### Risk Mining WBR"))
    assert "Precision recovered this week." in preview


EVIL = "[x](https://evil.example) :red[ALERT] $x$"


def test_text_from_a_saved_deck_is_shown_escaped_not_as_markdown(state):
    from rm_core.text import md_escape

    folder = state.home / "decks"
    folder.mkdir(parents=True)
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(200)]
    (folder / "mine.csv").write_text("Date,orders,site\n" + "".join(f"{d:%Y-%m-%d},{100 + i % 7},India\n"
                                                                  for i, d in enumerate(days)))
    (folder / "mine.yaml").write_text(
        "setup:\n  title: 'My deck'\n  week_ending: '12-JUL-2025'\n"
        "metrics:\n  Orders:\n    column: orders\n    aggf: sum\n"
        f"deck:\n  - block:\n      ui_type: 6_12Graph\n      title: '{EVIL}'\n      metrics:\n        Orders: {{}}\n")
    at = app_test(PAGE).run()
    at.radio(key="metrics-mode").set_value("Saved decks").run()
    assert not at.exception
    escaped = md_escape(EVIL)
    assert escaped == "\\[x\\](https\\://evil.example) \\:red\\[ALERT\\] \\$x\\$"
    assert at.subheader[0].value.startswith(escaped + " :")  # then the RAG badge
    assert any(f"The rows behind {escaped} for the week" in c.value for c in at.caption)
    assert not any("[x](https://evil.example)" in m.value for m in [*at.markdown, *at.caption, *at.subheader])


def test_the_pm_note_form_shows_the_note_of_the_week_it_saves_to(state):
    seed_risk_world(state)
    at = app_test(PAGE).run()
    box = lambda: next(t for t in at.text_area if t.label == "Note from the PM for this week")  # noqa: E731
    box().input("Week 47: precision recovered.")
    next(b for b in at.button if b.label == "Save note").click().run()
    at.selectbox(key="metrics-week-risk").set_value(WEEK - dt.timedelta(days=7)).run()
    assert box().value == ""  # the other week has no note: the box must not offer last week's text
    box().input("Week 46: quiet.")
    next(b for b in at.button if b.label == "Save note").click().run()
    assert flash_note(WEEK).note == "Week 47: precision recovered."
    assert flash_note(WEEK - dt.timedelta(days=7)).note == "Week 46: quiet."
    at.selectbox(key="metrics-week-risk").set_value(WEEK).run()
    assert box().value == "Week 47: precision recovered."


def test_the_drill_down_caption_names_the_column_literally_with_the_right_plural(state):
    seed_risk_world(state)
    at = app_test(PAGE).run()
    at.selectbox(key="metrics-drill").set_value("PartnerRequestsOver30Days").run()
    parts = [m.value for m in at.markdown if " — " in m.value and m.value.startswith("`")]
    assert parts, "no drill-down caption"
    assert all("\\" not in p for p in parts)  # a code span shows its text as is: no md_escape inside it
    assert any(p.endswith("**1 row**") for p in parts)  # REQ-1 alone, not "1 rows"
    assert not any(" **1 rows**" in p for p in parts)
