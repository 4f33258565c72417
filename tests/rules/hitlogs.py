"""Small hit logs for the rules tests, plus a plain-Python reading of the issue's definitions to compare with."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import polars as pl

# The hand-computed log (window January 2026). Rule D only hits before the window; S runs in shadow.
#   e1: A enforced confirmed_bad, B enforced unlabeled        -> confirmed_bad, flagged by A and B
#   e2: A enforced false_positive                             -> false_positive, flagged by A
#   e3: B enforced unlabeled, twice (a duplicate row)         -> unlabeled, flagged by B
#   e4: C enforced confirmed_bad ($100), C false_positive ($250) -> confirmed_bad, flagged by C, largest $250
#   e5: S shadow confirmed_bad                                -> confirmed_bad, flagged by nobody
#   e6: A enforced unlabeled ($30), S shadow confirmed_bad ($70) -> confirmed_bad, flagged by A, largest $70
#   e7: D enforced unlabeled on 2025-12-15                    -> outside the window
HAND_ROWS = [
    ("A", "e1", datetime(2026, 1, 2, 10), "confirmed_bad", "enforced", 10.0),
    ("B", "e1", datetime(2026, 1, 9, 11), "unlabeled", "enforced", 20.0),
    ("A", "e2", datetime(2026, 1, 3, 12), "false_positive", "enforced", 5.0),
    ("B", "e3", datetime(2026, 1, 16, 9), "unlabeled", "enforced", 1.0),
    ("B", "e3", datetime(2026, 1, 16, 9), "unlabeled", "enforced", 1.0),
    ("C", "e4", datetime(2026, 1, 20, 8), "confirmed_bad", "enforced", 100.0),
    ("C", "e4", datetime(2026, 1, 30, 8), "false_positive", "enforced", 250.0),
    ("S", "e5", datetime(2026, 1, 23, 7), "confirmed_bad", "shadow", 40.0),
    ("A", "e6", datetime(2026, 1, 5, 6), "unlabeled", "enforced", 30.0),
    ("S", "e6", datetime(2026, 1, 31, 23, 59), "confirmed_bad", "shadow", 70.0),
    ("D", "e7", datetime(2025, 12, 15, 5), "unlabeled", "enforced", 999.0),
]
COLUMNS = ["rule_id", "entity_id", "event_time", "label", "action", "amount_usd"]


def hand_frame() -> pl.DataFrame:
    frame = pl.DataFrame(HAND_ROWS, schema=COLUMNS, orient="row")
    return frame.with_columns(pl.col("event_time").dt.cast_time_unit("us"))


def reference_entities(rows, since=None, until=None):
    """{entity: (label, enforced rules, largest amount)} straight from the definitions."""
    labels, rules, amount = defaultdict(set), defaultdict(set), defaultdict(lambda: None)
    for rule, entity, when, label, action, value in rows:
        if (since and when.date() < since) or (until and when.date() > until):
            continue
        labels[entity].add(label)
        if action != "shadow":
            rules[entity].add(rule)
        if value is not None and (amount[entity] is None or value > amount[entity]):
            amount[entity] = value
    out = {}
    for entity, seen in labels.items():
        label = ("confirmed_bad" if "confirmed_bad" in seen else
                 "false_positive" if "false_positive" in seen else "unlabeled")
        out[entity] = (label, rules[entity], amount[entity] or 0.0)
    return out


def reference_whatif(rows, retire, since=None, until=None) -> dict:
    entities = reference_entities(rows, since, until)
    before = {e for e, (_, rules, _) in entities.items() if rules}
    after = {e for e in before if entities[e][1] - set(retire)}
    lost = before - after

    def count(group, label):
        return sum(1 for e in group if entities[e][0] == label)

    def precision(group):
        cb, fp = count(group, "confirmed_bad"), count(group, "false_positive")
        return None if cb + fp == 0 else cb / (cb + fp)

    return {
        "flagged_before": len(before),
        "flagged_after": len(after),
        "lost_confirmed_bad": count(lost, "confirmed_bad"),
        "avoided_false_positive": count(lost, "false_positive"),
        "lost_unlabeled": count(lost, "unlabeled"),
        "lost_exposure_usd": round(sum(entities[e][2] for e in lost if entities[e][0] == "confirmed_bad"), 2),
        "precision_before": precision(before),
        "precision_after": precision(after),
    }


def reference_rule_stats(rows, rule_ids, since=None, until=None) -> dict[str, dict]:
    entities = reference_entities(rows, since, until)
    hits, seen = defaultdict(int), defaultdict(set)
    for rule, entity, when, *_ in rows:
        if (since and when.date() < since) or (until and when.date() > until):
            continue
        hits[rule] += 1
        seen[rule].add(entity)
    out = {}
    for rule in rule_ids:
        by = {lab: sum(1 for e in seen[rule] if entities[e][0] == lab)
              for lab in ("confirmed_bad", "false_positive", "unlabeled")}
        cb, fp = by["confirmed_bad"], by["false_positive"]
        out[rule] = {
            "hits": hits[rule], "entities": len(seen[rule]), **by,
            "precision": None if cb + fp == 0 else cb / (cb + fp),
            "unique_confirmed_bad": sum(1 for e, (lab, rules, _) in entities.items()
                                        if lab == "confirmed_bad" and rules == {rule}),
        }
    return out
