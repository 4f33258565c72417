"""Roadmap page: the editor's view with its edit controls and share section, and the signed read-only link."""
from __future__ import annotations

import pytest

from rm_core import links
from rm_core import roadmap as rm
from rm_core.identity import Actor, set_role
from tests.pages.conftest import app_test

PAGE = "pages/roadmap.py"
EDITOR = Actor("eddie", "editor", "Eddie Editor")
VIEWER = Actor("vic", "viewer", "Vic Viewer")


@pytest.fixture
def seeded(state):
    """Two workstreams, a baseline "OP1 approved", then INI-002 slips and goes off track."""
    set_role(Actor("ada", "admin"), "priya", "editor")
    a = rm.create_initiative(EDITOR, title="Seller identity graph", workstream="Detection", owner="priya",
                             horizon="now", start="2026-01-05", end="2026-03-31", status="on_track", ai_based=True,
                             expected_roi_usd=1_200_000)
    b = rm.create_initiative(EDITOR, title="Payout bank-change alerts", workstream="Detection", owner="priya",
                             horizon="next", start="2026-03-01", end="2026-06-30")
    rm.create_initiative(EDITOR, title="SOP parity with BRP", workstream="Operations", owner="priya",
                         horizon="later", start="2026-07-01", end="2026-09-30")
    rm.add_dependency(EDITOR, a, b)
    rm.save_baseline(EDITOR, "OP1 approved")
    rm.update_initiative(EDITOR, b, end="2026-08-31")
    rm.set_status(EDITOR, b, "off_track", "Payments API slipped a quarter")
    return state


def run_as(actor: Actor, **params):
    at = app_test(PAGE)
    at.session_state["actor"] = actor
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def through_a_link(scope_roadmap: dict, **params):
    """The app (router included) opened with a fresh share link to the roadmap with these filters."""
    link = links.create_link(EDITOR, links.LinkScope(("roadmap",), scope_roadmap))
    at = app_test("app.py")
    at.query_params["share"] = link.token
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def texts(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [w.value for w in at.warning])


def test_an_editor_sees_every_tab_and_the_edit_controls(seeded):
    at = run_as(EDITOR)
    assert not at.exception
    assert [t.label for t in at.tabs] == ["Timeline", "Now / Next / Later", "Status", "What moved",
                                          "Dependencies", "Edit"]
    assert any(b.label == "Save grid changes" for b in at.button)
    assert {"Add initiative", "Save status", "Save baseline", "Add dependency"} <= {b.label for b in at.button}
    body = texts(at)
    assert "**Payout bank-change alerts** · INI-002 · priya" in body
    assert "Payments API slipped a quarter" in body
    assert "Path to green missing" in body
    assert "share-create" in [b.key for b in at.button]


def test_the_old_view_parameter_changes_nothing(seeded):
    at = run_as(EDITOR, view="leadership")
    assert not at.exception
    assert at.tabs[-1].label == "Edit" and "share-create" in [b.key for b in at.button]


def test_an_editor_makes_a_link_of_the_current_filters_lists_and_revokes_it(seeded):
    at = run_as(EDITOR, workstream="Operations", baseline="OP1 approved")
    at.number_input(key="share-days").set_value(7)
    at.button(key="share-create").click().run()
    assert not at.exception
    [made] = links.list_links(EDITOR)
    assert made.scope.roadmap == {"workstream": ["Operations"], "baseline": "OP1 approved", "zoom": "all",
                                  "period": None}
    assert (made.expires_at - made.created_at).days == 7
    assert any(links.link_path(made) in c.value for c in at.code)
    at.button(key=f"share-revoke-{made.id}").click().run()
    assert links.list_links(EDITOR)[0].status() == "revoked"
    assert links.link_from_token(made.token) is None


def test_the_leadership_link_is_read_only_and_shows_what_slipped_since_the_baseline(seeded):
    at = through_a_link({"baseline": "OP1 approved"})  # the app's local user is an admin: the link decides
    assert not at.exception
    assert at.session_state["actor"].via == "link" and at.session_state["actor"].read_only
    assert [t.label for t in at.tabs] == ["Timeline", "Now / Next / Later", "Status", "What moved", "Dependencies"]
    labels = {b.label for b in at.button}
    assert not labels & {"Save grid changes", "Add initiative", "Save status", "Save baseline", "Add dependency"}
    assert "Slipped since OP1 approved" in [m.label for m in at.metric]
    assert next(m.value for m in at.metric if m.label.startswith("Slipped")) == "1"
    moved = at.tabs[3].dataframe[0].value  # the "What moved" tab
    assert list(moved["id"]) == ["INI-002"]
    assert list(moved["change"]) == ["Slipped"] and list(moved["shift"]) == [62]
    assert "share-create" not in [b.key for b in at.button]


def test_the_links_filters_hold_whatever_the_url_asks(seeded):
    at = through_a_link({"workstream": ["Operations"], "zoom": "quarter", "period": "2026-Q3"},
                        workstream="Detection")  # widening by the URL is ignored
    assert not at.exception
    assert not at.multiselect  # nothing to widen the view with
    assert next(m.value for m in at.metric if m.label == "Initiatives") == "1"
    assert "Seller identity graph" not in texts(at) and "SOP parity with BRP" in texts(at)


