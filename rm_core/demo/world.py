"""Seeding the demo world into an empty workbench: one deterministic world per (scale, seed), never over data.

Everything is generated in memory first (pure functions of seed and anchor date), the hit log is written to
Parquet, then all rows go into the database in ONE write transaction with one audit event per table. If any
step fails nothing is left behind: the transaction rolls back and the Parquet file is removed.
"""
from __future__ import annotations

import datetime as dt
import logging
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from rm_core.audit import record_event
from rm_core.errors import PermissionDenied, UserError
from rm_core.identity import Actor, require
from rm_core.rules.logs import hit_log_reference, stored_hit_log_path
from rm_core.settings import Settings, get_settings
from rm_core.store.db import get_engine, read_session, write_session
from rm_core.store.models import (MO, SOP, AIUsage, AuditEvent, Baseline, CaseNote, DemoMeta, Dependency, Gap,
                                  GapEvidence, HitLog, Idea, IntakeIdea, IntakeSupporter,
                                  IndexOutbox, Initiative, Milestone, MOVersion, Participant, PathToGreen, Request,
                                  Rule, RuleEvent, RuleMO, Score, SOPRollout, StatusChange, Theme, Vote,
                                  WorkshopSession)

log = logging.getLogger(__name__)

# The world is dated relative to this Sunday (a WBR week end), never to the clock, so a seed always gives
# the same rows. "Today" in the demo is this date; open requests age from it.
DEMO_ANCHOR = dt.date(2026, 11, 22)
SEED_ACTION = "demo.seed"
INTAKE_AUDIT_MARK = "demo.intake_audit_to"  # the last audit event the demo's intake seeding wrote


@dataclass(frozen=True)
class Scale:
    mos: int
    rules: int
    hits: int
    requests: int = 2000
    gaps: int = 150


SCALES: dict[str, Scale] = {
    "small": Scale(mos=320, rules=340, hits=50_000),
    "default": Scale(mos=320, rules=340, hits=2_000_000),
    "large": Scale(mos=320, rules=340, hits=10_000_000),
}

# Tables whose rows mean "this workbench already holds data" (users and audit events do not count).
_CONTENT = {"MOs": MO, "rules": Rule, "requests": Request, "gaps": Gap, "SOPs": SOP, "initiatives": Initiative,
            "workshop sessions": WorkshopSession, "hit logs": HitLog, "case notes": CaseNote,
            "intake ideas": IntakeIdea}
# Child tables first, so deleting a previous demo world never trips a foreign key.
_DEMO_TABLES = (CaseNote, GapEvidence, Request, Gap, PathToGreen, Milestone, Dependency, Baseline, Initiative, Score,
                Vote,
                Idea, IntakeSupporter, IntakeIdea, Theme, Participant, WorkshopSession, SOPRollout, SOP, HitLog,
                RuleEvent, RuleMO, Rule,
                MOVersion, IndexOutbox, AIUsage, MO)

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class SeedSummary:
    """What was seeded: scale, seed, anchor date, rows per table, the hit log file and how long it took."""

    scale: str
    seed: int
    anchor: dt.date
    counts: dict[str, int] = field(default_factory=dict)
    hit_log_path: Path | None = None
    seconds: float = 0.0

    @property
    def hits(self) -> int:
        return self.counts.get("hits", 0)


def existing_records(settings: Settings | None = None) -> dict[str, int]:
    """Rows already in the content tables, by table (only those with rows)."""
    with read_session(_engine(settings)) as session:
        return _existing(session)


def _existing(session: Session) -> dict[str, int]:
    counts = {name: session.scalar(select(func.count()).select_from(model)) or 0 for name, model in _CONTENT.items()}
    return {name: n for name, n in counts.items() if n}


def seeded_world(settings: Settings | None = None) -> dict[str, str]:
    """The demo facts recorded in `meta` (scale, seed, anchor), empty when no demo world was seeded."""
    with read_session(_engine(settings)) as session:
        return {m.key[5:]: m.value for m in session.scalars(select(DemoMeta).where(DemoMeta.key.like("demo.%")))
                if m.key != INTAKE_AUDIT_MARK}  # a bookkeeping mark, not a fact about the world


def _engine(settings: Settings | None):
    return get_engine(settings or get_settings())


