"""Duplicate suggestions on submit: a planted near-duplicate idea and a roadmap initiative are found, with the
MO search's embeddings; unrelated text finds nothing."""
import pytest

from rm_core.intake import merge_idea, similar_records, similar_to_idea
from rm_core.store.db import write_session
from rm_core.store.models import Initiative
from tests.intake.conftest import submit


@pytest.fixture
def backlog(state, editor):
    with write_session() as s:
        s.add(Initiative(id="INI-007", title="LLM triage of partner requests", workstream="AI & Automation",
                         description="A model proposes priority and owner for each partner request."))
        s.add(Initiative(id="INI-008", title="Shared escalation playbook with Seller Ops", workstream="Partner"))
    planted = submit(editor, title="Hold first payout after a bank change for new sellers",
                     problem="New sellers change the payout bank account and cash out at once.",
                     proposed_change="Hold the first payout for 7 days after any bank-account change.")
    other = submit(editor, title="Monthly MO write-up training for new hires",
                   problem="New analysts write MOs in different shapes.",
                   proposed_change="Run a monthly session on the MO write-up standard.")
    return planted, other


def test_a_near_duplicate_idea_is_suggested_first_before_saving(backlog):
    planted, _ = backlog
    found = similar_records("Hold payouts of new sellers who change their bank account",
                            "Sellers switch the payout bank account right after registering and cash out.",
                            "Delay the first payout by 7 days after a bank change.")
    assert [(f.kind, f.id) for f in found] == [("idea", planted.id)]
    assert found[0].status == "New" and 0.35 <= found[0].score <= 1


def test_a_roadmap_initiative_saying_the_same_is_suggested(backlog):
    found = similar_records("Use an LLM to triage partner requests",
                            "Partner requests wait while analysts triage them by hand.",
                            "A model proposes priority and owner for each partner request.")
    assert found[0].kind == "initiative" and found[0].id == "INI-007" and found[0].label == "Roadmap initiative"


def test_unrelated_text_finds_nothing(backlog):
    assert similar_records("Better coffee machine for the office", "People are tired.", "Buy one.") == []


def test_merged_ideas_are_not_suggested_and_triage_leaves_the_idea_itself_out(backlog, editor):
    planted, _ = backlog
    twin = submit(editor, title=planted.title, problem=planted.problem, proposed_change=planted.proposed_change)
    assert [f.id for f in similar_to_idea(twin.id)] == [planted.id]
    merge_idea(editor, twin.id, planted.id)
    assert [f.id for f in similar_records(planted.title, planted.problem, planted.proposed_change)] == [planted.id]


def test_an_empty_query_or_empty_workbench_suggests_nothing(state):
    assert similar_records("") == []
    assert similar_records("Hold first payout after a bank change") == []