def test_a_link_to_a_workstream_that_no_longer_exists_shows_nothing_rather_than_everything(seeded):
    at = through_a_link({"workstream": ["Gone"]})
    assert not at.exception
    assert next(m.value for m in at.metric if m.label == "Initiatives") == "0"


def test_filters_in_the_url_narrow_the_editors_view_and_stay_in_the_url(seeded):
    at = run_as(VIEWER, workstream="Operations", zoom="quarter", period="2026-Q3")
    assert not at.exception
    assert at.multiselect(key="rm_workstreams").value == ["Operations"]
    assert at.selectbox(key="rm_quarter").value == "2026-Q3"
    assert next(m.value for m in at.metric if m.label == "Initiatives") == "1"
    at.multiselect(key="rm_workstreams").select("Detection").run()
    assert sorted(at.query_params["workstream"]) == ["Detection", "Operations"]


def test_an_editor_adds_an_initiative_with_an_end_before_its_start_and_reads_why_it_was_refused(seeded):
    at = run_as(EDITOR)
    inputs = {t.label: t for t in at.text_input}
    inputs["Title"].input("Refund abuse model")
    ws = next(s for s in at.selectbox if s.label == "Workstream")
    ws.set_value("Detection")
    dates = {d.label: d for d in at.date_input}
    dates["Start"].set_value("2026-05-01")
    dates["End"].set_value("2026-04-01")
    next(b for b in at.button if b.label == "Add initiative").click().run()
    assert not at.exception
    assert any("end 2026-04-01 is before start 2026-05-01" in e.value for e in at.error)
    assert len(rm.load_plan().items) == 3


def test_an_editor_saves_a_baseline_and_the_page_reports_it(seeded):
    at = run_as(EDITOR)
    next(t for t in at.text_input if t.label.startswith("Save the roadmap")).input("Q3 review")
    next(b for b in at.button if b.label == "Save baseline").click().run()
    assert not at.exception
    assert [s.value for s in at.success][0] == "Baseline saved: Q3 review."
    assert [b.name for b in rm.list_baselines()] == ["Q3 review", "OP1 approved"]


def test_a_viewer_without_the_link_still_gets_no_edit_controls(seeded):
    at = run_as(VIEWER)
    assert not at.exception
    assert "Edit" not in [t.label for t in at.tabs]
    assert not {b.label for b in at.button} & {"Save grid changes", "Save status", "Save baseline"}


def test_an_empty_roadmap_tells_an_editor_where_to_start(state):
    at = run_as(EDITOR)
    assert not at.exception
    assert "No initiatives yet" in at.info[0].value


def test_an_editor_moves_an_initiative_to_amber_with_a_path_to_green(seeded):
    at = run_as(EDITOR)
    at.session_state["rm_history_of"] = "INI-003"
    at.run()
    status = next(s for s in at.selectbox if s.label == "Status")
    status.set_value("at_risk")
    next(t for t in at.text_area if t.label == "Status note (dated today)").input("BRP staffing unclear")
    next(t for t in at.text_area if t.label == "Actions").input("Borrow two analysts from Costa Rica")
    next(s for s in at.selectbox if s.label == "Owner of the path to green").set_value("priya")
    next(d for d in at.date_input if d.label == "Due").set_value("2026-08-01")
    next(b for b in at.button if b.label == "Save status").click().run()
    assert not at.exception
    assert [s.value for s in at.success][0] == "Status of INI-003 saved."
    [path] = rm.path_to_green_history("INI-003")
    assert (path.rag, path.owner, path.actions) == ("amber", "priya", "Borrow two analysts from Costa Rica")
    assert rm.status_history("INI-003")[0].note == "BRP staffing unclear"
    assert "Borrow two analysts from Costa Rica" in texts(at)


def test_a_dependency_that_closes_a_cycle_is_refused_on_the_page_with_the_cycle(seeded):
    rm.add_dependency(EDITOR, "INI-002", "INI-003")
    at = run_as(EDITOR)
    boxes = [s for s in at.selectbox if s.label in ("This initiative", "waits on")]
    boxes[0].set_value("INI-001")
    boxes[1].set_value("INI-003")
    next(b for b in at.button if b.label == "Add dependency").click().run()
    assert not at.exception
    from rm_core.text import md_escape

    expected = md_escape("cycle in dependencies: INI-003 → INI-001 → INI-002 → INI-003")  # shown as typed text
    assert any(expected in e.value for e in at.error)


EVIL = "[x](https://evil.example) :red[ALERT] $x$"


def test_a_crafted_baseline_name_shows_escaped_on_the_leadership_link(seeded):
    from rm_core.text import md_escape

    rm.save_baseline(EDITOR, EVIL)
    at = through_a_link({"baseline": EVIL})
    assert not at.exception
    escaped = md_escape(EVIL)
    assert f"Slipped since {escaped}" in [m.label for m in at.metric]
    assert any(f"Since **{escaped}**" in m.value for m in at.markdown)
    assert "[x](https://evil.example)" not in texts(at)
