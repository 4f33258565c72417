"""The MO index holds exactly the database's content: a killed reindex, an edit the index missed and a restore
over another state are all found MO by MO (content hash and chunk count on every chunk) and repaired."""
from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from rm_core.mos.chunking import chunk_mo
from rm_core.mos.repository import create_mo, sync_index, to_doc
from rm_core.store.db import read_session, write_session
from rm_core.store.models import MO

KILLS = 20


def _fresh_engine(settings):
    """An engine as a new process opens it: Chroma's in-process cache dropped, so the folder is read from disk."""
    from chromadb.api.client import SharedSystemClient

    from rm_core.mos.engine import MOSearchEngine

    SharedSystemClient.clear_system_cache()
    return MOSearchEngine(settings)


def _passages_not_found(engine) -> list[str]:
    """MOs whose indexed chunks are not exactly the passages the database's row cuts into."""
    with read_session() as s:
        docs = [to_doc(m) for m in s.scalars(select(MO))]
    got = engine.vectors.collection.get(include=["documents", "metadatas"])
    held: dict[str, dict[str, str]] = {}
    for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"]):
        held.setdefault(meta["mo_id"], {})[cid] = doc
    wrong = [d.mo_id for d in docs if held.pop(d.mo_id, None) != {c.chunk_id: c.passage for c in chunk_mo(d)}]
    return wrong + sorted(held)  # held now has only MOs the database does not have


class Killed(BaseException):
    """Stands for SIGKILL: nothing in the product catches it, and nothing runs after it."""


def test_a_reindex_killed_at_random_batches_is_repaired_until_every_passage_is_found(state, monkeypatch):
    # A reindex drops the collection and writes chunk batches; each kill stops it before a random batch (before
    # the first: an empty collection; later: some MOs whole, some with only their longest passages). A subprocess
    # SIGKILLed after random delays was tried too (20 kills, all repaired) but took 14 minutes on the shared
    # machine and cut only 4 reindexes short; Chroma writes each batch in one transaction, so stopping between
    # batches is what a kill leaves behind.
    from rm_core.demo.world import seed_demo
    from rm_core.mos import index as index_module
    from rm_core.mos.repository import reindex

    seed_demo(state, scale="small")
    monkeypatch.setattr(index_module, "ENCODE_BATCH", 64)  # more batches, more places to be killed
    sync_index(_fresh_engine(state))
    batches = -(-_fresh_engine(state).vectors.chunk_count() // 64)
    assert batches >= 10
    real_write = index_module.MOIndex._write
    rng = random.Random(14)
    damaged = 0
    for attempt in range(KILLS):
        kill_before = rng.randrange(batches)
        written = []

        def write(self, chunks, metas):
            if len(written) == kill_before:
                raise Killed()
            written.append(len(chunks))
            return real_write(self, chunks, metas)

        monkeypatch.setattr(index_module.MOIndex, "_write", write)
        with pytest.raises(Killed):
            reindex(_fresh_engine(state))
        monkeypatch.setattr(index_module.MOIndex, "_write", real_write)
        engine = _fresh_engine(state)  # the next start
        broken = _passages_not_found(engine)
        assert broken, f"kill {attempt + 1} before batch {kill_before} left the index whole"
        damaged += 1
        report = sync_index(engine)  # what start-up and `mo reindex --check` run
        assert report.missing_indexed + report.stale_reindexed == len(broken), attempt
        assert _passages_not_found(engine) == [], f"kill {attempt + 1}: passages still missing"
    assert damaged == KILLS
    final = _fresh_engine(state)
    assert _passages_not_found(final) == [] and sync_index(final).repaired is False
    assert final.search("gift card", k=1).hits


def test_an_mo_missing_passages_or_holding_old_content_is_reindexed_by_check(state, editor):
    from rm_core.mos.engine import MOSearchEngine

    engine = MOSearchEngine(state)
    long_text = " ".join(f"Step {i}: the seller rotates payout accounts through courier drop addresses." for i in
                         range(60))
    mo = create_mo(editor, {"title": "Payout rotation through courier drops", "narrative": long_text}, engine)
    chunks = engine.vectors.chunk_ids_of(mo.id)
    assert len(chunks) > 2
    engine.vectors.collection.delete(ids=chunks[1:2])  # the first chunk stays: the old check said "in sync"
    with write_session() as s:  # an edit the index never received
        s.get(MO, mo.id).title = "Payout rotation through parcel lockers"
    report = sync_index(engine)
    assert report.stale_reindexed == 1 and report.missing_indexed == 0
    assert _passages_not_found(engine) == []
    assert engine.search("parcel lockers", k=1).hits[0].title == "Payout rotation through parcel lockers"
    assert sync_index(engine).repaired is False


def test_after_a_restore_search_finds_nothing_the_restored_database_does_not_hold(state, admin, editor, tmp_path):
    from rm_core.mos.engine import MOSearchEngine
    from rm_core.state import backup_state, restore_state
    from rm_core.state import restore_index

    engine = MOSearchEngine(state)
    create_mo(editor, {"title": "Forged invoices for brand registry", "narrative": "Sellers forge invoices."}, engine)
    backup_state(admin, tmp_path / "before.zip")
    from rm_core.mos.repository import update_mo

    update_mo(editor, "MO-0001", {"title": "Hijacked listings via zebra stickers"}, engine)
    create_mo(editor, {"title": "Quokka voucher laundering", "narrative": "Vouchers bought with stolen cards."},
              engine)
    assert engine.search("zebra stickers", k=1).hits[0].mo_id == "MO-0001"

    restore_state(admin, tmp_path / "before.zip")
    report = restore_index(state)
    assert report.stale_reindexed == 1 and report.orphans_removed == 1
    fresh = _fresh_engine(state)
    assert all("zebra" not in h.title.lower() for h in fresh.search("zebra stickers", k=5).hits)
    assert all(h.mo_id != "MO-0002" for h in fresh.search("quokka voucher laundering", k=5).hits)
    assert fresh.search("forged invoices brand registry", k=1).hits[0].title == "Forged invoices for brand registry"
    assert _passages_not_found(fresh) == []


@pytest.mark.parametrize("hidden", ["content_hash", "chunks"])
def test_search_hits_do_not_show_the_index_bookkeeping(state, editor, hidden):
    from rm_core.mos.engine import MOSearchEngine

    engine = MOSearchEngine(state)
    create_mo(editor, {"title": "Forged invoices for brand registry", "narrative": "Sellers forge invoices.",
                       "site": "India"}, engine)
    hit = engine.search("forged invoices", k=1).hits[0]
    assert hit.metadata.get("site") == "India" and hidden not in hit.metadata
