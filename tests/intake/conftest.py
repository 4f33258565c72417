"""Intake fixtures: a fixed clock, records to link to, and a helper that submits a plausible idea."""
import datetime as dt

import pytest

from rm_core.intake import submit_idea
from rm_core.store.db import write_session
from rm_core.store.models import MO, Gap, Rule

T0 = dt.datetime(2026, 3, 2, 9, 0)  # a Monday


def idea_fields(**kw):
    fields = dict(title="Flag payout bank changes right after listing gift cards",
                  problem="Sellers list gift cards, then change the payout bank account within a day.",
                  proposed_change="Add a rule on a payout-bank change within 24 hours of a gift-card listing.",
                  expected_impact="About 300 bad accounts a month caught before the first payout.",
                  site="India", team="RM India", theme="Detection & Rules")
    fields.update(kw)
    return fields


def submit(actor, at=T0, **kw):
    return submit_idea(actor, idea_fields(**kw), at=at)


@pytest.fixture
def linkables(state):
    with write_session() as s:
        s.add(MO(id="MO-0142", title="Forged utility bills then payout change", status="active"))
        s.add(MO(id="MO-0007", title="Gift card listing then bank swap", status="active"))
        s.add(Rule(id="R-0031", name="Payout change after listing", action="review"))
        s.add(Gap(id="GAP-0042", title="Bank-change events missing upstream", owning_team="Engineering"))
    return {"mos": ["MO-0142", "MO-0007"], "rule": "R-0031", "gap": "GAP-0042"}
