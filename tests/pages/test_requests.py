"""Requests & escalations page: empty state, queue and ageing from seeded data, filing and moving a request."""
import datetime as dt

from rm_core.store.models import utcnow
from rm_core.trackers import file_request, get_request, move_request
from tests.pages.conftest import app_test

PAGE = "pages/requests_escalations.py"


def _seed(actor):
    now = utcnow()
    late = file_request(actor, kind="exec_escalation", title="VP escalation on gift cards", requester_team="BRP NA",
                        priority="P1", owner="tester", opened_at=now - dt.timedelta(days=40))
    fresh = file_request(actor, kind="partner_request", title="New ring in DE", requester_team="BRP EU",
                         priority="P3", opened_at=now - dt.timedelta(days=1))
    return late, fresh


def test_an_empty_tracker_tells_a_new_user_what_to_do(state):
    at = app_test(PAGE).run()
    assert not at.exception
    assert any("File the first one" in i.value for i in at.info)


def test_queue_lists_open_requests_most_at_risk_first_with_sla_colours(state, admin):
    late, fresh = _seed(admin)
    at = app_test(PAGE).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Open requests"] == "2" and metrics["Overdue"] == "1" and metrics["Open > 30 days"] == "1"
    table = at.dataframe[0].value
    assert list(table["id"]) == [late.id, fresh.id]
    assert list(table["sla"]) == ["🔴 red", "🟢 green"]


def test_my_items_filter_shows_only_my_requests(state, admin):
    late, _ = _seed(admin)
    at = app_test(PAGE).run()
    at.toggle(key="q-mine").set_value(True).run()
    assert list(at.dataframe[0].value["id"]) == [late.id]


def test_filing_a_request_from_the_form(state):
    at = app_test(PAGE).run()
    at.selectbox(key="f-kind").set_value("sev2_action")
    at.selectbox(key="f-priority").set_value("P1")
    at.selectbox(key="f-team").set_value("ML")
    at.text_input(key="f-title").input("Follow up Sev2 on payout changes")
    at.button(key="f-submit").click().run()
    assert not at.exception
    assert any("Filed REQ-00001" in s.value for s in at.success)
    r = get_request("REQ-00001").request
    assert (r.kind, r.priority, r.requester_team) == ("sev2_action", "P1", "ML")
    assert r.sla_due - r.opened_at == dt.timedelta(days=1)


def test_filing_without_a_title_shows_the_message_not_a_traceback(state):
    at = app_test(PAGE).run()
    at.selectbox(key="f-team").set_value("ML")
    at.button(key="f-submit").click().run()
    assert not at.exception
    assert any("title is required" in e.value for e in at.error)


def test_moving_a_request_to_resolved_needs_a_root_cause(state, admin):
    _, fresh = _seed(admin)
    move_request(admin, fresh.id, "triaged")
    move_request(admin, fresh.id, "in_progress")
    at = app_test(PAGE).run()
    at.text_input(key="u-id").input(fresh.id).run()
    k = f"{fresh.id}-in_progress"
    at.selectbox(key=f"u-to-{k}").set_value("resolved").run()
    at.button(key=f"u-move-{k}").click().run()
    assert any("root-cause category" in e.value for e in at.error)
    at.selectbox(key=f"u-cause-{k}").set_value("signal_gap")
    at.text_area(key=f"u-cause-note-{k}").input("Bank-change events not streamed")
    at.button(key=f"u-move-{k}").click().run()
    assert not at.exception
    assert get_request(fresh.id).request.status == "resolved"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Resolved (7 days)"] == "1" and metrics["Within SLA (7 days)"] == "100%"
    assert metrics["Open requests"] == "1"


def test_viewers_see_no_edit_forms(state, admin, monkeypatch):
    _seed(admin)
    at = app_test(PAGE)
    from rm_core.identity import Actor
    at.session_state["actor"] = Actor("vic", "viewer")
    at.run()
    assert not at.exception
    assert any("needs the editor or admin role" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "f-submit"]


def test_free_text_team_and_owner_show_escaped_in_the_request_header(state, admin):
    from rm_core.text import md_escape

    evil = "[x](https://evil.example) :red[ALERT] $x$"
    req = file_request(admin, kind="partner_request", title="Ring", requester_team=evil, owner=evil)
    at = app_test(PAGE).run()
    at.text_input(key="u-id").input(req.id).run()
    assert not at.exception
    header = next(c.value for c in at.caption if "requested by" in c.value)
    assert f"requested by {md_escape(evil)} · owner {md_escape(evil)} · SLA due" in header
    at.text_input(key="u-id").input("req-[x](https://evil.example)").run()  # the page upper-cases the id
    assert [e.value for e in at.error] == [md_escape("No request 'REQ-[X](HTTPS://EVIL.EXAMPLE)'; check the id (list "
                                                     "them on the page or with the CLI).")]
