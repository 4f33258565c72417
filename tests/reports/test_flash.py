"""The weekly flash report: computed highlights and lowlights with their numbers, the metrics table, paths to
green due, open escalations and aged partner requests, the PM's note; Markdown, escaped HTML, a PDF that opens."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from rm_core.cli import main
from rm_core.metrics.risk_deck import compute_source, risk_source
from rm_core.metrics.sources import load_risk_data
from rm_core.metrics.status import save_flash_note, save_path_to_green
from rm_core.reports import build_flash, flash_for_week, flash_html, flash_markdown, flash_pdf
from rm_core.store.db import read_session
from tests.metrics.risk_world import WEEK, seed_risk_world


@pytest.fixture
def world(state):
    seed_risk_world(state)
    return state


def report_for(filters=None):
    with read_session() as s:
        result = compute_source(risk_source(load_risk_data()), WEEK, filters)
        return build_flash(result, s)


def test_highlights_and_lowlights_are_the_largest_moves_against_target_and_prior_year(world):
    report = report_for()
    highs = [(m.metric, m.against, m.change_text) for m in report.highlights]
    lows = [(m.metric, m.against, m.change_text) for m in report.lowlights]
    # lower is better: 1 overdue against a target of 50 is 98% better, 2 open against 90 is 97.8% better
    assert highs == [("EscalationItemsOverdue", "target", "-98.0%"), ("PartnerRequestsOpen", "target", "-97.8%"),
                     ("PartnerRequestsOver30Days", "target", "-95.0%")]
    # rates compare in basis points: 50% within SLA against 85%, 50% of MOs actioned against 75%, precision 50% vs 55%
    assert lows == [("PartnerWithinSLARate", "target", "-3,500 bps"), ("ShareMOsActioned", "target", "-2,500 bps"),
                    ("RulePrecision", "target", "-500 bps")]
    assert all(m.score > 0 for m in report.highlights) and all(m.score < 0 for m in report.lowlights)
    assert report.lowlights[0].sentence == ("Partner requests resolved within SLA: 50.0% last week, -3,500 bps vs "
                                            "target (85.0%)")


def test_the_report_lists_open_escalations_and_partner_requests_aged_over_30_days(world):
    report = report_for()
    assert [(i.id, i.days_overdue) for i in report.escalations] == [("REQ-5", 12), ("REQ-6", 0)]
    assert [(i.id, i.age_days) for i in report.aged_requests] == [("REQ-1", 52)]
    assert len(report.metrics) == 16  # AI hours saved has no source outside the demo world: not charted
    row = next(r for r in report.metrics if r.metric == "RulePrecision")
    assert (row.rag, row.boxes[0], row.boxes[1], row.target) == ("amber", "50.0%", "+0 bps", "55.0%")


def test_paths_to_green_due_by_next_week_and_the_pm_note_appear(world, editor):
    save_path_to_green(editor, "PartnerWithinSLARate", rag="red", actions="Daily triage of P2s", owner="tom.lead",
                       due=WEEK + dt.timedelta(days=3))
    save_path_to_green(editor, "SOPParity", rag="amber", actions="Roll out SOP-1 to BRP", owner="harish.mgr",
                       due=WEEK + dt.timedelta(days=30))
    save_flash_note(editor, WEEK, "Quiet week; *precision* recovered.")
    report = report_for()
    assert [(p.title, p.note.owner) for p in report.paths_due] == [("Partner requests resolved within SLA",
                                                                      "tom.lead")]
    md = flash_markdown(report)
    assert "Quiet week; \\*precision\\* recovered." in md
    assert "Daily triage of P2s" in md and "Roll out SOP-1" not in md
    assert "| Partner requests and escalations | Partner requests resolved within SLA | Red | 50.0% |" in md


def test_user_text_is_escaped_in_the_html(world, editor):
    save_flash_note(editor, WEEK, "<script>alert(1)</script>")
    html = flash_html(report_for())
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Exposure for &lt;b&gt;MO-1&lt;/b&gt;" in html  # a request title
    assert "<table class='metrics'>" in html


def test_a_filter_narrows_the_report(world):
    report = report_for({"site": ["India"]})
    row = next(r for r in report.metrics if r.metric == "MOIdentificationSpeed")
    assert row.boxes[0] == "20 days"


def test_the_pdf_opens_and_holds_the_metrics_table(world):
    pdf = flash_pdf(report_for())
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert pdf.startswith(b"%PDF")
    assert "Metrics" in text and "LastWk" in text and "Target" in text
    assert "Rule portfolio precision" in text and "MO identification speed" in text
    assert "30 days" in text  # the median identification speed of the week


def test_the_cli_writes_the_flash_report_for_a_week(world, tmp_path, capsys):
    out = tmp_path / "flash.pdf"
    assert main(["report", "flash", "--week-ending", WEEK.isoformat(), "--format", "pdf", "--out", str(out)]) == 0
    assert PdfReader(out).pages
    assert main(["report", "flash", "--format", "md", "--site", "India"]) == 0
    printed = capsys.readouterr().out
    assert "week ending Sun 22 Nov 2026" in printed and "Scope: Site: India" in printed
    assert main(["report", "flash", "--format", "html", "--out", str(tmp_path / "f.html")]) == 0
    assert (tmp_path / "f.html").read_text().startswith("<!DOCTYPE html>")


def test_the_cli_refuses_a_pdf_without_a_file_and_an_empty_workbench(state, capsys):
    assert main(["report", "flash", "--format", "pdf"]) == 2
    assert "--out" in capsys.readouterr().err
    assert main(["report", "flash"]) == 2
    assert "no records to report on" in capsys.readouterr().err


def test_flash_for_week_reads_the_workbench(world):
    report = flash_for_week(WEEK - dt.timedelta(days=7))
    assert report.week_ending == dt.date(2026, 11, 15) and report.week_number == 46


def test_an_unknown_site_team_or_abuse_type_is_refused_with_the_valid_values(world, capsys):
    assert main(["report", "flash", "--site", "Mars"]) == 2
    err = capsys.readouterr().err
    assert "Unknown site 'Mars'; choose from: " in err and "India" in err
    assert main(["report", "flash", "--team", "Nobody"]) == 2
    assert "Unknown team 'Nobody'" in capsys.readouterr().err
    assert main(["report", "flash", "--abuse-type", "time travel"]) == 2
    assert "Unknown abuse type 'time travel'" in capsys.readouterr().err


def test_a_bar_in_a_metric_title_stays_inside_its_table_cell(world):
    import dataclasses

    report = report_for()
    row = dataclasses.replace(report.metrics[0], title="A|B", section="S|T")
    md = flash_markdown(dataclasses.replace(report, metrics=[row]))
    line = next(x for x in md.splitlines() if "A\\|B" in x)
    assert line.startswith("| S\\|T | A\\|B | ") and "\\\\|" not in line
    header = next(x for x in md.splitlines() if x.startswith("| Section |"))
    unescaped_bars = line.replace("\\|", "").count("|")
    assert unescaped_bars == header.count("|")  # as many columns as the header: no cell split in two


def test_no_metric_is_both_a_highlight_and_a_lowlight_in_any_week_of_the_demo_world(state):
    from rm_core.demo import seed_demo
    from rm_core.metrics.risk_deck import week_endings
    from rm_core.reports.flash import VERDICT_RULE

    seed_demo(state, scale="small")
    source = risk_source(load_risk_data())
    weeks = week_endings(source)
    assert len(weeks) >= 26
    both_lists = 0
    with read_session() as s:
        for week in weeks:
            report = build_flash(compute_source(source, week, None), s)
            highs = {m.metric for m in report.highlights}
            lows = {m.metric for m in report.lowlights}
            assert not highs & lows, f"week ending {week}: {sorted(highs & lows)} in both lists"
            rag = {r.metric: r.rag for r in report.metrics}
            # RAG first: a metric behind its target is never a highlight, one on target never a lowlight
            assert not [m for m in highs if rag[m] in ("red", "amber")], week
            assert not [m for m in lows if rag[m] == "green"], week
            both_lists += bool(highs and lows)
    assert both_lists  # the weeks do have highlights and lowlights side by side
    assert VERDICT_RULE in flash_markdown(report) and VERDICT_RULE in flash_html(report)


def test_the_pdf_has_one_chart_per_metric_and_a_table_whose_values_stay_on_one_line(world):
    report = report_for()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(flash_pdf(report))).pages)
    lines = text.splitlines()
    for row in report.metrics:
        line = next((ln for ln in lines if ln.startswith(f"{row.section} {row.title} ")), None)
        assert line is not None, f"{row.title}: not on one line in the PDF"
        # every value of the row is on the row's line, none wrapped over two lines (e.g. "30 days", "No target")
        for value in (*row.boxes, row.target):
            assert value in line, f"{row.title}: {value!r} wrapped"
        assert ({"green": "Green", "amber": "Amber", "red": "Red"}.get(row.rag, "No target") in line
                or "No data" in line)
    assert len(report.charts) == len(report.metrics) == 16
    assert text.count("This year") == len(report.charts)  # each chart's legend
    assert "Charts: six weeks and twelve months" in text
    assert "wk 47" in text and "Nov" in text  # the x axis: the last six weeks, then months


def test_the_markdown_file_carries_no_escapes_meant_for_the_screen(world, editor):
    save_flash_note(editor, WEEK, "Ratio: 3 of 5 went to identification_days; cost $4k. See *REQ-1*")
    report = report_for()
    md = flash_markdown(report)
    assert "\\:" not in md and "\\$" not in md and "\\_" not in md
    assert "Ratio: 3 of 5 went to identification_days; cost $4k. See \\*REQ-1\\*" in md  # * would be emphasis
    assert "Partner requests resolved within SLA: 50.0% last week" in md
    screen = flash_markdown(report, screen=True)
    assert "Ratio\\: 3 of 5" in screen and "\\$4k" in screen
