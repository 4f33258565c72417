"""A fresh `make run` server: it serves before the MOs are embedded, its sidebar never lists the files in pages/,
a click in its first moment works, and the MO page shows indexing progress and searches by keyword meanwhile.
(Completion of the background work and the search by meaning after it: tests/test_startup.py and
bench/bench_startup.py; on this shared 2-core machine embedding 320 MOs can take over five minutes.)

Runs its own server on a freshly seeded state folder (nothing indexed yet), started the way `make run` does.
"""
from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (RECORD_NAV, ROOT, SHOWN, assert_no_exception, browser_env, serve, shot,
                                    wait_for_app)

pytestmark = pytest.mark.browser
SEARCH = "Describe what you are seeing, or type an MO id or keywords"


def make_run_server(home):
    """`make run` after seeding: serve.py on a free port (the index is brought up to date in the background)."""
    env = {**browser_env(home), "RM_EMBEDDINGS": "local"}  # the real model: its warm-up is part of what is tested
    return serve(home, env)


@pytest.fixture
def fresh_world(tmp_path):
    home = tmp_path / "fresh-state"
    env = browser_env(home)
    subprocess.run([sys.executable, "-m", "rm_core", "db", "upgrade"], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    seed = subprocess.run([sys.executable, "-m", "rm_core", "demo", "seed", "--scale", "small"], env=env, cwd=ROOT,
                          capture_output=True, text=True)
    assert seed.returncode == 0, seed.stderr[-2000:]
    return home


def queued(home) -> int:
    with sqlite3.connect(home / "workbench.db", timeout=30) as db:
        return db.execute("select count(*) from index_outbox").fetchone()[0]


def test_a_fresh_server_serves_first_and_indexes_in_the_background(fresh_world, browser):
    import app

    titles = {title for _s, _p, title, _i in app.PAGES + app.ADMIN_PAGES}  # the local user is admin
    assert queued(fresh_world) >= 300  # seeded, nothing embedded yet
    with make_run_server(fresh_world) as base:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(RECORD_NAV)
        page = context.new_page()
        try:
            page.goto(base)
            # the first link that appears is clicked at once: it must be a real page, and the click must work
            first = page.locator('[data-testid="stSidebarNavLink"]').filter(has_text="MO search")
            first.click(timeout=60_000)
            wait_for_app(page)
            expect(page.get_by_role("heading", name="MO repository")).to_be_visible()
            assert "/mo_search" in page.url
            assert set(page.evaluate(SHOWN)) <= titles, page.evaluate(SHOWN)  # never pages/*.py, never _ui

            # still indexing: progress is shown and search answers by keyword
            assert queued(fresh_world) > 0, "the server waited for the index before serving"
            expect(page.get_by_text("keyword search works meanwhile", exact=False)).to_be_visible()
            box = page.get_by_label(SEARCH)
            box.fill("utility bills edited to pass identity checks")
            box.press("Enter")
            caption = page.locator('[data-testid="stCaptionContainer"]').filter(has_text=" MOs · ")
            expect(caption.first).to_be_visible()
            if queued(fresh_world) > 0:
                assert "keyword (BM25) matches only" in caption.first.inner_text()
            expect(page.locator('[data-testid="stMarkdownContainer"]').filter(has_text="MO-0").first).to_be_visible()
            shot(page, "fresh-start-keyword-search-while-indexing")
            assert_no_exception(page)

            assert set(page.evaluate(SHOWN)) <= titles
        finally:
            context.close()
