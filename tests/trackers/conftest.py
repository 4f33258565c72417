"""Tracker fixtures: an MO and an initiative to link to, and a fixed clock."""
import datetime as dt

import pytest

from rm_core.store.db import write_session
from rm_core.store.models import MO, Initiative

T0 = dt.datetime(2026, 3, 2, 9, 0)  # a Monday


@pytest.fixture
def linkables(state):
    with write_session() as s:
        s.add(MO(id="MO-0142", title="Forged utility bills then payout change", status="active"))
        s.add(Initiative(id="INI-012", title="Stream bank-change events to risk", workstream="Detection"))
    return {"mo": "MO-0142", "initiative": "INI-012"}
