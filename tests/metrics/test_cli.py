"""`python -m rm_core metrics wbr`: JSON as check.py reads it, Markdown and HTML, refusals as messages."""
import argparse
import json
from datetime import date, timedelta

import pytest

from rm_core.errors import UserError
from rm_core.metrics import cli

DECK = """setup:
  week_ending: 15-MAR-2025
  week_number: 11
  title: CLI deck
metrics:
  Orders:
    column: orders
    aggf: sum
deck:
  - block:
      ui_type: 6_12Graph
      title: Orders
      metrics:
        Orders: {}
"""


@pytest.fixture
def files(tmp_path):
    deck = tmp_path / "deck.yaml"
    deck.write_text(DECK)
    csv = tmp_path / "data.csv"
    start = date(2024, 1, 1)
    rows = [f"{(start + timedelta(days=i)).isoformat()},\"1,000\"" for i in range(450)]
    csv.write_text("Date,orders\n" + "\n".join(rows) + "\n")
    return deck, csv


def run(files, *extra):
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    deck, csv = files
    args = parser.parse_args(["metrics", "wbr", "--config", str(deck), "--csv", str(csv), *extra])
    return args.func(args)


def test_json_output_has_the_blocks_check_py_reads(files, capsys):
    assert run(files) == 0
    out = json.loads(capsys.readouterr().out)
    block = out["blocks"]["Orders"]
    assert block["x_axis"][:6] == ["wk 6", "wk 7", "wk 8", "wk 9", "wk 10", "wk 11"]
    assert block["weekly_cy"] == [7000.0] * 6 and len(block["monthly_cy"]) == 12 and len(block["boxes"]) == 9
    assert block["boxes"][0] == 7000.0 and block["weekly_py"] == [7000.0] * 6


def test_a_chosen_week_and_markdown_output(files, capsys):
    assert run(files, "--week-ending", "2025-03-08", "--format", "md") == 0
    text = capsys.readouterr().out
    assert "# CLI deck" in text and "Week ending Sat 08 Mar 2025 (week 10)" in text


def test_html_written_to_a_file(files, tmp_path):
    out = tmp_path / "deck.html"
    assert run(files, "--format", "html", "--out", str(out)) == 0
    assert "<h1>CLI deck</h1>" in out.read_text()


def test_a_week_after_the_data_is_refused_with_a_message(files):
    with pytest.raises(UserError, match="data ends on"):
        run(files, "--week-ending", "2026-01-03")


def test_a_week_ending_that_is_no_date_is_refused(files):
    with pytest.raises(UserError, match="--week-ending"):
        run(files, "--week-ending", "someday")


def test_an_events_file_annotates_the_charts(files, tmp_path, capsys):
    events = tmp_path / "events.csv"
    events.write_text("Date,MetricName,EventDescription\n2025-03-10,Orders,Promo <launch>\n")
    assert run(files, "--events", str(events)) == 0
    block = json.loads(capsys.readouterr().out)["blocks"]["Orders"]
    assert block["annotations"] == [{"date": "2025-03-10", "metric": "Orders", "description": "Promo <launch>"}]


def test_events_are_listed_and_escaped_in_html(files, tmp_path):
    events = tmp_path / "events.csv"
    events.write_text("Date,MetricName,EventDescription\n2025-03-10,Orders,Promo <launch>\n")
    out = tmp_path / "deck.html"
    assert run(files, "--events", str(events), "--format", "html", "--out", str(out)) == 0
    page = out.read_text()
    assert "Events: 10 Mar 2025 Promo &lt;launch&gt;." in page and "<launch>" not in page
