"""What is inside the demo world: consistent histories, a hit log that agrees with the rules, a valid workshop
and roadmap. One small world is seeded for the whole module (these tests only read)."""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import polars as pl
import pytest
from sqlalchemy import select

from rm_core.demo import DEMO_ANCHOR, seed_demo
from rm_core.settings import get_settings
from rm_core.store.db import dispose_engines, read_session
from rm_core.store.migrate import upgrade
from rm_core.store.models import (MO, Baseline, Dependency, Initiative, Request, Rule, RuleEvent, RuleMO, Score,
                                  StatusChange, Vote, WorkshopSession)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The small demo world, seeded once into its own state folder; yields the SeedSummary."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RM_HOME", str(tmp_path_factory.mktemp("demo-world")))
        env.setenv("RM_EMBEDDINGS", "hash")
        env.setenv("RM_USER", "tester")
        env.delenv("RM_DATABASE_URL", raising=False)
        env.delenv("RM_CHROMA_HOST", raising=False)
        get_settings.cache_clear()
        dispose_engines()
        settings = get_settings()
        upgrade(settings)
        yield seed_demo(settings, scale="small")
        dispose_engines()
        get_settings.cache_clear()


def test_every_open_request_ageing_bucket_has_requests_and_histories_are_consistent(world):
    anchor_evening = dt.datetime.combine(DEMO_ANCHOR, dt.time(18))
    with read_session() as s:
        requests = s.scalars(select(Request)).all()
        moves = defaultdict(list)
        for change in s.scalars(select(StatusChange).order_by(StatusChange.id)):
            moves[(change.record_type, change.record_id)].append(change)

    buckets = Counter()
    for req in requests:
        history = moves[("request", req.id)]
        assert history[0].from_status is None and history[0].to_status == "new" and history[0].at == req.opened_at
        assert [m.at for m in history] == sorted(m.at for m in history)
        assert all(a.to_status == b.from_status for a, b in zip(history, history[1:]))
        assert history[-1].to_status == req.status
        assert req.sla_due > req.opened_at
        if req.status in ("resolved", "closed"):
            assert req.resolved_at and req.root_cause_category
            assert req.resolved_at <= anchor_evening
        else:
            age = (anchor_evening - req.opened_at).days
            buckets["0-7" if age <= 7 else "8-14" if age <= 14 else "15-30" if age <= 30 else
                    "31-60" if age <= 60 else "60+"] += 1
    assert set(buckets) == {"0-7", "8-14", "15-30", "31-60", "60+"}
    assert min(buckets.values()) >= 10
    opened = [r.opened_at for r in requests]
    assert (max(opened) - min(opened)).days > 600  # two years of history for the WBR