def seed_demo(settings: Settings | None = None, scale: str = "default", seed: int = 7,
              progress: Progress | None = None, *, force: bool = False, anchor: dt.date = DEMO_ANCHOR,
              actor: Actor | None = None) -> SeedSummary:
    """Fill an empty workbench with the demo world; refuses (UserError) when it already holds data.

    `force` replaces a previous demo world, but only one nobody has edited since (no audit event other than the
    seeding itself); it never deletes data a person entered or imported, nor a file outside RM_HOME. Replacing
    a world is the admin's call (`actor`).
    """
    settings = settings or get_settings()
    if force:
        if actor is None:
            raise PermissionDenied("Replacing the demo world (--force) needs the admin role; say who is acting.")
        require(actor, "admin")
    if scale not in SCALES:
        raise UserError(f"Unknown demo scale {scale!r}: use one of {', '.join(SCALES)}.")
    if not isinstance(seed, int) or seed < 0:
        raise UserError(f"The demo seed must be a whole number of 0 or more, not {seed!r}.")
    report = progress or (lambda fraction, message: None)
    started = time.perf_counter()
    size = SCALES[scale]
    engine = _engine(settings)
    with read_session(engine) as session:
        _check_empty(session, force)

    report(0.02, "Writing MO write-ups")
    world = _generate(seed, anchor, size, report)
    report(0.55, "Writing the hit log")
    settings.hits_path.mkdir(parents=True, exist_ok=True)
    # A name of its own per attempt: two replicas seeding at once (or a failed attempt) never share a file.
    path = settings.hits_path / f"demo-{scale}-seed{seed}-{secrets.token_hex(3)}.parquet"
    world["hits"].write_parquet(path, row_group_size=500_000, statistics=True)
    try:
        report(0.75, "Saving to the database")
        with write_session(engine) as session:
            # Checked again inside the write transaction: another process may have written in between.
            previous = _check_empty(session, force, delete_previous=force, settings=settings)
            counts = _insert(session, world, settings, scale, seed, anchor, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    for old in previous:
        if old.name.startswith("demo-") and settings.holds(old):
            old.unlink(missing_ok=True)
    report(1.0, "Demo world ready")
    summary = SeedSummary(scale=scale, seed=seed, anchor=anchor, counts=counts, hit_log_path=path,
                          seconds=round(time.perf_counter() - started, 2))
    log.info("seeded demo world %s/%s in %.1fs", scale, seed, summary.seconds)
    return summary


def _check_empty(session: Session, force: bool, delete_previous: bool = False,
                 settings: Settings | None = None) -> list[Path]:
    """Refuse unless empty (or, with force, an unedited demo world); returns the hit log files it replaced."""
    found = _existing(session)
    if not found:
        return []
    listing = ", ".join(f"{n:,} {name}" for name, n in found.items())
    if not force:
        raise UserError(f"This workbench already holds data ({listing}); the demo world is only seeded into an "
                        "empty one. Point RM_HOME at a new folder, or use `demo seed --force` to replace a previous, "
                        "unedited demo world.")
    is_demo = session.scalar(select(DemoMeta.value).where(DemoMeta.key == "demo.seed")) is not None
    # the demo's intake went through the intake service, so its audit events are the seeding's up to the marker
    intake_to = session.scalar(select(DemoMeta.value).where(DemoMeta.key == INTAKE_AUDIT_MARK))
    seeded_intake = (AuditEvent.record_type == "intake_idea") & (AuditEvent.id <= int(intake_to or 0))
    # Events the seeding itself wrote through services (the models' registration) come before its own
    # demo.seed events; only later ones are edits.
    seeded_up_to = session.scalar(select(func.max(AuditEvent.id)).where(AuditEvent.action == SEED_ACTION)) or 0
    edited = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action != SEED_ACTION, AuditEvent.record_type.not_in(("user", "ai_usage")), ~seeded_intake,
        AuditEvent.id > seeded_up_to))
    if not is_demo or edited:
        why = "it was not seeded by the demo generator" if not is_demo else f"{edited:,} change(s) were made since"
        raise UserError(f"Refusing to replace this workbench's data ({listing}): {why}. Use a new RM_HOME for a "
                        "fresh demo world.")
    if not delete_previous:
        return []
    old = [stored_hit_log_path(name, settings) for name in session.scalars(select(HitLog.path))]
    for model in _DEMO_TABLES:
        session.execute(delete(model))
    session.execute(delete(StatusChange).where(StatusChange.record_type.in_(("request", "gap", "initiative",
                                                                             "intake_idea"))))
    session.execute(delete(DemoMeta).where(DemoMeta.key.like("demo.%")))
    return old


