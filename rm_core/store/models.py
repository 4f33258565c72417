"""The workbench's tables: every domain record in PRODUCT.md. The SQL database is the source of truth.

Identifiers users see are short strings (`MO-0142`, `R-0031`, `REQ-00017`, `GAP-0042`, `SOP-007`, `INI-012`);
workshop records, which users never quote, use integers.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (JSON, Boolean, CheckConstraint, Date, DateTime, Float, ForeignKey, Index, Integer, String,
                        Text, UniqueConstraint, false, func, true)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON, list[Any]: JSON}


# --- identity and audit ------------------------------------------------------------------------------------

class User(Base):
    """A person the workbench knows. `name` is only a handle (audit events and owners quote it); a signed-in
    person is found by `issuer` + `subject`, never by name or display name. A NULL role means no access yet."""

    __tablename__ = "users"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # "local" (the machine's own user, RM_USER) or "oidc" (signs in; pre-provisioned by email until first sign-in)
    kind: Mapped[str] = mapped_column(String(8), default="local", server_default="local")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    issuer: Mapped[str | None] = mapped_column(String(500), nullable=True)
    subject: Mapped[str | None] = mapped_column(String(255), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True, index=True)
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    __table_args__ = (CheckConstraint("role in ('viewer','editor','facilitator','admin')", name="ck_users_role"),
                      UniqueConstraint("issuer", "subject", name="uq_users_issuer_subject"))


class AuditEvent(Base):
    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    __table_args__ = (Index("ix_audit_record", "record_type", "record_id"),)


class StatusChange(Base):
    """A dated move of any record with a status flow (requests, gaps, initiatives), with the note given."""

    __tablename__ = "status_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(64))
    from_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    to_status: Mapped[str] = mapped_column(String(32))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (Index("ix_status_changes_record", "record_type", "record_id", "at"),)


class PathToGreen(Base):
    """A plan that brings a red/amber metric or initiative back to target; new rows keep the history."""

    __tablename__ = "paths_to_green"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_type: Mapped[str] = mapped_column(String(32))  # metric | initiative
    record_id: Mapped[str] = mapped_column(String(120))
    rag: Mapped[str] = mapped_column(String(8))  # red | amber | green
    actions: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(64), default="")
    due: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    blockers: Mapped[str] = mapped_column(Text, default="")
    decision_needed: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    __table_args__ = (Index("ix_ptg_record", "record_type", "record_id", "created_at"),)


# --- MOs ---------------------------------------------------------------------------------------------------

class MO(Base):
    __tablename__ = "mos"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # MO-0142, or an external id kept as imported
    title: Mapped[str] = mapped_column(String(300))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text, default="")
    narrative: Mapped[str] = mapped_column(Text, default="")
    abuse_family: Mapped[str] = mapped_column(String(64), default="")
    stage: Mapped[str] = mapped_column(String(32), default="")
    signals: Mapped[list[str]] = mapped_column(JSON, default=list)
    mediums: Mapped[list[str]] = mapped_column(JSON, default=list)
    marketplaces: Mapped[list[str]] = mapped_column(JSON, default=list)
    site: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    severity: Mapped[str] = mapped_column(String(4), default="S3")
    confidence: Mapped[str] = mapped_column(String(16), default="medium")
    first_seen: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    last_seen: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    documented_at: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    mitigated_at: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    est_accounts: Mapped[int | None] = mapped_column(Integer, nullable=True)
    est_exposure_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    source: Mapped[str] = mapped_column(String(32), default="investigation")
    # which method drafted it when source is ai_assist: an offline method name or provider:model
    drafted_by: Mapped[str] = mapped_column(String(128), default="")
    owner: Mapped[str] = mapped_column(String(64), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    __table_args__ = (
        CheckConstraint("status in ('draft','active','dormant','mitigated','retired')", name="ck_mos_status"),
        CheckConstraint("severity in ('S1','S2','S3','S4')", name="ck_mos_severity"),
    )


class MOVersion(Base):
    __tablename__ = "mo_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mo_id: Mapped[str] = mapped_column(ForeignKey("mos.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(64))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (UniqueConstraint("mo_id", "version", name="uq_mo_versions"),)


class IndexOutbox(Base):
    """MOs whose index entry must be written or removed; rows are deleted once Chroma agrees.

    Written in the same transaction as the MO, so a crash between the database write and the index write is
    repaired on the next start by replaying what is left here.
    """

    __tablename__ = "index_outbox"
    mo_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    op: Mapped[str] = mapped_column(String(8))  # upsert | delete
    queued_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


# --- rules -------------------------------------------------------------------------------------------------

class Rule(Base):
    __tablename__ = "rules"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(16), default="review")
    status: Mapped[str] = mapped_column(String(16), default="active")
    shadow_until: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # A detector is a rule or an ML model (#18); a model fires when its score reaches its current threshold.
    kind: Mapped[str] = mapped_column(String(8), default="rule", server_default="rule")
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    __table_args__ = (
        CheckConstraint("action in ('block','review','monitor')", name="ck_rules_action"),
        CheckConstraint("status in ('active','candidate','shadow','retired')", name="ck_rules_status"),
        CheckConstraint("kind in ('rule','model')", name="ck_rules_kind"),
        CheckConstraint("(kind = 'rule' and threshold is null) or "
                        "(kind = 'model' and threshold is not null and threshold >= 0 and threshold <= 1)",
                        name="ck_rules_threshold"),
    )


class RuleEvent(Base):
    __tablename__ = "rule_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[str] = mapped_column(ForeignKey("rules.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    approver: Mapped[str | None] = mapped_column(String(64), nullable=True)
    shadow_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # a model's threshold move (status unchanged) is a lifecycle event too, so one history tells the whole story
    threshold_from: Mapped[float | None] = mapped_column(Float, nullable=True)
    threshold_to: Mapped[float | None] = mapped_column(Float, nullable=True)


class RuleMO(Base):
    __tablename__ = "rule_mos"
    rule_id: Mapped[str] = mapped_column(ForeignKey("rules.id", ondelete="CASCADE"), primary_key=True)
    mo_id: Mapped[str] = mapped_column(ForeignKey("mos.id", ondelete="CASCADE"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16), default="primary")  # primary | supporting


class HitLog(Base):
    """A hit log file the workbench knows about (Parquet under RM_HOME/hits); one is the current one."""

    __tablename__ = "hit_logs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(500))
    rows: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    current: Mapped[bool] = mapped_column(Boolean, default=False)


# --- requests, escalations, gaps, SOPs --------------------------------------------------------------------

class Request(Base):
    __tablename__ = "requests"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    requester_team: Mapped[str] = mapped_column(String(64), default="")
    priority: Mapped[str] = mapped_column(String(4), default="P3")
    owner: Mapped[str] = mapped_column(String(64), default="")
    site: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(16), default="new")
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    sla_due: Mapped[dt.datetime] = mapped_column(DateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    root_cause_category: Mapped[str | None] = mapped_column(String(64), nullable=True)
    root_cause_note: Mapped[str] = mapped_column(Text, default="")
    mo_id: Mapped[str | None] = mapped_column(ForeignKey("mos.id", ondelete="SET NULL"), nullable=True)
    gap_id: Mapped[str | None] = mapped_column(ForeignKey("gaps.id", ondelete="SET NULL"), nullable=True)
    __table_args__ = (
        CheckConstraint("kind in ('partner_request','deep_dive','sev2_action','exec_escalation','coe_action')",
                        name="ck_requests_kind"),
        CheckConstraint("status in ('new','triaged','in_progress','blocked','resolved','closed')",
                        name="ck_requests_status"),
        Index("ix_requests_status", "status"),
    )


class Gap(Base):
    __tablename__ = "gaps"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    missing: Mapped[str] = mapped_column(Text, default="")
    owning_team: Mapped[str] = mapped_column(String(64))
    impact_accounts: Mapped[int | None] = mapped_column(Integer, nullable=True)
    impact_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    impact_method: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="identified")
    identified_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    quantified_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    rejected_reason: Mapped[str] = mapped_column(Text, default="")
    initiative_id: Mapped[str | None] = mapped_column(ForeignKey("initiatives.id", ondelete="SET NULL"), nullable=True)
    measured_accounts: Mapped[int | None] = mapped_column(Integer, nullable=True)
    measured_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    measured_note: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (
        CheckConstraint("status in ('identified','quantified','accepted','in_progress','closed','rejected')",
                        name="ck_gaps_status"),
    )


class GapEvidence(Base):
    __tablename__ = "gap_evidence"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    gap_id: Mapped[str] = mapped_column(ForeignKey("gaps.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[str | None] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), nullable=True)
    mo_id: Mapped[str | None] = mapped_column(ForeignKey("mos.id", ondelete="CASCADE"), nullable=True)


class SOP(Base):
    __tablename__ = "sops"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    version: Mapped[str] = mapped_column(String(16), default="1.0")
    owner: Mapped[str] = mapped_column(String(64), default="")
    last_review: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    next_review: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class SOPRollout(Base):
    __tablename__ = "sop_rollouts"
    sop_id: Mapped[str] = mapped_column(ForeignKey("sops.id", ondelete="CASCADE"), primary_key=True)
    team: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="not_started")
    version: Mapped[str | None] = mapped_column(String(16), nullable=True)
    planned_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    live_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    __table_args__ = (
        CheckConstraint("status in ('not_started','pilot','live','retired')", name="ck_sop_rollouts_status"),
    )


# --- roadmap -----------------------------------------------------------------------------------------------

class Initiative(Base):
    __tablename__ = "initiatives"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    workstream: Mapped[str] = mapped_column(String(64))
    owner: Mapped[str] = mapped_column(String(64), default="")
    horizon: Mapped[str] = mapped_column(String(8), default="next")
    start: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    end: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="not_started")
    status_note: Mapped[str] = mapped_column(Text, default="")
    ai_based: Mapped[bool] = mapped_column(Boolean, default=False)
    expected_roi_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    source_idea_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id", ondelete="SET NULL"), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (
        CheckConstraint("horizon in ('now','next','later')", name="ck_initiatives_horizon"),
        CheckConstraint("status in ('not_started','on_track','at_risk','off_track','done')",
                        name="ck_initiatives_status"),
    )


class Milestone(Base):
    __tablename__ = "milestones"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    initiative_id: Mapped[str] = mapped_column(ForeignKey("initiatives.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    due: Mapped[dt.date] = mapped_column(Date)
    done: Mapped[bool] = mapped_column(Boolean, default=False)


class Dependency(Base):
    __tablename__ = "dependencies"
    predecessor_id: Mapped[str] = mapped_column(ForeignKey("initiatives.id", ondelete="CASCADE"), primary_key=True)
    successor_id: Mapped[str] = mapped_column(ForeignKey("initiatives.id", ondelete="CASCADE"), primary_key=True)
    __table_args__ = (CheckConstraint("predecessor_id <> successor_id", name="ck_dependencies_not_self"),)


class Baseline(Base):
    __tablename__ = "baselines"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    snapshot: Mapped[list[Any]] = mapped_column(JSON)  # initiatives as they were: id, title, dates, status…


# --- workshops ---------------------------------------------------------------------------------------------

class WorkshopSession(Base):
    __tablename__ = "workshop_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    template: Mapped[str] = mapped_column(String(32))
    prompts: Mapped[list[str]] = mapped_column(JSON)
    facilitator: Mapped[str] = mapped_column(String(64))
    phase: Mapped[str] = mapped_column(String(16), default="brainstorm")
    votes_per_person: Mapped[int] = mapped_column(Integer, default=5)
    max_votes_per_idea: Mapped[int] = mapped_column(Integer, default=1)
    facilitator_votes: Mapped[bool] = mapped_column(Boolean, default=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    reveal: Mapped[str] = mapped_column(String(16), default="live")  # live | on_reveal
    revealed: Mapped[bool] = mapped_column(Boolean, default=False)
    participants_group: Mapped[bool] = mapped_column(Boolean, default=False)
    scoring: Mapped[str] = mapped_column(String(8), default="RICE")
    timer_ends_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # user names the facilitator named to run the session with them (None: nobody named yet)
    co_facilitators: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    __table_args__ = (
        CheckConstraint("phase in ('brainstorm','group','vote','score','wrapup','closed')", name="ck_ws_phase"),
        CheckConstraint("votes_per_person between 0 and 100", name="ck_ws_votes_per_person"),
        CheckConstraint("max_votes_per_idea between 1 and 100", name="ck_ws_max_votes_per_idea"),
    )


class Participant(Base):
    __tablename__ = "participants"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_sessions.id", ondelete="CASCADE"))
    display_name: Mapped[str] = mapped_column(String(64))
    user_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    is_facilitator: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("session_id", "display_name", name="uq_participants_name"),)


class Theme(Base):
    __tablename__ = "themes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_sessions.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    suggested: Mapped[bool] = mapped_column(Boolean, default=False)


class Idea(Base):
    __tablename__ = "ideas"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_sessions.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    prompt: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(String(500))
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # the intake idea this card was seeded from (the facilitator's "seed from intake"), so an initiative promoted
    # from the card traces back to whoever first raised it
    intake_idea_id: Mapped[str | None] = mapped_column(ForeignKey("intake_ideas.id", ondelete="SET NULL"),
                                                       nullable=True, index=True)


class Vote(Base):
    """One dot. `slot` numbers a person's dots and `idea_slot` the dots on one idea by that person, so the
    unique constraints make the limits hold even when two votes race."""

    __tablename__ = "votes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_sessions.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    slot: Mapped[int] = mapped_column(Integer)
    idea_slot: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (
        UniqueConstraint("participant_id", "slot", name="uq_votes_slot"),
        UniqueConstraint("participant_id", "idea_id", "idea_slot", name="uq_votes_idea_slot"),
        CheckConstraint("slot >= 0 and idea_slot >= 0", name="ck_votes_slots"),
    )


class Score(Base):
    __tablename__ = "scores"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_sessions.id", ondelete="CASCADE"), index=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    method: Mapped[str] = mapped_column(String(8))  # RICE | ICE
    reach: Mapped[float | None] = mapped_column(Float, nullable=True)
    impact: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    effort: Mapped[float | None] = mapped_column(Float, nullable=True)
    ease: Mapped[float | None] = mapped_column(Float, nullable=True)
    value: Mapped[float] = mapped_column(Float)
    scored_by: Mapped[str] = mapped_column(String(64))
    scored_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("idea_id", "method", name="uq_scores_idea_method"),)


# --- metrics notes -----------------------------------------------------------------------------------------

class FlashNote(Base):
    """The PM's free-text note for one week's flash report."""

    __tablename__ = "flash_notes"
    week_ending: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=func.now())
    updated_by: Mapped[str] = mapped_column(String(64))


class DemoMeta(Base):
    """Key/value facts about this state folder (e.g. which demo world was seeded, with which seed)."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# --- AI assist -----------------------------------------------------------------------------------------------

