"""The Risk Mining deck over the workbench's own records: every metric worked out by hand (tests/metrics/risk_world.py),
filters that recompute every metric, the rows behind a number, a user's own deck + CSV and a CSV with picked columns."""
from __future__ import annotations

import datetime as dt

import pytest

from rm_core.errors import UserError, ValidationFailed
from rm_core.metrics.risk_deck import (compute_source, csv_source, default_week, drill_down, metric_columns,
                                       picked_source, risk_deck, risk_source, week_endings)
from rm_core.metrics.sources import DIMENSIONS, SAMPLE_COLUMNS, VALUE_COLUMNS, daily_for, load_risk_data
from tests.metrics.risk_world import WEEK, seed_risk_world


@pytest.fixture
def source(state):
    seed_risk_world(state)
    return risk_source(load_risk_data())


def week_values(source, filters=None, week=WEEK):
    result = compute_source(source, week, filters)
    return {s.name: s for s in result.series()}


def test_the_shipped_deck_declares_owner_direction_and_unit_for_every_charted_metric():
    deck = risk_deck()
    charted = [name for block in deck.deck if block.ui_type == "6_12Graph" for name in block.metric_names()]
    # AI ROI: drafted MOs, acceptance, minutes with and without assist, minutes saved; intake: submitted, days to
    # triage, share accepted
    assert len(charted) == 23
    for name in charted:
        decl = deck.metrics[name]
        assert decl.owner and decl.direction in ("higher", "lower") and decl.unit, name
    assert deck.setup.week_ends_on == 6  # Sunday
    assert [b.title for b in deck.deck if b.ui_type == "section"] == [
        "MO lifecycle", "Rule portfolio", "Partner requests and escalations", "Upstream gaps", "SOP parity", "AI ROI",
        "Idea intake"]


def test_every_column_the_deck_reads_is_built_by_the_sources():
    deck = risk_deck()
    for name in deck.metrics:
        for column in metric_columns(deck, name):
            assert column in VALUE_COLUMNS or column in SAMPLE_COLUMNS, (name, column)


def test_the_week_defaults_to_the_last_complete_week_ending_on_sunday(source):
    assert source.end == WEEK
    assert week_endings(source)[:2] == [WEEK, WEEK - dt.timedelta(days=7)]
    assert default_week(source) == WEEK
    assert compute_source(source).week_ending == WEEK


@pytest.mark.postgres
def test_mo_lifecycle_metrics_of_the_week(source):
    v = week_values(source)
    assert v["MOIdentificationSpeed"].boxes[0] == 30  # median of 30, 10 and 60 days (the mean would be 33.3)
    assert v["MOsDocumented"].boxes[0] == 3
    assert v["MOMitigationTime"].boxes[0] == 88
    assert v["ShareMOsActioned"].boxes[0] == 0.5  # MO-1 (covering rule) and MO-4 (mitigated) of 4
    assert v["ShareMOsActioned"].info.comparison == "bps"


@pytest.mark.postgres
def test_rule_portfolio_precision_and_retirements_come_from_the_current_hit_log(source):
    v = week_values(source)
    assert v["RulePrecision"].boxes[0] == 0.5  # 4 confirmed bad of 8 labelled hits
    assert v["RulePrecision"].boxes[1] == pytest.approx(0)  # the week before: 1 of 2, +0 bps
    assert v["RulesRetired"].boxes[0] == 1


@pytest.mark.postgres
def test_partner_requests_escalations_gaps_and_sop_parity_of_the_week(source):
    v = week_values(source)
    assert v["PartnerRequestsOpen"].boxes[0] == 2
    assert v["PartnerRequestsOpen"].boxes[1] == pytest.approx(-100 / 3)  # 3 open the week before
    assert v["PartnerRequestsOver30Days"].boxes[0] == 1
    assert v["PartnerWithinSLARate"].boxes[0] == 0.5
    assert v["EscalationItemsOverdue"].boxes[0] == 1
    assert v["GapsIdentified"].boxes[0] == 1
    assert v["GapsQuantified"].boxes[0] == 1
    assert v["GapsClosedQuantified"].boxes[0] == 1
    assert v["GapImpactQuantified"].boxes[0] == 50_000
    assert v["SOPParity"].boxes[0] == pytest.approx(0.6)
    assert v["SOPParity"].boxes[1] == pytest.approx(2000)  # 40% the week before: +2,000 bps


