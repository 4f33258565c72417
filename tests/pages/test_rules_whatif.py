"""Rule what-if page: ticking rules updates the impact, criteria pick rules, lifecycle moves are audited."""
import pytest

from rm_core.identity import Actor
from rm_core.rules.logs import upload_hit_log
from rm_core.store.db import read_session, write_session
from rm_core.store.models import MO, Rule, RuleMO
from tests.pages.conftest import app_test

PAGE = "pages/rules_whatif.py"
HITS = """rule_id,entity_id,event_time,label,action,amount_usd
R-1,E1,2026-10-01T10:00:00,confirmed_bad,enforced,50
R-1,E2,2026-10-02T10:00:00,false_positive,enforced,
R-2,E1,2026-10-03T10:00:00,confirmed_bad,enforced,80
R-2,E3,2026-10-04T10:00:00,confirmed_bad,enforced,100
R-3,E4,2026-10-05T10:00:00,confirmed_bad,shadow,30
"""


@pytest.fixture
def hits(state):
    with write_session() as s:
        s.add_all([Rule(id="R-1", name="new device + bank change", status="active"),
                   Rule(id="R-2", name="gift card velocity", status="active"),
                   Rule(id="R-3", name="lease template hash", status="shadow"),
                   MO(id="MO-0007", title="Gift card cash-out")])
        s.flush()
        s.add(RuleMO(rule_id="R-2", mo_id="MO-0007"))
    upload_hit_log(Actor("tester", "admin"), HITS.encode(), "hits.csv")
    return state


def _metrics(at):
    return {m.label: m.value for m in at.metric}


def test_ticking_a_rule_shows_what_is_lost(hits):
    at = app_test(PAGE).run()
    assert not at.exception
    assert _metrics(at)["Lost confirmed-bad"] == "0"
    at.multiselect(key="retire").select("R-2").run()
    m = _metrics(at)
    assert (m["Flagged after"], m["Lost confirmed-bad"], m["Lost exposure"]) == ("2", "1", "$100")
    lost = at.dataframe[0].value
    assert list(lost["entity_id"]) == ["E3"]
    assert any("MOs left without an active rule: 1" in md.value for md in at.markdown)
    at.multiselect(key="retire").select("R-1").run()
    m = _metrics(at)
    assert (m["Flagged after"], m["Lost confirmed-bad"], m["Avoided false positives"]) == ("0", "2", "1")


def test_a_criterion_adds_the_matching_rules(hits):
    at = app_test(PAGE).run()
    at.number_input(key="crit-prec").set_value(60.0)
    at.button(key="crit-apply").click().run()
    assert at.multiselect(key="retire").value == ["R-1"]  # precision 50 %
    assert _metrics(at)["Avoided false positives"] == "1"


def _rule_box(at):
    return next(s for s in at.selectbox if s.label == "Rule")


def test_lifecycle_move_from_the_page_is_recorded(hits):
    at = app_test(PAGE).run()
    _rule_box(at).select("R-1").run()
    at.text_area[0].input("precision 50% and overlaps R-2")
    [b for b in at.button if b.label == "Move"][0].click().run()
    assert not at.exception and not at.error
    with read_session() as s:
        assert s.get(Rule, "R-1").status == "candidate"


def test_a_viewer_sees_no_move_form(hits):
    at = app_test(PAGE)
    at.session_state["actor"] = Actor("vic", "viewer")
    at.run()
    _rule_box(at).select("R-1").run()
    assert not [b for b in at.button if b.label == "Move"]


def test_no_hit_log_says_how_to_bring_one(state):
    at = app_test(PAGE).run()
    assert not at.exception
    assert any("No hit log yet" in i.value for i in at.info)


def test_after_a_move_the_form_shows_the_rule_it_moved_in_its_new_state(hits):
    at = app_test(PAGE).run()
    _rule_box(at).select("R-2").run()
    at.text_area[0].input("overlaps R-1 on every catch")
    [b for b in at.button if b.label == "Move"][0].click().run()
    assert _rule_box(at).value == "R-2"
    assert _rule_box(at).options[1].endswith("(candidate)")
    move_to = next(s for s in at.selectbox if s.label == "Move to")
    assert (move_to.options, move_to.value) == (["active", "shadow"], "shadow")
    assert at.text_area[0].value == ""  # the reason of the last move is not offered for the next one
    at.text_area[0].input("two weeks in shadow first")
    [b for b in at.button if b.label == "Move"][0].click().run()
    assert not at.error
    with read_session() as s:
        assert (s.get(Rule, "R-1").status, s.get(Rule, "R-2").status) == ("active", "shadow")


