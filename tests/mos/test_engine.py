import pytest

from rm_core.errors import NotFound
from rm_core.mos.engine import MOSearchEngine
from rm_core.mos.index import reconcile
from rm_core.mos.records import MODoc


def test_indexing_reports_progress_and_every_mo_is_searchable(settings, corpus):
    seen = []
    engine = MOSearchEngine(settings)
    report = engine.index(corpus, progress=lambda done, total: seen.append((done, total)))
    assert report.mos == 4 and report.chunks == 4
    assert seen[-1] == (4, 4)
    assert engine.ids() == {"MO-0001", "MO-0002", "MO-0003", "MO-0004"}


def test_a_keyword_query_finds_the_mo_with_a_snippet_of_the_matching_passage(engine):
    results = engine.search("gift cards payout", k=3)
    assert results.query_type == "keyword"
    assert results.hits[0].mo_id == "MO-0001"
    assert "gift cards" in results.hits[0].snippet
    assert results.hits[0].title == "Gift card listings then payout bank change"
    assert 0 < results.hits[0].score <= 1


def test_an_id_query_returns_that_mo_first(engine):
    assert engine.search("mo-0004", k=2).hits[0].mo_id == "MO-0004"


def test_filters_apply_to_both_dense_and_keyword_sides(engine):
    hits = engine.search("gift cards payout", where={"site": "Costa Rica"}).hits
    assert hits and all(h.metadata["site"] == "Costa Rica" for h in hits)
    assert "MO-0001" not in [h.mo_id for h in hits]
    assert [h.mo_id for h in engine.search("parcels", where={"marketplaces": "JP"}).hits] == ["MO-0004"]
    dated = engine.search("sellers", where={"first_seen_from": "2023-01-01"}).hits
    assert {h.mo_id for h in dated} == {"MO-0001", "MO-0003"}
    # an MO named by id but filtered out stays out
    assert engine.search("MO-0001", where={"site": "Costa Rica"}).hits[0].mo_id != "MO-0001"


def test_an_edit_is_searchable_at_once_and_a_delete_removes_the_mo(engine):
    engine.upsert(MODoc("MO-0002", "Empty box refund abuse", "Buyers return bricks instead of laptops.", {}))
    assert engine.search("bricks laptops", k=1).hits[0].mo_id == "MO-0002"
    assert engine.delete("MO-0002") is True
    assert engine.delete("MO-0002") is False
    assert "MO-0002" not in engine.ids()
    assert all(h.mo_id != "MO-0002" for h in engine.search("empty parcels refund").hits)


def test_a_long_write_up_is_found_by_a_passage_deep_inside_it(engine):
    filler = " ".join(f"Paragraph {i} about account history and ordinary seller behaviour." for i in range(60))
    engine.upsert(MODoc("MO-0009", "Long case", filler + " The operator used a lighthouse keeper's passport.", {}))
    assert len(engine.vectors.chunk_ids_of("MO-0009")) > 3
    hit = engine.search("lighthouse keeper passport", k=1).hits[0]
    assert hit.mo_id == "MO-0009" and "lighthouse" in hit.snippet


def test_a_new_process_rebuilds_the_keyword_side_from_the_index(settings, engine):
    fresh = MOSearchEngine(settings)  # same folder, nothing in memory: like a restart
    assert fresh.search("forged utility bills", k=1).hits[0].mo_id == "MO-0003"
    assert fresh.count() == 4


def test_reconcile_names_ids_missing_from_the_index_and_orphans_in_it():
    drift = reconcile(["A", "B", "C"], ["B", "C", "D"])
    assert drift.missing_from_index == ["A"] and drift.orphaned_in_index == ["D"]
    assert not drift.in_sync and "1 MO(s) missing" in drift.describe()
    assert reconcile(["A"], ["A"]).in_sync


