"""initial schema: every domain record

Revision ID: 0001
Revises: 
Create Date: 2026-11-28 17:48:39.044730
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('record_type', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_record', ['record_type', 'record_id'], unique=False)

    op.create_table('baselines',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('flash_notes',
    sa.Column('week_ending', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('week_ending')
    )
    op.create_table('hit_logs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=64), nullable=False),
    sa.Column('current', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('index_outbox',
    sa.Column('mo_id', sa.String(length=32), nullable=False),
    sa.Column('op', sa.String(length=8), nullable=False),
    sa.Column('queued_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('mo_id')
    )
    op.create_table('meta',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('mos',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('aliases', sa.JSON(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('narrative', sa.Text(), nullable=False),
    sa.Column('abuse_family', sa.String(length=64), nullable=False),
    sa.Column('stage', sa.String(length=32), nullable=False),
    sa.Column('signals', sa.JSON(), nullable=False),
    sa.Column('mediums', sa.JSON(), nullable=False),
    sa.Column('marketplaces', sa.JSON(), nullable=False),
    sa.Column('site', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('severity', sa.String(length=4), nullable=False),
    sa.Column('confidence', sa.String(length=16), nullable=False),
    sa.Column('first_seen', sa.Date(), nullable=True),
    sa.Column('last_seen', sa.Date(), nullable=True),
    sa.Column('documented_at', sa.Date(), nullable=True),
    sa.Column('mitigated_at', sa.Date(), nullable=True),
    sa.Column('est_accounts', sa.Integer(), nullable=True),
    sa.Column('est_exposure_usd', sa.Float(), nullable=True),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.CheckConstraint("severity in ('S1','S2','S3','S4')", name='ck_mos_severity'),
    sa.CheckConstraint("status in ('draft','active','dormant','mitigated','retired')", name='ck_mos_status'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('paths_to_green',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('record_type', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.String(length=120), nullable=False),
    sa.Column('rag', sa.String(length=8), nullable=False),
    sa.Column('actions', sa.Text(), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=False),
    sa.Column('due', sa.Date(), nullable=True),
    sa.Column('blockers', sa.Text(), nullable=False),
    sa.Column('decision_needed', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('paths_to_green', schema=None) as batch_op:
        batch_op.create_index('ix_ptg_record', ['record_type', 'record_id', 'created_at'], unique=False)

    op.create_table('rules',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('shadow_until', sa.Date(), nullable=True),
    sa.Column('created_at', sa.Date(), nullable=True),
    sa.CheckConstraint("action in ('block','review','monitor')", name='ck_rules_action'),
    sa.CheckConstraint("status in ('active','candidate','shadow','retired')", name='ck_rules_status'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('sops',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('version', sa.String(length=16), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=False),
    sa.Column('last_review', sa.Date(), nullable=True),
    sa.Column('next_review', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('status_changes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('record_type', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('from_status', sa.String(length=32), nullable=True),
    sa.Column('to_status', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('status_changes', schema=None) as batch_op:
        batch_op.create_index('ix_status_changes_record', ['record_type', 'record_id', 'at'], unique=False)

    op.create_table('users',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("role in ('viewer','editor','facilitator','admin')", name='ck_users_role'),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('workshop_sessions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('template', sa.String(length=32), nullable=False),
    sa.Column('prompts', sa.JSON(), nullable=False),
    sa.Column('facilitator', sa.String(length=64), nullable=False),
    sa.Column('phase', sa.String(length=16), nullable=False),
    sa.Column('votes_per_person', sa.Integer(), nullable=False),
    sa.Column('max_votes_per_idea', sa.Integer(), nullable=False),
    sa.Column('facilitator_votes', sa.Boolean(), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('reveal', sa.String(length=16), nullable=False),
    sa.Column('revealed', sa.Boolean(), nullable=False),
    sa.Column('participants_group', sa.Boolean(), nullable=False),
    sa.Column('scoring', sa.String(length=8), nullable=False),
    sa.Column('timer_ends_at', sa.DateTime(), nullable=True),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("phase in ('brainstorm','group','vote','score','wrapup','closed')", name='ck_ws_phase'),
    sa.CheckConstraint('max_votes_per_idea between 1 and 100', name='ck_ws_max_votes_per_idea'),
    sa.CheckConstraint('votes_per_person between 0 and 100', name='ck_ws_votes_per_person'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('mo_versions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('mo_id', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('changed_by', sa.String(length=64), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['mo_id'], ['mos.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('mo_id', 'version', name='uq_mo_versions')
    )
    op.create_table('participants',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('display_name', sa.String(length=64), nullable=False),
    sa.Column('user_name', sa.String(length=64), nullable=True),
    sa.Column('is_facilitator', sa.Boolean(), nullable=False),
    sa.Column('joined_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['workshop_sessions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('session_id', 'display_name', name='uq_participants_name')
    )
    op.create_table('rule_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('rule_id', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=False),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('approver', sa.String(length=64), nullable=True),
    sa.Column('shadow_days', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['rule_id'], ['rules.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rule_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rule_events_rule_id'), ['rule_id'], unique=False)

    op.create_table('rule_mos',
    sa.Column('rule_id', sa.String(length=32), nullable=False),
    sa.Column('mo_id', sa.String(length=32), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['mo_id'], ['mos.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['rules.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('rule_id', 'mo_id')
    )
    with op.batch_alter_table('rule_mos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rule_mos_mo_id'), ['mo_id'], unique=False)

    op.create_table('sop_rollouts',
    sa.Column('sop_id', sa.String(length=32), nullable=False),
    sa.Column('team', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('version', sa.String(length=16), nullable=True),
    sa.Column('planned_date', sa.Date(), nullable=True),
    sa.Column('live_date', sa.Date(), nullable=True),
    sa.CheckConstraint("status in ('not_started','pilot','live','retired')", name='ck_sop_rollouts_status'),
    sa.ForeignKeyConstraint(['sop_id'], ['sops.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('sop_id', 'team')
    )
    op.create_table('themes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('suggested', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['workshop_sessions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_themes_session_id'), ['session_id'], unique=False)

    op.create_table('ideas',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('prompt', sa.String(length=200), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['workshop_sessions.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ideas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ideas_session_id'), ['session_id'], unique=False)

    op.create_table('initiatives',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('workstream', sa.String(length=64), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=False),
    sa.Column('horizon', sa.String(length=8), nullable=False),
    sa.Column('start', sa.Date(), nullable=True),
    sa.Column('end', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_note', sa.Text(), nullable=False),
    sa.Column('ai_based', sa.Boolean(), nullable=False),
    sa.Column('expected_roi_usd', sa.Float(), nullable=True),
    sa.Column('source_idea_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("horizon in ('now','next','later')", name='ck_initiatives_horizon'),
    sa.CheckConstraint("status in ('not_started','on_track','at_risk','off_track','done')", name='ck_initiatives_status'),
    sa.ForeignKeyConstraint(['source_idea_id'], ['ideas.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('scores',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('reach', sa.Float(), nullable=True),
    sa.Column('impact', sa.Float(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('effort', sa.Float(), nullable=True),
    sa.Column('ease', sa.Float(), nullable=True),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('scored_by', sa.String(length=64), nullable=False),
    sa.Column('scored_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['idea_id'], ['ideas.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['workshop_sessions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idea_id', 'method', name='uq_scores_idea_method')
    )
    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scores_session_id'), ['session_id'], unique=False)

    op.create_table('votes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('idea_slot', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('slot >= 0 and idea_slot >= 0', name='ck_votes_slots'),
    sa.ForeignKeyConstraint(['idea_id'], ['ideas.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['workshop_sessions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('participant_id', 'idea_id', 'idea_slot', name='uq_votes_idea_slot'),
    sa.UniqueConstraint('participant_id', 'slot', name='uq_votes_slot')
    )
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_votes_idea_id'), ['idea_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_votes_session_id'), ['session_id'], unique=False)

    op.create_table('dependencies',
    sa.Column('predecessor_id', sa.String(length=32), nullable=False),
    sa.Column('successor_id', sa.String(length=32), nullable=False),
    sa.CheckConstraint('predecessor_id <> successor_id', name='ck_dependencies_not_self'),
    sa.ForeignKeyConstraint(['predecessor_id'], ['initiatives.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['successor_id'], ['initiatives.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('predecessor_id', 'successor_id')
    )
    op.create_table('gaps',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('missing', sa.Text(), nullable=False),
    sa.Column('owning_team', sa.String(length=64), nullable=False),
    sa.Column('impact_accounts', sa.Integer(), nullable=True),
    sa.Column('impact_usd', sa.Float(), nullable=True),
    sa.Column('impact_method', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('identified_at', sa.DateTime(), nullable=False),
    sa.Column('quantified_at', sa.DateTime(), nullable=True),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('rejected_reason', sa.Text(), nullable=False),
    sa.Column('initiative_id', sa.String(length=32), nullable=True),
    sa.Column('measured_accounts', sa.Integer(), nullable=True),
    sa.Column('measured_usd', sa.Float(), nullable=True),
    sa.Column('measured_note', sa.Text(), nullable=False),
    sa.CheckConstraint("status in ('identified','quantified','accepted','in_progress','closed','rejected')", name='ck_gaps_status'),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiatives.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('milestones',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('initiative_id', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('due', sa.Date(), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiatives.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestones_initiative_id'), ['initiative_id'], unique=False)

    op.create_table('requests',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('requester_team', sa.String(length=64), nullable=False),
    sa.Column('priority', sa.String(length=4), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=False),
    sa.Column('site', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('sla_due', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('root_cause_category', sa.String(length=64), nullable=True),
    sa.Column('root_cause_note', sa.Text(), nullable=False),
    sa.Column('mo_id', sa.String(length=32), nullable=True),
    sa.Column('gap_id', sa.String(length=32), nullable=True),
    sa.CheckConstraint("kind in ('partner_request','deep_dive','sev2_action','exec_escalation','coe_action')", name='ck_requests_kind'),
    sa.CheckConstraint("status in ('new','triaged','in_progress','blocked','resolved','closed')", name='ck_requests_status'),
    sa.ForeignKeyConstraint(['gap_id'], ['gaps.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['mo_id'], ['mos.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_requests_opened_at'), ['opened_at'], unique=False)
        batch_op.create_index('ix_requests_status', ['status'], unique=False)

    op.create_table('gap_evidence',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('gap_id', sa.String(length=32), nullable=False),
    sa.Column('request_id', sa.String(length=32), nullable=True),
    sa.Column('mo_id', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['gap_id'], ['gaps.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mo_id'], ['mos.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('gap_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gap_evidence_gap_id'), ['gap_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('gap_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gap_evidence_gap_id'))

    op.drop_table('gap_evidence')
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.drop_index('ix_requests_status')
        batch_op.drop_index(batch_op.f('ix_requests_opened_at'))

    op.drop_table('requests')
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestones_initiative_id'))

    op.drop_table('milestones')
    op.drop_table('gaps')
    op.drop_table('dependencies')
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_votes_session_id'))
        batch_op.drop_index(batch_op.f('ix_votes_idea_id'))

    op.drop_table('votes')
    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scores_session_id'))

    op.drop_table('scores')
    op.drop_table('initiatives')
    with op.batch_alter_table('ideas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ideas_session_id'))

    op.drop_table('ideas')
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_themes_session_id'))

    op.drop_table('themes')
    op.drop_table('sop_rollouts')
    with op.batch_alter_table('rule_mos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rule_mos_mo_id'))

    op.drop_table('rule_mos')
    with op.batch_alter_table('rule_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rule_events_rule_id'))

    op.drop_table('rule_events')
    op.drop_table('participants')
    op.drop_table('mo_versions')
    op.drop_table('workshop_sessions')
    op.drop_table('users')
    with op.batch_alter_table('status_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_status_changes_record')

    op.drop_table('status_changes')
    op.drop_table('sops')
    op.drop_table('rules')
    with op.batch_alter_table('paths_to_green', schema=None) as batch_op:
        batch_op.drop_index('ix_ptg_record')

    op.drop_table('paths_to_green')
    op.drop_table('mos')
    op.drop_table('meta')
    op.drop_table('index_outbox')
    op.drop_table('hit_logs')
    op.drop_table('flash_notes')
    op.drop_table('baselines')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_record')
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))

    op.drop_table('audit_events')
