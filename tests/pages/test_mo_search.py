"""MO page: search with filters in the URL, detail with history, edit, known-MO check, coverage."""
import pytest

from rm_core.identity import Actor
from rm_core.mos.engine import MOSearchEngine
from rm_core.mos.repository import create_mo
from tests.pages.conftest import app_test

PAGE = "pages/mo_search.py"
MOS = [
    {"title": "Forged utility bills at onboarding", "abuse_family": "identity fraud", "stage": "onboarding",
     "site": "India", "status": "active", "severity": "S2", "marketplaces": "US;IN",
     "narrative": "New sellers upload utility bills edited in a PDF tool to pass identity checks."},
    {"title": "Gift card cash-out through new listings", "abuse_family": "payment and gift-card fraud",
     "stage": "monetization", "site": "Costa Rica", "status": "active", "severity": "S1", "marketplaces": "US",
     "narrative": "Stolen cards buy gift cards that are resold through freshly created listings."},
    {"title": "<b>Review rings</b> on launch week", "abuse_family": "review manipulation", "stage": "positioning",
     "site": "India", "status": "draft", "severity": "S3", "marketplaces": "DE",
     "narrative": "A ring of buyer accounts posts five-star reviews in the first week after launch."},
]


@pytest.fixture
def seeded(state):
    admin = Actor("tester", "admin")
    engine = MOSearchEngine(state)
    for data in MOS:
        create_mo(admin, data, engine)
    return state


def test_search_lists_cards_and_puts_query_and_filters_in_the_url(seeded):
    at = app_test(PAGE).run()
    assert not at.exception
    at.text_input(key="q").input("gift card resale listings").run()
    assert not at.exception
    assert any("MO-0002" in m.value for m in at.markdown)
    assert at.query_params["q"] in ("gift card resale listings", ["gift card resale listings"])
    at.multiselect(key="f-site").select("India").run()
    cards = [m.value for m in at.markdown if m.value.startswith("**MO-")]
    assert cards and all("India" in c for c in cards)
    assert at.query_params["site"] in ("India", ["India"])


def test_a_shared_link_restores_query_and_filters(seeded):
    at = app_test(PAGE)
    at.query_params["q"] = "reviews"
    at.query_params["severity"] = "S3"
    at.run()
    assert at.text_input(key="q").value == "reviews"
    assert at.multiselect(key="f-severity").value == ["S3"]
    assert any("MO-0003" in m.value for m in at.markdown)


def test_html_in_a_title_is_shown_as_text(seeded):
    at = app_test(PAGE)
    at.query_params["q"] = "review rings"
    at.run()
    card = next(m.value for m in at.markdown if "MO-0003" in m.value)
    assert "\\<b\\>Review rings\\</b\\>" in card


def test_opening_an_mo_shows_detail_history_and_edit_saves_a_version(seeded):
    at = app_test(PAGE)
    at.query_params["mo"] = "MO-0001"
    at.run()
    assert not at.exception
    assert "MO-0001 · Forged utility bills at onboarding" in [h.value for h in at.header]
    at.text_input[-1].input("severity raised after Sev2")  # the "what changed" note
    at.selectbox(key=None) if False else None
    form_select = [s for s in at.selectbox if s.label == "Severity"][0]
    form_select.select("S1")
    [b for b in at.button if b.label == "Save MO"][0].click().run()
    assert not at.exception
    history = next(d.value for d in at.dataframe if "note" in d.value.columns)
    assert list(history["version"]) == [2, 1] and history["note"].iloc[0] == "severity raised after Sev2"


def test_known_mo_check_gives_a_verdict_naming_the_mo_with_a_link_and_the_evidence(seeded):
    at = app_test(PAGE).run()
    # one run for the text and the click, as a form sends them: the first click checks what was typed
    at.text_area(key="notes").input("Utility bills edited in a PDF tool are uploaded by new sellers to pass the "
                                    "identity checks at onboarding.")
    [b for b in at.button if b.label == "Check"][0].click().run()
    assert not at.exception
    table = [d.value for d in at.dataframe if "match score" in d.value.columns][0]
    assert table["mo_id"].iloc[0] == "MO-0001"
    assert table["open"].iloc[0] == "?mo=MO-0001"
    verdict = [m.value for m in [*at.success, *at.warning] if "Evidence:" in m.value][0]
    assert "[MO-0001 · Forged utility bills at onboarding](?mo=MO-0001)" in verdict
    assert "Evidence: shares\\: utility" in verdict  # md_escape keeps the colon literal
    assert any("strength" in c.value and "salient words aligned" in c.value for c in at.caption)


def test_check_with_empty_notes_says_what_to_paste(seeded):
    at = app_test(PAGE).run()
    [b for b in at.button if b.label == "Check"][0].click().run()
    assert not at.exception and any("Paste the notes first" in w.value for w in at.warning)


def test_coverage_lists_mos_without_rules(seeded):
    at = app_test(PAGE).run()
    cov = [d.value for d in at.dataframe if "gap" in d.value.columns][0]
    assert set(cov["mo_id"]) == {"MO-0001", "MO-0002", "MO-0003"}


def test_empty_repository_says_what_to_do(state):
    at = app_test(PAGE).run()
    assert not at.exception
    assert any("No MOs yet" in i.value for i in at.info)


EVIL = "[x](https://evil.example) :red[ALERT] $x$"


def test_a_crafted_title_shows_escaped_in_the_detail_header_and_the_similar_buttons(seeded):
    from rm_core.text import md_escape

    create_mo(Actor("tester", "admin"), {
        "title": EVIL, "abuse_family": "identity fraud", "stage": "onboarding", "site": "India", "status": "active",
        "narrative": "Sellers upload edited utility bills to pass identity checks at onboarding."},
        MOSearchEngine(seeded))
    escaped = md_escape(EVIL)
    at = app_test(PAGE)
    at.query_params["mo"] = "MO-0004"
    at.run()
    assert not at.exception
    assert [h.value for h in at.header] == [f"MO-0004 · {escaped}"]
    at = app_test(PAGE)
    at.query_params["mo"] = "MO-0001"
    at.run()
    similar = next(b.label for b in at.button if b.key == "sim-MO-0004")
    assert similar.startswith(f"MO-0004 · {escaped} (")
    assert not any("[x](https://evil.example)" in b.label for b in at.button)


def test_the_duplicate_finder_lists_an_mo_written_up_twice_and_sees_a_new_save(seeded):
    at = app_test(PAGE).run()
    at.toggle(key="dups").set_value(True).run()
    assert not at.exception
    assert any("No pair of MOs is this similar" in i.value for i in at.info)
    twin = dict(MOS[0], title="Forged utility bills during onboarding")
    create_mo(Actor("tester", "admin"), twin, MOSearchEngine(seeded))
    at.run()  # the save changed the index's generation: the cached pairs are not reused
    pairs = [d.value for d in at.dataframe if "similarity" in d.value.columns][0]
    assert (pairs["first"][0], pairs["second"][0]) == ("MO-0001", "MO-0004")
    assert pairs["similarity"][0] >= 0.88
