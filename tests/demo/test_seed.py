"""The demo world: what a PM sees on first start, the same for a seed, and never written over real data."""
from __future__ import annotations

import time
from collections import Counter

import polars as pl
import pytest
from sqlalchemy import func, select

from rm_core.cli import main
from rm_core.demo import DEMO_ANCHOR, seed_demo, seeded_world
from rm_core.errors import UserError
from rm_core.identity import Actor
from rm_core.store.db import read_session, write_session
from rm_core.store.models import (MO, SOP, AuditEvent, Baseline, DemoMeta, Dependency, Gap, GapEvidence, HitLog, Idea,
                                  Initiative, Milestone, MOVersion, Participant, PathToGreen, Request, Rule,
                                  RuleMO, Score, SOPRollout, Vote, WorkshopSession)


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.postgres
def test_small_world_has_everything_a_new_workbench_promises(state):
    started = time.perf_counter()
    summary = seed_demo(state, scale="small")
    elapsed = time.perf_counter() - started
    assert elapsed < 15, f"small seed took {elapsed:.1f}s"

    with read_session() as s:
        assert count(s, MO) >= 300
        assert len(set(s.scalars(select(MO.abuse_family)))) >= 12
        assert set(s.scalars(select(MO.status))) == {"draft", "active", "dormant", "mitigated", "retired"}
        assert set(s.scalars(select(MO.severity))) == {"S1", "S2", "S3", "S4"}
        assert set(s.scalars(select(MO.site))) == {"India", "Costa Rica"}
        assert count(s, MOVersion) > count(s, MO)  # every MO has v1, a few have 2-3 versions
        assert s.scalar(select(func.max(MO.version))) == 3

        assert count(s, Rule) >= 300
        assert s.get(Rule, "R-0001") is not None
        statuses = Counter(s.scalars(select(Rule.status)))
        assert statuses["active"] > statuses["candidate"] + statuses["shadow"] + statuses["retired"]
        assert min(statuses[k] for k in ("candidate", "shadow", "retired")) > 0
        assert set(s.scalars(select(RuleMO.role))) == {"primary", "supporting"}

        assert count(s, Request) == 2000
        assert set(s.scalars(select(Request.kind))) == {"partner_request", "deep_dive", "sev2_action",
                                                       "exec_escalation", "coe_action"}
        assert count(s, Gap) == 150
        assert count(s, Gap, Gap.status == "closed", Gap.initiative_id.is_not(None),
                     Gap.measured_usd.is_not(None)) > 0
        assert count(s, GapEvidence, GapEvidence.request_id.is_not(None)) > 0
        assert count(s, GapEvidence, GapEvidence.mo_id.is_not(None)) > 0

        assert count(s, SOP) == 40
        assert set(s.scalars(select(SOPRollout.team))) == {"RM India", "RM Costa Rica", "BRP NA", "BRP EU", "BRP APAC"}
        assert count(s, SOPRollout) == 200

        assert count(s, Initiative) == 60
        assert len(set(s.scalars(select(Initiative.workstream)))) == 4
        assert set(s.scalars(select(Initiative.horizon))) == {"now", "next", "later"}
        per_initiative = Counter(s.scalars(select(Milestone.initiative_id)))
        assert len(per_initiative) == 60 and min(per_initiative.values()) >= 2 and max(per_initiative.values()) <= 5
        assert count(s, Initiative, Initiative.source_idea_id.is_not(None)) == 2
        troubled = set(s.scalars(select(Initiative.id).where(Initiative.status.in_(("at_risk", "off_track")))))
        assert troubled and troubled <= set(s.scalars(select(PathToGreen.record_id)))
        assert count(s, Dependency) > 0
        assert s.scalar(select(Baseline.name)) == "OP1 approved"

        ws = s.scalar(select(WorkshopSession))
        assert ws.phase == "closed" and ws.closed_at is not None
        assert count(s, Participant) >= 8 and count(s, Idea) >= 30 and count(s, Vote) > 0 and count(s, Score) > 0

        log = s.scalar(select(HitLog).where(HitLog.current.is_(True)))
        assert log.rows == summary.hits
        assert 45_000 <= log.rows <= 55_000
        assert count(s, AuditEvent, AuditEvent.action == "demo.seed") >= 20
    assert seeded_world(state) == {"scale": "small", "seed": "7", "anchor": "2026-11-22", "version": "1"}


def test_seeding_the_same_seed_twice_gives_identical_rows(tmp_path, monkeypatch):
    dumps = [_seed_and_dump(tmp_path / f"home{i}", monkeypatch, seed=7) for i in range(2)]
    assert dumps[0] == dumps[1]


def test_a_different_seed_gives_a_different_world(tmp_path, monkeypatch):
    from rm_core.demo.hits import build_hits
    from rm_core.demo.mos import build_mos
    from rm_core.demo.rules import build_rules

    worlds = []
    for seed in (7, 8):
        mos = build_mos(seed, DEMO_ANCHOR, 320)
        rules = build_rules(seed, DEMO_ANCHOR, mos, 340)
        worlds.append((mos, rules, build_hits(seed, DEMO_ANCHOR, rules, mos, 20_000)))
    (mos7, rules7, hits7), (mos8, rules8, hits8) = worlds
    assert [m.row["narrative"] for m in mos7] != [m.row["narrative"] for m in mos8]
    assert sum(a.row["title"] == b.row["title"] for a, b in zip(mos7, mos8)) < 40
    assert not hits7.equals(hits8)
    again = build_mos(7, DEMO_ANCHOR, 320)
    assert [m.row for m in again] == [m.row for m in mos7]