def test_open_requests_by_ageing_bucket_fill_the_six_weeks_table(source):
    result = compute_source(source, WEEK)
    table = next(b for b in result.blocks if getattr(b, "kind", "") == "6_WeeksTable")
    last_week = {row.header: row.values[5] for row in table.rows}
    assert last_week == {"0–7 days": 1, "8–14 days": 0, "15–30 days": 0, "31–60 days": 1, "60+ days": 0}


@pytest.mark.postgres
def test_a_site_filter_recomputes_every_metric(source):
    v = week_values(source, {"site": ["India"]})
    assert v["MOIdentificationSpeed"].boxes[0] == 20  # median of 30 and 10
    assert v["MOMitigationTime"].boxes[0] is None  # the mitigated MO is in Costa Rica
    assert v["RulePrecision"].boxes[0] == 0.75
    assert v["RulePrecision"].boxes[1] == pytest.approx(2500)
    assert v["PartnerRequestsOpen"].boxes[0] == 1
    assert v["EscalationItemsOverdue"].boxes[0] == 0
    assert v["GapsClosedQuantified"].boxes[0] == 0
    assert v["SOPParity"].boxes[0] == 1.0  # both India cells are live on the current version


def test_an_abuse_type_filter_keeps_metrics_it_does_not_apply_to(source):
    v = week_values(source, {"abuse_type": ["account takeover"]})
    assert v["MOIdentificationSpeed"].boxes[0] == 45  # median of 30 and 60
    assert v["RulesRetired"].boxes[0] == 1
    assert v["PartnerWithinSLARate"].boxes[0] is None  # the resolved requests are linked to no MO
    assert v["SOPParity"].boxes[0] == pytest.approx(0.6)  # SOPs have no abuse type: unchanged


def test_filters_on_several_dimensions_combine(source):
    v = week_values(source, {"site": ["Costa Rica"], "team": ["RM Costa Rica"]})
    assert v["MOIdentificationSpeed"].boxes[0] == 60
    assert v["RulePrecision"].boxes[0] == 0.25


def test_the_rows_behind_a_rate_are_its_numerator_and_denominator_records(source):
    dd = drill_down(source, "ShareMOsActioned", WEEK)
    parts = {column: rows for column, _, rows in dd.parts}
    assert sorted(parts["mos_actioned"]["mo_id"]) == ["MO-1", "MO-4"]
    assert sorted(parts["mos_known"]["mo_id"]) == ["MO-1", "MO-2", "MO-3", "MO-4"]


def test_the_rows_behind_precision_are_the_rules_that_fired_with_the_filter_applied(source):
    dd = drill_down(source, "RulePrecision", WEEK, {"site": ["India"]})
    assert len(dd.parts) == 1
    rows = dd.parts[0][2]
    assert rows.select("rule_id", "hits", "hits_confirmed_bad", "hits_false_positive").rows() == [("R-1", 6, 3, 1)]
    assert rows["precision"][0] == 0.75


def test_the_rows_behind_an_ageing_bucket_are_the_requests_that_old_at_week_end(source):
    dd = drill_down(source, "PartnerRequestsOver30Days", WEEK)
    ids = {c: rows["request_id"].to_list() for c, _, rows in dd.parts}
    assert ids == {"partner_open_31_60": ["REQ-1"], "partner_open_60_plus": []}


def test_a_day_without_rows_after_a_filter_counts_as_nothing_happened(source):
    daily = daily_for(source.risk, {"site": ["nowhere"]})
    assert daily.height == (source.end - source.start).days + 1
    assert daily.drop("Date").sum_horizontal().sum() == 0


def test_an_empty_workbench_has_no_data(state):
    data = load_risk_data()
    assert data.is_empty
    assert set(DIMENSIONS) <= set(data.daily.columns)


DECK = b"""
setup: {title: My WBR, week_ending: 14-JAN-2023}
metrics:
  Orders: {column: orders, aggf: sum, owner: me, direction: higher, target: 60, unit: count}
deck:
  - block: {ui_type: 6_12Graph, title: Orders, metrics: {Orders: {}}}
"""


def _csv(days=400) -> bytes:
    start = dt.date(2022, 1, 1)
    lines = ["Date,region,orders"]
    for i in range(days):
        d = start + dt.timedelta(days=i)
        lines += [f"{d:%Y-%m-%d},north,{5}", f"{d:%Y-%m-%d},south,{3}"]
    return ("\n".join(lines) + "\n").encode()


