"""The one evaluation path for rule retirement: prepare a hit log for a window once, then answer instantly.

Definitions (issue #5), over the hits in the window [since, until]:
- an entity's label is confirmed_bad if any of its hits says so, else false_positive if any says so, else
  unlabeled (hits of every rule and action count);
- an entity is *flagged* by a set of rules when it has at least one enforced hit from one of them;
- retiring a set R loses the entities flagged by all rules but by none of the rules outside R.

The prepared layout keeps, per flagged entity, its rules as a bitset (one uint64 word per 64 rules, stored
word-major so a what-if is a few vectorised passes over cache-sized chunks), and per entity its label and
largest amount; per rule, the distinct entities it flags (and those it hits in shadow) as compressed rows.
Entities are ordered flagged confirmed_bad, flagged false_positive, flagged unlabeled, then the entities that
only have shadow hits, so every count is a slice.

A hit log that lives in an engine (`rm_core.rules.sqlsource`) comes back as distinct rule-set signatures:
then a position stands for `weight[i]` entities sharing the same rules and label (its amount is the sum of
their largest amounts), and every count below is a weighted count, so the answers are the same.
"""
from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import polars as pl

from rm_core.errors import Problem, UserError, ValidationFailed
from rm_core.rules.hitlog import CONFIRMED_BAD, FALSE_POSITIVE, LABELS, UNLABELED, HitLog, load_hit_log

_CHUNK = 1 << 16  # entities per pass: keeps each word's slice and the accumulator in cache
_ONE = np.uint64(1)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
_WEEK_US = 7 * 86_400 * 1_000_000

IMPACT_FIELDS = ("retired", "flagged_before", "flagged_after", "lost_confirmed_bad", "avoided_false_positive",
                 "lost_unlabeled", "lost_exposure_usd", "precision_before", "precision_after")
THRESHOLD_FIELDS = ("gained_confirmed_bad", "added_false_positive", "gained_unlabeled", "models")
MODEL_FIELDS = ("model_id", "threshold", "proposed_threshold", "flagged", "flagged_proposed", "confirmed_bad",
                "confirmed_bad_proposed", "false_positive_proposed", "precision", "precision_proposed",
                "recall_proposed", "only_this_model_proposed")
MODEL_STATS_FIELDS = ("kind", "threshold", "scored_entities", "below_threshold", "score_p10", "score_p50",
                      "score_p90")
RULE_STATS_FIELDS = ("rule_id", "hits", "entities", "confirmed_bad", "false_positive", "unlabeled", "precision",
                     "last_hit", "unique_confirmed_bad")