def test_shadow_monitoring_lists_a_rule_just_put_in_shadow_with_zero_catches(hits):
    with write_session() as s:
        s.add(Rule(id="R-9", name="not firing yet", status="candidate"))
    from rm_core.rules.lifecycle import move_rule
    move_rule(Actor("tester", "admin"), "R-9", "shadow", "watch it for a week", shadow_days=7)
    at = app_test(PAGE).run()
    shadow = next(d.value for d in at.dataframe if "shadow_until" in d.value.columns)
    rows = {r["rule_id"]: r for r in shadow.to_dict("records")}
    assert list(rows) == ["R-3", "R-9"]
    assert (rows["R-3"]["status"], rows["R-3"]["shadow_hits"], rows["R-3"]["confirmed_bad"]) == ("shadow", 1, 1)
    assert (rows["R-9"]["shadow_hits"], rows["R-9"]["entities"], rows["R-9"]["confirmed_bad"]) == (0, 0, 0)
    assert str(rows["R-9"]["shadow_until"])[:10] == str(__import__("datetime").date.today()
                                                       + __import__("datetime").timedelta(days=7))


def test_rules_to_retire_does_not_offer_a_retired_rule(hits):
    with write_session() as s:
        s.get(Rule, "R-1").status = "retired"
    at = app_test(PAGE).run()
    assert at.multiselect(key="retire").options == ["R-2", "R-3"]
    at.number_input(key="crit-prec").set_value(60.0)  # R-1 (precision 50 %) matches but is already retired
    at.button(key="crit-apply").click().run()
    assert at.multiselect(key="retire").value == []
def test_a_hit_source_in_an_engine_is_chosen_on_the_hit_log_tab_and_gives_the_same_impact(hits, tmp_path,
                                                                                          monkeypatch):
    import io

    import polars as pl

    from rm_core.settings import get_settings
    from tests.rules.sources import sqlite_table

    frame = pl.read_csv(io.StringIO(HITS), try_parse_dates=True).with_columns(pl.col("event_time").dt.cast_time_unit("us"))
    url = sqlite_table(frame, tmp_path / "warehouse.db")
    monkeypatch.setenv("RM_HIT_SOURCES", f"warehouse={url}|hits")
    get_settings.cache_clear()
    at = app_test(PAGE).run()
    at.selectbox(key="hit-source").select("warehouse").run()
    assert not at.exception
    assert any("Evaluating warehouse: 5 hits in its engine (sqlite)" in c.value for c in at.caption)
    at.multiselect(key="retire").select("R-2").run()
    m = _metrics(at)
    assert (m["Flagged after"], m["Lost confirmed-bad"], m["Lost exposure"]) == ("2", "1", "$100")
    assert list(at.dataframe[0].value["entity_id"]) == ["E3"]


MODEL_HITS = """rule_id,detector_id,entity_id,event_time,label,action,amount_usd,score,threshold
R-1,,E1,2026-10-01T10:00:00,confirmed_bad,enforced,50,,
R-1,,E2,2026-10-02T10:00:00,false_positive,enforced,,,
R-2,,E1,2026-10-03T10:00:00,confirmed_bad,enforced,80,,
R-2,,E3,2026-10-04T10:00:00,confirmed_bad,enforced,100,,
,M-1,E3,2026-10-04T11:00:00,confirmed_bad,enforced,100,0.95,0.8
,M-1,E5,2026-10-05T10:00:00,confirmed_bad,enforced,400,0.85,0.8
,M-1,E6,2026-10-06T10:00:00,false_positive,enforced,20,0.82,0.8
,M-1,E7,2026-10-07T10:00:00,confirmed_bad,enforced,60,0.6,0.8
,M-1,E2,2026-10-08T10:00:00,false_positive,enforced,,0.5,0.8
"""


@pytest.fixture
def model_hits(state):
    from rm_core.rules.lifecycle import register_model

    with write_session() as s:
        s.add_all([Rule(id="R-1", name="new device + bank change", status="active"),
                   Rule(id="R-2", name="gift card velocity", status="active")])
    register_model(Actor("tester", "admin"), {"id": "M-1", "name": "registration risk", "threshold": 0.8})
    upload_hit_log(Actor("tester", "admin"), MODEL_HITS.encode(), "hits.csv")
    return state


