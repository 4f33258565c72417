"""The recommended retirement set: as many rules as possible while losing at most a budget of confirmed-bad.

Greedy on the exact marginal cost: at each step retire the rule whose retirement loses the fewest additional
confirmed-bad entities, until no rule fits the budget (so the set is maximal). The cost of every rule is kept
exact incrementally: each flagged entity counts its rules still active, and when only one is left, that rule
becomes the entity's last line. A step costs the size of the retired rule's catch, so one greedy run is one
pass over the catches. Ties decide a lot (which of two redundant rules goes first), so the search runs with
three tie-breaks (small rules first, noisiest first, largest catch first) and keeps the largest set, then the
one losing fewer confirmed-bad, then the one avoiding more false positives.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from rm_core.errors import UserError
from rm_core.rules.hitlog import FALSE_POSITIVE
from rm_core.rules.whatif import (PreparedHits, RetirementImpact, _sole_catches, flagged_counts, impact_of_codes,
                                  recall_loss_budget)


@dataclass(frozen=True)
class Recommendation:
    """The proposed set, its impact, the budget it respected, and the order rules were picked in.

    `steps` lists (rule_id, confirmed-bad lost so far) in pick order, so a page can accept any prefix.
    """

    retire: list[str]
    impact: RetirementImpact
    max_lost_confirmed_bad: int
    steps: list[tuple[str, int]]

    def as_dict(self) -> dict:
        return {"retire": self.retire, **self.impact.as_dict()}


def recommend_retirement(prepared: PreparedHits, *, max_lost_confirmed_bad: int | None = None,
                         max_recall_loss_pct: float | None = None, keep: Iterable[str] = (),
                         candidates: Iterable[str] | None = None) -> Recommendation:
    """Largest set of rules to retire within the budget (give exactly one of the two budgets).

    `max_recall_loss_pct` is relative to the confirmed-bad entities flagged today. `keep` are rules never to
    retire; `candidates`, when given, limits the search to those rules.
    """
    budget = _budget(prepared, max_lost_confirmed_bad, max_recall_loss_pct)
    p = prepared
    n_rules = p.rule_count
    allowed = np.zeros(n_rules, dtype=bool)
    allowed[p.rule_codes(candidates, what="candidates") if candidates is not None else slice(None)] = True
    allowed[p.rule_codes(keep, what="keep")] = False

    size = flagged_counts(p)
    # Tie-breaks among rules of equal marginal cost; each gives a maximal set, the largest one wins.
    avoided = p.seen_by_label[:, FALSE_POSITIVE].astype(np.int64)
    best = None
    for secondary in (size, -avoided, -size):  # small rules first, noisiest first, largest catch first
        steps = _greedy(p, allowed, budget, secondary)
        impact = impact_of_codes(p, np.array(sorted(p.rule_index[r] for r, _ in steps), dtype=np.int64))
        if impact.lost_confirmed_bad != (steps[-1][1] if steps else 0):
            raise AssertionError("recommendation bookkeeping disagrees with the what-if")
        score = (len(steps), -impact.lost_confirmed_bad, impact.avoided_false_positive)
        if best is None or score > best[0]:
            best = (score, steps, impact)
    _, steps, impact = best
    return Recommendation(retire=impact.retired, impact=impact, max_lost_confirmed_bad=budget, steps=steps)


def _greedy(p: PreparedHits, allowed: np.ndarray, budget: int, secondary: np.ndarray) -> list[tuple[str, int]]:
    """Retire the cheapest rule (ties by `secondary`, then rule order) until none fits the budget."""
    n_rules = p.rule_count
    ptr, members = p.catch_ptr, p.catch_members
    alive = np.bitwise_count(p.enforced_bits[:, : p.flagged]).sum(axis=0).astype(np.int32)
    # last_line[r]: confirmed-bad entities that rule r alone still flags (its cost if retired next).
    last_line = _sole_catches(p, 0, p.n_cb).astype(np.int64)
    active_words = p.rule_mask(np.arange(n_rules))
    retired = np.zeros(n_rules, dtype=bool)
    lost = 0
    steps: list[tuple[str, int]] = []
    codes = np.arange(n_rules)
    while True:
        open_ = allowed & ~retired & (last_line <= budget - lost)
        if not open_.any():
            break
        choice = codes[open_]
        pick = int(choice[np.lexsort((choice, secondary[choice], last_line[choice]))[0]])
        retired[pick] = True
        active_words[pick >> 6] &= ~(np.uint64(1) << np.uint64(pick & 63))
        caught = members[ptr[pick]:ptr[pick + 1]]
        alive[caught] -= 1
        left = alive[caught]
        confirmed_bad = caught < p.n_cb
        lost += p.count(caught[(left == 0) & confirmed_bad])
        now_single = caught[(left == 1) & confirmed_bad]
        if now_single.size:
            np.add.at(last_line, _only_active_rule(p, now_single, active_words), p.weights_of(now_single))
        last_line[pick] = 0
        steps.append((p.rule_ids[pick], lost))
    return steps


def _budget(p: PreparedHits, max_lost: int | None, max_pct: float | None) -> int:
    if (max_lost is None) == (max_pct is None):
        raise UserError("give one budget: at most N lost confirmed-bad entities, or at most x % recall loss")
    if max_lost is not None:
        if max_lost < 0:
            raise UserError(f"max lost confirmed-bad must be 0 or more, not {max_lost}")
        return int(max_lost)
    if not 0 <= max_pct <= 100:
        raise UserError(f"max recall loss must be a percentage between 0 and 100, not {max_pct}")
    return recall_loss_budget(p, max_pct)


def _only_active_rule(p: PreparedHits, positions: np.ndarray, active_words: np.ndarray) -> np.ndarray:
    """For entities flagged by exactly one still-active rule, that rule's code."""
    bits = p.enforced_bits[:, positions] & active_words[:, None]
    word = np.argmax(bits != 0, axis=0)
    value = bits[word, np.arange(positions.size)]
    return word.astype(np.int64) * 64 + np.log2(value.astype(np.float64)).astype(np.int64)