@dataclass(frozen=True, eq=False)
class PreparedHits:
    """A hit log laid out for one window; build with `prepare_hits` (or `load_prepared`) and reuse.

    Entity arrays are indexed by position: [0, n_cb) flagged confirmed_bad, [n_cb, n_cb+n_fp) flagged
    false_positive, then flagged unlabeled up to `flagged`, then entities with only shadow hits.
    `n_cb`, `n_fp` and `flagged` are position bounds; `cb_entities`, `fp_entities` and `flagged_entities`
    are the entity counts (the same numbers unless positions are weighted signatures).
    """

    source: str
    since: date
    until: date
    rule_ids: tuple[str, ...]
    week_starts: tuple[date, ...]
    hits: np.ndarray            # (rules,) hit rows per rule, enforced and shadow
    shadow_hits: np.ndarray     # (rules,) hit rows with action=shadow
    last_hit: np.ndarray        # (rules,) datetime64[us], NaT when the rule has no hit in the window
    last_shadow_hit: np.ndarray  # (rules,) datetime64[us]
    weekly_hits: np.ndarray     # (rules, weeks)
    entity_ids: pl.Series       # (entities,)
    label: np.ndarray           # (entities,) code into LABELS
    amount_usd: np.ndarray      # (entities,) largest amount_usd among the entity's hits, 0 when none
    enforced_bits: np.ndarray   # (words, flagged entities) uint64: bit r set when rule r has an enforced hit
    catch_ptr: np.ndarray       # (rules + 1,) CSR over catch_members
    catch_members: np.ndarray   # entities rule r flags: catch_members[catch_ptr[r]:catch_ptr[r + 1]]
    shadow_ptr: np.ndarray      # (rules + 1,) CSR over shadow_members
    shadow_members: np.ndarray  # entities with a shadow hit of rule r
    seen_by_label: np.ndarray   # (rules, 3) distinct entities with any hit of the rule, by label code
    n_cb: int
    n_fp: int
    flagged: int
    has_amount: bool
    weight: np.ndarray | None = None  # (positions,) entities per position (signatures); None: one each
    # Model detectors (#18): their codes among rule_ids, current thresholds, and per model and entity
    # position the highest score among enforced rows (model_scores) and shadow rows; -1 where unscored.
    model_codes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    thresholds: np.ndarray = field(default_factory=lambda: np.zeros(0))
    model_scores: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    model_shadow_scores: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    lost_lookup: Callable | None = field(default=None, repr=False)  # entity lists for weighted positions
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def rule_count(self) -> int:
        return len(self.rule_ids)

    @property
    def entity_count(self) -> int:
        return int(self.entity_ids.len()) if self.weight is None else int(self.weight.sum())

    @cached_property
    def cb_entities(self) -> int:
        return self.count(slice(0, self.n_cb))

    @cached_property
    def fp_entities(self) -> int:
        return self.count(slice(self.n_cb, self.n_cb + self.n_fp))

    @cached_property
    def flagged_entities(self) -> int:
        return self.count(slice(0, self.flagged))

    def count(self, positions) -> int:
        """Entities at these positions (an index array, a boolean mask or a slice)."""
        if self.weight is None:
            if isinstance(positions, slice):
                return len(range(*positions.indices(self.label.size)))
            positions = np.asarray(positions)
            return int(np.count_nonzero(positions)) if positions.dtype == bool else int(positions.size)
        return int(self.weight[positions].sum())

    def weights_of(self, positions: np.ndarray) -> np.ndarray:
        """Entities per position, as int64 (ones without signatures)."""
        if self.weight is None:
            return np.ones(np.asarray(positions).shape, dtype=np.int64)
        return self.weight[positions]

    @cached_property
    def rule_index(self) -> dict[str, int]:
        return {rule: i for i, rule in enumerate(self.rule_ids)}

    def rule_codes(self, rules: Iterable[str], *, what: str = "rule_id") -> np.ndarray:
        """Codes for rule ids; an id the log never mentions is refused, naming it."""
        rules = [rules] if isinstance(rules, str) else rules
        wanted = [r.strip() for r in rules if r and r.strip()]
        unknown = [r for r in dict.fromkeys(wanted) if r not in self.rule_index]
        if unknown:
            raise ValidationFailed([Problem(f"unknown rule id '{r}': no hit in the log carries it", file=self.source,
                                            field=what) for r in unknown])
        return np.array(sorted({self.rule_index[r] for r in wanted}), dtype=np.int64)

    @property
    def model_ids(self) -> tuple[str, ...]:
        return tuple(self.rule_ids[c] for c in self.model_codes)

    def model_slot(self, code: int) -> int:
        return int(np.flatnonzero(self.model_codes == code)[0])

    def model_thresholds(self, thresholds: Mapping[str, float]) -> dict[int, float]:
        """Codes -> proposed thresholds; a rule, an unknown id or a value outside 0–1 is refused, naming it."""
        problems, out = [], {}
        for name, value in thresholds.items():
            name = name.strip()
            if name not in self.rule_index:
                problems.append(Problem(f"unknown model id '{name}': no row in the log carries it",
                                        file=self.source, field="threshold"))
            elif self.rule_index[name] not in set(self.model_codes.tolist()):
                problems.append(Problem(f"'{name}' is a rule, not a model; a rule has no threshold",
                                        file=self.source, field="threshold"))
            elif not isinstance(value, (int, float)) or not 0 <= value <= 1:
                problems.append(Problem(f"threshold {value!r} for '{name}' is not a number from 0 to 1",
                                        file=self.source, field="threshold"))
            else:
                out[self.rule_index[name]] = float(value)
        if problems:
            raise ValidationFailed(problems)
        return out

    def rule_mask(self, codes: np.ndarray) -> np.ndarray:
        """One uint64 word per 64 rules with the bits of `codes` set."""
        words = np.zeros(self.enforced_bits.shape[0], dtype=np.uint64)
        for code in np.asarray(codes, dtype=np.int64):
            words[code >> 6] |= _ONE << np.uint64(code & 63)
        return words

    def still_flagged(self, keep_words: np.ndarray) -> np.ndarray:
        """For each flagged entity, whether a rule in `keep_words` still flags it."""
        bits = self.enforced_bits
        out = np.empty(self.flagged, dtype=bool)
        active = [(w, k) for w, k in enumerate(keep_words) if k]
        acc = np.empty(min(_CHUNK, max(self.flagged, 1)), dtype=np.uint64)
        tmp = np.empty_like(acc)
        for lo in range(0, self.flagged, _CHUNK):
            hi = min(lo + _CHUNK, self.flagged)
            a, t = acc[: hi - lo], tmp[: hi - lo]
            a[:] = 0
            for w, k in active:
                if k == _ALL:
                    np.bitwise_or(a, bits[w, lo:hi], out=a)
                else:
                    np.bitwise_and(bits[w, lo:hi], k, out=t)
                    np.bitwise_or(a, t, out=a)
            np.not_equal(a, 0, out=out[lo:hi])
        return out


def load_prepared(path: str | Path, since: date | None = None, until: date | None = None) -> PreparedHits:
    """Read, validate and prepare a hit log file for the window in one call."""
    return prepare_hits(load_hit_log(path), since, until)


