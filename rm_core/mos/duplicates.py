"""Pairs of MOs similar enough to be the same behaviour written up twice (candidates for merging)."""
from __future__ import annotations

from typing import Sequence

import numpy as np

BLOCK = 2048  # rows compared at once: bounded memory (BLOCK x n floats) at any corpus size


def duplicate_pairs(mo_ids: Sequence[str], vectors: np.ndarray, threshold: float) -> list[tuple[str, str, float]]:
    """(first, second, cosine) for every pair at or above `threshold`, most similar first; vectors unit-length."""
    from threadpoolctl import threadpool_limits

    pairs: list[tuple[str, str, float]] = []
    n = len(mo_ids)
    # one BLAS thread: with 2 cores shared, OpenBLAS threading made these products ~10x slower here
    with threadpool_limits(1):
        for start in range(0, n, BLOCK):
            block = vectors[start:start + BLOCK] @ vectors.T
            rows, cols = np.nonzero(block >= threshold)
            for r, c in zip(rows, cols):
                i = start + int(r)
                if int(c) > i:
                    pairs.append((mo_ids[i], mo_ids[int(c)], round(float(block[r, c]), 6)))
    pairs.sort(key=lambda p: (-p[2], p[0], p[1]))
    return pairs
