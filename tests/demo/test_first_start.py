"""`make run` seeds on first start only: `demo seed --if-empty` succeeds without touching existing data."""
from sqlalchemy import func, select

from rm_core.cli import main
from rm_core.identity import Actor
from rm_core.mos.repository import create_mo
from rm_core.store.db import read_session
from rm_core.store.models import MO


def test_if_empty_leaves_existing_data_alone(state, capsys):
    create_mo(Actor("tester", "admin"), {"title": "My own MO, not demo data"})
    assert main(["demo", "seed", "--scale", "small", "--if-empty"]) == 0
    assert "not seeding" in capsys.readouterr().out
    with read_session() as s:
        assert s.scalar(select(func.count()).select_from(MO)) == 1


def test_without_if_empty_seeding_over_data_is_refused_with_exit_2(state, capsys):
    create_mo(Actor("tester", "admin"), {"title": "My own MO, not demo data"})
    assert main(["demo", "seed", "--scale", "small"]) == 2
    assert "error:" in capsys.readouterr().err
