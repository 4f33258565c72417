"""MO page, Emerging patterns tab: clusters of unlinked notes with nearest MOs, and drafting an MO from one."""
import datetime as dt

import pytest

from rm_core.identity import Actor
from rm_core.mos.case_notes import import_case_notes
from rm_core.mos.engine import MOSearchEngine
from rm_core.mos.repository import create_mo
from tests.pages.conftest import app_test

PAGE = "pages/mo_search.py"
AD_CLICKS = ["Bots keep clicking the sponsored product ads of a rival seller to drain its advertising budget",
             "A click farm hits this seller's sponsored ads every night and the advertising budget is gone",
             "Scripted clicks on sponsored product ads from rotating proxies drain the seller's ad budget",
             "Sponsored ads of the seller get thousands of bot clicks and the advertising budget runs out",
             "Rival seller runs bots clicking our sponsored product ads; advertising budget drained daily",
             "Headless browsers click the seller's sponsored ads all day, draining the advertising budget"]


@pytest.fixture
def admin():
    return Actor("tester", "admin")


@pytest.fixture
def with_notes(state, admin):
    engine = MOSearchEngine(state)
    create_mo(admin, {"title": "Gift card cash-out through new listings", "status": "active",
                      "narrative": "Stolen cards buy gift cards that are resold through freshly created listings."},
              engine)
    rows = ["case_id,opened_at,text"] + [f'C-{i},2026-11-{i + 2:02d},"{text}"' for i, text in enumerate(AD_CLICKS)]
    import_case_notes(admin, ("\n".join(rows) + "\n").encode(), "cases.csv")
    return state


def _cluster_cards(at):
    return [m.value for m in at.markdown if m.value.startswith("**1. ")]


def test_clusters_show_with_nearest_mos_and_drafting_prefills_the_new_mo_form(with_notes):
    at = app_test(PAGE).run()
    assert not at.exception
    at.date_input(key="emerging-since").set_value(dt.date(2026, 10, 1)).run()
    assert not _cluster_cards(at)  # nothing is computed until asked
    at.toggle(key="emerging-on").set_value(True).run()
    assert not at.exception
    cards = _cluster_cards(at)
    assert len(cards) == 1 and "sponsor" in cards[0] and "likely a new MO" in cards[0]
    assert int(cards[0].split("\n")[1].split(" notes")[0]) >= 5
    assert any(b.key == "em-1-MO-0001" for b in at.button)
    examples = [m.value for m in at.markdown if m.value.startswith("**Example notes**")][0]
    assert "C-0" in examples and "sponsored" in examples
    at.button(key="em-draft-1").click().run()
    assert not at.exception
    notes = at.session_state["mo_draft_notes"]
    assert notes.count("\n\n") == 4 and "sponsored" in notes
    title = [t for t in at.text_input if t.label == "Title"][-1]
    assert title.value.startswith("Emerging: ")
    assert [a for a in at.text_area if a.label == "Narrative"][-1].value == notes


def test_an_empty_window_tells_a_new_user_what_to_do(state):
    at = app_test(PAGE).run()
    at.toggle(key="emerging-on").set_value(True).run()
    assert not at.exception
    assert any("Import a case file" in i.value for i in at.info)