@dataclass(frozen=True)
class DetectorRecommendation:
    """Rules (and models) to retire plus model thresholds to raise, within one loss budget.

    `steps` lists (what, confirmed-bad lost so far) in pick order: "retire R-12" or "raise M-1 to 0.85".
    """

    retire: list[str]
    thresholds: dict[str, float]
    impact: RetirementImpact
    max_lost_confirmed_bad: int
    steps: list[tuple[str, int]]

    def as_dict(self) -> dict:
        return {"retire": self.retire, "thresholds": self.thresholds, **self.impact.as_dict()}


def recommend_detectors(prepared: PreparedHits, *, max_lost_confirmed_bad: int | None = None,
                        max_recall_loss_pct: float | None = None, keep: Iterable[str] = (),
                        candidates: Iterable[str] | None = None, step: float = 0.05) -> DetectorRecommendation:
    """The retirement set of `recommend_retirement` (rules and models alike), then, with what is left of the
    budget, model thresholds raised `step` at a time: each round takes the raise that avoids the most false
    positives without crossing the budget (fewest lost confirmed-bad on a tie), until none fits."""
    from rm_core.rules.whatif import detector_whatif

    base = recommend_retirement(prepared, max_lost_confirmed_bad=max_lost_confirmed_bad,
                                max_recall_loss_pct=max_recall_loss_pct, keep=keep, candidates=candidates)
    p, budget = prepared, base.max_lost_confirmed_bad
    steps = [(f"retire {rule}", lost) for rule, lost in base.steps]
    current = {p.rule_ids[c]: float(t) for c, t in zip(p.model_codes, p.thresholds)}
    kept = set(keep)
    movable = [m for m in current if m not in base.retire and m not in kept
               and (candidates is None or m in set(candidates))]
    thresholds: dict[str, float] = {}
    impact = base.impact
    while True:
        best = None
        for model in movable:
            raised = round(thresholds.get(model, current[model]) + step, 4)
            if raised > 1:
                continue
            trial = detector_whatif(p, base.retire, {**thresholds, model: raised})
            if trial.lost_confirmed_bad > budget or trial.avoided_false_positive <= impact.avoided_false_positive:
                continue
            key = (trial.avoided_false_positive, -trial.lost_confirmed_bad)
            if best is None or key > best[0]:
                best = (key, model, raised, trial)
        if best is None:
            break
        _, model, raised, impact = best
        thresholds[model] = raised
        steps.append((f"raise {model} to {raised:.2f}", impact.lost_confirmed_bad))
    return DetectorRecommendation(retire=base.retire, thresholds=thresholds, impact=impact,
                                  max_lost_confirmed_bad=budget, steps=steps)
