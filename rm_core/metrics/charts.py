"""The 6/12 chart of a WBR metric in Altair: trailing six weeks then twelve months on one axis, this year solid,
prior year dashed, target markers, and event annotations — in the workbench theme (rm_core/charts.py)."""
from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import polars as pl

from rm_core.charts import RAG_COLOURS, SERIES, _theme
from rm_core.metrics.formatting import format_point
from rm_core.metrics.results import GraphBlock

CY, PY, TARGET = "This year", "Prior year", "Target"


@dataclass(frozen=True)
class ChartEvent:
    """Something that happened, drawn on the chart at an x-axis label (e.g. 'wk 46' or 'Oct 26')."""

    at: str
    text: str


def chart_points(block: GraphBlock) -> pl.DataFrame:
    """The chart's points: x label, position, segment (weeks | months), series, value and its display text."""
    info = block.primary.info
    weeks, months = block.week_labels, block.month_labels
    rows = []
    for line_no, s in enumerate(block.series):
        name = CY if line_no == 0 else s.legend
        for segment, labels, cy, py in (("weeks", weeks, s.weekly_cy, s.weekly_py),
                                        ("months", months, s.monthly_cy, s.monthly_py)):
            offset = 0 if segment == "weeks" else len(weeks) + 1
            for i, label in enumerate(labels):
                rows.append((label, offset + i, segment, name, cy[i], format_point(cy[i], s.info, block.y_scaling)))
                if line_no == 0 and s.show_prior_year:
                    rows.append((label, offset + i, segment, PY, py[i], format_point(py[i], s.info,
                                                                                      block.y_scaling)))
    if block.target is not None:
        for segment, labels, values in (("weeks", weeks, block.target.weekly_cy),
                                        ("months", months, block.target.monthly_cy)):
            offset = 0 if segment == "weeks" else len(weeks) + 1
            for i, label in enumerate(labels):
                rows.append((label, offset + i, segment, TARGET, values[i],
                             format_point(values[i], info, block.y_scaling)))
    return pl.DataFrame(rows, orient="row", schema={"x": pl.String, "pos": pl.Int64, "segment": pl.String,
                                                    "series": pl.String, "value": pl.Float64, "text": pl.String})


def six_twelve_spec(block: GraphBlock, *, events: list[ChartEvent] | None = None, height: int = 220,
                    rag: str | None = None) -> dict:
    """The 6/12 chart as a Vega-Lite spec. Weeks and months share one x axis (a gap between them); lines never
    join across the gap. Written as a plain dict: building it through Altair's classes costs ~100 ms a chart,
    too slow for a 40-metric deck recomputed on every filter change; `six_twelve_chart` wraps it for Altair."""
    points = chart_points(block)
    order = block.week_labels + [" "] + block.month_labels
    names = [CY] + [s.legend for s in block.series[1:]] + [PY, TARGET]
    colours = ([RAG_COLOURS[rag] if rag in RAG_COLOURS else SERIES[0]] + SERIES[2:2 + len(block.series) - 1]
               + ["#8a8f98", "#3d4451"])
    percent = (block.y_scaling or "").endswith("%") or (block.primary.info.unit or "") in ("%", "pct", "percent")
    x = {"field": "x", "type": "nominal", "sort": order, "scale": {"domain": order}, "title": None,
         "axis": {"labelAngle": 0, "labelOverlap": False, "labelFontSize": 10}}
    y = {"field": "value", "type": "quantitative", "title": None, "axis": {"format": ".0%" if percent else "~s"}}
    colour = {"field": "series", "type": "nominal", "scale": {"domain": names, "range": colours},
              "legend": {"title": None, "orient": "bottom"}}
    tooltip = [{"field": "x", "type": "nominal", "title": "Period"},
               {"field": "series", "type": "nominal", "title": "Line"},
               {"field": "text", "type": "nominal", "title": "Value"}]
    values = points.filter(pl.col("value").is_not_null()).to_dicts()

    def only(test: str) -> list[dict]:
        return [{"filter": test}]

    encoding = {"x": x, "y": y, "color": colour, "tooltip": tooltip}
    layers = [
        {"transform": only(f"datum.series === '{PY}'"),
         "mark": {"type": "line", "strokeDash": [5, 4], "strokeWidth": 1.5},
         "encoding": {**encoding, "detail": {"field": "segment", "type": "nominal"}}},
        {"transform": only(f"datum.series !== '{PY}' && datum.series !== '{TARGET}'"),
         "mark": {"type": "line", "point": True, "strokeWidth": 2},
         "encoding": {**encoding, "detail": {"field": "segment", "type": "nominal"}}},
        {"transform": only(f"datum.series === '{TARGET}'"),
         "mark": {"type": "point", "shape": "diamond", "size": 60, "filled": True, "opacity": 0.85},
         "encoding": encoding},
    ]
    shown = [{"x": e.at, "text": e.text} for e in events or [] if e.at in order]
    if shown:
        layers.append({"data": {"values": shown}, "mark": {"type": "rule", "strokeDash": [2, 3], "color": "#8d6a9f"},
                       "encoding": {"x": x, "tooltip": [{"field": "text", "type": "nominal", "title": "Event"}]}})
        layers.append({"data": {"values": shown},
                       "mark": {"type": "text", "align": "left", "dx": 3, "dy": -4, "fontSize": 10,
                                "color": "#8d6a9f"},
                       "encoding": {"x": x, "y": {"value": 8}, "text": {"field": "text", "type": "nominal"}}})
    return {"$schema": "https://vega.github.io/schema/vega-lite/v6.json", "data": {"values": values},
            "height": height, "width": "container", "layer": layers, "config": _theme()["config"]}


def six_twelve_chart(block: GraphBlock, *, events: list[ChartEvent] | None = None, height: int = 220,
                     rag: str | None = None) -> alt.LayerChart:
    """The same chart as an Altair object (for notebooks, exports and anything that composes charts)."""
    return alt.LayerChart.from_dict(six_twelve_spec(block, events=events, height=height, rag=rag), validate=False)
