"""The router and Home: every registered page runs, and Home's numbers are the database's."""
import datetime as dt

from sqlalchemy import func, select

from rm_core.store.db import read_session, write_session
from rm_core.store.models import MO, Gap, Initiative, Request, Rule
from tests.pages.conftest import app_test


def _seed_a_little():
    now = dt.datetime.now()
    with write_session() as s:
        s.add_all([MO(id=f"MO-{i:04d}", title=f"MO {i}", status="active" if i % 2 else "draft") for i in range(7)])
        s.add_all([Rule(id=f"R-{i:04d}", name=f"rule {i}", status="active" if i < 4 else "retired") for i in range(6)])
        s.add_all([Request(id=f"REQ-{i:05d}", kind="partner_request", title="deep dive", status="new",
                           opened_at=now - dt.timedelta(days=d), sla_due=now) for i, d in enumerate([1, 9, 20, 45, 90, 91])])
        s.add(Gap(id="GAP-0001", title="no device id on mobile", owning_team="Engineering"))
        s.add(Initiative(id="INI-001", title="Device graph", workstream="Detection & Rules", status="at_risk"))


def test_app_runs_and_every_registered_page_renders(state):
    import app

    _seed_a_little()
    at = app_test("app.py").run()
    assert not at.exception
    for _section, path, title, _icon in app.PAGES:
        at.switch_page(path).run()
        assert not at.exception, f"{title}: {[e.value for e in at.exception]}"


def test_home_numbers_match_the_database(state):
    _seed_a_little()
    at = app_test("app.py").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    with read_session() as s:
        assert metrics["MOs documented"] == str(s.scalar(select(func.count()).select_from(MO)))
        assert metrics["Active MOs"] == "3"
        assert metrics["Active rules"] == "4"
        assert metrics["Open requests"] == "6"
        assert metrics["Open upstream gaps"] == "1"


def test_home_on_an_empty_workbench_says_what_to_do(state):
    at = app_test("app.py").run()
    assert any("demo seed" in i.value for i in at.info)


def test_sidebar_shows_the_signed_in_user_and_role(state):
    at = app_test("app.py").run()
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "tester" in captions and "admin" in captions
