import datetime as dt

import pytest
from sqlalchemy import inspect, select

from rm_core.audit import latest_events, record_event, snapshot
from rm_core.store.db import get_engine, read_session, write_session
from rm_core.store.migrate import current_revision, head_revision
from rm_core.store.models import MO, AuditEvent, Base, Initiative, Rule, RuleEvent, Vote

pytestmark = pytest.mark.postgres


def test_migrations_from_empty_create_every_table(state, backend):
    assert current_revision() == head_revision()
    tables = set(inspect(get_engine()).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables


def test_an_mo_round_trips_with_lists_and_dates(state, backend):
    with write_session() as s:
        s.add(MO(id="MO-0001", title="Forged utility bills at onboarding", marketplaces=["US", "IN"],
                 signals=["same device", "new bank"], first_seen=dt.date(2025, 3, 1), severity="S2",
                 status="active", narrative="Sellers register with *forged* bills <b>then</b> list gift cards."))
    with read_session() as s:
        mo = s.get(MO, "MO-0001")
        assert mo.marketplaces == ["US", "IN"] and mo.first_seen == dt.date(2025, 3, 1)
        assert mo.narrative.startswith("Sellers register with *forged*")


def test_a_failed_write_transaction_leaves_nothing_behind(state, backend):
    with pytest.raises(Exception):
        with write_session() as s:
            s.add(Rule(id="R-0001", name="velocity", status="active"))
            s.flush()
            s.add(Rule(id="R-0002", name="bad status", status="deleted"))  # violates the status check
            s.flush()
    with read_session() as s:
        assert s.scalars(select(Rule)).all() == []


def test_audit_event_commits_with_the_change_and_lists_changed_fields(state, backend):
    with write_session() as s:
        rule = Rule(id="R-0007", name="new device + bank change", status="active")
        s.add(rule)
        s.flush()
        before = snapshot(rule)
        rule.status = "candidate"
        s.add(RuleEvent(rule_id="R-0007", from_status="active", to_status="candidate", actor="ada",
                        reason="precision 4%"))
        record_event(s, "ada", "rule.propose", "rule", "R-0007", before, snapshot(rule))
    with read_session() as s:
        [entry] = latest_events(s)
        assert (entry.actor, entry.action, entry.record_id, entry.changed) == ("ada", "rule.propose", "R-0007",
                                                                               ["status"])


def test_vote_slots_are_unique_per_participant(state, backend):
    from rm_core.store.models import Idea, Participant, WorkshopSession

    with write_session() as s:
        ws = WorkshopSession(code="ABC123", title="OP1", template="op1", prompts=["Start"], facilitator="fran")
        s.add(ws)
        s.flush()
        p = Participant(session_id=ws.id, display_name="Ravi")
        s.add(p)
        s.flush()
        idea = Idea(session_id=ws.id, participant_id=p.id, prompt="Start", text="Share device graph")
        s.add(idea)
        s.flush()
        s.add(Vote(session_id=ws.id, participant_id=p.id, idea_id=idea.id, slot=0, idea_slot=0))
        ids = (ws.id, p.id, idea.id)
    with pytest.raises(Exception):
        with write_session() as s:
            s.add(Vote(session_id=ids[0], participant_id=ids[1], idea_id=ids[2], slot=0, idea_slot=1))
    with read_session() as s:
        assert len(s.scalars(select(Vote)).all()) == 1


def test_dependency_on_itself_is_refused(state, backend):
    from rm_core.store.models import Dependency

    with write_session() as s:
        s.add(Initiative(id="INI-001", title="Device graph", workstream="Detection & Rules"))
    with pytest.raises(Exception):
        with write_session() as s:
            s.add(Dependency(predecessor_id="INI-001", successor_id="INI-001"))


def test_backup_and_restore_round_trip(state, backend, admin, tmp_path):
    from rm_core.state import backup_state, restore_state

    with write_session() as s:
        s.add(MO(id="MO-0009", title="Gift card laundering", first_seen=dt.date(2024, 2, 29)))
        record_event(s, "ada", "mo.create", "mo", "MO-0009")
    counts = backup_state(admin, tmp_path / "b.zip")
    assert counts["mos"] == 1
    with write_session() as s:
        s.get(MO, "MO-0009").title = "changed"
    restore_state(admin, tmp_path / "b.zip")
    with read_session() as s:
        assert s.get(MO, "MO-0009").title == "Gift card laundering"
        assert s.get(MO, "MO-0009").first_seen == dt.date(2024, 2, 29)
        assert s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all() == ["mo.create", "state.restore"]
    with write_session() as s:  # ids keep counting after a restore (PostgreSQL sequences moved on)
        record_event(s, "ada", "mo.edit", "mo", "MO-0009")