def _seed_and_dump(home, monkeypatch, seed: int) -> dict:
    from rm_core.settings import get_settings
    from rm_core.store.db import dispose_engines
    from rm_core.store.migrate import upgrade
    from rm_core.store.models import Base

    monkeypatch.setenv("RM_HOME", str(home))
    monkeypatch.delenv("RM_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    dispose_engines()
    settings = get_settings()
    upgrade(settings)
    summary = seed_demo(settings, scale="small", seed=seed)
    # Rows that record when and where the seeding ran (audit time, outbox time, file path) are left out.
    skip = {"audit_events", "index_outbox", "hit_logs", "alembic_version"}
    dump = {}
    with read_session() as s:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            dump[table.name] = [tuple(r) for r in s.execute(select(table).order_by(*table.primary_key.columns))]
    dump["hits"] = pl.read_parquet(summary.hit_log_path).to_dicts()[:2000:7]
    dump["hits_rows"] = summary.hits
    dispose_engines()
    get_settings.cache_clear()
    return dump


def test_seeding_refuses_a_workbench_that_already_holds_data(state, capsys):
    assert main(["demo", "seed", "--scale", "small"]) == 0
    with read_session() as s:
        before = count(s, MO), count(s, Request), count(s, AuditEvent)
    with pytest.raises(UserError, match="already holds data"):
        seed_demo(state, scale="small", seed=9)
    assert main(["demo", "seed", "--scale", "small", "--seed", "9"]) == 2
    assert "already holds data" in capsys.readouterr().err
    with read_session() as s:
        assert (count(s, MO), count(s, Request), count(s, AuditEvent)) == before
        assert s.get(DemoMeta, "demo.seed").value == "7"


def test_force_replaces_an_unedited_demo_world_but_never_edited_or_foreign_data(state):
    first = seed_demo(state, scale="small", seed=7)
    second = seed_demo(state, scale="small", seed=8, force=True, actor=Actor("ada", "admin"))
    assert not first.hit_log_path.exists() and second.hit_log_path.exists()
    with read_session() as s:
        assert s.get(DemoMeta, "demo.seed").value == "8"
        assert count(s, MO) == 320 and count(s, HitLog) == 1
    again = seed_demo(state, scale="small", seed=8, force=True, actor=Actor("ada", "admin"))
    assert again.hit_log_path.exists() and not second.hit_log_path.exists()
    assert [p.name for p in state.hits_path.iterdir()] == [again.hit_log_path.name]

    from rm_core.audit import record_event
    with write_session() as s:
        mo = s.get(MO, "MO-0001")
        mo.title = "Edited by an analyst"
        record_event(s, "eddie", "mo.update", "mo", "MO-0001", {"title": "old"}, {"title": mo.title})
    with pytest.raises(UserError, match="change"):
        seed_demo(state, scale="small", seed=9, force=True, actor=Actor("ada", "admin"))
    with read_session() as s:
        assert s.get(MO, "MO-0001").title == "Edited by an analyst"


def test_force_never_replaces_data_that_is_not_a_demo_world(state):
    with write_session() as s:
        s.add(MO(id="MO-9000", title="A real MO someone imported"))
    with pytest.raises(UserError, match="not seeded by the demo"):
        seed_demo(state, scale="small", force=True, actor=Actor("ada", "admin"))
    with read_session() as s:
        assert count(s, MO) == 1 and count(s, Rule) == 0
    assert not list(state.hits_path.glob("*.parquet")) if state.hits_path.exists() else True


def test_unknown_scale_is_refused_with_the_choices(state):
    with pytest.raises(UserError, match="small, default, large"):
        seed_demo(state, scale="huge")


def test_a_seeding_that_fails_half_way_leaves_nothing_behind(state, monkeypatch):
    from rm_core.demo import roadmap

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(roadmap, "build_baseline", broken)  # fails after MOs, rules and the hit file exist
    with pytest.raises(RuntimeError):
        seed_demo(state, scale="small")
    with read_session() as s:
        assert count(s, MO) == count(s, Rule) == count(s, HitLog) == count(s, DemoMeta) == 0
    assert not list(state.hits_path.glob("*.parquet"))


def test_the_demo_intake_is_replaced_by_force_but_an_idea_someone_raised_since_is_not(state):
    from rm_core.intake import list_ideas, submit_idea
    from tests.intake.conftest import idea_fields

    seed_demo(state, scale="small", seed=7)
    seed_demo(state, scale="small", seed=8, force=True, actor=Actor("ada", "admin"))
    assert [i.id for i in list_ideas()][-1] == "IDEA-0001" and len(list_ideas()) == 16  # replaced, not added to
    submit_idea(Actor("vic", "viewer", "Vic Viewer"), idea_fields())
    with pytest.raises(UserError, match="1 change"):
        seed_demo(state, scale="small", seed=9, force=True, actor=Actor("ada", "admin"))
    assert len(list_ideas()) == 17
