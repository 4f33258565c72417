"""The idea intake carried into a workshop, in a real browser: an analyst's accepted idea is seeded onto a new OP1
board, the card names who first raised it, and its link opens that idea on the Ideas page."""
import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT, assert_no_exception, open_page, shot, wait_for_app

pytestmark = pytest.mark.browser

TITLE = "Browser seeded: hold refunds to gift cards after an email change"

ACCEPT = f"""
from rm_core.identity import Actor
from rm_core.intake import move_idea, submit_idea
analyst = Actor("sana", "viewer", "Sana Seller-Risk")
editor = Actor("eddie", "editor", "Eddie Editor")
idea = submit_idea(analyst, dict(title={TITLE!r}, problem="Refunds go to gift cards right after an email change.",
                                 proposed_change="Hold those refunds for a day.", site="Costa Rica",
                                 theme="Detection & Rules"))
move_idea(editor, idea.id, "under_review")
move_idea(editor, idea.id, "accepted", reason="Strong for OP1.")
print(idea.id)
"""


def accepted_idea(env) -> str:
    """An analyst's idea, triaged to accepted through the intake service in the served state folder."""
    done = subprocess.run([sys.executable, "-c", ACCEPT], env=env, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_an_accepted_idea_is_seeded_onto_the_board_and_links_back_to_who_raised_it(served_env, served_app, page):
    idea_id = accepted_idea(served_env)

    open_page(page, served_app, "workshops")
    page.get_by_label("Title").fill("Browser OP1 from the intake")
    page.get_by_role("button", name="Create session").click()
    wait_for_app(page)
    page.wait_for_url(re.compile(r"session=\d+"))

    # a new session's board is empty, so the seeding panel is open
    seeding = page.get_by_test_id("stExpander").filter(has_text="Seed the board from the idea intake")
    expect(seeding.get_by_text("Ideas to put on the board")).to_be_visible()
    # the accepted idea is offered (preselected, as every accepted idea not yet on the board is)
    expect(seeding.get_by_test_id("stMultiSelect").filter(has_text="Ideas to put on the board")
           ).to_contain_text(idea_id)
    seeding.get_by_role("button", name="Put them on the board").click()
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"Put \d+ ideas? from the intake on the board\."))).to_be_visible()

    card = page.get_by_test_id("stMarkdownContainer").filter(has_text=TITLE).filter(has_text=idea_id)
    expect(card.first).to_contain_text(f"from the idea intake {idea_id}, raised by Sana Seller-Risk")
    link = card.first.get_by_role("link", name=idea_id)
    href = link.get_attribute("href")
    assert href.endswith(f"/ideas?idea={idea_id}")
    assert_no_exception(page)
    shot(page, "intake-seeded-board")

    # the link opens the idea itself on the Ideas page: who raised it, and that it is on this board
    open_page(page, served_app, href.split("/", 3)[3] if href.startswith("http") else href.lstrip("/"))
    expect(page.get_by_text(f"{idea_id} · {TITLE}")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Accepted for OP1 · raised by Sana Seller-Risk"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"On the board of workshop “Browser OP1 from the intake”"))).to_be_visible()
    assert_no_exception(page)