def test_repair_after_a_crash_between_database_and_index_writes(engine, corpus):
    # crash 1: MO-0005 saved in the database, never indexed; crash 2: MO-0004 deleted in the database only
    database = {d.mo_id: d for d in corpus if d.mo_id != "MO-0004"}
    database["MO-0005"] = MODoc("MO-0005", "Fake tracking numbers", "Sellers upload tracking numbers of other "
                                "shipments to release funds early.", {"site": "India"})
    drift = engine.repair(database, lambda ids: [database[i] for i in ids])
    assert drift.missing_from_index == ["MO-0005"] and drift.orphaned_in_index == ["MO-0004"]
    assert engine.drift(database).in_sync
    assert engine.search("tracking numbers released early", k=1).hits[0].mo_id == "MO-0005"


def test_rebuild_starts_from_an_empty_collection(engine, corpus):
    report = engine.rebuild(corpus[:2])
    assert report.mos == 2 and engine.ids() == {"MO-0001", "MO-0002"}


def test_indexing_an_mo_again_replaces_it_instead_of_duplicating_chunks(engine):
    engine.index([MODoc("MO-0001", "Gift cards", "Changed text about vouchers.", {})])
    assert engine.vectors.chunk_ids_of("MO-0001") == ["MO-0001::0"]
    assert engine.vectors.chunk_count() == 4


def test_similar_mos_exclude_the_mo_itself(engine):
    similar = engine.similar("MO-0002", k=2)
    assert len(similar) == 2 and all(h.mo_id != "MO-0002" for h in similar)
    with pytest.raises(NotFound):
        engine.similar("MO-9999")


def test_duplicates_pair_near_identical_write_ups(engine, corpus):
    engine.upsert(MODoc("MO-0010", "Gift card listings then payout bank change (copy)", corpus[0].text, {}))
    pairs = engine.duplicates(threshold=0.9)
    assert [(p.first, p.second) for p in pairs] == [("MO-0001", "MO-0010")]
    assert pairs[0].score >= 0.9 and pairs[0].first_title.startswith("Gift card")


def test_empty_index_and_empty_query_give_empty_results(settings):
    engine = MOSearchEngine(settings)
    assert engine.search("anything").hits == []
    assert engine.search("   ").hits == []
    assert engine.ids() == set() and engine.duplicates() == []


def test_a_queries_file_gives_one_result_line_per_query_in_input_order(engine):
    import json

    from rm_core.mos.search import search_lines

    lines = search_lines(engine, ['{"query": "forged utility bills"}', '{"query": "parcels", "where": {"site": '
                                  '"Costa Rica"}}'], k=2)
    parsed = [json.loads(line) for line in lines]
    assert [p["query"] for p in parsed] == ["forged utility bills", "parcels"]
    assert parsed[0]["results"][0]["mo_id"] == "MO-0003"
    assert len(parsed[1]["results"]) == 2
    assert set(parsed[1]["results"][0]) == {"mo_id", "title", "score", "snippet"}


def test_a_restart_reuses_the_saved_keyword_snapshot_until_any_process_writes(settings, engine):
    engine.search("warm")  # builds and saves the keyword side for the current generation
    snapshot = settings.home / "mos_keyword.pickle"
    assert snapshot.exists()
    restarted = MOSearchEngine(settings)
    restarted._build_keyword = lambda: pytest.fail("should have loaded the snapshot")  # type: ignore[method-assign]
    assert restarted.search("forged utility bills", k=1).hits[0].mo_id == "MO-0003"
    # another process edits an MO: this one notices through the generation token and rebuilds
    other = MOSearchEngine(settings)
    other.upsert(MODoc("MO-0003", "Forged utility bills", "Applicants upload tampered tax returns.", {}))
    del restarted._build_keyword
    restarted.generation_ttl = 0  # tokens are compared at most once a second; no waiting in tests
    assert restarted.search("tampered tax returns", k=1).hits[0].mo_id == "MO-0003"


def _no_rebuild(engine):
    engine._build_keyword = lambda: pytest.fail("the keyword side was rebuilt")  # type: ignore[method-assign]


EDITS = [MODoc("MO-0002", "Empty box refund abuse", "Buyers return bricks instead of laptops.",
               {"site": "India", "marketplaces": ["DE"]}),
         MODoc("MO-0011", "Courier collusion", "Couriers mark parcels delivered and split the refund with buyers.",
               {"site": "Costa Rica", "marketplaces": ["US"]}),
         MODoc("MO-0012", "Voucher stacking", "Sellers stack promotional vouchers on fake orders for gift cards.",
               {"site": "India", "marketplaces": ["US"]})]
