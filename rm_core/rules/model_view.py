"""A model's threshold what-if beside the rules: the figures the what-if page shows for one model and a proposed
threshold, all from the one evaluation path (`detector_whatif`), plus the precision/recall chart.

The comparison answers "raise this model's threshold, or retire these rules?" with the same five figures for
each (flagged after, lost confirmed-bad, avoided false positives, lost exposure, precision after) and for both
together; the detector table shows what the model, the rules and the other models flag on their own today.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import altair as alt
import numpy as np
import polars as pl

from rm_core.charts import SERIES
from rm_core.rules.hitlog import CONFIRMED_BAD, FALSE_POSITIVE
from rm_core.rules.whatif import (PreparedHits, RetirementImpact, _precision, detector_whatif,
                                  only_this_model, threshold_curve)

COMPARISON_FIELDS = ("what", "flagged_after", "lost_confirmed_bad", "avoided_false_positive", "lost_exposure_usd",
                     "precision_after", "gained_confirmed_bad")
DETECTOR_FIELDS = ("detectors", "threshold", "flagged", "confirmed_bad", "false_positive", "precision")


@dataclass(frozen=True)
class ThresholdWhatif:
    """One model at a proposed threshold, next to retiring `retire` rules, and both together.

    comparison: COMPARISON_FIELDS, one row per option; detectors: DETECTOR_FIELDS (this model now and at the
    proposed threshold, the rules, the other models); curve: `threshold_curve`; only: `only_this_model` at the
    proposed threshold (entity_id, label, amount_usd, score).
    """

    model: str
    threshold: float
    proposed: float
    move: RetirementImpact
    together: RetirementImpact
    comparison: pl.DataFrame
    detectors: pl.DataFrame
    curve: pl.DataFrame
    only: pl.DataFrame


def threshold_whatif(prepared: PreparedHits, model: str, proposed: float,
                     retire: Iterable[str] = ()) -> ThresholdWhatif:
    p = prepared
    retire = [r for r in retire if r != model]
    move = detector_whatif(p, thresholds={model: proposed})
    together = detector_whatif(p, retire, {model: proposed})
    rows = [(f"{model} at {proposed:.2f}", move)]
    if retire:
        rows += [(f"retire {', '.join(retire)}", detector_whatif(p, retire)), ("both together", together)]
    comparison = pl.DataFrame([{"what": label, **{f: getattr(i, f) for f in COMPARISON_FIELDS[1:]}}
                               for label, i in rows],
                              schema={"what": pl.String, "flagged_after": pl.Int64, "lost_confirmed_bad": pl.Int64,
                                      "avoided_false_positive": pl.Int64, "lost_exposure_usd": pl.Float64,
                                      "precision_after": pl.Float64, "gained_confirmed_bad": pl.Int64})
    figures = move.models[0]
    current = figures["threshold"]
    rules_flag = _flagged_by(p, [c for c in range(p.rule_count) if c not in set(p.model_codes.tolist())])
    others = [int(c) for c in p.model_codes if p.rule_ids[c] != model]
    detectors = pl.DataFrame([
        {"detectors": f"{model} (current)", "threshold": current, "flagged": figures["flagged"],
         "confirmed_bad": figures["confirmed_bad"], "false_positive": _fp_at(p, model, current),
         "precision": figures["precision"]},
        {"detectors": f"{model} (proposed)", "threshold": float(proposed), "flagged": figures["flagged_proposed"],
         "confirmed_bad": figures["confirmed_bad_proposed"], "false_positive": figures["false_positive_proposed"],
         "precision": figures["precision_proposed"]},
        {"detectors": "all rules", "threshold": None, **_label_counts(p, rules_flag)},
        *([{"detectors": "other models (current thresholds)", "threshold": None,
            **_label_counts(p, _flagged_by(p, others))}] if others else []),
    ], schema={"detectors": pl.String, "threshold": pl.Float64, "flagged": pl.Int64, "confirmed_bad": pl.Int64,
               "false_positive": pl.Int64, "precision": pl.Float64})
    return ThresholdWhatif(model=model, threshold=current, proposed=float(proposed), move=move, together=together,
                           comparison=comparison, detectors=detectors, curve=threshold_curve(p, model),
                           only=only_this_model(p, model, proposed))


def _flagged_by(p: PreparedHits, codes: list[int]) -> np.ndarray:
    """Entity positions (boolean over all entities) flagged today by the detectors `codes`."""
    out = np.zeros(p.label.size, dtype=bool)
    if codes:
        out[: p.flagged] = p.still_flagged(p.rule_mask(np.asarray(codes, dtype=np.int64)))
    return out


def _label_counts(p: PreparedHits, flags: np.ndarray) -> dict:
    cb = p.count(flags & (p.label == CONFIRMED_BAD))
    fp = p.count(flags & (p.label == FALSE_POSITIVE))
    return {"flagged": p.count(flags), "confirmed_bad": cb, "false_positive": fp, "precision": _precision(cb, fp)}


def _fp_at(p: PreparedHits, model: str, threshold: float) -> int:
    scores = p.model_scores[p.model_slot(p.rule_index[model])]
    return int(((scores >= threshold) & (p.label == FALSE_POSITIVE)).sum())


def threshold_chart(curve: pl.DataFrame, current: float, proposed: float, *, height: int = 260) -> alt.LayerChart:
    """Precision and recall against the threshold, with the current (grey, dashed) and proposed thresholds marked."""
    long = (curve.unpivot(index=["threshold", "flagged"], on=["precision", "recall"], variable_name="measure")
            .drop_nulls("value").to_pandas())
    lines = alt.Chart(long).mark_line().encode(
        x=alt.X("threshold:Q", title="threshold", scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("value:Q", title="precision / recall", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("measure:N", title=None, scale=alt.Scale(range=SERIES[:2])),
        tooltip=[alt.Tooltip("threshold:Q", format=".2f"), "measure:N", alt.Tooltip("value:Q", format=".1%"),
                 alt.Tooltip("flagged:Q", title="flagged entities")])
    marks = pl.DataFrame({"threshold": [current, proposed], "which": ["current", "proposed"]}).to_pandas()
    rules = alt.Chart(marks).mark_rule(strokeWidth=2).encode(
        x="threshold:Q",
        color=alt.Color("which:N", title=None, scale=alt.Scale(domain=["current", "proposed"],
                                                              range=["#8a8f98", SERIES[4]])),
        strokeDash=alt.StrokeDash("which:N", legend=None, scale=alt.Scale(domain=["current", "proposed"],
                                                                          range=[[4, 3], [1, 0]])),
        tooltip=["which:N", alt.Tooltip("threshold:Q", format=".2f")])
    text = alt.Chart(marks).mark_text(align="left", dx=4, dy=-6, fontSize=11).encode(
        x="threshold:Q", y=alt.value(8), text="which:N")
    return alt.layer(lines, rules, text).resolve_scale(color="independent").properties(height=height)