def test_a_users_own_deck_and_csv_give_filters_from_its_text_columns():
    source = csv_source(DECK, _csv(), deck_name="my.yaml", csv_name="my.csv")
    assert source.dimensions == ("region",)
    assert default_week(source) == dt.date(2023, 1, 14)  # the deck's own week, not the data's last
    all_rows = week_values(source, week=dt.date(2023, 1, 14))["Orders"]
    north = week_values(source, {"region": ["north"]}, week=dt.date(2023, 1, 14))["Orders"]
    assert all_rows.boxes[0] == 56 and north.boxes[0] == 35
    assert all_rows.rag == "red"  # more than 5% below the target of 60
    rows = drill_down(source, "Orders", dt.date(2023, 1, 14), {"region": ["south"]}).parts[0][2]
    assert rows.height == 7 and rows["orders"].sum() == 21


def test_a_csv_with_picked_columns_gets_a_deck_of_its_own():
    csv = b"\xef\xbb\xbfday,shop,sales,visits\n" + b"".join(
        f"{dt.date(2024, 1, 1) + dt.timedelta(days=i):%d/%m/%Y},{'A' if i % 2 else 'B'},\"1,000\",{i}\n".encode()
        for i in range(60))
    source = picked_source(csv, date_column="day", values={"sales": "sum", "visits": "max"}, dimensions=["shop"],
                           name="shop.csv", week_ends_on="Sunday")
    assert [b.title for b in source.deck.deck] == ["sales", "visits"]
    assert source.options == {"shop": ["A", "B"]}
    week = week_endings(source)[0]
    assert week == dt.date(2024, 2, 25)
    values = week_values(source, week=week)
    assert values["sales"].boxes[0] == 7000
    assert values["visits"].boxes[0] == 55  # 25 Feb is day 55 of the file
    assert week_values(source, {"shop": ["A"]}, week=week)["sales"].boxes[0] == 4000  # odd days 49–55


def test_picking_a_text_column_as_a_number_is_refused_with_its_row():
    csv = b"day,sales\n2024-01-01,5\n2024-01-02,lots\n"
    with pytest.raises(ValidationFailed) as err:
        picked_source(csv, date_column="day", values={"sales": "sum"}, name="s.csv")
    assert "row 3" in str(err.value) and "'lots' is not a number" in str(err.value)


def test_a_week_after_the_data_is_refused(source):
    with pytest.raises(UserError, match="cannot be reviewed yet"):
        compute_source(source, WEEK + dt.timedelta(days=7))


def test_the_6_12_chart_draws_this_year_prior_year_dashed_target_markers_and_events(source):
    from rm_core.metrics.charts import ChartEvent, six_twelve_chart, six_twelve_spec

    block = compute_source(source, WEEK).graphs()[0]
    spec = six_twelve_spec(block, events=[ChartEvent(block.week_labels[-1], "rule retired")], rag="amber")
    py, cy, target, rule, text = spec["layer"]
    assert py["mark"]["strokeDash"] == [5, 4] and "Prior year" in py["transform"][0]["filter"]
    assert cy["mark"]["type"] == "line" and cy["encoding"]["detail"]["field"] == "segment"  # weeks, months apart
    assert target["mark"]["shape"] == "diamond"
    assert rule["data"]["values"] == [{"x": "wk 47", "text": "rule retired"}]
    order = spec["layer"][0]["encoding"]["x"]["sort"]
    assert order[:6] == block.week_labels and order[6] == " " and order[7:] == block.month_labels
    points = {(p["series"], p["x"]): p["value"] for p in spec["data"]["values"]}
    assert points[("This year", "wk 47")] == 30 and points[("Target", "wk 47")] == 35
    assert spec["config"]["font"].startswith("Source Sans Pro")  # the workbench theme
    assert six_twelve_chart(block).to_dict()["layer"][0]["mark"]["strokeDash"] == [5, 4]  # a valid Altair chart


def test_ai_roi_is_absent_until_the_usage_log_has_entries(state):
    seed_risk_world(state)
    charted = [n for b in risk_source(load_risk_data()).deck.deck for n in b.metric_names()]
    assert "AnalystMinutesSaved" not in charted and "AIDraftAcceptance" not in charted
    assert "AnalystHoursSaved" not in risk_deck().metrics  # the synthetic series is gone


