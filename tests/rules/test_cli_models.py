"""`rules whatif --threshold` and `rules stats` with model detectors: hand-computed figures, exit 2 on bad input."""
from __future__ import annotations

import json

import pytest

from rm_core.cli import main
from rm_core.rules import IMPACT_FIELDS, RULE_STATS_FIELDS
from rm_core.rules.whatif import MODEL_STATS_FIELDS, THRESHOLD_FIELDS
from tests.pages.test_rules_whatif import MODEL_HITS


@pytest.fixture
def hits(tmp_path):
    path = tmp_path / "hits.csv"
    path.write_text(MODEL_HITS)
    return path


def run(capsys, *argv):
    code = main(["rules", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_raising_a_threshold_prints_the_impact_plus_the_models_figures(capsys, hits):
    code, out, _ = run(capsys, "whatif", "--hits", hits, "--threshold", "M-1=0.9")
    result = json.loads(out)
    assert code == 0 and list(result) == [*IMPACT_FIELDS, *THRESHOLD_FIELDS]
    assert (result["flagged_before"], result["flagged_after"], result["lost_confirmed_bad"],
            result["avoided_false_positive"], result["lost_exposure_usd"]) == (5, 3, 1, 1, 400.0)
    [model] = result["models"]
    assert (model["model_id"], model["threshold"], model["proposed_threshold"], model["flagged"],
            model["flagged_proposed"], model["only_this_model_proposed"]) == ("M-1", 0.8, 0.9, 3, 1, 0)


def test_retiring_a_rule_and_raising_a_threshold_are_one_what_if(capsys, hits):
    code, out, _ = run(capsys, "whatif", "--hits", hits, "--retire", "R-1", "--threshold", "M-1=0.9")
    result = json.loads(out)
    assert code == 0 and result["retired"] == ["R-1"]
    assert (result["flagged_after"], result["lost_confirmed_bad"], result["avoided_false_positive"],
            result["precision_after"]) == (2, 1, 2, 1.0)


def test_a_lower_threshold_gains_the_below_threshold_catch(capsys, hits):
    code, out, _ = run(capsys, "whatif", "--hits", hits, "--threshold", "M-1=0.55")
    result = json.loads(out)
    assert code == 0 and (result["flagged_after"], result["gained_confirmed_bad"]) == (6, 1)


def test_stats_lists_the_model_with_its_threshold_and_score_distribution(capsys, hits):
    code, out, _ = run(capsys, "stats", "--hits", hits)
    rows = {r["rule_id"]: r for r in json.loads(out)}
    assert code == 0 and list(rows["R-1"]) == list(RULE_STATS_FIELDS)
    m = rows["M-1"]
    assert list(m) == [*RULE_STATS_FIELDS, *MODEL_STATS_FIELDS]
    assert (m["kind"], m["threshold"], m["scored_entities"], m["below_threshold"], m["score_p50"]) == (
        "model", 0.8, 5, 2, 0.82)


@pytest.mark.parametrize("argv, message", [
    (["--threshold", "M-1=1.5"], "field 'threshold': 'M-1=1.5'"),
    (["--threshold", "M-1"], "'M-1' is not MODEL_ID=THRESHOLD"),
    (["--threshold", "R-1=0.5"], "'R-1' is a rule, not a model"),
    (["--threshold", "M-9=0.5"], "unknown model id 'M-9'"),
    ([], "--retire"),
])
def test_bad_threshold_input_exits_2_naming_the_field(capsys, hits, argv, message):
    code, out, err = run(capsys, "whatif", "--hits", hits, *argv)
    assert code == 2 and out == "" and message in err


def test_a_score_outside_0_1_exits_2_naming_row_and_field(capsys, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(MODEL_HITS.replace(",0.85,0.8", ",1.85,0.8"))
    code, out, err = run(capsys, "whatif", "--hits", path, "--threshold", "M-1=0.9")
    assert code == 2 and out == ""
    assert "row 6" in err and "score" in err and "1.85" in err


def test_a_model_in_shadow_reads_its_would_have_catches_per_week_against_its_active_weeks(tmp_path):
    import datetime as dt

    from rm_core.rules import load_hit_log, prepare_hits
    from rm_core.rules.whatif import shadow_weeks

    rows = ["detector_id,entity_id,event_time,label,action,score,threshold"]
    for day, action in ((1, "enforced"), (2, "enforced"), (9, "enforced"), (15, "shadow"), (16, "shadow")):
        rows.append(f"M-1,E{day},2026-10-{day:02d}T10:00:00,confirmed_bad,{action},0.9,0.8")
    rows.append("M-1,E30,2026-10-17T10:00:00,confirmed_bad,shadow,0.5,0.8")  # below threshold: no catch
    path = tmp_path / "shadow.csv"
    path.write_text("\n".join(rows) + "\n")
    weeks = shadow_weeks(prepare_hits(load_hit_log(path)), "M-1", dt.date(2026, 10, 15))
    assert weeks.rows() == [(dt.date(2026, 10, 1), "active", 2), (dt.date(2026, 10, 8), "active", 1),
                            (dt.date(2026, 10, 15), "shadow", 2)]


def test_the_recommendation_retires_rules_then_raises_a_model_threshold_within_the_budget(hits):
    from rm_core.rules import load_hit_log, prepare_hits
    from rm_core.rules.recommend import recommend_detectors

    prepared = prepare_hits(load_hit_log(hits))
    rec = recommend_detectors(prepared, max_lost_confirmed_bad=0)
    # R-1 alone flags no confirmed-bad; M-1 at 0.85 drops E6 (0.82, FP) and keeps E5 (0.85: ties flag);
    # 0.90 would lose E5
    assert (rec.retire, rec.thresholds) == (["R-1"], {"M-1": 0.85})
    assert rec.steps == [("retire R-1", 0), ("raise M-1 to 0.85", 0)]
    assert (rec.impact.lost_confirmed_bad, rec.impact.avoided_false_positive, rec.impact.flagged_after) == (0, 2, 3)
    generous = recommend_detectors(prepared, max_lost_confirmed_bad=1, keep=["R-1", "R-2", "M-1"])
    assert (generous.retire, generous.thresholds) == ([], {})  # kept detectors are neither retired nor moved


def test_recommend_with_models_says_which_thresholds_to_raise(capsys, hits):
    code, out, _ = run(capsys, "recommend", "--hits", hits, "--max-lost-confirmed-bad", "0", "--with-models")
    result = json.loads(out)
    assert code == 0 and (result["retire"], result["thresholds"]) == (["R-1"], {"M-1": 0.85})
    assert result["avoided_false_positive"] == 2


def test_an_engine_source_with_model_rows_says_to_load_the_log_as_a_file(capsys, hits, tmp_path):
    import polars as pl

    path = tmp_path / "hits.parquet"
    pl.read_csv(hits).write_parquet(path)
    code, out, err = run(capsys, "stats", "--hits-url", f"parquet://{path}")
    assert code == 2 and out == ""
    assert "field 'detector_id'" in err and "load the log as a file" in err