def test_hit_log_has_the_documented_columns_and_agrees_with_the_rules(world):
    summary = world
    hits = pl.read_parquet(summary.hit_log_path)
    assert hits.schema == pl.Schema({"rule_id": pl.String, "entity_id": pl.String, "event_time": pl.Datetime("us"),
                                     "label": pl.String, "action": pl.String, "amount_usd": pl.Float64,
                                     "detector_id": pl.String, "score": pl.Float64, "threshold": pl.Float64})
    hits = hits.filter(pl.col("rule_id").is_not_null())  # the model rows are checked in test_demo_models
    assert set(hits["label"].unique()) == {"confirmed_bad", "false_positive", "unlabeled"}
    assert set(hits["action"].unique()) == {"enforced", "shadow"}
    end = dt.datetime.combine(DEMO_ANCHOR + dt.timedelta(days=1), dt.time())
    assert hits["event_time"].max() < end
    assert hits["event_time"].min() >= end - dt.timedelta(weeks=26)
    assert (hits["amount_usd"] > 0).all()

    with read_session() as s:
        rules = {r.id: r for r in s.scalars(select(Rule))}
        retired_at = {e.rule_id: e.at for e in s.scalars(select(RuleEvent).where(RuleEvent.to_status == "retired"))}
        shadow_at = {e.rule_id: e.at for e in s.scalars(select(RuleEvent).where(RuleEvent.to_status == "shadow"))}
    assert set(hits["rule_id"].unique()) <= set(rules)
    shadow_rules = set(hits.filter(pl.col("action") == "shadow")["rule_id"].unique())
    assert shadow_rules and all(rules[r].status in ("shadow", "retired") for r in shadow_rules)
    last = dict(hits.group_by("rule_id").agg(pl.col("event_time").max()).iter_rows())
    first_shadow = dict(hits.filter(pl.col("action") == "shadow").group_by("rule_id")
                        .agg(pl.col("event_time").min()).iter_rows())
    for rule_id, at in retired_at.items():
        assert last.get(rule_id, at) <= at
    for rule_id, at in first_shadow.items():
        assert at >= shadow_at[rule_id]

    # Precision spread: active rules mostly good, rules on their way out mostly poor.
    labelled = hits.filter(pl.col("label") != "unlabeled").group_by("rule_id").agg(
        (pl.col("label") == "confirmed_bad").mean().alias("precision"), pl.len().alias("n")).filter(pl.col("n") >= 30)
    precision = dict(labelled.select("rule_id", "precision").iter_rows())
    active = sorted(p for r, p in precision.items() if rules[r].status == "active")
    leaving = sorted(p for r, p in precision.items() if rules[r].status != "active")
    assert active[len(active) // 2] > 0.6 > leaving[len(leaving) // 2]
    assert active[0] < 0.35 and active[-1] > 0.95

    # Overlap: rules on the same MO catch the same bad actors.
    bad = hits.filter(pl.col("label") == "confirmed_bad").select("rule_id", "entity_id").unique()
    shared = bad.group_by("entity_id").agg(pl.col("rule_id").n_unique().alias("rules"))
    assert shared.filter(pl.col("rules") >= 2).height > 0.2 * shared.height
    assert shared.filter(pl.col("rules") == 1).height > 0


def test_rule_lifecycle_history_ends_in_each_rules_status(world):
    with read_session() as s:
        rules = {r.id: r for r in s.scalars(select(Rule))}
        events = defaultdict(list)
        for e in s.scalars(select(RuleEvent).order_by(RuleEvent.at)):
            events[e.rule_id].append(e)
        mo_rules = defaultdict(set)
        for link in s.scalars(select(RuleMO)):
            mo_rules[link.mo_id].add(rules[link.rule_id].status)
        mo_ids = set(s.scalars(select(MO.id)))
    for rule_id, rule in rules.items():
        history = events[rule_id]
        if rule.status == "active":
            assert not history or history[-1].to_status == "active"
        else:
            assert history[-1].to_status == rule.status
        assert all(a.to_status == b.from_status for a, b in zip(history, history[1:]))
        if rule.status in ("shadow", "retired"):
            assert rule.shadow_until is not None
            assert any(e.approver for e in history)
    assert len(mo_ids - set(mo_rules)) > 10  # MOs with no rule at all
    assert any(statuses == {"candidate"} for statuses in mo_rules.values())


def test_workshop_votes_stay_within_the_sessions_limits(world):
    with read_session() as s:
        ws = s.scalar(select(WorkshopSession))
        votes = s.scalars(select(Vote)).all()
        promoted = set(s.scalars(select(Initiative.source_idea_id).where(Initiative.source_idea_id.is_not(None))))
        scored = set(s.scalars(select(Score.idea_id)))
    per_person = Counter(v.participant_id for v in votes)
    per_idea = Counter((v.participant_id, v.idea_id) for v in votes)
    assert max(per_person.values()) <= ws.votes_per_person
    assert max(per_idea.values()) <= ws.max_votes_per_idea
    assert promoted <= scored and len(promoted) == 2


def test_roadmap_dependencies_have_no_cycle_and_the_baseline_has_moved(world):
    with read_session() as s:
        edges = [(d.predecessor_id, d.successor_id) for d in s.scalars(select(Dependency))]
        current = {i.id: i for i in s.scalars(select(Initiative))}
        baseline = s.scalar(select(Baseline))
    graph = defaultdict(list)
    for a, b in edges:
        graph[a].append(b)
    state_of: dict[str, int] = {}

    def visit(node):
        assert state_of.get(node) != 1, f"cycle through {node}"
        if state_of.get(node) == 2:
            return
        state_of[node] = 1
        for nxt in graph[node]:
            visit(nxt)
        state_of[node] = 2

    for node in list(graph):
        visit(node)
    moved = [b for b in baseline.snapshot if b["id"] in current and b["end"] != current[b["id"]].end.isoformat()]
    assert len(moved) >= 5
    assert any(b["id"] not in current for b in baseline.snapshot)  # something was dropped since
    assert any(i not in {b["id"] for b in baseline.snapshot} for i in current)  # and something added


def test_demo_models_sit_in_the_registry_and_score_below_and_above_their_thresholds(world):
    from rm_core.rules import load_hit_log, prepare_hits
    from rm_core.rules.lifecycle import rule_history, rule_records
    from rm_core.rules.whatif import model_figures

    hits = pl.read_parquet(world.hit_log_path)
    scored = hits.filter(pl.col("detector_id").is_not_null())
    records = rule_records()
    models = {r: rec for r, rec in records.items() if rec.kind == "model"}
    assert set(models) == {"M-REG-RISK", "M-PAYOUT-CHG", "M-LISTING-HIJACK", "M-REVIEW-RING"}
    assert dict(scored.group_by("detector_id").agg(pl.col("threshold").first()).iter_rows()) == {
        m: rec.threshold for m, rec in models.items()}
    assert scored["score"].min() >= 0.3 and scored["score"].max() <= 1.0
    assert scored["rule_id"].null_count() == scored.height
    for model, rec in models.items():
        rows = scored.filter(pl.col("detector_id") == model)
        assert (rows["score"] < rec.threshold).sum() > rows.height * 0.3  # a lower threshold can be evaluated
        assert rows["entity_id"].n_unique() < rows.height  # entities with several scores
        medians = dict(rows.group_by("label").agg(pl.col("score").median()).iter_rows())
        assert medians["confirmed_bad"] > 0.7 > medians["false_positive"]

    prepared = prepare_hits(load_hit_log(world.hit_log_path))
    rule_entities = set(hits.filter(pl.col("rule_id").is_not_null())["entity_id"].unique())
    for model in ("M-REG-RISK", "M-PAYOUT-CHG", "M-LISTING-HIJACK"):
        figures = model_figures(prepared, model, models[model].threshold)
        assert 0.5 < figures["precision"] < 0.95
        assert figures["only_this_model_proposed"] > 0  # some bad accounts only the model catches
        flagged = set(scored.filter((pl.col("detector_id") == model) & (pl.col("score") >= models[model].threshold))
                      ["entity_id"])
        assert len(flagged & rule_entities) > 0.4 * len(flagged)  # and most overlap with rules

    assert models["M-REVIEW-RING"].status == "shadow"
    shadow = scored.filter(pl.col("action") == "shadow")
    assert set(shadow["detector_id"]) == {"M-REVIEW-RING"}
    shadow_at = next(m.at for m in rule_history("M-REVIEW-RING") if m.to_status == "shadow")
    assert shadow["event_time"].min() >= shadow_at
    [move] = [m for m in rule_history("M-REG-RISK") if m.threshold_to is not None]
    assert (move.threshold_from, move.threshold_to, move.approver) == (0.75, 0.8, "harish.mgr")
