"""Property: for any daily data with blanks, the engine's weeks and boxes equal a plain day-by-day computation."""
from datetime import date, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from rm_core.metrics import GraphBlock, compute_deck, deck_for_columns, parse_deck
from rm_core.metrics import periods as P

START = date(2023, 1, 1)
DAYS = 800


def plain(values, period, agg):
    """What a careful person computes by hand: a blank day inside the data spoils a sum, an average skips it."""
    inside = [values[(d - START).days] for d in (period.start + timedelta(i) for i in range(period.days))
              if d >= START]
    if agg == "sum":
        return None if any(v is None for v in inside) or not inside else sum(inside)
    present = [v for v in inside if v is not None]
    return sum(present) / len(present) if present else None


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), blanks=st.lists(st.integers(0, DAYS - 1), max_size=12),
       offset=st.integers(400, DAYS - 1), fy_end=st.integers(1, 12), agg=st.sampled_from(["sum", "mean"]))
def test_weeks_and_boxes_match_a_day_by_day_computation(seed, blanks, offset, fy_end, agg):
    values = [float((seed * 31 + i * 17) % 97) for i in range(DAYS)]
    for b in blanks:
        values[b] = None
    ds = [START + timedelta(days=i) for i in range(DAYS)]
    week_ending = START + timedelta(days=offset)
    deck = parse_deck({"setup": {"fiscal_year_end_month": fy_end},
                       "metrics": {"M": {"column": "v", "aggf": agg}},
                       "deck": [{"block": {"ui_type": "6_12Graph", "title": "M", "metrics": {"M": {}}}}]})
    result = compute_deck(deck, pl.DataFrame({"Date": ds, "v": values}, schema_overrides={"v": pl.Float64}),
                          week_ending)
    g = next(b for b in result.blocks if isinstance(b, GraphBlock))
    weeks = P.trailing_weeks(week_ending)
    assert g.weekly_cy == [plain(values, w, agg) for w in weeks]
    mtd = P.Period(P.month_start(week_ending), week_ending)
    ytd = P.Period(P.fiscal_year_start(week_ending, fy_end), week_ending)
    qtd = P.Period(P.fiscal_quarter_start(week_ending, fy_end), week_ending)
    for got, period in ((g.boxes[3], mtd), (g.boxes[5], qtd), (g.boxes[7], ytd)):
        want = plain(values, period, agg)
        assert (got is None and want is None) or abs(got - want) < 1e-9 * max(1, abs(want))
    blank_days = {START + timedelta(days=b) for b in blanks}
    assert set(g.primary.weekly_missing[-1]) == {d for d in blank_days if weeks[-1].start <= d <= weeks[-1].end}


def test_a_deck_for_picked_columns_charts_each_and_takes_targets_from_target_columns():
    deck = deck_for_columns(["Date", "orders", "orders__Target", "refunds"], title="Picked")
    assert list(deck.metrics) == ["orders", "refunds"] and [b.title for b in deck.blocks] == ["orders", "refunds"]
    ds = [START + timedelta(days=i) for i in range(DAYS)]
    data = pl.DataFrame({"Date": ds, "orders": [1.0] * DAYS, "orders__Target": [2.0] * DAYS, "refunds": [0.5] * DAYS})
    g = compute_deck(deck, data).blocks[0]
    assert g.weekly_cy == [7.0] * 6 and g.target.weekly_cy == [14.0] * 6
