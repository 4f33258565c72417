"""Upstream gaps page: empty state, open gaps by team, the loop, recording, quantifying and rejecting."""
import datetime as dt

from rm_core.store.models import utcnow
from rm_core.trackers import get_gap, move_gap, quantify_gap, record_gap
from tests.pages.conftest import app_test

PAGE = "pages/gaps.py"


def _seed(actor):
    t = utcnow() - dt.timedelta(days=20)
    a = record_gap(actor, title="No device id on mobile", owning_team="Engineering", identified_at=t)
    quantify_gap(actor, a.id, accounts=300, usd=120_000.0, method="90 days × avg", at=t + dt.timedelta(days=2))
    b = record_gap(actor, title="Model blind to sales velocity", owning_team="ML", identified_at=t)
    quantify_gap(actor, b.id, accounts=40, usd=9_000.0, method="sample", at=t + dt.timedelta(days=4))
    move_gap(actor, b.id, "accepted", at=t + dt.timedelta(days=5))
    move_gap(actor, b.id, "in_progress", at=t + dt.timedelta(days=6))
    move_gap(actor, b.id, "closed", note="retrained", at=t + dt.timedelta(days=15))
    return a, b


def test_an_empty_gap_tracker_says_what_to_do(state):
    at = app_test(PAGE).run()
    assert not at.exception
    assert any("Record the first one" in i.value for i in at.info)


def test_headline_and_gap_list_show_open_exposure(state, admin):
    a, _ = _seed(admin)
    at = app_test(PAGE).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Open gaps"] == "1" and metrics["Open exposure"] == "$120,000" and metrics["Closed"] == "1"
    assert list(at.dataframe[0].value["id"]) == [a.id]


def test_the_loop_tab_shows_time_in_each_stage(state, admin):
    _seed(admin)
    at = app_test(PAGE).run()
    stages = at.dataframe[1].value
    assert list(stages["stage"]) == ["Identified", "Quantified", "Accepted", "In progress"]
    assert list(stages["passed"]) == [2, 1, 1, 1]


def test_recording_then_rejecting_a_gap_from_the_page(state):
    at = app_test(PAGE).run()
    at.text_input(key="g-title").input("Refund reason codes not exposed")
    at.selectbox(key="g-team").set_value("Product")
    at.button(key="g-submit").click().run()
    assert not at.exception and any("Recorded GAP-0001" in s.value for s in at.success)
    k = "GAP-0001-identified"
    at.selectbox(key=f"m-to-{k}").set_value("rejected").run()
    at.button(key=f"m-go-{k}").click().run()
    assert any("reason" in e.value for e in at.error)
    at.text_input(key=f"m-note-{k}").input("Duplicate of an accepted gap")
    at.button(key=f"m-go-{k}").click().run()
    assert get_gap("GAP-0001").gap.status == "rejected"


def test_quantifying_from_the_page_moves_the_gap_to_quantified(state, admin):
    gap = record_gap(admin, title="x", owning_team="ML")
    at = app_test(PAGE).run()
    at.text_input(key="u-gap-id").input(gap.id).run()
    at.number_input(key=f"q-acc-{gap.id}").set_value(12)
    at.number_input(key=f"q-usd-{gap.id}").set_value(3400.0)
    at.text_input(key=f"q-method-{gap.id}").input("counted by hand")
    at.button(key=f"q-save-{gap.id}").click().run()
    assert not at.exception
    g = get_gap(gap.id).gap
    assert (g.status, g.impact_accounts, g.impact_usd) == ("quantified", 12, 3400.0)


def test_the_export_is_written_on_demand_and_neutralises_formula_cells(state, admin):
    record_gap(admin, title="=HYPERLINK(\"http://x\")", owning_team="ML")
    at = app_test(PAGE).run()
    assert not any(b.label == "Download gaps (CSV)" for b in at.get("download_button"))  # nothing written yet
    at.button(key="export-gaps-prepare").click().run()
    assert not at.exception
    csv = at.session_state["export-gaps-csv"]
    assert "'=HYPERLINK" in csv and "\n=HYPERLINK" not in csv and ",=HYPERLINK" not in csv
    assert any(b.label == "Download gaps (CSV)" for b in at.get("download_button"))


def test_a_viewer_gets_the_export_but_no_import(state, admin):
    from rm_core.identity import Actor

    _seed(admin)
    at = app_test(PAGE)
    at.session_state["actor"] = Actor("vic", "viewer")
    at.run()
    assert not at.exception
    assert any("needs the editor role" in c.value for c in at.caption)
    assert not at.button(key="export-gaps-prepare").disabled
    assert "import-gaps-go" not in [b.key for b in at.button]


def test_the_update_tab_names_an_unknown_gap_id_and_opens_a_known_one(state, admin):
    a, _ = _seed(admin)
    at = app_test(PAGE).run()
    assert any("Enter a gap id" in i.value for i in at.info)
    at.text_input(key="u-gap-id").input("gap-9999").run()
    assert not at.exception and any("GAP-9999" in e.value for e in at.error)
    at.text_input(key="u-gap-id").input(a.id.lower()).run()  # ids are matched whatever their case
    assert any(m.value.startswith(f"**{a.id} ·") for m in at.markdown)
