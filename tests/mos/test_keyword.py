import random

import numpy as np
import pytest

from rm_core.mos.keyword import KeywordIndex, stem, tokenize


def test_word_forms_meet_on_one_stem():
    assert {stem(w) for w in ("refund", "refunds", "refunded", "refunding")} == {"refund"}
    assert stem("shipping") == stem("ship") == "ship"
    assert tokenize("The sellers forged THE bills") == ["seller", "forg", "bill"]


def test_best_chunk_ranks_its_mo_once_and_filters_mask_scores():
    index = KeywordIndex.build([
        ("a::0", "a", "refund abuse with empty boxes", {"site": "India"}),
        ("b::0", "b", "gift card fraud with stolen cards", {"site": "Costa Rica"}),
        ("b::1", "b", "more gift cards sold", {"site": "Costa Rica"}),
    ])
    hits = index.search("gift cards")
    assert [h.mo_id for h in hits] == ["b"]
    mask = index.mask("india", lambda m: m["site"] == "India")
    assert index.search("gift cards", weight_mask=mask) == []
    assert index.chunks_of("b") == ["b::0", "b::1"]
    assert index.idf("gift") < index.idf("never-seen")


def test_an_empty_index_finds_nothing():
    assert KeywordIndex.build([]).search("anything") == []
    assert np.isfinite(KeywordIndex.build([]).idf("x"))


WORDS = ("refund gift card seller buyer account payout bank mule parcel empty box tracking review brushing forged "
         "bill identity kyc proxy login dormant voucher courier chargeback").split()
QUERIES = ["refund gift", "mule bank payout login", "kyc", "box empty parcel tracking review", "voucher voucher card",
           "chargeback courier dormant proxy"]


def _text(rng):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 25)))


def _chunks(rng, mo_id, vec_rng):
    n = rng.randint(1, 3)
    entries = [(f"{mo_id}::{j}", mo_id, _text(rng), {"site": rng.choice("AB"), "position": j}) for j in range(n)]
    return entries, vec_rng.normal(size=(n, 8)).astype(np.float32)


def _same_answers(patched, fresh):
    for query in QUERIES:
        got, want = patched.search(query, k=30), fresh.search(query, k=30)
        assert [(h.mo_id, h.chunk_id) for h in got] == [(h.mo_id, h.chunk_id) for h in want], query
        assert np.allclose([h.score for h in got], [h.score for h in want], rtol=1e-5, atol=1e-6)
    for site in "AB":
        got_mask = patched.mask(site, lambda m, s=site: m["site"] == s)
        want_mask = fresh.mask(site, lambda m, s=site: m["site"] == s)
        got = patched.search("refund card", k=30, weight_mask=got_mask)
        want = fresh.search("refund card", k=30, weight_mask=want_mask)
        assert [h.chunk_id for h in got] == [h.chunk_id for h in want]
        probe = np.linspace(-1, 1, 8).astype(np.float32)
        assert [(patched.chunk_ids[p], round(s, 5)) for p, s in patched.nearest(probe, got_mask, 10)] == \
            [(fresh.chunk_ids[p], round(s, 5)) for p, s in fresh.nearest(probe, want_mask, 10)]
    assert len(patched) == len(fresh)
    assert patched.known_ids() == fresh.known_ids()
    for term in ("refund", "kyc", "never-seen"):
        assert patched.idf(term) == pytest.approx(fresh.idf(term))


@pytest.mark.parametrize("compact_min", [10_000, 40])
def test_an_index_patched_write_by_write_answers_exactly_like_a_rebuild_over_the_same_chunks(compact_min,
                                                                                             monkeypatch):
    monkeypatch.setattr(KeywordIndex, "COMPACT_MIN", compact_min)  # 40: compaction happens several times on the way
    rng, vec_rng = random.Random(5), np.random.default_rng(5)
    current: dict[str, tuple[list, np.ndarray]] = {}
    for i in range(150):
        current[f"M{i:03d}"] = _chunks(rng, f"M{i:03d}", vec_rng)

    def rebuilt():
        order = sorted(current)
        return KeywordIndex.build([e for m in order for e in current[m][0]],
                                  np.concatenate([current[m][1] for m in order]))

    index, compactions = rebuilt(), 0
    for step in range(300):
        mo_id = f"M{rng.randint(0, 200):03d}"
        if rng.random() < 0.3:
            index = index.patched([mo_id], [])
            current.pop(mo_id, None)
        else:
            current[mo_id] = _chunks(rng, mo_id, vec_rng)
            index = index.patched([], *current[mo_id])
        if index.needs_compaction:
            index, compactions = index.compacted(), compactions + 1
        if step % 50 == 49:
            _same_answers(index, rebuilt())
    assert (compactions > 2) == (compact_min == 40)


def test_scores_are_the_bm25_scores_bm25s_gives_for_the_same_chunks():
    import bm25s

    rng = random.Random(3)
    texts = [_text(rng) for _ in range(200)]
    index = KeywordIndex.build([(f"c{i}", f"M{i}", t, {}) for i, t in enumerate(texts)])
    reference = bm25s.BM25(k1=1.2, b=0.75)
    reference.index([tokenize(t) or ["<empty>"] for t in texts], show_progress=False)
    for query in QUERIES:
        terms = [t for t in tokenize(query) if t in reference.vocab_dict]
        assert np.allclose(index.scores(terms), reference.get_scores(terms), atol=1e-5)


def test_a_deleted_or_replaced_chunk_is_never_returned_by_any_lookup():
    index = KeywordIndex.build([
        ("a::0", "a", "refund abuse with empty boxes", {"site": "India", "position": 0}),
        ("a::1", "a", "bricks in the parcels", {"site": "India", "position": 1}),
        ("b::0", "b", "gift card fraud with stolen cards", {"site": "India", "position": 0}),
    ], np.eye(3, 4, dtype=np.float32))
    patched = index.patched(["b"], [("a::0", "a", "voucher resale", {"site": "India", "position": 0})],
                            np.asarray([[0, 0, 0, 1]], dtype=np.float32))
    assert patched.search("gift cards stolen") == [] and patched.search("bricks parcels") == []
    assert [h.chunk_id for h in patched.search("voucher")] == ["a::0"]
    india = patched.mask("india", lambda m: m["site"] == "India")
    assert [patched.chunk_ids[p] for p, _ in patched.nearest(np.ones(4, np.float32), india, 10)] == ["a::0"]
    assert patched.chunks_of("a") == ["a::0"] and patched.chunks_of("b") == []
    assert set(patched.known_ids()) == {"A"} and len(patched) == 1
    assert patched.vectors[patched.position("a::0")].tolist() == [0, 0, 0, 1]
    # the version a running search holds is untouched by the patch
    assert [h.mo_id for h in index.search("gift cards stolen")] == ["b"]
    assert index.chunks_of("a") == ["a::0", "a::1"] and len(index) == 3
    with pytest.raises(RuntimeError):
        index.patched(["a"], [])  # only the newest version moves on


def test_an_index_that_started_empty_keeps_the_vectors_of_chunks_added_later():
    index = KeywordIndex.build([]).patched([], [("a::0", "a", "hello world", {})], np.ones((1, 4), np.float32))
    assert [h.mo_id for h in index.search("hello")] == ["a"]
    assert index.vectors.shape == (1, 4)
