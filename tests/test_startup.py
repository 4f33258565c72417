"""Serving first: the embedding model and queued MOs are handled in the background, with progress to show."""
import datetime as dt

import pytest
from sqlalchemy import select

from rm_core import startup
from rm_core.mos.interim import keyword_search
from rm_core.store.db import read_session, write_session
from rm_core.store.models import MO, IndexOutbox

SEEDED = [("MO-0001", "Gift card listings then payout bank change", "payment and gift-card fraud", "India",
           "New sellers list discounted gift cards, then change the payout bank account to a mule account."),
          ("MO-0002", "Empty box refund abuse", "refund/return abuse", "Costa Rica",
           "Colluding buyers file item-not-received claims after the seller ships empty parcels."),
          ("MO-0003", "Forged utility bills at registration", "identity fraud", "India",
           "Applicants upload utility bills edited in image software to pass KYC checks.")]


def seed_like_the_demo(n_extra: int = 0) -> None:
    """MOs written straight to the database with their index entries queued, as `demo seed` leaves them."""
    now = dt.datetime.now()
    rows = SEEDED + [(f"MO-{i:04d}", f"Filler pattern {i}", "identity fraud", "India", f"filler text number {i}")
                     for i in range(4, 4 + n_extra)]
    with write_session() as s:
        for mo_id, title, family, site, text in rows:
            s.add(MO(id=mo_id, title=title, abuse_family=family, site=site, summary=text[:60], narrative=text,
                     status="active", severity="S2", version=1, updated_at=now))
            s.add(IndexOutbox(mo_id=mo_id, op="upsert", queued_at=now))


@pytest.fixture
def fresh(state):
    startup._STATE.clear()
    startup._ENGINES.clear()
    yield state
    startup.wait_for_indexing(state, 60)
    startup._STATE.clear()
    startup._ENGINES.clear()


def test_queued_mos_are_indexed_in_the_background_in_steps_with_progress(fresh, monkeypatch):
    monkeypatch.setattr(startup, "BATCH", 2)
    seed_like_the_demo(n_extra=3)
    seen = []
    original = startup._Indexing.set
    monkeypatch.setattr(startup._Indexing, "set", lambda self, phase, done=0, total=0, message="": (
        seen.append((phase, done, total)), original(self, phase, done, total, message)))
    assert startup.start_indexing(fresh).busy
    progress = startup.wait_for_indexing(fresh, 60)
    assert (progress.phase, progress.done, progress.total) == ("ready", 6, 6)
    assert seen[:1] == [("model", 0, 0)]
    assert [s for s in seen if s[0] == "indexing"] == [("indexing", 0, 6), ("indexing", 2, 6), ("indexing", 4, 6),
                                                       ("indexing", 6, 6)]
    engine = startup.shared_engine(fresh)
    assert engine.count() == 6
    assert engine.search("payout bank change", k=1).hits[0].mo_id == "MO-0001"
    with read_session() as s:
        assert list(s.scalars(select(IndexOutbox))) == []
    assert startup.index_warnings(fresh) == []  # replaying the queue is not drift


def test_a_second_start_is_a_no_op(fresh):
    seed_like_the_demo()
    startup.start_indexing(fresh)
    first = startup._state_for(fresh).thread
    startup.start_indexing(fresh)
    assert startup._state_for(fresh).thread is first


def test_a_failure_is_reported_not_raised(fresh, monkeypatch):
    seed_like_the_demo()
    import rm_core.mos.repository as repository

    def broken(engine, ids):
        raise OSError("disk full")

    monkeypatch.setattr(repository, "_apply_to_index", broken)
    startup.start_indexing(fresh)
    progress = startup.wait_for_indexing(fresh, 60)
    assert progress.phase == "failed" and "disk full" in progress.message and not progress.busy


def test_keyword_search_answers_from_the_database_before_anything_is_indexed(fresh):
    seed_like_the_demo()
    results = keyword_search(fresh.database_url, "utility bills KYC", k=5)
    assert results.query_type == "keyword"
    assert [h.mo_id for h in results.hits] == ["MO-0003"]
    assert 0 < results.hits[0].score <= 1 and "utility bills" in results.hits[0].snippet
    filtered = keyword_search(fresh.database_url, "gift cards parcels", k=5, where={"site": "Costa Rica"})
    assert [h.mo_id for h in filtered.hits] == ["MO-0002"]
    assert startup.shared_engine(fresh).count() == 0  # nothing was embedded for it


def test_keyword_search_sees_an_edit_made_meanwhile(fresh, editor):
    from rm_core.mos.repository import update_mo

    seed_like_the_demo()
    assert not keyword_search(fresh.database_url, "brushing", k=5).hits
    update_mo(editor, "MO-0002", {"narrative": "Brushing parcels sent to strangers."})
    assert [h.mo_id for h in keyword_search(fresh.database_url, "brushing", k=5).hits] == ["MO-0002"]


def test_the_libraries_the_indexer_shares_with_the_pages_are_imported_before_it_starts():
    # a missing name here would be imported by two threads at once again on a fresh server
    assert startup.import_shared_modules() == []
    import sys

    assert all(name in sys.modules for name in startup.SHARED_MODULES)