def _generate(seed: int, anchor: dt.date, size: Scale, report: Progress) -> dict:
    from rm_core.demo import hits, models, mos, rules, trackers, workshop

    world: dict = {}
    world["mos"] = mos.build_mos(seed, anchor, size.mos)
    report(0.15, "Writing rules and their history")
    world["rules"] = rules.build_rules(seed, anchor, world["mos"], size.rules)
    world["rule_events"] = rules.rule_history(seed, anchor, world["rules"], world["mos"])
    world["rule_mos"] = rules.rule_mo_links(world["rules"], world["mos"])
    report(0.25, "Generating rule hits")
    rule_hits = hits.build_hits(seed, anchor, world["rules"], world["mos"], size.hits)
    world["hits"] = models.merge_hits(rule_hits, models.build_model_hits(seed, anchor, rule_hits, world["rules"],
                                                                         world["mos"]))
    report(0.45, "Requests, gaps, SOPs, roadmap and workshop")
    world["workshop"] = workshop.session_row(anchor)
    world["sops"], world["rollouts"] = trackers.build_sops(seed, anchor)
    world["size"] = size
    return world


def _bulk(session: Session, model, rows: list[dict]) -> int:
    # render_nulls: otherwise the ORM splits rows into one batch per pattern of None values (thousands of
    # round trips on PostgreSQL instead of a handful).
    if rows:
        session.execute(insert(model).execution_options(render_nulls=True), rows)
    return len(rows)


def _bulk_ids(session: Session, model, rows: list[dict]) -> list[int]:
    """Insert and return the new integer ids in the order of `rows` (ids are not assumed to start at 1)."""
    statement = insert(model).returning(model.id, sort_by_parameter_order=True).execution_options(render_nulls=True)
    return list(session.execute(statement, rows).scalars())


def _insert(session: Session, world: dict, settings: Settings, scale: str, seed: int, anchor: dt.date,
            path: Path) -> dict[str, int]:
    from rm_core.demo import case_notes, roadmap, trackers, workshop

    size: Scale = world["size"]
    counts: dict[str, int] = {}
    mos = world["mos"]
    from rm_core.ai.draft import OFFLINE_METHOD

    counts["mos"] = _bulk(session, MO, [{**m.row, "drafted_by": OFFLINE_METHOD if m.row["source"] == "ai_assist"
                                         else ""} for m in mos])
    counts["mo_versions"] = _bulk(session, MOVersion, [v for m in mos for v in m.versions])
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    counts["index_outbox"] = _bulk(session, IndexOutbox, [dict(mo_id=m.row["id"], op="upsert", queued_at=now)
                                                          for m in mos])
    counts["case_notes"] = _bulk(session, CaseNote, [n.row for n in case_notes.build_case_notes(seed, anchor, mos)])
    counts["rules"] = _bulk(session, Rule, [r.row for r in world["rules"]])
    counts["rule_mos"] = _bulk(session, RuleMO, world["rule_mos"])
    counts["rule_events"] = _bulk(session, RuleEvent, world["rule_events"])
    from rm_core.demo.models import model_rows
    from rm_core.demo.vocab import MANAGERS

    counts["models"] = model_rows(session, Actor(MANAGERS[0], "admin", via="cli"), anchor)

    # Workshop first: two of its ideas became initiatives, and closed gaps point at initiatives.
    ws = world["workshop"]
    session_id = _bulk_ids(session, WorkshopSession, [ws])[0]
    participant_ids = _bulk_ids(session, Participant, workshop.participant_rows(session_id, ws))
    theme_ids = _bulk_ids(session, Theme, workshop.theme_rows(session_id))
    idea_rows = workshop.idea_rows(seed, session_id, ws, participant_ids, theme_ids)
    idea_ids = _bulk_ids(session, Idea, idea_rows)
    votes = workshop.vote_rows(seed, session_id, ws, participant_ids, idea_ids)
    scores = workshop.score_rows(seed, session_id, ws, votes)
    counts.update(workshop_sessions=1, participants=len(participant_ids), themes=len(theme_ids),
                  ideas=len(idea_ids), votes=_bulk(session, Vote, votes), scores=_bulk(session, Score, scores))
    texts = {i: row["text"] for i, row in zip(idea_ids, idea_rows)}
    promoted = workshop.promoted(scores, texts)

    initiatives = roadmap.build_initiatives(seed, anchor, promoted, ws["closed_at"] + dt.timedelta(days=2))
    counts["initiatives"] = _bulk(session, Initiative, [i.row for i in initiatives])
    counts["milestones"] = _bulk(session, Milestone, [m for i in initiatives for m in i.milestones])
    counts["dependencies"] = _bulk(session, Dependency, roadmap.build_dependencies(seed, initiatives))
    counts["paths_to_green"] = _bulk(session, PathToGreen, roadmap.build_paths_to_green(seed, anchor, initiatives))
    counts["baselines"] = _bulk(session, Baseline, [roadmap.build_baseline(seed, anchor, initiatives)])

    gaps, gap_moves, gap_mos = trackers.build_gaps(seed, anchor, mos, initiatives, size.gaps)
    requests, request_moves, evidence = trackers.build_requests(seed, anchor, mos, gaps, gap_mos, size.requests)
    counts["gaps"] = _bulk(session, Gap, gaps)
    counts["requests"] = _bulk(session, Request, requests)
    counts["gap_evidence"] = _bulk(session, GapEvidence, evidence)
    counts["status_changes"] = _bulk(session, StatusChange,
                                     request_moves + gap_moves + [h for i in initiatives for h in i.history])
    counts["sops"] = _bulk(session, SOP, world["sops"])
    counts["sop_rollouts"] = _bulk(session, SOPRollout, world["rollouts"])

    counts["ai_usage"] = _seed_ai_usage(session, seed, mos)
    from rm_core.demo.intake import seed_intake

    counts["intake_ideas"] = seed_intake(session, anchor)
    last_intake_event = session.scalar(select(func.max(AuditEvent.id)).where(AuditEvent.record_type == "intake_idea"))

    counts["hits"] = world["hits"].height
    counts["hit_logs"] = _bulk(session, HitLog, [dict(
        name=f"Demo hit log ({scale}, seed {seed}, 26 weeks to {anchor.isoformat()})",
        path=hit_log_reference(path, settings),
        rows=counts["hits"], current=True, uploaded_by=settings.user,
        uploaded_at=dt.datetime.combine(anchor, dt.time(23, 59)))])
    meta = {"demo.scale": scale, "demo.seed": str(seed), "demo.anchor": anchor.isoformat(), "demo.version": "1",
            INTAKE_AUDIT_MARK: str(last_intake_event or 0)}
    _bulk(session, DemoMeta, [dict(key=k, value=v) for k, v in meta.items()])

    for table, n in counts.items():
        if table != "hits":
            record_event(session, settings.user, SEED_ACTION, table, "*", None,
                         {"rows": n, "scale": scale, "seed": seed, "anchor": anchor.isoformat()})
    record_event(session, settings.user, SEED_ACTION, "hit_log", path.name, None,
                 {"rows": counts["hits"], "scale": scale, "seed": seed})
    return counts