PROBES = [("bricks laptops", None), ("gift cards payout", None), ("parcels refund buyers", {"site": "India"}),
          ("vouchers fake orders", {"marketplaces": "US"}), ("forged utility bills", None), ("MO-0011", None)]


def test_edits_after_the_first_search_patch_the_keyword_side_and_rank_like_a_rebuild(settings, engine):
    engine.search("warm")
    _no_rebuild(engine)
    for doc in EDITS:
        engine.upsert(doc)
    engine.delete("MO-0004")
    engine.upsert(MODoc("MO-0003", "Forged utility bills", "Applicants upload tampered tax returns and bills.",
                        {"site": "India"}))
    engine.index([MODoc("MO-0013", "Parcel weight fraud", "Sand bags match the parcel weight on returns.", {})])
    assert engine.search("bricks laptops", k=1).hits[0].mo_id == "MO-0002"
    for snapshot in settings.home.glob("mos_keyword*"):
        snapshot.unlink()  # the fresh engine must rebuild from the collection
    fresh = MOSearchEngine(settings)
    assert sorted(c for c in fresh.keyword.chunk_ids if fresh.keyword.live[fresh.keyword.position(c)]) == \
        sorted(engine.keyword.chunks_of(m)[0] for m in engine.keyword.known_ids().values())
    for query, where in PROBES:
        got, want = engine.search(query, k=5, where=where).hits, fresh.search(query, k=5, where=where).hits
        assert [h.mo_id for h in got] == [h.mo_id for h in want], query
        assert [h.score for h in got] == pytest.approx([h.score for h in want], abs=1e-5)
        got_kw, want_kw = engine.keyword.search(query), fresh.keyword.search(query)
        assert [(h.mo_id, h.chunk_id) for h in got_kw] == [(h.mo_id, h.chunk_id) for h in want_kw]
        assert [h.score for h in got_kw] == pytest.approx([h.score for h in want_kw], rel=1e-5)


def test_a_deleted_mo_is_never_returned_filtered_or_not_nor_by_its_id(engine):
    engine.search("warm")
    _no_rebuild(engine)
    assert engine.delete("MO-0004") is True
    for where in (None, {"site": "Costa Rica"}, {"marketplaces": "JP"}):
        for query in ("unsolicited parcels strangers verified reviews", "MO-0004", "brushing"):
            assert "MO-0004" not in [h.mo_id for h in engine.search(query, k=10, where=where).hits]
    assert "MO-0004" not in engine.keyword.known_ids().values()
    assert "MO-0004" not in {p.first for p in engine.duplicates(0.0)} | {p.second for p in engine.duplicates(0.0)}


def test_a_write_by_a_second_engine_on_the_same_collection_is_seen_by_the_first(settings, engine):
    engine.search("warm")
    engine.generation_ttl = 0  # tokens are compared at most once a second; no waiting in tests
    other = MOSearchEngine(settings)
    other.upsert(EDITS[1])
    assert engine.search("couriers delivered split", k=1).hits[0].mo_id == "MO-0011"
    assert [h.mo_id for h in engine.keyword.search("couriers delivered split", k=1)] == ["MO-0011"]
    other.delete("MO-0011")
    assert "MO-0011" not in [h.mo_id for h in engine.search("couriers delivered split", k=5).hits]
    assert engine.keyword.search("couriers delivered split") == []


def test_a_write_by_another_engine_in_the_middle_of_this_ones_is_not_missed(settings, engine):
    engine.search("warm")
    other = MOSearchEngine(settings)

    def interleaved():  # the other replica's whole write lands between this engine's two token bumps
        engine.vectors.bump_generation()
        other.upsert(EDITS[1])
        engine.vectors.upsert(EDITS[2])

    engine._write(["MO-0012"], interleaved)
    # the keyword side itself, not only the dense side (which reads Chroma directly), must know both writes
    assert [h.mo_id for h in engine.keyword.search("couriers delivered split", k=1)] == ["MO-0011"]
    assert [h.mo_id for h in engine.keyword.search("vouchers fake orders", k=1)] == ["MO-0012"]


