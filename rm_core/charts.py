"""One Altair theme for every chart in the workbench, and the RAG/SLA colours everything shares."""
from __future__ import annotations

import altair as alt

RAG_COLOURS = {"green": "#2e8540", "amber": "#e0a100", "red": "#c8102e", "grey": "#8a8f98", "blue": "#4a6fa5"}
SERIES = ["#1f4e79", "#d1495b", "#66a182", "#edae49", "#00798c", "#8d6a9f", "#30638e", "#a9a9a9"]
THEME_NAME = "risk_mining"


@alt.theme.register(THEME_NAME, enable=False)
def _theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "font": "Source Sans Pro, Helvetica, Arial, sans-serif",
            "view": {"stroke": None, "continuousWidth": 640, "continuousHeight": 260},
            "axis": {"labelColor": "#3d4451", "titleColor": "#3d4451", "gridColor": "#e8ebf0",
                     "domainColor": "#c4c9d2", "labelFontSize": 11, "titleFontSize": 12},
            "legend": {"labelFontSize": 11, "titleFontSize": 12, "orient": "bottom"},
            "range": {"category": SERIES},
            "title": {"fontSize": 14, "anchor": "start", "color": "#1c2230"},
            "line": {"strokeWidth": 2},
            "bar": {"cornerRadiusEnd": 2},
        }
    }


def enable_theme() -> None:
    alt.theme.enable(THEME_NAME)
