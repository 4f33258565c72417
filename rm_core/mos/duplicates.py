"""Pairs of MOs similar enough to be the same behaviour written up twice (candidates for merging).

Every MO is compared with its `neighbours` nearest MOs only, and a pair is reported when it is at or above the
threshold and one of the two is among the other's nearest: a true duplicate is always among its twin's nearest,
and the list a user reviews stays bounded (at most `neighbours` x MOs pairs) however dense a cluster is.

Up to `EXACT_UP_TO` MOs the nearest are exact (blocked matrix products). Above, an all-pairs product is out of
reach on 2 cores (100,000 MOs: 10^10 dot products, minutes), so the MOs are grouped around ~sqrt(n) centres
(spherical k-means on a sample) and each MO is compared with the MOs that list its group among their
`probes` closest groups: about n x probes x sqrt(n) products. Pairs above 0.8 cosine sit close together, so
they share a group or a neighbouring one; bench/bench_search_speed.py measures the recall against exact search.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

EXACT_UP_TO = 12_000
BLOCK_FLOATS = 2_000_000  # similarities held at once (8 MB): memory stays bounded at any corpus size
NEIGHBOURS = 20
PROBES = 8


def duplicate_pairs(mo_ids: Sequence[str], vectors: np.ndarray, threshold: float, neighbours: int = NEIGHBOURS,
                    exact_up_to: int = EXACT_UP_TO, probes: int = PROBES) -> list[tuple[str, str, float]]:
    """(first, second, cosine) with first < second, at or above `threshold`, most similar first (ties by ids);
    `vectors` are unit-length rows in `mo_ids` order."""
    from threadpoolctl import threadpool_limits

    n = len(mo_ids)
    if n < 2:
        return []
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    neighbours = max(1, min(neighbours, n - 1))
    # one BLAS thread: with 2 cores shared, OpenBLAS threading made these products ~10x slower here
    with threadpool_limits(1):
        if n <= exact_up_to:
            first, second, score = _exact(vectors, threshold, neighbours)
        else:
            first, second, score = _grouped(vectors, threshold, neighbours, probes)
    if not len(first):
        return []
    low, high = np.minimum(first, second), np.maximum(first, second)
    key = low.astype(np.int64) * n + high
    key, keep = np.unique(key, return_index=True)
    low, high, score = low[keep], high[keep], score[keep]
    by_name = np.empty(n, dtype=np.int64)  # row -> rank of its id, so ties and pair order follow the ids
    by_name[sorted(range(n), key=lambda i: mo_ids[i])] = np.arange(n)
    # report each pair with the lower id first, sorted by score then ids
    swap = by_name[low] > by_name[high]
    low, high = np.where(swap, high, low), np.where(swap, low, high)
    rounded = np.round(score.astype(np.float64), 6)
    order = np.lexsort((by_name[high], by_name[low], -rounded))
    return [(mo_ids[int(a)], mo_ids[int(b)], float(s)) for a, b, s in zip(low[order], high[order], rounded[order])]


def _top_above(sims: np.ndarray, rows: np.ndarray, cols: np.ndarray, threshold: float, k: int,
               out: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
    """The best `k` columns of each row of `sims` that reach `threshold` (row `rows[i]`, column `cols[j]`)."""
    above = sims >= threshold
    counts = above.sum(axis=1)
    few = counts <= k  # most rows: every column above the threshold is kept, no partial sort needed
    r, c = np.nonzero(above & few[:, None])
    if len(r):
        out.append((rows[r], cols[c], sims[r, c]))
    many = np.flatnonzero(~few)
    if len(many):
        part = sims[many]
        top = np.argpartition(-part, k - 1, axis=1)[:, :k]
        best = np.take_along_axis(part, top, axis=1)
        r, c = np.nonzero(best >= threshold)
        out.append((rows[many[r]], cols[top[r, c]], best[r, c]))


def _exact(vectors: np.ndarray, threshold: float, k: int):
    n = len(vectors)
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    block = max(1, BLOCK_FLOATS // n)
    everyone = np.arange(n)
    for start in range(0, n, block):
        rows = everyone[start:start + block]
        sims = vectors[rows] @ vectors.T
        sims[np.arange(len(rows)), rows] = -np.inf  # not a duplicate of itself
        _top_above(sims, rows, everyone, threshold, k, found)
    return _joined(found)


def _grouped(vectors: np.ndarray, threshold: float, k: int, probes: int, seed: int = 0):
    n, dim = vectors.shape
    groups = max(2, int(np.sqrt(n)))
    centres = _centres(vectors, groups, np.random.default_rng(seed))
    probes = min(probes, groups)
    home = np.empty(n, dtype=np.int64)
    near = np.empty((n, probes), dtype=np.int64)
    step = max(1, BLOCK_FLOATS // groups)
    for start in range(0, n, step):
        sims = vectors[start:start + step] @ centres.T
        best = np.argpartition(-sims, probes - 1, axis=1)[:, :probes] if probes < groups else \
            np.broadcast_to(np.arange(groups), sims.shape).copy()
        near[start:start + step] = best
        home[start:start + step] = np.argmax(sims, axis=1)
    # MOs that look into each group: group -> rows listing it among their `probes` closest
    flat = near.ravel()
    order = np.argsort(flat, kind="stable")
    looking = np.repeat(np.arange(n), probes)[order]
    bounds = np.searchsorted(flat[order], np.arange(groups + 1))
    home_order = np.argsort(home, kind="stable")
    home_bounds = np.searchsorted(home[home_order], np.arange(groups + 1))
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for g in range(groups):
        members = home_order[home_bounds[g]:home_bounds[g + 1]]
        lookers = looking[bounds[g]:bounds[g + 1]]
        if not len(members) or len(lookers) < 2:
            continue
        candidates = vectors[lookers]
        block = max(1, BLOCK_FLOATS // len(lookers))
        for start in range(0, len(members), block):
            rows = members[start:start + block]
            sims = vectors[rows] @ candidates.T
            # every MO looks into its own group first, so it is among the lookers (sorted): not its own duplicate
            sims[np.arange(len(rows)), np.searchsorted(lookers, rows)] = -np.inf
            _top_above(sims, rows, lookers, threshold, k, found)
    return _joined(found)


def _centres(vectors: np.ndarray, groups: int, rng: np.random.Generator, rounds: int = 8) -> np.ndarray:
    """Spherical k-means centres from a sample (40 per centre is plenty to place them)."""
    from scipy import sparse

    sample = vectors[rng.choice(len(vectors), min(len(vectors), 40 * groups), replace=False)]
    centres = sample[rng.choice(len(sample), groups, replace=False)].copy()
    for _ in range(rounds):
        assign = np.argmax(sample @ centres.T, axis=1)
        member = sparse.csr_matrix((np.ones(len(sample), dtype=np.float32), (assign, np.arange(len(sample)))),
                                   shape=(groups, len(sample)))
        sums = np.asarray(member @ sample)
        norms = np.linalg.norm(sums, axis=1)
        filled = norms > 0
        centres[filled] = sums[filled] / norms[filled, None]  # an empty group keeps its old centre
    return centres


def _joined(found: list[tuple[np.ndarray, np.ndarray, np.ndarray]]):
    if not found:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    return (np.concatenate([f[0] for f in found]).astype(np.int64),
            np.concatenate([f[1] for f in found]).astype(np.int64),
            np.concatenate([f[2] for f in found]))