class AIUsage(Base):
    """One assisted action (an MO draft, an answer, theme names, a narrative) and what the user did with it.

    Rows with method `manual` are MOs written from notes without a draft: the baseline the time saved is measured
    against. `minutes` is from notes pasted to MO saved (drafts and manual rows that ended in a saved MO)."""

    __tablename__ = "ai_usage"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    feature: Mapped[str] = mapped_column(String(32))   # mo_draft | ask | theme_names | session_summary | narrative | mo_match
    method: Mapped[str] = mapped_column(String(128))   # offline method name, provider:model, or manual
    provider: Mapped[str] = mapped_column(String(32), default="offline")
    model: Mapped[str] = mapped_column(String(128), default="")
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    input_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    output_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    fallback: Mapped[str] = mapped_column(Text, default="")  # why the offline method answered instead, if it did
    outcome: Mapped[str] = mapped_column(String(16), default="pending")  # pending | accepted | edited | discarded
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    record_id: Mapped[str] = mapped_column(String(64), default="")  # the MO saved from it
    minutes: Mapped[float | None] = mapped_column(Float, nullable=True)
# --- share links -----------------------------------------------------------------------------------------------

class ShareLink(Base):
    """A read-only share link: what it shows (`scope`), who made it, until when, and whether it was revoked. The
    URL carries a token signing the same id, scope and expiry; this row is what revocation checks."""

    __tablename__ = "share_links"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    scope: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
