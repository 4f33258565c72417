"""The demo ML models: four model detectors whose scores sit in the same hit log as the rules' hits.

Each model scores accounts of the abuse families it was trained for. Most of what it scores, rules of those
families also hit (the overlap a PM weighs before retiring either); the rest only the model sees. Scores follow
the entity's truth: confirmed-bad accounts score high (Beta(6, 1.8)), false positives low to middling
(Beta(2.2, 3)); everything at or above the logging floor (0.3) is kept, below the threshold too, so a lower
threshold can be evaluated. An account flagged by the model gets reviewed (labelled); below the threshold only an
audit sample is. One model is in shadow for its last weeks (its rows then carry action `shadow`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from rm_core.demo.hits import LABELS, WEEKS
from rm_core.demo.mos import DemoMO
from rm_core.demo.rules import DemoRule

LOG_FLOOR = 0.3  # a model logs only scores at or above this
MODEL_COLUMNS = {"detector_id": pl.String, "score": pl.Float64, "threshold": pl.Float64}
_US = 1_000_000


@dataclass(frozen=True)
class DemoModel:
    id: str
    name: str
    description: str
    owner: str
    action: str
    threshold: float
    families: tuple[str, ...]
    share: float  # of the hit log's rows, before the per-entity repeats
    registered_days_ago: int
    # (days before the anchor, threshold before the move, reason): the model's last threshold move
    moved: tuple[int, float, str] | None = None
    shadow_days_ago: int | None = None  # in shadow since this many days before the anchor


MODELS = (
    DemoModel("M-REG-RISK", "Registration risk model v3",
              "Gradient-boosted score at registration: document, device and address signals.", "ml.wen", "review",
              0.80, ("identity fraud", "related/linked accounts", "policy circumvention after suspension"), 0.010,
              400, moved=(75, 0.75, "Raised after the review queue doubled; what-if lost 4 confirmed-bad.")),
    DemoModel("M-PAYOUT-CHG", "Payout change anomaly",
              "Scores a payout bank-account change against the seller's history and linked accounts.", "ml.oksana",
              "block", 0.85, ("account takeover", "payment and gift-card fraud", "money laundering through sales"),
              0.008, 300),
    DemoModel("M-LISTING-HIJACK", "Listing hijack detector",
              "Flags detail-page edits and offers that take over established listings.", "ml.wen", "review",
              0.70, ("listing or inventory hijacking", "counterfeit and IP abuse"), 0.006, 250),
    DemoModel("M-REVIEW-RING", "Review ring graph model",
              "Graph score over reviewer-seller links; muted while the review-abuse rules are compared.",
              "ml.oksana", "monitor", 0.90, ("review manipulation",), 0.004, 220, shadow_days_ago=35),
)


def build_model_hits(seed: int, anchor: dt.date, rule_hits: pl.DataFrame, rules: list[DemoRule],
                     mos: list[DemoMO]) -> pl.DataFrame:
    """Model rows (detector_id, entity_id, event_time, label, action, amount_usd, score, threshold), by time."""
    rng = np.random.default_rng([seed, 18])
    family_of_rule = {r.row["id"]: mos[r.primary].row["abuse_family"] for r in rules}
    origin = dt.datetime.combine(anchor + dt.timedelta(days=1), dt.time()) - dt.timedelta(weeks=WEEKS)
    end_us = WEEKS * 7 * 86_400 * _US
    lag_us = end_us - 14 * 86_400 * _US  # labels lag: the last two weeks are mostly unlabeled
    # The entity's label and largest amount as the rules see them, so a model row never contradicts a rule row.
    seen = (rule_hits.with_columns(pl.col("rule_id").replace_strict(family_of_rule, default="").alias("family"),
                                   pl.col("label").replace_strict({n: i for i, n in enumerate(LABELS)},
                                                                  return_dtype=pl.Int8).alias("code"))
            .group_by("entity_id", "family").agg(pl.col("code").min(), pl.col("amount_usd").max())
            .sort("entity_id", "family"))
    frames = []
    for k, model in enumerate(MODELS):
        pool = seen.filter(pl.col("family").is_in(model.families)).unique("entity_id", keep="first",
                                                                           maintain_order=True)
        n = max(60, int(rule_hits.height * model.share))
        n_overlap = min(pool.height, int(n * 0.7))
        picked = pool[np.sort(rng.choice(pool.height, n_overlap, replace=False))] if n_overlap else pool.head(0)
        # overlap: the rules' label (code into LABELS: 0 confirmed_bad, 1 false_positive, 2 unlabeled)
        o_label = picked["code"].to_numpy().astype(np.int64)
        o_amount = picked["amount_usd"].to_numpy()
        # accounts only the model sees: a third bad, ids outside the rules' id space
        n_own = n - n_overlap
        own_bad = rng.random(n_own) < 0.35
        own_ids = [f"A{(900_000_000 + k * 10_000_000 + i) * 387_420_489 % 1_000_000_000:09d}"
                   for i in range(n_own)]
        truth = np.concatenate([np.where(o_label == 2, rng.random(n_overlap) < 0.6, o_label == 0), own_bad])
        score = np.where(truth, rng.beta(6.0, 1.8, n), rng.beta(2.2, 3.0, n))
        keep = score >= LOG_FLOOR
        entity = np.array(picked["entity_id"].to_list() + own_ids, dtype=object)
        amount = np.concatenate([o_amount, np.round(rng.lognormal(6.2, 1.0, n_own), 2)])
        # first score time, then 1–3 scores per account a few days apart (entities with several scores)
        start_us = max(0, end_us - model.registered_days_ago * 86_400 * _US)
        first = start_us + (rng.random(n) * (end_us - start_us) * 0.97).astype(np.int64)
        repeats = rng.choice([1, 2, 3], n, p=[0.6, 0.3, 0.1])
        keep_idx = np.flatnonzero(keep)
        row_of = np.repeat(keep_idx, repeats[keep_idx])
        step = np.concatenate([np.arange(r) for r in repeats[keep_idx]]) if keep_idx.size else np.zeros(0, int)
        when = np.minimum(first[row_of] + step * rng.integers(1, 5 * 86_400, row_of.size) * _US, end_us - _US)
        when = when // _US * _US
        row_score = np.clip(np.round(score[row_of] + step * rng.normal(0, 0.04, row_of.size), 4), LOG_FLOOR, 1.0)
        # labels: overlap accounts keep the rules' label; the model's own get reviewed when flagged, else audited
        flagged = score[row_of] >= model.threshold
        own = row_of >= n_overlap
        reviewed = (flagged | (rng.random(row_of.size) < 0.35)) & ((when < lag_us) | (rng.random(row_of.size) < 0.2))
        own_label = np.where(reviewed, np.where(truth[row_of], 0, 1), 2)
        label = np.where(own, own_label, o_label[np.minimum(row_of, max(n_overlap - 1, 0))] if n_overlap else 2)
        shadow = np.zeros(row_of.size, dtype=bool)
        if model.shadow_days_ago is not None:
            shadow = when >= end_us - model.shadow_days_ago * 86_400 * _US
        frames.append(pl.DataFrame({
            "detector_id": model.id,
            "entity_id": entity[row_of].astype(str),
            "event_time": np.datetime64(origin, "us") + when.astype("timedelta64[us]"),
            "label": np.array(LABELS)[label],
            "action": np.where(shadow, "shadow", "enforced"),
            "amount_usd": np.round(amount[row_of] * rng.uniform(0.8, 1.2, row_of.size), 2),
            "score": row_score,
            "threshold": model.threshold,
        }))
    return pl.concat(frames).with_columns(pl.col("event_time").cast(pl.Datetime("us"))).sort(
        "event_time", "detector_id", "entity_id")


def merge_hits(rule_hits: pl.DataFrame, model_hits: pl.DataFrame) -> pl.DataFrame:
    """One hit log: rule rows leave the model fields empty, model rows leave rule_id empty; by time."""
    return pl.concat([rule_hits.with_columns(pl.lit(None, dtype).alias(c) for c, dtype in MODEL_COLUMNS.items()),
                      model_hits.with_columns(pl.lit(None, pl.String).alias("rule_id"))
                      .select([*rule_hits.columns, *MODEL_COLUMNS])]).sort("event_time", maintain_order=True)


def model_rows(session, actor, anchor: dt.date) -> int:
    """Register the demo models through the registry's services (inside the seeding transaction), with the
    threshold move and the shadow period their history shows."""
    from rm_core.rules.lifecycle import register_model, set_model_threshold
    from rm_core.store.models import Rule, RuleEvent

    for model in MODELS:
        registered = anchor - dt.timedelta(days=model.registered_days_ago)
        first = model.moved[1] if model.moved else model.threshold
        register_model(actor, {"id": model.id, "name": model.name, "description": model.description,
                               "owner": model.owner, "action": model.action, "threshold": first},
                       today=registered, session=session)
        if model.moved:
            days, _, reason = model.moved
            set_model_threshold(actor, model.id, model.threshold, reason, session=session,
                                at=dt.datetime.combine(anchor - dt.timedelta(days=days), dt.time(10, 30)))
        if model.shadow_days_ago is not None:
            # the same two moves a rule makes on its way to shadow, dated like the demo rules' history
            shadow_at = dt.datetime.combine(anchor - dt.timedelta(days=model.shadow_days_ago), dt.time(9, 15))
            row = session.get(Rule, model.id)
            row.status, row.shadow_until = "shadow", (shadow_at + dt.timedelta(days=60)).date()
            session.add_all([
                RuleEvent(rule_id=model.id, from_status="active", to_status="candidate", actor=model.owner,
                          at=shadow_at - dt.timedelta(days=6), reason="Review-abuse rules catch most of its catches."),
                RuleEvent(rule_id=model.id, from_status="candidate", to_status="shadow", actor=model.owner,
                          at=shadow_at, reason="Shadow to compare would-have catches with the rules.",
                          approver=actor.name, shadow_days=60)])
    return len(MODELS)