def _frame(at, column):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_moving_a_model_threshold_shows_the_impact_beside_the_rules(model_hits):
    at = app_test(PAGE).run()
    assert not at.exception
    assert at.slider(key="threshold-M-1").value == 0.8
    only = _frame(at, "score")
    assert list(only["entity_id"]) == ["E5", "E6"]  # at the current threshold only the model flags these
    at.slider(key="threshold-M-1").set_value(0.9).run()
    [row] = _frame(at, "lost_confirmed_bad").to_dict("records")
    assert (row["what"], row["flagged_after"], row["lost_confirmed_bad"], row["avoided_false_positive"],
            row["lost_exposure_usd"]) == ("M-1 at 0.90", 3, 1, 1, 400.0)
    assert row["precision_after"] == pytest.approx(2 / 3)
    detectors = {r["detectors"]: r for r in _frame(at, "detectors").to_dict("records")}
    assert (detectors["M-1 (current)"]["flagged"], detectors["M-1 (current)"]["precision"]) == (3, pytest.approx(2 / 3))
    assert (detectors["M-1 (proposed)"]["flagged"], detectors["M-1 (proposed)"]["precision"]) == (1, 1.0)
    assert (detectors["all rules"]["flagged"], detectors["all rules"]["confirmed_bad"]) == (3, 2)
    assert _frame(at, "score").empty  # at 0.9 the model's one catch (E3) is R-2's too
    assert any("0 entities only M-1 catches at 0.90" in m.value for m in at.markdown)


def test_a_lower_threshold_gains_the_below_threshold_catches_and_rules_compare_with_it(model_hits):
    at = app_test(PAGE).run()
    at.slider(key="threshold-M-1").set_value(0.55).run()
    [row] = _frame(at, "lost_confirmed_bad").to_dict("records")
    assert (row["flagged_after"], row["lost_confirmed_bad"], row["gained_confirmed_bad"]) == (6, 0, 1)
    assert list(_frame(at, "score")["entity_id"]) == ["E5", "E7", "E6"]
    at.multiselect(key="retire").select("R-1").run()
    at.slider(key="threshold-M-1").set_value(0.9).run()
    rows = {r["what"]: r for r in _frame(at, "lost_confirmed_bad").to_dict("records")}
    assert set(rows) == {"M-1 at 0.90", "retire R-1", "both together"}
    assert (rows["retire R-1"]["flagged_after"], rows["retire R-1"]["avoided_false_positive"]) == (4, 1)
    both = rows["both together"]
    assert (both["flagged_after"], both["lost_confirmed_bad"], both["avoided_false_positive"],
            both["precision_after"]) == (2, 1, 2, 1.0)


def test_an_admin_sets_the_proposed_threshold_with_a_reason(model_hits):
    from rm_core.rules.lifecycle import rule_history

    at = app_test(PAGE).run()
    at.slider(key="threshold-M-1").set_value(0.9).run()
    at.text_input(key="threshold-reason-M-1").input("loses one confirmed-bad, avoids one FP")
    next(b for b in at.button if b.label == "Set M-1's threshold to 0.90").click().run()
    assert not at.exception and not at.error
    with read_session() as s:
        assert s.get(Rule, "M-1").threshold == 0.9
    assert (rule_history("M-1")[0].threshold_from, rule_history("M-1")[0].threshold_to) == (0.8, 0.9)


def test_a_log_without_models_says_what_a_model_row_looks_like(hits):
    at = app_test(PAGE).run()
    assert any("No model in this hit log" in i.value for i in at.info)


def test_a_model_in_shadow_shows_its_weeks_against_its_active_period(model_hits):
    from rm_core.rules.lifecycle import move_rule

    admin = Actor("tester", "admin")
    move_rule(admin, "M-1", "candidate", "rules cover most of it")
    move_rule(admin, "M-1", "shadow", "watch it for a month", shadow_days=30)
    at = app_test(PAGE).run()
    assert not at.exception
    weeks = next(d.value for d in at.dataframe if "period" in d.value.columns)
    assert set(weeks["period"]) == {"active"}  # the log ends before today's shadow move
    assert int(weeks["hits"].sum()) == 3  # E3, E5, E6 at or above 0.8
