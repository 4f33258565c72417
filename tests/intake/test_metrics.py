"""Intake metrics on the WBR, from the demo world's intake (rm_core/demo/intake.py lists every idea with its days;
the numbers below are counted by hand from that table). Weeks end on Sunday; the anchor, Sun 22 Nov 2026, ends
the last of the six weeks."""
import datetime as dt

import pytest

from rm_core.demo import seed_demo
from rm_core.intake import list_ideas
from rm_core.metrics.risk_deck import compute_source, risk_source
from rm_core.metrics.sources import load_risk_data

WEEK = dt.date(2026, 11, 22)


@pytest.fixture(scope="module")
def demo_deck(tmp_path_factory):
    import os

    from rm_core.settings import get_settings, load_settings
    from rm_core.store.db import dispose_engines
    from rm_core.store.migrate import upgrade

    home = tmp_path_factory.mktemp("intake-demo")
    old = {k: os.environ.get(k) for k in ("RM_HOME", "RM_EMBEDDINGS", "RM_DATABASE_URL")}
    os.environ.update(RM_HOME=str(home), RM_EMBEDDINGS="hash")
    os.environ.pop("RM_DATABASE_URL", None)
    get_settings.cache_clear()
    dispose_engines()
    settings = get_settings()
    upgrade(settings)
    seed_demo(settings, scale="small")
    result = compute_source(risk_source(load_risk_data()), WEEK)
    ideas = list_ideas()
    yield result, ideas
    dispose_engines()
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    get_settings.cache_clear()
    assert load_settings  # imported for symmetry with tests/conftest.py


def _lines(result):
    return {line.name: line for line in result.series()}


def _table(result, title):
    """The table block's rows: header -> its six weekly values (then QTD and YTD)."""
    block = next(b for b in result.blocks if getattr(b, "title", "") == title)
    return block.headers, {r.header: r.values for r in block.rows}


def test_the_demo_intake_is_written_through_the_service_with_its_triage(demo_deck):
    _, ideas = demo_deck
    assert len(ideas) == 16
    by_status = {}
    for i in ideas:
        by_status[i.status] = by_status.get(i.status, 0) + 1
    assert by_status == {"accepted": 7, "declined": 2, "merged": 2, "under_review": 2, "new": 3}


def test_ideas_submitted_per_week_by_site(demo_deck):
    headers, rows = _table(demo_deck[0], "Ideas submitted per week by site")
    assert [rows[site][:6] for site in ("India", "Costa Rica", "Partner teams", "All sites")] == [
        [1, 2, 1, 1, 2, 1], [1, 0, 1, 1, 1, 2], [0, 1, 0, 1, 0, 0], [2, 3, 2, 3, 3, 3]]
    assert _lines(demo_deck[0])["IdeasSubmitted"].weekly_cy == [2, 3, 2, 3, 3, 3]


def test_median_days_from_submission_to_triage(demo_deck):
    # first triage per week: [2, 1], [3], [4, 2, 2, 1], [5, 3], [2, 2], [6, 1]
    assert _lines(demo_deck[0])["IdeaTriageDays"].weekly_cy == [1.5, 3, 2, 4, 2, 3.5]


def test_share_of_decided_ideas_accepted(demo_deck):
    # decided per week: 1 of 2, none, 3 of 5 (ideas 3, 4, 6 accepted; 5 merged; 7 declined), none,
    # 1 of 2, 2 of 2
    assert _lines(demo_deck[0])["IdeaShareAccepted"].weekly_cy == [0.5, None, 0.6, None, 0.5, 1.0]
