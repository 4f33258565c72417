"""A workshop session with a facilitator and three participants, ready for each test to move along."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from rm_core.identity import Actor
from rm_core.workshops import SessionView, create_session, facilitator_participant, join


@dataclass
class Workshop:
    session: SessionView
    facilitator: Actor
    host: int  # the facilitator's participant id
    ana: int
    ben: int
    cai: int

    @property
    def id(self) -> int:
        return self.session.id

    @property
    def prompt(self) -> str:
        return self.session.prompts[0]


def open_workshop(facilitator: Actor, **settings) -> Workshop:
    ws = create_session(facilitator, "OP1 2027 ideation", "op1_ideation", **settings)
    return Workshop(ws, facilitator, facilitator_participant(ws.id).id, join(ws.id, "Ana").id,
                    join(ws.id, "Ben").id, join(ws.id, "Cai").id)


@pytest.fixture
def workshop(state, facilitator) -> Workshop:
    return open_workshop(facilitator)
