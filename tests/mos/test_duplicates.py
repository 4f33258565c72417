import numpy as np

from rm_core.mos.duplicates import duplicate_pairs


def _corpus(n=4000, dim=32, seed=1):
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, dim)).astype(np.float32)
    planted = [(10, 3500), (77, 1234), (2000, 2001)]
    for a, b in planted:  # near copies: cosine ~0.98
        vectors[b] = vectors[a] + 0.2 * rng.normal(size=dim).astype(np.float32) * np.linalg.norm(vectors[a]) / 6
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return [f"MO-{i:05d}" for i in range(n)], vectors, planted


def test_the_grouped_search_finds_the_planted_near_duplicates_the_exact_one_finds():
    ids, vectors, planted = _corpus()
    exact = duplicate_pairs(ids, vectors, 0.9)
    grouped = duplicate_pairs(ids, vectors, 0.9, exact_up_to=0)  # force the large-corpus path
    assert {(a, b) for a, b, _ in exact} == {(ids[a], ids[b]) for a, b in planted}
    assert grouped == exact
    assert all(s >= 0.9 for _, _, s in grouped)


def test_pairs_come_lower_id_first_best_first_and_each_mo_keeps_its_nearest_only():
    ids = ["MO-3", "MO-1", "MO-2", "MO-4"]
    same = np.tile(np.asarray([[1.0, 0.0]], dtype=np.float32), (4, 1))
    pairs = duplicate_pairs(ids, same, 0.5)
    assert [(a, b) for a, b, _ in pairs] == [("MO-1", "MO-2"), ("MO-1", "MO-3"), ("MO-1", "MO-4"),
                                             ("MO-2", "MO-3"), ("MO-2", "MO-4"), ("MO-3", "MO-4")]
    # with one neighbour each, a group of identical MOs yields at most one pair per MO
    assert len(duplicate_pairs(ids, same, 0.5, neighbours=1)) <= 4
    assert duplicate_pairs(ids[:1], same[:1], 0.5) == []