def test_a_restart_after_edits_loads_the_snapshot_plus_the_changes_without_rebuilding(settings, engine):
    engine.search("warm")  # whole snapshot saved here
    for doc in EDITS:
        engine.upsert(doc)
    engine.delete("MO-0001")
    restarted = MOSearchEngine(settings)
    _no_rebuild(restarted)
    assert restarted.search("bricks laptops", k=1).hits[0].mo_id == "MO-0002"
    assert restarted.search("vouchers fake orders", k=1, where={"site": "India"}).hits[0].mo_id == "MO-0012"
    assert "MO-0001" not in [h.mo_id for h in restarted.search("gift cards payout bank", k=10).hits]
    assert len(restarted.keyword) == len(engine.keyword) == 5  # 4, 2 added, 1 deleted


def test_a_restart_never_loads_a_snapshot_older_than_the_last_write(settings, engine):
    engine.search("warm")
    engine.upsert(EDITS[0])
    engine.vectors.upsert(EDITS[1])  # written behind the engine's back: no snapshot knows it
    restarted = MOSearchEngine(settings)
    builds = []
    build = restarted._build_keyword
    restarted._build_keyword = lambda: builds.append(1) or build()  # type: ignore[method-assign]
    assert [h.mo_id for h in restarted.keyword.search("couriers delivered split", k=1)] == ["MO-0011"]
    assert builds == [1]


def test_a_write_by_another_engine_just_before_this_ones_is_not_missed(settings, engine):
    engine.search("warm")  # in step; the next token check is up to a second away
    MOSearchEngine(settings).upsert(EDITS[1])
    engine.upsert(EDITS[2])
    assert [h.mo_id for h in engine.keyword.search("couriers delivered split", k=1)] == ["MO-0011"]
    assert [h.mo_id for h in engine.keyword.search("vouchers fake orders", k=1)] == ["MO-0012"]


def test_a_snapshot_written_by_an_earlier_version_of_the_keyword_side_is_rebuilt_not_loaded(settings, engine):
    import pickle

    generation = engine.vectors.generation()
    (settings.home / "mos_keyword.pickle").write_bytes(pickle.dumps((generation, {"an": "old index"})))
    restarted = MOSearchEngine(settings)
    assert restarted.search("forged utility bills", k=1).hits[0].mo_id == "MO-0003"


def test_a_save_by_a_process_that_has_not_searched_yet_is_patched_in_not_left_as_a_rebuild(settings, engine):
    engine.search("warm")  # whole snapshot saved here
    fresh = MOSearchEngine(settings)  # a restarted server, or the CLI
    _no_rebuild(fresh)
    fresh.upsert(EDITS[0])
    assert fresh._keyword is not None
    later = MOSearchEngine(settings)
    _no_rebuild(later)
    assert later.search("bricks laptops", k=1).hits[0].mo_id == "MO-0002"


def test_an_index_that_starts_empty_keeps_chunk_vectors_through_saves_and_restarts(settings, corpus):
    first = MOSearchEngine(settings)
    first.search("nothing yet")  # the keyword side of an empty collection
    for doc in corpus:
        first.upsert(doc)
    assert first.keyword.vectors is not None and len(first.keyword.vectors) == len(first.keyword)
    restarted = MOSearchEngine(settings)
    assert restarted.keyword.vectors is not None
    assert restarted.search("utility bills", k=1, where={"site": "India"}).hits[0].mo_id == "MO-0003"


def test_a_snapshot_that_cannot_be_saved_costs_a_rebuild_not_the_save(settings, engine, monkeypatch):
    from pathlib import Path

    engine.search("warm")

    def full_disk(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "open", full_disk)
    engine.upsert(EDITS[0])  # saved in the collection; only the snapshot failed
    monkeypatch.undo()
    assert engine.search("bricks laptops", k=1).hits[0].mo_id == "MO-0002"
    restarted = MOSearchEngine(settings)
    assert restarted.search("bricks laptops", k=1).hits[0].mo_id == "MO-0002"
