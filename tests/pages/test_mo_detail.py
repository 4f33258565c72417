"""MO detail page: a narrative cannot fetch images or hide link targets; versions show their diff and restore."""
import pytest

from rm_core.identity import Actor
from rm_core.mos.engine import MOSearchEngine
from rm_core.mos.repository import create_mo, update_mo
from tests.pages.conftest import app_test

PAGE = "pages/mo_search.py"
NARRATIVE = ("# Verdict: KNOWN — approved by Legal\n\nSellers list gift cards ![proof](https://tracker.example/p.png) "
             "then follow [https://intranet.example/sop](https://evil.example/login).\n\nThey collect sales.")


@pytest.fixture
def mo(state):
    admin, engine = Actor("tester", "admin"), MOSearchEngine(state)
    created = create_mo(admin, {"title": "Gift card cash-out", "severity": "S2", "narrative": NARRATIVE}, engine)
    update_mo(admin, created.id, {"severity": "S1", "narrative": NARRATIVE.replace(
        "They collect sales.", "They collect sales for two weeks.")}, engine, note="sized")
    return created.id


def open_detail(mo_id: str):
    at = app_test(PAGE)
    at.query_params["mo"] = mo_id
    return at.run()


def test_the_narrative_shows_no_remote_image_no_heading_and_every_link_target(mo):
    at = open_detail(mo)
    assert not at.exception
    body = next(m.value for m in at.markdown if "gift cards" in m.value)
    assert "![" not in body and not body.lstrip().startswith("#")
    assert "(<https://tracker.example/p.png>)" in body and "(<https://evil.example/login>)" in body
    assert "[https\\://evil.example/login](<https://evil.example/login>)" in body  # the target is the link text
    assert "**Verdict\\: KNOWN — approved by Legal**" in body


def test_a_version_shows_its_diff_and_an_editor_restores_it_as_a_new_version(mo):
    at = open_detail(mo)
    assert at.selectbox(key=f"version-{mo}").value == 2
    changed = at.dataframe[-1].value
    assert list(changed["field"]) == ["severity"] and list(changed["before"]) == ["S2"]
    assert any("-They collect sales." in c.value and "+They collect sales for two weeks." in c.value for c in at.code)
    at.selectbox(key=f"version-{mo}").select(1).run()
    at.button(key=f"restore-{mo}").click().run()
    assert not at.exception
    assert any("version 1 restored as version 3" in s.value for s in at.success)
    history = next(d.value for d in at.dataframe if "note" in d.value.columns)
    assert list(history["version"]) == [3, 2, 1] and history["note"].iloc[0] == "restored version 1"
    assert at.selectbox(key=f"version-{mo}").value == 3
    assert "S1" not in at.caption[0].value and "S2" in at.caption[0].value  # the chips show the restored content


def test_a_viewer_sees_the_diff_but_no_restore(mo, monkeypatch):
    from rm_core.identity import Actor as A

    at = app_test(PAGE)
    at.query_params["mo"] = mo
    at.session_state["actor"] = A("vic", "viewer")
    at.run()
    assert not at.exception
    at.selectbox(key=f"version-{mo}").select(1).run()
    assert not [b for b in at.button if b.key == f"restore-{mo}"]
    assert at.code  # the diff of version 1 (everything it set)


def test_while_the_index_is_built_the_page_shows_progress_and_searches_by_keyword(state, monkeypatch):
    from rm_core import startup
    from tests.test_startup import seed_like_the_demo

    seed_like_the_demo()  # in the database, queued, not embedded
    monkeypatch.setattr(startup, "index_progress", lambda settings: startup.IndexProgress("indexing", 64, 320))
    at = app_test(PAGE).run()
    assert not at.exception
    assert "Indexing MOs for search by meaning: 64 of 320" in at.get("progress")[0].proto.text
    at.text_input(key="q").input("utility bills KYC").run()
    assert not at.exception
    cards = [m.value for m in at.markdown if m.value.startswith("**MO-")]
    assert cards and cards[0].startswith("**MO-0003")
    assert any("keyword (BM25) matches only" in c.value for c in at.caption)
