"""Deck files: wbr-app's vocabulary read as is, our extensions, and refusals that say where."""
from datetime import date

import pytest

from rm_core.errors import ValidationFailed
from rm_core.metrics import load_deck

WBR_APP_DECK = """
setup:
  week_ending: 25-SEP-2021
  week_number: 38
  title: WBR Daily
  fiscal_year_end_month: MAY
  block_starting_number: 3
  tooltip: true
metrics:
  PageViews:
    column: "PageViews"
    aggf: sum
  Fatals:
    column: Fatals
    aggf: sum
  Desktop_Pct:
    column: Desktop Pct
    aggf: mean
    metric_comparison_method: bps
  UK:
    filter:
      base_column: latency
      query: "country == 'UK'"
    aggf: mean
  PerFatal:
    function:
      divide:
        - metric:
            name: PageViews
        - metric:
            name: Fatals
deck:
  - block:
      ui_type: section
      title: Traffic
  - block:
      ui_type: 6_12Graph
      title: Page views
      x_axis_monthly_display: fiscal_year
      metrics:
        PageViews:
          graph_prior_year_flag: true
          legend_name: Page Views
  - block:
      ui_type: 12_MonthsTable
      title: table
      rows:
        - row:
            header: "YoY"
            metric: PageViewsYOY
            y_scaling: "##%"
"""


def test_a_wbr_app_deck_loads_unchanged():
    deck = load_deck(WBR_APP_DECK)
    assert deck.setup.week_ending == date(2021, 9, 25)
    assert deck.setup.fiscal_year_end_month == 5 and deck.setup.block_starting_number == 3
    assert [m.kind for m in deck.metrics.values()] == ["column", "column", "column", "filter", "function"]
    assert deck.metrics["Desktop_Pct"].compares_in_bps and not deck.metrics["PageViews"].compares_in_bps
    assert [b.ui_type for b in deck.blocks] == ["section", "6_12Graph", "12_MonthsTable"]
    assert deck.blocks[2].rows[0].metric == "PageViewsYOY"
    assert deck.resolve("PageViewsYOY") == ("PageViews", "YOY")


def test_our_extensions_owner_direction_target_unit_and_rag_are_read():
    deck = load_deck("""
setup: {title: Risk, fiscal_year_end_month: ''}
metrics:
  Precision:
    column: precision
    aggf: mean
    owner: Priya
    direction: higher is better
    target: 0.8
    unit: "%"
    description: Share of rule hits confirmed bad
    rag: {green: 0.8, amber: 0.7}
deck:
  - block: {ui_type: 6_12Graph, title: Precision, metrics: {Precision: {}}}
""")
    m = deck.metrics["Precision"]
    assert (m.owner, m.direction, m.target, m.unit, m.rag.green, m.rag.amber) == ("Priya", "higher", 0.8, "%", 0.8, 0.7)
    assert deck.setup.fiscal_year_end_month == 12 and deck.setup.week_ending is None


def test_a_block_naming_an_undeclared_metric_is_refused():
    with pytest.raises(ValidationFailed, match="shows 'Nope'"):
        load_deck("metrics: {A: {column: a, aggf: sum}}\ndeck:\n  - block: {ui_type: 6_12Graph, metrics: {Nope: {}}}\n")


def test_a_function_over_an_undeclared_metric_is_refused():
    with pytest.raises(ValidationFailed, match="uses 'B'"):
        load_deck("metrics:\n  R:\n    function:\n      divide:\n        - metric: {name: A}\n"
                  "        - metric: {name: B}\n  A: {column: a, aggf: sum}\n")


def test_an_unknown_aggregation_is_refused_with_its_line_and_field():
    with pytest.raises(ValidationFailed) as err:
        load_deck("setup:\n  title: x\nmetrics:\n  A:\n    column: a\n    aggf: average_ish\n", name="d.yaml")
    problem = err.value.problems[0]
    assert problem.file == "d.yaml" and problem.row == 5 and "average_ish" in problem.message
    assert problem.field.startswith("metrics.A")


def test_divide_takes_exactly_two_metrics():
    with pytest.raises(ValidationFailed, match="exactly two"):
        load_deck("metrics:\n  A: {column: a, aggf: sum}\n  R:\n    function:\n      divide:\n"
                  "        - metric: {name: A}\n        - metric: {name: A}\n        - metric: {name: A}\n")


def test_a_month_over_month_row_in_a_six_week_table_is_refused():
    with pytest.raises(ValidationFailed, match="month-over-month"):
        load_deck("metrics: {A: {column: a, aggf: sum}}\ndeck:\n"
                  "  - block: {ui_type: 6_WeeksTable, rows: [{row: {header: x, metric: AMOM}}]}\n")


def test_a_bad_week_ending_and_fiscal_month_are_refused():
    with pytest.raises(ValidationFailed) as err:
        load_deck("setup: {week_ending: 31-FOO-2021, fiscal_year_end_month: Smarch}\n")
    text = str(err.value)
    assert "31-FOO-2021" in text and "Smarch" in text


def test_invalid_yaml_is_refused_with_its_line():
    with pytest.raises(ValidationFailed) as err:
        load_deck("setup:\n  title: [unclosed\nmetrics: {}\n", name="d.yaml")
    assert err.value.problems[0].row is not None and "YAML" in err.value.problems[0].message