def _seed_ai_usage(session: Session, seed: int, mos: list) -> int:
    """The AI usage log of the demo world, written through the same services the MO page uses: a draft (accepted
    or edited) behind every MO whose source is ai_assist, some discarded drafts, and MOs written from notes by hand
    (the baseline). Minutes are drawn from the seed: assisted 15-50, by hand 45-150."""
    from rm_core.ai.draft import OFFLINE_METHOD
    from rm_core.ai.usage import log_assist, log_unassisted_mo, record_outcome
    from rm_core.identity import Actor

    rng = random.Random(f"ai-usage-{seed}")
    written = 0
    for m in mos:
        row = m.row
        if not row.get("documented_at") or not row.get("owner"):
            continue
        analyst = Actor(row["owner"], "editor", via="cli")
        start = dt.datetime.combine(row["documented_at"], dt.time(9 + rng.randrange(8), rng.randrange(60)))
        if row["source"] == "ai_assist":
            if rng.random() < 0.3:  # a draft thrown away first, then the one that was kept
                thrown = log_assist(analyst, "mo_draft", OFFLINE_METHOD, at=start, session=session)
                record_outcome(analyst, thrown, "discarded", at=start + dt.timedelta(minutes=rng.randint(2, 8)),
                               session=session)
                written += 1
            usage = log_assist(analyst, "mo_draft", OFFLINE_METHOD, latency_ms=rng.uniform(80, 400), at=start,
                               session=session)
            record_outcome(analyst, usage, "edited" if rng.random() < 0.6 else "accepted", record_id=row["id"],
                           at=start + dt.timedelta(minutes=rng.randint(15, 50)), session=session)
            written += 1
        elif row["source"] == "investigation" and rng.random() < 0.35:
            log_unassisted_mo(analyst, row["id"], start, at=start + dt.timedelta(minutes=rng.randint(45, 150)),
                              session=session)
            written += 1
    return written
