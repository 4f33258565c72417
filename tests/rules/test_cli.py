"""`python -m rm_core rules …`: stable JSON shapes, and exit 2 with a message (never a traceback) on bad input."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rm_core.cli import main
from rm_core.rules import IMPACT_FIELDS, RULE_STATS_FIELDS
from rm_core.settings import PROJECT_ROOT
from tests.rules.hitlogs import hand_frame

WINDOW = ["--since", "2026-01-01", "--until", "2026-01-31"]


@pytest.fixture
def hits(tmp_path):
    path = tmp_path / "hits.parquet"
    hand_frame().write_parquet(path)
    return path


def run(capsys, *argv):
    code = main(["rules", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_stats_prints_one_object_per_rule_with_exactly_the_documented_fields(capsys, hits):
    code, out, _ = run(capsys, "stats", "--hits", hits, *WINDOW, "--format", "json")
    rows = json.loads(out)
    assert code == 0 and [r["rule_id"] for r in rows] == ["A", "B", "C", "D", "S"]
    assert all(list(r) == list(RULE_STATS_FIELDS) for r in rows)
    assert rows[0] == {"rule_id": "A", "hits": 3, "entities": 3, "confirmed_bad": 2, "false_positive": 1,
                       "unlabeled": 0, "precision": pytest.approx(2 / 3), "last_hit": "2026-01-05T06:00:00",
                       "unique_confirmed_bad": 1}
    assert rows[3]["precision"] is None and rows[3]["last_hit"] is None


def test_whatif_prints_exactly_the_impact_fields(capsys, hits):
    code, out, _ = run(capsys, "whatif", "--hits", hits, "--retire", "A, B", *WINDOW, "--format", "json")
    impact = json.loads(out)
    assert code == 0 and list(impact) == list(IMPACT_FIELDS)
    assert impact == {"retired": ["A", "B"], "flagged_before": 5, "flagged_after": 1, "lost_confirmed_bad": 2,
                      "avoided_false_positive": 1, "lost_unlabeled": 1, "lost_exposure_usd": 90.0,
                      "precision_before": 0.75, "precision_after": 1.0}


def test_recommend_prints_the_set_and_its_impact(capsys, hits):
    code, out, _ = run(capsys, "recommend", "--hits", hits, "--max-lost-confirmed-bad", 0, *WINDOW,
                       "--format", "json")
    result = json.loads(out)
    assert code == 0 and list(result) == ["retire", *IMPACT_FIELDS]
    assert result["retire"] == ["B", "D", "S"] and result["lost_confirmed_bad"] == 0


def test_recommend_accepts_a_recall_loss_budget(capsys, hits):
    code, out, _ = run(capsys, "recommend", "--hits", hits, "--max-recall-loss", 34, *WINDOW)
    assert code == 0 and json.loads(out)["lost_confirmed_bad"] == 1


def test_the_table_format_is_for_people(capsys, hits):
    code, out, _ = run(capsys, "stats", "--hits", hits, "--format", "table")
    assert code == 0 and "unique_confirmed_bad" in out


def bad(capsys, *argv) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and "Traceback" not in err
    return err


def test_an_unknown_rule_id_in_retire_exits_2_naming_it(capsys, hits):
    err = bad(capsys, "whatif", "--hits", hits, "--retire", "A,NOPE", "--format", "json")
    assert "unknown rule id 'NOPE'" in err and "rule_id" in err


def test_a_missing_column_exits_2_naming_it(capsys, tmp_path):
    path = tmp_path / "hits.parquet"
    hand_frame().drop("label").write_parquet(path)
    assert "missing column 'label'" in bad(capsys, "stats", "--hits", path, "--format", "json")


def test_an_unknown_label_exits_2_naming_the_column_and_value(capsys, tmp_path):
    path = tmp_path / "hits.csv"
    path.write_text("rule_id,entity_id,event_time,label\nR1,S1,2026-01-01,maybe_bad\n")
    err = bad(capsys, "whatif", "--hits", path, "--retire", "R1", "--format", "json")
    assert "field 'label'" in err and "'maybe_bad'" in err and "row 1" in err


def test_an_unparseable_time_exits_2_naming_the_column_and_value(capsys, tmp_path):
    path = tmp_path / "hits.csv"
    path.write_text("rule_id,entity_id,event_time,label\nR1,S1,yesterday,unlabeled\n")
    err = bad(capsys, "stats", "--hits", path, "--format", "json")
    assert "field 'event_time'" in err and "'yesterday'" in err


def test_an_empty_file_exits_2(capsys, tmp_path):
    path = tmp_path / "hits.csv"
    path.write_text("")
    assert "empty" in bad(capsys, "recommend", "--hits", path, "--max-lost-confirmed-bad", 1)


def test_a_header_only_file_exits_2(capsys, tmp_path):
    path = tmp_path / "hits.csv"
    path.write_text("rule_id,entity_id,event_time,label\n")
    assert "no hits" in bad(capsys, "stats", "--hits", path)


def test_a_bad_date_or_a_missing_file_exits_2(capsys, hits, tmp_path):
    assert "--since '2026-13-01' is not a date" in bad(capsys, "stats", "--hits", hits, "--since", "2026-13-01")
    assert "no such file" in bad(capsys, "stats", "--hits", tmp_path / "gone.parquet")


def test_a_negative_budget_exits_2(capsys, hits):
    assert "0 or more" in bad(capsys, "recommend", "--hits", hits, "--max-lost-confirmed-bad", -3)


def test_the_real_command_line_exits_2_without_a_traceback(hits):
    proc = subprocess.run([sys.executable, "-m", "rm_core", "rules", "whatif", "--hits", str(hits),
                           "--retire", "Z", "--format", "json"], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, timeout=120)
    assert proc.returncode == 2 and "unknown rule id 'Z'" in proc.stderr and "Traceback" not in proc.stderr


def test_synth_writes_a_demo_log_the_other_commands_can_read(capsys, tmp_path):
    out = tmp_path / "demo.parquet"
    code, printed, _ = run(capsys, "synth", "--out", out, "--rows", 2000, "--rules", 12, "--entities", 300)
    assert code == 0 and printed.strip() == str(out)
    code, printed, _ = run(capsys, "stats", "--hits", out)
    assert code == 0 and len(json.loads(printed)) == 12
    assert "at least 1" in bad(capsys, "synth", "--out", out, "--rows", 0)