# --- investigation case notes ------------------------------------------------------------------------------

class CaseNote(Base):
    """One investigation case's note, imported from a case file; emerging patterns cluster the recent ones."""

    __tablename__ = "case_notes"
    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    text: Mapped[str] = mapped_column(Text)
    marketplace: Mapped[str] = mapped_column(String(8), default="")
    site: Mapped[str] = mapped_column(String(32), default="")
    source_file: Mapped[str] = mapped_column(String(300), default="")
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


# --- idea intake ---------------------------------------------------------------------------------------------

class IntakeIdea(Base):
    """An idea anyone with a role submitted between workshops, and where triage took it.

    `reason` is the triage decision's reason, shown to the submitter. `merged_into` names the idea a merged one
    lives on in (not a foreign key: a backup restores rows in id order, and an older idea may merge into a newer
    one). `triaged_at` is the first move out of new; `decided_at` the latest accept, merge or decline."""

    __tablename__ = "intake_ideas"
    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # IDEA-0001
    title: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(Text)
    proposed_change: Mapped[str] = mapped_column(Text)
    expected_impact: Mapped[str] = mapped_column(Text, default="")
    affected_mos: Mapped[list[str]] = mapped_column(JSON, default=list)
    affected_rules: Mapped[list[str]] = mapped_column(JSON, default=list)
    affected_gaps: Mapped[list[str]] = mapped_column(JSON, default=list)
    ai_based: Mapped[bool] = mapped_column(Boolean, default=False)
    theme: Mapped[str] = mapped_column(String(64), default="")
    site: Mapped[str] = mapped_column(String(32), default="")
    team: Mapped[str] = mapped_column(String(64), default="")
    submitter: Mapped[str] = mapped_column(String(64), index=True)
    submitter_label: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(16), default="new")
    reason: Mapped[str] = mapped_column(Text, default="")
    merged_into: Mapped[str | None] = mapped_column(String(16), nullable=True)
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    triaged_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    triaged_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    __table_args__ = (
        CheckConstraint("status in ('new','under_review','accepted','merged','declined')",
                        name="ck_intake_ideas_status"),
        Index("ix_intake_ideas_status", "status"),
    )


class IntakeSupporter(Base):
    """One person backing an intake idea (a +1); a merge carries the merged idea's supporters, and its
    submitter, over to the idea it merges into (`via` says which)."""

    __tablename__ = "intake_supporters"
    idea_id: Mapped[str] = mapped_column(ForeignKey("intake_ideas.id", ondelete="CASCADE"), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    via: Mapped[str] = mapped_column(String(24), default="support")  # support | merged from IDEA-0004
