"""The MO index holds exactly the database's content: a killed reindex, an edit the index missed and a restore
over another state are all found MO by MO (content hash and chunk count on every chunk) and repaired."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from rm_core.mos.chunking import chunk_mo
from rm_core.mos.repository import create_mo, sync_index, to_doc
from rm_core.store.db import read_session, write_session
from rm_core.store.models import MO

ROOT = Path(__file__).resolve().parents[2]
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


def _run(args, env):
    """The command as a subprocess, and an event set when it reports its first indexed batch."""
    process = subprocess.Popen([sys.executable, "-m", "rm_core", *args], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    indexing = threading.Event()

    def watch() -> None:
        for line in iter(lambda: process.stderr.read(64), b""):
            if b"indexing" in line:
                indexing.set()

    threading.Thread(target=watch, daemon=True).start()
    return process, indexing


def test_a_reindex_killed_at_random_points_is_repaired_until_every_passage_is_found(state):
    from rm_core.demo.world import seed_demo

    seed_demo(state, scale="small")
    env = {**os.environ, "RM_HOME": str(state.home), "RM_EMBEDDINGS": "hash", "RM_USER": "tester"}
    started = time.monotonic()
    process, indexing = _run(["mo", "reindex"], env)
    indexing.wait(timeout=300)
    first_batch = time.monotonic() - started
    assert process.wait(timeout=300) == 0
    writing = time.monotonic() - started - first_batch
    assert _passages_not_found(_fresh_engine(state)) == []

    rng = random.Random(14)
    damaged = repaired = 0
    for attempt in range(KILLS):
        process, indexing = _run(["mo", "reindex"], env)
        # Half the kills at any moment from the start (start-up, dropping the collection, the first batch), half
        # while batches are being written (after the first one is reported).
        if attempt % 2:
            indexing.wait(timeout=300)
            delay = rng.uniform(0, writing)
        else:
            delay = rng.uniform(0.5, 1.1) * first_batch
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        engine = _fresh_engine(state)
        broken = _passages_not_found(engine)
        damaged += bool(broken)
        report = sync_index(engine)  # what start-up and `mo reindex --check` run
        repaired += report.missing_indexed + report.stale_reindexed
        assert report.missing_indexed + report.stale_reindexed + report.orphans_removed >= len(broken), attempt
        assert _passages_not_found(_fresh_engine(state)) == [], f"kill {attempt + 1}: passages still missing"
    assert damaged >= KILLS // 3, "the kills should have cut reindexes short"
    assert repaired > 0
    hit = _fresh_engine(state).search("gift card", k=1)
    assert hit.hits


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
    from rm_core.store.backup import backup, restore
    from rm_core.store.cli import restore_index

    engine = MOSearchEngine(state)
    create_mo(editor, {"title": "Forged invoices for brand registry", "narrative": "Sellers forge invoices."}, engine)
    backup(tmp_path / "before.zip")
    from rm_core.mos.repository import update_mo

    update_mo(editor, "MO-0001", {"title": "Hijacked listings via zebra stickers"}, engine)
    create_mo(editor, {"title": "Quokka voucher laundering", "narrative": "Vouchers bought with stolen cards."},
              engine)
    assert engine.search("zebra stickers", k=1).hits[0].mo_id == "MO-0001"

    restore(admin, tmp_path / "before.zip")
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
