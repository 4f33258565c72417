"""The impact report a PM downloads after a what-if: Markdown summary and the lost entities as CSV."""
from __future__ import annotations

import polars as pl

from rm_core.exports import safe_csv
from rm_core.rules.whatif import PreparedHits, RetirementImpact, window_label


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def impact_markdown(prepared: PreparedHits, impact: RetirementImpact, lost: pl.DataFrame,
                    mos_left: list[tuple[str, str]]) -> str:
    lines = [
        "# Rule retirement what-if",
        "",
        f"Window: {window_label(prepared)} · hit log `{prepared.source}`",
        "",
        f"Retiring ({len(impact.retired)}): " + (", ".join(impact.retired) or "nothing"),
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| flagged entities before → after | {impact.flagged_before:,} → {impact.flagged_after:,} |",
        f"| lost confirmed-bad entities | {impact.lost_confirmed_bad:,} |",
        f"| avoided false positives | {impact.avoided_false_positive:,} |",
        f"| lost unlabeled entities | {impact.lost_unlabeled:,} |",
        f"| lost exposure (USD) | {impact.lost_exposure_usd:,.2f} |",
        f"| precision before → after | {_pct(impact.precision_before)} → {_pct(impact.precision_after)} |",
        "",
    ]
    if mos_left:
        lines += ["## MOs left without an active rule", ""] + [f"- {m} {t}" for m, t in mos_left] + [""]
    if lost.height:
        lines += ["## Confirmed-bad entities that would slip through", "", "| entity | exposure (USD) | caught by |",
                  "| --- | --- | --- |"]
        for row in lost.head(200).iter_rows(named=True):
            lines.append(f"| {row['entity_id']} | {row['amount_usd']:,.2f} | {', '.join(row['caught_by'])} |")
        if lost.height > 200:
            lines.append(f"| … {lost.height - 200:,} more in the CSV | | |")
    return "\n".join(lines) + "\n"


def lost_csv(lost: pl.DataFrame) -> str:
    return safe_csv(lost.with_columns(pl.col("caught_by").list.join("; ")))
