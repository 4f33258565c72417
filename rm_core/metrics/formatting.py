"""Numbers as a WBR shows them: by the metric's unit or the deck's y_scaling (##MM, ##KK, ##BB, ##%)."""
from __future__ import annotations

from rm_core.metrics.results import COMPARISON_BOXES, MetricInfo

PERCENT_UNITS = {"%", "percent", "pct", "rate", "share"}
MISSING = "–"


def _plain(value: float, decimals: int | None = None) -> str:
    if decimals is None:
        size = abs(value)
        decimals = 0 if size >= 100 or float(value).is_integer() else 1 if size >= 10 else 2 if size >= 1 else 3
    return f"{value:,.{decimals}f}"


def format_value(value: float | None, unit: str | None = None, y_scaling: str | None = None) -> str:
    """A metric value: '470.8M', '42.3%', '3.2 days', '$1.2K'; an en dash when missing."""
    if value is None:
        return MISSING
    scale = (y_scaling or "").upper()
    unit_l = (unit or "").strip().lower()
    if "%" in scale or unit_l in PERCENT_UNITS:
        return f"{value * 100:,.1f}%"
    prefix = "$" if unit_l in ("$", "usd", "dollars", "currency") else ""
    suffix = f" {unit.strip()}" if unit_l and not prefix and unit_l not in ("count", "number", "#") else ""
    size = abs(value)
    if "BB" in scale or (not scale and size >= 1e9):
        text = f"{value / 1e9:,.2f}B"
    elif "MM" in scale or (not scale and size >= 1e6):
        text = f"{value / 1e6:,.1f}M"
    elif "KK" in scale or (not scale and size >= 1e4):
        text = f"{value / 1e3:,.1f}K"
    else:
        text = _plain(value)
    return f"{prefix}{text}{suffix}"


def format_change(value: float | None, comparison: str = "pct") -> str:
    """A box comparison: '+2.3%' or '−45 bps'; an en dash when it cannot be computed."""
    if value is None:
        return MISSING
    if comparison == "bps":
        return f"{value:+,.0f} bps"
    return f"{value:+,.1f}%"


def format_box(index: int, value: float | None, info: MetricInfo, y_scaling: str | None = None) -> str:
    """Box `index` (0–8, in BOX_LABELS order) of a metric."""
    if info.kind in ("WOW", "YOY", "MOM"):
        # a comparison line's own values are ratios (CY/PY − 1); its WOW box is already in %
        if index == 1 and value is not None:
            return format_change(value, info.comparison)
        return format_value(value, "%" if info.comparison == "pct" else info.unit, y_scaling)
    if index in COMPARISON_BOXES:
        return format_change(value, info.comparison)
    return format_value(value, info.unit, y_scaling)


def format_point(value: float | None, info: MetricInfo | None, y_scaling: str | None = None) -> str:
    """A chart or table point of a metric (a WOW/YOY/MOM line shows its ratios in %)."""
    if info is not None and info.kind in ("WOW", "YOY", "MOM") and info.comparison == "pct":
        return format_value(value, "%", None)
    return format_value(value, info.unit if info else None, y_scaling)