def test_ai_roi_metrics_are_computed_from_the_usage_log(state, editor):
    from rm_core.ai.usage import log_assist, log_unassisted_mo, record_outcome

    seed_risk_world(state)
    t = dt.datetime
    # two MOs written by hand from notes: 90 and 60 minutes -> the baseline median is 75
    log_unassisted_mo(editor, "MO-1", t(2026, 11, 16, 9, 0), at=t(2026, 11, 16, 10, 30))
    log_unassisted_mo(editor, "MO-4", t(2026, 11, 17, 9, 0), at=t(2026, 11, 17, 10, 0))
    # three drafts in the week: accepted after 20 min, edited after 30 min, one discarded
    a = log_assist(editor, "mo_draft", "offline: x", at=t(2026, 11, 18, 10, 0))
    record_outcome(editor, a, "accepted", record_id="MO-2", at=t(2026, 11, 18, 10, 20))
    b = log_assist(editor, "mo_draft", "openai:m", provider="openai", model="m", at=t(2026, 11, 19, 9, 0))
    record_outcome(editor, b, "edited", record_id="MO-3", at=t(2026, 11, 19, 9, 30))
    c = log_assist(editor, "mo_draft", "offline: x", at=t(2026, 11, 20, 9, 0))
    record_outcome(editor, c, "discarded", at=t(2026, 11, 20, 9, 5))
    values = week_values(risk_source(load_risk_data()))
    assert values["AIDraftAcceptance"].boxes[0] == pytest.approx(2 / 3)
    assert values["MinutesToMOAssisted"].boxes[0] == pytest.approx(25)
    assert values["MinutesToMOUnassisted"].boxes[0] == pytest.approx(75)  # both fall in the week ending 22 Nov
    assert values["AnalystMinutesSaved"].boxes[0] == pytest.approx((75 - 20) + (75 - 30))
    assert "median minutes from notes to saved MO without" in risk_deck().metrics["AnalystMinutesSaved"].description


def test_a_deck_saved_with_its_csv_in_the_state_folder_is_offered_as_a_source(state):
    from rm_core.metrics.risk_deck import saved_decks, saved_source

    folder = state.home / "decks"
    folder.mkdir(parents=True)
    (folder / "orders.yaml").write_bytes(DECK)
    (folder / "orders.csv").write_bytes(_csv())
    (folder / "lonely.yaml").write_bytes(DECK)  # no CSV beside it: not offered
    saved = saved_decks(state.home)
    assert [d.name for d in saved] == ["orders"]
    source = saved_source(saved[0])
    assert week_values(source, week=dt.date(2023, 1, 14))["Orders"].boxes[0] == 56


def test_weeks_that_retire_several_rules_are_annotated_on_the_precision_chart(state):
    from rm_core.metrics.risk_deck import chart_events
    from rm_core.store.db import write_session
    from rm_core.store.models import RuleEvent

    seed_risk_world(state)
    with write_session() as s:  # two more retirements in the week: three in all
        for hour in (13, 14):
            s.add(RuleEvent(rule_id="R-2", from_status="shadow", to_status="retired", at=dt.datetime(2026, 11, 20, hour),
                            actor="admin", reason="noisy", approver="boss"))
    source = risk_source(load_risk_data())
    result = compute_source(source, WEEK)
    assert chart_events(source, result) == {"RulePrecision": [("wk 47", "3 rules retired")]}
    assert chart_events(source, result, {"site": ["India"]}) == {}


def test_two_events_on_the_same_day_and_dimensions_count_twice(state):
    from rm_core.store.db import write_session
    from rm_core.store.models import MO

    seed_risk_world(state)
    with write_session() as s:  # a second India identity-fraud MO documented on 18 Nov, after 20 days
        s.add(MO(id="MO-5", title="Forged bank letters", site="India", abuse_family="identity fraud", status="draft",
                 first_seen=dt.date(2026, 10, 29), documented_at=dt.date(2026, 11, 18)))
    v = week_values(risk_source(load_risk_data()))
    assert v["MOsDocumented"].boxes[0] == 4
    # the median of the week's four MOs (30, 10, 20, 60): 25. The mean (30) and the median of daily medians
    # (30, median(10, 20) = 15, 60 -> 30) would both say 30
    assert v["MOIdentificationSpeed"].boxes[0] == 25
