"""Two replicas behind the proxy share one state: what a user does on replica A is seen on replica B, and a
user whose replica dies carries on on the other one after a reload, losing nothing that was acknowledged."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_exception, open_page, shot, wait_for_app

pytestmark = pytest.mark.scaled
SEARCH = "Describe what you are seeing, or type an MO id or keywords"


def served_by(page, base: str) -> str:
    """The replica the proxy sends this browser's requests to (it names it in X-RM-Replica)."""
    return page.request.get(f"{base}/_stcore/health").headers["x-rm-replica"]


def index_settled(page) -> None:
    """Wait until the replica's background MO indexing is done: its progress bar goes and the page reruns whole
    (which would fold an expander the test has opened)."""
    expect(page.get_by_test_id("stProgress")).to_have_count(0)
    wait_for_app(page)


def create_mo(page, base: str, title: str) -> str:
    open_page(page, base, "mo_search")
    index_settled(page)
    page.get_by_role("tab", name="New MO").click()
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Create MO"))
    form.get_by_role("textbox", name="Title", exact=True).fill(title)
    form.get_by_role("textbox", name="Summary", exact=True).fill("Created through the proxy while two replicas share PostgreSQL and Chroma.")
    form.get_by_role("button", name="Create MO").click()
    wait_for_app(page)
    page.wait_for_url(re.compile(r"mo=MO-\d+"))
    mo_id = re.search(r"mo=(MO-\d+)", page.url).group(1)
    expect(page.get_by_role("heading", name=re.compile(mo_id))).to_be_visible()
    return mo_id


def test_the_proxy_pins_each_browser_to_its_replica(scaled, on_replica):
    base, _ = scaled
    a, b = on_replica("a"), on_replica("b")
    assert (served_by(a, base), served_by(b, base)) == ("a", "b")
    fresh = on_replica("none")  # an unknown cookie value: the proxy picks a replica and sets the cookie
    response = fresh.request.get(f"{base}/_stcore/health")
    assert response.text() == "ok" and response.headers["x-rm-replica"] in ("a", "b")


def test_an_idea_added_on_replica_a_appears_on_the_board_served_by_replica_b(scaled, on_replica):
    base, _ = scaled
    facilitator, participant = on_replica("b"), on_replica("a")
    open_page(facilitator, base, "workshops")
    facilitator.get_by_label("Title").fill("Scaled OP1")
    facilitator.get_by_role("button", name="Create session").click()
    wait_for_app(facilitator)
    facilitator.wait_for_url(re.compile(r"session=\d+"))
    session_id = re.search(r"session=(\d+)", facilitator.url).group(1)

    open_page(participant, base, f"workshops?session={session_id}")
    participant.get_by_label("Display name").fill("Pat on A")
    participant.get_by_role("button", name="Join the session").click()
    wait_for_app(participant)
    idea = f"Hold payouts after a bank change ({uuid.uuid4().hex[:6]})"
    participant.get_by_placeholder("One idea per card…").first.fill(idea)
    participant.get_by_role("button", name="Add idea").first.click()
    wait_for_app(participant)
    expect(participant.get_by_text(idea)).to_be_visible()

    # The board on B refreshes every 1.5 s from the shared database: no reload, a couple of intervals at most.
    expect(facilitator.get_by_text(idea)).to_be_visible(timeout=3_000)
    assert (served_by(facilitator, base), served_by(participant, base)) == ("b", "a")
    assert_no_exception(facilitator)
    shot(facilitator, "scaled-board-on-b")


def test_an_mo_saved_through_replica_a_is_found_by_search_on_replica_b(scaled, on_replica):
    base, _ = scaled
    word = "zq" + uuid.uuid4().hex[:8]
    a, b = on_replica("a"), on_replica("b")
    mo_id = create_mo(a, base, f"Refund loop through relisted gift cards {word}")

    open_page(b, base, "mo_search")
    box = b.get_by_label(SEARCH)
    box.fill(word)
    box.press("Enter")
    wait_for_app(b)
    card = b.locator('[data-testid="stMarkdownContainer"]').filter(has_text=f"{mo_id} · ").filter(visible=True)
    expect(card.first).to_be_visible()
    assert served_by(b, base) == "b"
    assert_no_exception(b)


def _status(page) -> str:
    line = page.locator('[data-testid="stMarkdownContainer"]').filter(has_text=re.compile(r"^Status:")).first
    expect(line).to_be_visible()
    return line.inner_text().split(":", 1)[1].strip()


def test_a_rule_moved_on_replica_a_shows_its_new_state_on_replica_b(scaled, on_replica):
    base, _ = scaled
    a, b = on_replica("a"), on_replica("b")
    open_page(a, base, "rules_whatif")
    a.get_by_role("tab", name="Lifecycle").click()
    before = _status(a)
    a.get_by_label("Reason (kept with the rule)").fill("moved on replica A by the scaled test")
    a.get_by_role("button", name="Move", exact=True).click()
    wait_for_app(a)
    expect(a.locator('[data-testid="stMarkdownContainer"]').filter(has_text=re.compile(r"^Status:"))
           .first).not_to_have_text(re.compile(rf"^Status: {before}$"))
    after = _status(a)

    open_page(b, base, "rules_whatif")
    b.get_by_role("tab", name="Lifecycle").click()
    assert _status(b) == after != before
    assert served_by(b, base) == "b"


def test_when_replica_a_dies_the_next_action_reaches_b_after_a_reload_and_nothing_acknowledged_is_lost(
        scaled, on_replica):
    base, run = scaled
    page = on_replica("a")
    mo_id = create_mo(page, base, f"Account takeover via recycled phone numbers {uuid.uuid4().hex[:6]}")
    assert served_by(page, base) == "a"
    run("kill-replica", "a")  # a crash, mid-session: the browser's WebSocket to A is open
    try:
        page.reload()
        wait_for_app(page)
        # The MO acknowledged on A is there, served by B; the user's next action (an edit) lands on B.
        expect(page.get_by_role("heading", name=re.compile(mo_id))).to_be_visible()
        assert served_by(page, base) == "b"
        index_settled(page)
        page.get_by_text("Edit this MO").click()
        form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Save MO"))
        form.get_by_role("textbox", name="Summary", exact=True).fill("Edited on replica B after replica A went away.")
        form.get_by_role("textbox", name="What changed (kept in the history)").fill("summary after the fail-over")
        form.get_by_role("button", name="Save MO").click()
        wait_for_app(page)
        expect(page.get_by_text(re.compile(r"· version 2 ·"))).to_be_visible()
        expect(page.get_by_test_id("stMarkdownContainer").filter(
            has_text="Summary. Edited on replica B after replica A went away.")).to_be_visible()
        assert served_by(page, base) == "b"
        assert_no_exception(page)
        shot(page, "scaled-after-failover")
    finally:
        run("start-replica", "a")