def prepare_hits(log: HitLog, since: date | None = None, until: date | None = None) -> PreparedHits:
    """Lay out the hits of [since, until] (whole days, inclusive; open ends default to the log's own span)."""
    if since is not None and until is not None and since > until:
        raise ValidationFailed(Problem(f"the window starts ({since}) after it ends ({until})", field="since"))
    mask = log.window_mask(since, until)
    since = since or log.first_day
    until = until or log.last_day

    def rows(values: np.ndarray) -> np.ndarray:
        return values if mask is None else values[mask]

    rule, entity, label, enforced = rows(log.rule), rows(log.entity), rows(log.label), rows(log.enforced)
    when = rows(log.event_time).view(np.int64)
    n_rules, n_all = len(log.rule_ids), int(log.entity_ids.len())
    words = max(1, (n_rules + 63) // 64)
    # Model rows fire (act like a rule hit) when their score reaches the model's threshold; the rest only
    # lend their entity's label and amount and are kept as scores for a threshold what-if.
    model_codes = np.array([i for i, r in enumerate(log.rule_ids) if r in (log.thresholds or {})], dtype=np.int64)
    scored = None
    if model_codes.size:
        score = rows(log.score)
        threshold = np.full(n_rules, np.nan)
        threshold[model_codes] = [log.thresholds[log.rule_ids[c]] for c in model_codes]
        is_model = ~np.isnan(score)
        scored = (rule[is_model], entity[is_model], score[is_model], enforced[is_model])
        fire = ~is_model | (score >= threshold[rule])
        all_entity, all_label = entity, label
        amount_rows = rows(log.amount_usd) if log.amount_usd is not None else None
        rule, entity, label, enforced, when = rule[fire], entity[fire], label[fire], enforced[fire], when[fire]
    else:
        all_entity, all_label, amount_rows = entity, label, None

    # Per entity: label by precedence (codes are ordered so the largest wins) and whether any rule flags it.
    entity_label = np.full(n_all, -1, dtype=np.int8)
    np.maximum.at(entity_label, all_entity, all_label)
    is_flagged = np.zeros(n_all, dtype=bool)
    is_flagged[entity[enforced]] = True
    present = np.flatnonzero(entity_label >= 0)
    # Order: flagged first, then by label (confirmed_bad, false_positive, unlabeled); a stable radix sort.
    order_key = (~is_flagged[present]).astype(np.int8) * 3 + (CONFIRMED_BAD - entity_label[present])
    order = present[np.argsort(order_key, kind="stable")]
    n_present = order.size
    position = np.full(n_all, -1, dtype=np.int32)
    position[order] = np.arange(n_present, dtype=np.int32)
    at = position[entity]  # each row's entity position in the prepared layout
    ordered_label = entity_label[order]
    flagged_count = int(np.count_nonzero(is_flagged))
    n_cb = int(np.count_nonzero(ordered_label[:flagged_count] == CONFIRMED_BAD))
    n_fp = int(np.count_nonzero(ordered_label[:flagged_count] == FALSE_POSITIVE))
    shadow_rows = ~enforced

    with ThreadPoolExecutor(max_workers=1) as pool:
        # The enforced bitsets are the biggest job: build them on the second core while this thread does
        # the rest. Flagged entities are the first `flagged_count` positions, so only those get bits.
        enforced_job = pool.submit(_rule_bits, rule[enforced], at[enforced], words, flagged_count)

        # Per rule, from the rows themselves.
        hits = np.bincount(rule, minlength=n_rules)
        shadow_hits = np.bincount(rule[shadow_rows], minlength=n_rules)
        n_weeks = max(1, ((until - since).days // 7) + 1)
        start = np.datetime64(since, "us").astype(np.int64)
        week = (when - start) // _WEEK_US
        np.clip(week, 0, n_weeks - 1, out=week)
        week += rule * n_weeks
        weekly = np.bincount(week, minlength=n_rules * n_weeks)
        del week
        last_hit = _latest(rule, when, n_rules)
        last_shadow = _latest(rule[shadow_rows], when[shadow_rows], n_rules)

        amount = np.zeros(n_present)
        if log.amount_usd is not None:
            amount[:] = -np.inf
            amounts = rows(log.amount_usd) if amount_rows is None else amount_rows
            where = at if amount_rows is None else position[all_entity]
            known = ~np.isnan(amounts)
            if known.all():
                np.maximum.at(amount, where, amounts)
            else:
                np.maximum.at(amount, where[known], amounts[known])
            amount[~np.isfinite(amount)] = 0.0

        _, shadow_rule, shadow_entity = _rule_bits(rule[shadow_rows], at[shadow_rows], words, n_present)
        enforced_bits, catch_rule, catch_entity = enforced_job.result()
    # Seen = enforced or shadow: add the shadow pairs the rule does not also flag.
    also_flagged = np.zeros(shadow_rule.size, dtype=bool)
    inside = shadow_entity < flagged_count
    if inside.any():
        r, e = shadow_rule[inside], shadow_entity[inside]
        also_flagged[inside] = ((enforced_bits[r >> 6, e] >> (r & 63).astype(np.uint64)) & _ONE).astype(bool)
    seen_by_label = (_label_counts(catch_rule, ordered_label[catch_entity], n_rules)
                     + _label_counts(shadow_rule[~also_flagged], ordered_label[shadow_entity[~also_flagged]],
                                     n_rules))
    catch_ptr, catch_members = _csr(catch_rule, catch_entity, n_rules)
    shadow_ptr, shadow_members = _csr(shadow_rule, shadow_entity, n_rules)
    model_scores = np.zeros((0, n_present))
    model_shadow_scores = model_scores
    if scored is not None:
        # Per model and entity, its highest score among enforced rows (and, apart, among shadow rows);
        # -1 where the model never scored the entity in the window.
        slot = np.full(n_rules, -1, dtype=np.int64)
        slot[model_codes] = np.arange(model_codes.size)
        m_rule, m_entity, m_score, m_enforced = scored
        model_scores = np.full((model_codes.size, n_present), -1.0)
        model_shadow_scores = np.full((model_codes.size, n_present), -1.0)
        for target, keep in ((model_scores, m_enforced), (model_shadow_scores, ~m_enforced)):
            flat = slot[m_rule[keep]] * n_present + position[m_entity[keep]]
            np.maximum.at(target.reshape(-1), flat, m_score[keep])

    return PreparedHits(
        source=log.source, since=since, until=until, rule_ids=log.rule_ids,
        week_starts=tuple(since + timedelta(days=7 * i) for i in range(n_weeks)),
        hits=hits, shadow_hits=shadow_hits, last_hit=last_hit, last_shadow_hit=last_shadow,
        weekly_hits=weekly.reshape(n_rules, n_weeks),
        entity_ids=log.entity_ids.gather(order), label=ordered_label, amount_usd=amount,
        enforced_bits=enforced_bits, catch_ptr=catch_ptr, catch_members=catch_members,
        shadow_ptr=shadow_ptr, shadow_members=shadow_members, seen_by_label=seen_by_label,
        n_cb=n_cb, n_fp=n_fp, flagged=flagged_count, has_amount=log.amount_usd is not None,
        model_codes=model_codes,
        thresholds=np.array([log.thresholds[log.rule_ids[c]] for c in model_codes], dtype=np.float64),
        model_scores=model_scores, model_shadow_scores=model_shadow_scores,
    )


def _label_counts(rule: np.ndarray, label: np.ndarray, n_rules: int) -> np.ndarray:
    """(rules, 3) how many of the given (rule, entity) pairs fall in each label."""
    key = rule.astype(np.int64) * 3 + label
    return np.bincount(key, minlength=n_rules * 3).reshape(n_rules, 3)


def _csr(rule: np.ndarray, entity: np.ndarray, n_rules: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(rule.astype(np.int16), kind="stable")  # radix sort on small integers
    ptr = np.zeros(n_rules + 1, dtype=np.int64)
    np.cumsum(np.bincount(rule, minlength=n_rules), out=ptr[1:])
    return ptr, entity[order]


def _latest(rule: np.ndarray, when: np.ndarray, n_rules: int) -> np.ndarray:
    latest = np.full(n_rules, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(latest, rule, when)
    out = latest.view("datetime64[us]").copy()
    out[latest == np.iinfo(np.int64).min] = np.datetime64("NaT")
    return out


def _rule_bits(rule: np.ndarray, entity: np.ndarray, words: int,
               n_entities: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(words, entities) bitsets, plus the distinct (rule, entity) pairs; duplicate rows are harmless.

    `np.bitwise_or.at` has no fast path, so rows are grouped by bit position (rule % 64) instead. Within a
    group, each row writes its number into a scratch cell per (word, entity) and the row that reads its own
    number back is the one kept: that leaves distinct pairs, whose bits a plain fancy-indexed OR then sets.
    """
    size = words * n_entities
    bits = np.zeros(size, dtype=np.uint64)
    if not rule.size:
        return bits.reshape(words, n_entities), np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
    position = (rule & 63).astype(np.uint8)
    order = np.argsort(position, kind="stable")
    index_type = np.int32 if size < 2**31 else np.int64
    flat = (rule >> 6).astype(index_type) * index_type(n_entities)
    flat += entity
    flat = flat[order]
    counts = np.bincount(position, minlength=64)
    bounds = np.concatenate(([0], np.cumsum(counts)))
    owner = np.empty(size, dtype=np.int32)
    ids = np.arange(int(counts.max()), dtype=np.int32)
    kept_flat, kept_rule = [], []
    for b in range(64):
        seg = flat[bounds[b]:bounds[b + 1]]
        if not seg.size:
            continue
        mine = ids[: seg.size]
        owner[seg] = mine
        first = seg[owner[seg] == mine]
        bits[first] |= _ONE << np.uint64(b)
        kept_flat.append(first)
        kept_rule.append(((first // n_entities) * 64 + b).astype(np.int32))
    flat_pairs = np.concatenate(kept_flat)
    return (bits.reshape(words, n_entities), np.concatenate(kept_rule),
            (flat_pairs % n_entities).astype(np.int32))


def _precision(cb: int | np.ndarray, fp: int | np.ndarray):
    if isinstance(cb, np.ndarray):
        total = cb + fp
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, cb / np.maximum(total, 1), np.nan)
    return None if cb + fp == 0 else cb / (cb + fp)


# --------------------------------------------------------------------------------------------- rule stats

def rule_stats(prepared: PreparedHits) -> pl.DataFrame:
    """One row per rule in the log (rules silent in the window included), in rule order.

    Columns: rule_id, hits (rows), entities (distinct), confirmed_bad / false_positive / unlabeled (distinct
    entities by entity label), precision (null when no confirmed_bad nor false_positive), last_hit (null when
    no hit), unique_confirmed_bad (confirmed-bad entities this rule flags and no other rule flags), and
    weekly_hits (list of hit rows per week from `since`, for a sparkline; see `prepared.week_starts`).
    """
    cached = prepared._cache.get("rule_stats")
    if cached is not None:
        return cached
    p = prepared
    unl, fp, cb = (p.seen_by_label[:, code].astype(np.int64) for code in (UNLABELED, FALSE_POSITIVE, CONFIRMED_BAD))
    stats = pl.DataFrame({
        "rule_id": list(p.rule_ids),
        "hits": p.hits.astype(np.int64),
        "entities": cb + fp + unl,
        "confirmed_bad": cb,
        "false_positive": fp,
        "unlabeled": unl,
        "precision": _precision(cb, fp),
        "last_hit": p.last_hit,
        "unique_confirmed_bad": _sole_catches(p, 0, p.n_cb),
        "weekly_hits": pl.Series(p.weekly_hits.astype(np.int64)).cast(pl.List(pl.Int64)),
    }, schema_overrides={"last_hit": pl.Datetime("us")}).with_columns(pl.col("precision").fill_nan(None))
    prepared._cache["rule_stats"] = stats
    return stats


def model_score_stats(prepared: PreparedHits) -> list[dict]:
    """Per model: rule_id plus MODEL_STATS_FIELDS (entities scored in the window by their highest enforced
    score, how many sit below the current threshold, and the 10th/50th/90th percentile of those scores)."""
    out = []
    for slot, code in enumerate(prepared.model_codes):
        scores = prepared.model_scores[slot]
        scores = scores[scores >= 0]
        q = np.quantile(scores, [0.1, 0.5, 0.9]).round(4).tolist() if scores.size else [None] * 3
        t = float(prepared.thresholds[slot])
        out.append({"rule_id": prepared.rule_ids[code], "kind": "model", "threshold": t,
                    "scored_entities": int(scores.size), "below_threshold": int((scores < t).sum()),
                    "score_p10": q[0], "score_p50": q[1], "score_p90": q[2]})
    return out


def _sole_catches(p: PreparedHits, lo: int, hi: int) -> np.ndarray:
    """Per rule, entities in [lo, hi) that this rule alone flags."""
    bits = p.enforced_bits[:, lo:hi]
    single = np.bitwise_count(bits).sum(axis=0) == 1
    only = bits[:, single]
    word = np.argmax(only != 0, axis=0)
    value = only[word, np.arange(only.shape[1])]
    rule = word.astype(np.int64) * 64 + np.log2(value.astype(np.float64)).astype(np.int64)
    if p.weight is None:
        return np.bincount(rule, minlength=p.rule_count)[: p.rule_count]
    weights = p.weight[lo:hi][single]
    return np.bincount(rule, weights=weights, minlength=p.rule_count)[: p.rule_count].astype(np.int64)


# ------------------------------------------------------------------------------------------ retirement

@dataclass(frozen=True)
class RetirementImpact:
    """What retiring `retired` would change; `lost_positions` index the prepared entities lost."""

    retired: list[str]
    flagged_before: int
    flagged_after: int
    lost_confirmed_bad: int
    avoided_false_positive: int
    lost_unlabeled: int
    lost_exposure_usd: float
    precision_before: float | None
    precision_after: float | None
    lost_positions: np.ndarray = field(repr=False, compare=False)
    # Threshold what-if (#18): entities a lowered threshold adds, and one entry per model whose threshold moved.
    gained_confirmed_bad: int = 0
    added_false_positive: int = 0
    gained_unlabeled: int = 0
    models: list[dict] = field(default_factory=list)
    gained_positions: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64), repr=False,
                                         compare=False)

    def as_dict(self) -> dict:
        """Exactly the documented fields (the CLI's JSON), plus the threshold figures when a threshold moved."""
        out = {name: getattr(self, name) for name in IMPACT_FIELDS}
        if self.models:
            out.update({name: getattr(self, name) for name in THRESHOLD_FIELDS})
        return out


def retire_whatif(prepared: PreparedHits, retire: Iterable[str]) -> RetirementImpact:
    """Impact of retiring the named rules (unknown ids are refused); takes milliseconds once prepared."""
    return impact_of_codes(prepared, prepared.rule_codes(retire))


def detector_whatif(prepared: PreparedHits, retire: Iterable[str] = (),
                    thresholds: Mapping[str, float] | None = None) -> RetirementImpact:
    """Retire detectors (rules or models) and move model thresholds in one what-if.

    A model at threshold t flags an entity when the entity's highest enforced score in the window is >= t
    (a score equal to the threshold flags). Retiring a model wins over moving its threshold.
    """
    p = prepared
    codes = p.rule_codes(retire)
    moved = p.model_thresholds(thresholds or {})
    moved = {c: t for c, t in moved.items() if c not in set(codes.tolist())}
    return impact_of_codes(p, codes, moved)


def impact_of_codes(prepared: PreparedHits, codes: np.ndarray,
                    moved: Mapping[int, float] | None = None) -> RetirementImpact:
    p = prepared
    moved = moved or {}
    if moved and p.weight is not None:
        raise UserError("This hit source carries no model scores (an engine source is read as rule signatures); "
                        "load the hit log as a file to move a model's threshold.")
    if moved:
        slots = [p.model_slot(c) for c in moved]
        lost = _lost_positions(p, np.union1d(codes, np.fromiter(moved, dtype=np.int64)).astype(np.int64))
        for s, t in zip(slots, moved.values()):
            lost = lost[p.model_scores[s, lost] < t]
        tail = np.zeros(p.label.size - p.flagged, dtype=bool)
        for s, t in zip(slots, moved.values()):
            tail |= p.model_scores[s, p.flagged:] >= t
        gained = np.flatnonzero(tail) + p.flagged
    else:
        lost = _lost_positions(p, codes)
        gained = np.zeros(0, dtype=np.int64)
    cb_end, fp_end = np.searchsorted(lost, [p.n_cb, p.n_cb + p.n_fp])
    if p.weight is None:
        lost_cb, lost_fp, lost_unl = int(cb_end), int(fp_end - cb_end), int(lost.size - fp_end)
    else:
        w = p.weight[lost]
        lost_cb, lost_fp, lost_unl = int(w[:cb_end].sum()), int(w[cb_end:fp_end].sum()), int(w[fp_end:].sum())
    exposure = float(p.amount_usd[lost[:cb_end]].sum()) if lost_cb and p.has_amount else 0.0
    g_label = p.label[gained]
    gain_cb = int(np.count_nonzero(g_label == CONFIRMED_BAD))
    gain_fp = int(np.count_nonzero(g_label == FALSE_POSITIVE))
    gain_unl = int(gained.size) - gain_cb - gain_fp
    return RetirementImpact(
        retired=[p.rule_ids[c] for c in codes],
        flagged_before=p.flagged_entities,
        flagged_after=p.flagged_entities - lost_cb - lost_fp - lost_unl + int(gained.size),
        lost_confirmed_bad=lost_cb,
        avoided_false_positive=lost_fp,
        lost_unlabeled=lost_unl,
        lost_exposure_usd=round(exposure, 2),
        precision_before=_precision(p.cb_entities, p.fp_entities),
        precision_after=_precision(p.cb_entities - lost_cb + gain_cb, p.fp_entities - lost_fp + gain_fp),
        lost_positions=lost,
        gained_confirmed_bad=gain_cb, added_false_positive=gain_fp, gained_unlabeled=gain_unl,
        models=[model_figures(p, p.rule_ids[c], t, retired=codes) for c, t in moved.items()],
        gained_positions=gained,
    )


def model_figures(prepared: PreparedHits, model: str, proposed: float, *,
                  retired: np.ndarray | None = None) -> dict:
    """One model at its current and a proposed threshold (MODEL_FIELDS). Recall is against the confirmed-bad
    entities the model scored at all; `only_this_model_proposed` counts confirmed-bad entities no rule nor
    other model (at its current threshold, unless retired) flags."""
    p = prepared
    code = int(p.rule_codes([model], what="threshold")[0])
    s = p.model_slot(code)
    scores = p.model_scores[s]
    current = float(p.thresholds[s])
    cb, fp = p.label == CONFIRMED_BAD, p.label == FALSE_POSITIVE
    now, then = scores >= current, scores >= proposed
    only = _only_this_model(p, code, then, retired)
    return {
        "model_id": model, "threshold": current, "proposed_threshold": float(proposed),
        "flagged": int(now.sum()), "flagged_proposed": int(then.sum()),
        "confirmed_bad": int((now & cb).sum()), "confirmed_bad_proposed": int((then & cb).sum()),
        "false_positive_proposed": int((then & fp).sum()),
        "precision": _precision(int((now & cb).sum()), int((now & fp).sum())),
        "precision_proposed": _precision(int((then & cb).sum()), int((then & fp).sum())),
        "recall_proposed": (int((then & cb).sum()) / int(((scores >= 0) & cb).sum())
                            if ((scores >= 0) & cb).any() else None),
        "only_this_model_proposed": int((only & cb).sum()),
    }


def _only_this_model(p: PreparedHits, code: int, flags: np.ndarray, retired: np.ndarray | None) -> np.ndarray:
    """Entity positions `flags` marks that no other detector flags today (retired ones left out)."""
    drop = np.union1d(np.asarray([code], dtype=np.int64), np.asarray(retired if retired is not None else [],
                                                                     dtype=np.int64)).astype(np.int64)
    keep = ~p.rule_mask(drop)
    if p.rule_count % 64:
        keep[-1] &= (_ONE << np.uint64(p.rule_count % 64)) - _ONE
    others = np.zeros(p.label.size, dtype=bool)
    others[: p.flagged] = p.still_flagged(keep)
    return flags & ~others


def only_this_model(prepared: PreparedHits, model: str, threshold: float) -> pl.DataFrame:
    """Entities only `model` catches at `threshold` (no rule nor other model flags them today), by amount.

    Columns: entity_id, label, amount_usd, score.
    """
    p = prepared
    code = int(p.rule_codes([model], what="threshold")[0])
    scores = p.model_scores[p.model_slot(code)]
    pos = np.flatnonzero(_only_this_model(p, code, scores >= threshold, None))
    return pl.DataFrame({
        "entity_id": p.entity_ids.gather(pos),
        "label": pl.Series(LABELS, dtype=pl.String).gather(p.label[pos].astype(np.int64)),
        "amount_usd": p.amount_usd[pos],
        "score": scores[pos],
    }).sort(["amount_usd", "entity_id"], descending=[True, False])


def threshold_curve(prepared: PreparedHits, model: str, *, steps: int = 101) -> pl.DataFrame:
    """Precision and recall of `model` alone at thresholds 0, 0.01, …, 1 (recall against the confirmed-bad
    entities it scored). Columns: threshold, flagged, precision (null when nothing labelled), recall."""
    p = prepared
    scores = p.model_scores[p.model_slot(int(p.rule_codes([model], what="threshold")[0]))]
    seen = scores >= 0
    grid = np.round(np.linspace(0, 1, steps), 6)
    order = np.sort(scores[seen])
    cb_scores = np.sort(scores[seen & (p.label == CONFIRMED_BAD)])
    fp_scores = np.sort(scores[seen & (p.label == FALSE_POSITIVE)])
    flagged = order.size - np.searchsorted(order, grid, side="left")
    cb = cb_scores.size - np.searchsorted(cb_scores, grid, side="left")
    fp = fp_scores.size - np.searchsorted(fp_scores, grid, side="left")
    return pl.DataFrame({
        "threshold": grid, "flagged": flagged.astype(np.int64),
        "precision": _precision(cb, fp),
        "recall": cb / cb_scores.size if cb_scores.size else np.full(grid.size, np.nan),
    }).with_columns(pl.col("precision").fill_nan(None), pl.col("recall").fill_nan(None))


def _lost_positions(p: PreparedHits, codes: np.ndarray) -> np.ndarray:
    """Sorted positions of the flagged entities that no rule outside `codes` flags."""
    if not codes.size:
        return np.zeros(0, dtype=np.int64)
    keep = ~p.rule_mask(codes)
    if p.rule_count % 64:
        keep[-1] &= (_ONE << np.uint64(p.rule_count % 64)) - _ONE
    reach = int(sum(p.catch_ptr[c + 1] - p.catch_ptr[c] for c in codes))
    if reach * 4 >= p.flagged:
        return np.flatnonzero(~p.still_flagged(keep))
    # Few catches at stake (the usual click): only entities the retired rules flag can be lost.
    mark = np.zeros(p.flagged, dtype=bool)
    for c in codes:
        mark[p.catch_members[p.catch_ptr[c]:p.catch_ptr[c + 1]]] = True
    at_stake = np.flatnonzero(mark)
    still = np.zeros(at_stake.size, dtype=np.uint64)
    for w, k in enumerate(keep):
        if k:
            still |= p.enforced_bits[w, at_stake] & k
    return at_stake[still == 0]


def lost_catches(prepared: PreparedHits, impact: RetirementImpact, *,
                 labels: Iterable[str] = ("confirmed_bad",)) -> pl.DataFrame:
    """The entities a retirement loses, largest amount first.

    Columns: entity_id, label, amount_usd (largest among its hits), caught_by (the retired rules that flag
    it today, in rule order).
    """
    p = prepared
    if p.weight is not None:  # signatures carry no entity ids: the engine lists them
        return p.lost_lookup(p, impact, labels)
    wanted = [LABELS.index(name) for name in labels]
    pos = impact.lost_positions
    pos = pos[np.isin(p.label[pos], wanted)]
    base = pl.DataFrame({
        "row": np.arange(pos.size, dtype=np.int64),
        "entity_id": p.entity_ids.gather(pos),
        "label": pl.Series(LABELS, dtype=pl.String).gather(p.label[pos].astype(np.int64)),
        "amount_usd": p.amount_usd[pos],
    })
    caught_by = _rules_of(p.enforced_bits[:, pos], p.rule_ids)
    return (base.join(caught_by, on="row", how="left", maintain_order="left").drop("row")
            .sort(["amount_usd", "entity_id"], descending=[True, False]))


def _rules_of(bits: np.ndarray, rule_ids: tuple[str, ...]) -> pl.DataFrame:
    """Columns row (column of `bits`) and caught_by (names of the rules whose bits are set, in rule order)."""
    rows, cols = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    for start in range(0, bits.shape[1], _CHUNK):
        block = np.ascontiguousarray(bits[:, start:start + _CHUNK].T).view(np.uint8)
        r, c = np.nonzero(np.unpackbits(block, axis=1, bitorder="little")[:, : len(rule_ids)])
        rows.append(r + start)
        cols.append(c)
    names = pl.Series(list(rule_ids), dtype=pl.String)
    pairs = pl.DataFrame({"row": np.concatenate(rows), "caught_by": names.gather(np.concatenate(cols))})
    return pairs.group_by("row", maintain_order=True).agg("caught_by")


# ------------------------------------------------------------------------------------------- overlap

def flagged_counts(prepared: PreparedHits) -> np.ndarray:
    """Per rule, the entities it flags (enforced hits)."""
    p = prepared
    if p.weight is None:
        return np.diff(p.catch_ptr)
    return _per_rule_sums(p.catch_ptr, p.weight[p.catch_members])


def catches_of(prepared: PreparedHits, rule: str) -> np.ndarray:
    """Positions of the entities `rule` flags."""
    code = int(prepared.rule_codes([rule])[0])
    return prepared.catch_members[prepared.catch_ptr[code]:prepared.catch_ptr[code + 1]]


def overlap_matrix(prepared: PreparedHits, rules: Iterable[str] | None = None, *, top: int = 15) -> pl.DataFrame:
    """Pair overlap for `rules` (default: the `top` rules flagging most entities), long form for a heatmap.

    Columns: rule_a, rule_b, shared (entities both flag), share (shared / entities rule_a flags; null when
    rule_a flags none).
    """
    p = prepared
    counts = flagged_counts(p)
    if rules is None:
        codes = np.argsort(-counts, kind="stable")[:top]
        codes = codes[counts[codes] > 0]
    else:
        codes = p.rule_codes(rules)
    # Each rule's catches as a bitset over flagged entities: a pair is then one AND and a popcount.
    packed = np.zeros((codes.size, (p.flagged + 63) // 64 * 8), dtype=np.uint8)
    scratch = np.zeros(p.flagged, dtype=bool)
    for j, code in enumerate(codes):
        members = p.catch_members[p.catch_ptr[code]:p.catch_ptr[code + 1]]
        scratch[members] = True
        packed[j, : (p.flagged + 7) // 8] = np.packbits(scratch)
        scratch[members] = False
    words = packed.view(np.uint64)
    if p.weight is None:
        shared = np.array([[int(np.bitwise_count(words[a] & words[b]).sum()) for b in range(codes.size)]
                           for a in range(codes.size)], dtype=np.int64).reshape(codes.size, codes.size)
    else:
        shared = _weighted_shared(p, codes)
    own = counts[codes]
    names = [p.rule_ids[c] for c in codes]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = shared / own[:, None]
    return pl.DataFrame({
        "rule_a": np.repeat(names, len(names)) if names else [],
        "rule_b": np.tile(names, len(names)) if names else [],
        "shared": shared.ravel(),
        "share": share.ravel(),
    }, schema={"rule_a": pl.String, "rule_b": pl.String, "shared": pl.Int64, "share": pl.Float64}
    ).with_columns(pl.col("share").fill_nan(None))


def _weighted_shared(p: PreparedHits, codes: np.ndarray) -> np.ndarray:
    """(k, k) entities both rules flag, for weighted positions (a chunked weighted Gram matrix)."""
    shared = np.zeros((codes.size, codes.size), dtype=np.float64)
    member = np.zeros((codes.size, min(_CHUNK, max(p.flagged, 1))), dtype=np.float64)
    for lo in range(0, p.flagged, _CHUNK):
        hi = min(lo + _CHUNK, p.flagged)
        block = member[:, : hi - lo]
        for j, code in enumerate(codes):
            block[j] = ((p.enforced_bits[code >> 6, lo:hi] >> np.uint64(code & 63)) & _ONE).astype(np.float64)
        shared += (block * p.weight[lo:hi]) @ block.T
    return np.rint(shared).astype(np.int64)


def who_else_catches(prepared: PreparedHits, rule: str) -> pl.DataFrame:
    """For the entities `rule` flags: which other rules also flag them, most shared first.

    Columns: rule_id, shared (entities), share (of `rule`'s flagged entities), shared_confirmed_bad.
    """
    p = prepared
    mine = catches_of(p, rule)
    mark = np.zeros(p.flagged, dtype=np.int8)
    mark[mine] = 1
    mark[mine[mine < p.n_cb]] = 2
    hit = mark[p.catch_members]
    w = p.weights_of(p.catch_members)
    shared, shared_cb = _per_rule_sums(p.catch_ptr, (hit > 0) * w), _per_rule_sums(p.catch_ptr, (hit == 2) * w)
    own = p.count(mine)
    frame = pl.DataFrame({
        "rule_id": list(p.rule_ids),
        "shared": shared,
        "share": shared / own if own else np.zeros(p.rule_count),
        "shared_confirmed_bad": shared_cb,
    })
    return (frame.filter((pl.col("rule_id") != rule) & (pl.col("shared") > 0))
            .sort(["shared", "rule_id"], descending=[True, False]))


def _per_rule_sums(ptr: np.ndarray, flags: np.ndarray) -> np.ndarray:
    running = np.concatenate(([0], np.cumsum(flags, dtype=np.int64)))
    return running[ptr[1:]] - running[ptr[:-1]]


# -------------------------------------------------------------------------------------------- shadow

def shadow_catches(prepared: PreparedHits) -> pl.DataFrame:
    """Would-have catches of rules running in shadow (hits with action=shadow), one row per such rule.

    Columns: rule_id, shadow_hits (rows), entities (distinct), confirmed_bad, false_positive, unlabeled
    (by entity label), confirmed_bad_not_flagged (confirmed-bad entities no enforced rule flags: what the rule
    would add if enforced), last_shadow_hit.
    """
    p = prepared
    codes = np.flatnonzero(p.shadow_hits > 0)
    rule = np.repeat(np.arange(p.rule_count), np.diff(p.shadow_ptr))
    entity = p.shadow_members
    w = None if p.weight is None else p.weight[entity]
    by_label = np.bincount(rule * 3 + p.label[entity], weights=w,
                           minlength=p.rule_count * 3).astype(np.int64).reshape(p.rule_count, 3)
    new = (entity >= p.flagged) & (p.label[entity] == CONFIRMED_BAD)
    not_flagged = np.bincount(rule[new], weights=None if w is None else w[new],
                              minlength=p.rule_count).astype(np.int64)
    return pl.DataFrame({
        "rule_id": [p.rule_ids[c] for c in codes],
        "shadow_hits": p.shadow_hits[codes].astype(np.int64),
        "entities": by_label.sum(axis=1)[codes],
        "confirmed_bad": by_label[codes, CONFIRMED_BAD],
        "false_positive": by_label[codes, FALSE_POSITIVE],
        "unlabeled": by_label[codes, UNLABELED],
        "confirmed_bad_not_flagged": not_flagged[codes],
        "last_shadow_hit": p.last_shadow_hit[codes],
    }, schema_overrides={"rule_id": pl.String, "last_shadow_hit": pl.Datetime("us")})


SHADOW_COUNTS = ("shadow_hits", "entities", "confirmed_bad", "false_positive", "unlabeled",
                 "confirmed_bad_not_flagged")


def shadow_monitor(prepared: PreparedHits, records: Mapping[str, Any]) -> pl.DataFrame:
    """Every rule in shadow (by its workbench status) with its would-have catches in the window, zero when it
    has not fired yet, plus any rule with shadow hits whatever its status. `records` maps rule id to a record
    with `status` and `shadow_until` (`rm_core.rules.lifecycle.rule_records()`).

    Columns: rule_id, status, shadow_until, then those of `shadow_catches`; in-shadow rules first, by id.
    """
    caught = shadow_catches(prepared)
    in_shadow = sorted(r for r, rec in records.items() if rec.status == "shadow")
    ids = in_shadow + sorted(set(caught["rule_id"].to_list()) - set(in_shadow))
    frame = pl.DataFrame({
        "rule_id": ids,
        "status": [records[r].status if r in records else "not in workbench" for r in ids],
        "shadow_until": [records[r].shadow_until if r in records else None for r in ids],
    }, schema={"rule_id": pl.String, "status": pl.String, "shadow_until": pl.Date})
    return (frame.join(caught, on="rule_id", how="left", maintain_order="left")
            .with_columns(pl.col(c).fill_null(0) for c in SHADOW_COUNTS))


def window_label(prepared: PreparedHits) -> str:
    """'2026-05-25 – 2026-11-22 (26 weeks)' for headings and reports."""
    return f"{prepared.since} – {prepared.until} ({len(prepared.week_starts)} weeks)"


def recall_loss_budget(prepared: PreparedHits, pct: float) -> int:
    """Largest number of lost confirmed-bad entities within `pct` % of those flagged today."""
    return int(math.floor(prepared.cb_entities * pct / 100 + 1e-9))


def shadow_weeks(prepared: PreparedHits, detector: str, shadow_since: date) -> pl.DataFrame:
    """A detector's firing rows per week, marked by period: `active` before `shadow_since`, `shadow` from it
    (for a model, rows at or above its threshold: its would-have catches), so the shadow weeks read against
    the active ones. Columns: week_start, period, hits."""
    code = int(prepared.rule_codes([detector])[0])
    weeks = list(prepared.week_starts)
    return pl.DataFrame({
        "week_start": weeks,
        "period": ["shadow" if w + timedelta(days=6) >= shadow_since else "active" for w in weeks],
        "hits": prepared.weekly_hits[code].astype(np.int64),
    }, schema={"week_start": pl.Date, "period": pl.String, "hits": pl.Int64})
