"""SOPs page: empty state, parity figures, registering an SOP and setting a team's rollout."""
import datetime as dt

from rm_core.store.db import read_session
from rm_core.store.models import SOPRollout
from rm_core.trackers import register_sop, set_rollout
from tests.pages.conftest import app_test

PAGE = "pages/sops.py"


def test_an_empty_registry_says_what_to_do(state):
    at = app_test(PAGE).run()
    assert not at.exception
    assert any("Register the first one" in i.value for i in at.info)


def test_parity_and_overdue_reviews_are_shown(state, admin):
    a = register_sop(admin, title="ATO triage", next_review=dt.date.today() - dt.timedelta(days=3))
    register_sop(admin, title="COE write-up", next_review=dt.date.today() + dt.timedelta(days=30))
    for team in ("RM India", "RM Costa Rica", "BRP NA", "BRP EU", "BRP APAC"):
        set_rollout(admin, a.id, team, "live")
    at = app_test(PAGE).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["SOP parity"] == "50%" and metrics["Reviews overdue"] == "1" and metrics["Teams lagging"] == "5"
    by_team = at.dataframe[0].value
    assert list(by_team["parity_pct"]) == [50.0] * 5


def test_registering_and_rolling_out_from_the_page(state):
    at = app_test(PAGE).run()
    at.text_input(key="s-title").input("Linked-account investigation")
    at.text_input(key="s-version").input("2.1")
    at.button(key="s-submit").click().run()
    assert not at.exception and any("Registered SOP-001" in s.value for s in at.success)
    at.selectbox(key="ro-team-SOP-001").set_value("BRP EU")
    at.selectbox(key="ro-status-SOP-001").set_value("pilot")
    at.button(key="ro-go-SOP-001").click().run()
    assert not at.exception
    with read_session() as s:
        row = s.get(SOPRollout, ("SOP-001", "BRP EU"))
        assert (row.status, row.version) == ("pilot", "2.1")
