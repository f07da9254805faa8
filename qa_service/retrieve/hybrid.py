"""Fusion of dense and keyword scores: a pure function of plain arrays.

Scores are put on absolute scales before they are mixed, so that the best score
of a query also says whether anything answers it (the "not found" threshold):
cosine similarity is mapped from its useful band [lo, hi] onto [0, 1], and BM25
is divided by the score an ideal clause holding every query term would get.

>>> import numpy as np
>>> ranked = hybrid_rank(np.array([0.80, 0.90, 0.86]), np.array([0.0, 2.0, 6.0]), keyword_ideal=6.0, top_k=2)
>>> [i for i, *_ in ranked]
[2, 1]
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FusionWeights:
    dense_lo: float = 0.80
    dense_hi: float = 0.92
    w_dense: float = 0.5
    w_keyword: float = 0.5


DEFAULT_WEIGHTS = FusionWeights()


def fuse(dense: np.ndarray, keyword: np.ndarray, keyword_ideal: float, w: FusionWeights = DEFAULT_WEIGHTS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fused, dense on [0,1], keyword on [0,1]) for every item."""
    d = np.clip((dense - w.dense_lo) / (w.dense_hi - w.dense_lo), 0.0, 1.0)
    k = np.clip(keyword / max(keyword_ideal, 1e-6), 0.0, 1.0)
    return w.w_dense * d + w.w_keyword * k, d, k


def hybrid_rank(
    dense: np.ndarray,
    keyword: np.ndarray,
    *,
    keyword_ideal: float,
    mask: np.ndarray | None = None,
    boost: np.ndarray | None = None,
    weights: FusionWeights = DEFAULT_WEIGHTS,
    top_k: int = 5,
    groups: np.ndarray | None = None,
    diversity: float = 0.9,
) -> list[tuple[int, float, float, float]]:
    """Top items as (index, score, dense part, keyword part), best first.

    ``mask`` keeps only allowed items (filters); ``boost`` multiplies scores
    (a region the question names). With ``groups`` (the document of each item),
    each further item from an already chosen document counts ``diversity`` times
    less when the top k are filled, so that figures from other documents surface.
    """
    fused, d, k = fuse(dense, keyword, keyword_ideal, weights)
    if boost is not None:
        fused = fused * boost
    if mask is not None:
        fused = np.where(mask, fused, -np.inf)
    n = min(top_k, int(np.isfinite(fused).sum()))
    if n <= 0:
        return []
    if groups is None or diversity >= 1.0:
        top = np.argpartition(-fused, n - 1)[:n]
        top = top[np.argsort(-fused[top], kind="stable")]
        return [(int(i), float(fused[i]), float(d[i]), float(k[i])) for i in top]
    pool_n = min(int(np.isfinite(fused).sum()), max(50, 4 * n))
    pool = list(np.argsort(-fused, kind="stable")[:pool_n])
    chosen: list[int] = []
    per_group: dict[int, int] = {}
    while pool and len(chosen) < n:
        best = max(pool, key=lambda i: fused[i] * diversity ** per_group.get(int(groups[i]), 0))
        pool.remove(best)
        chosen.append(int(best))
        per_group[int(groups[best])] = per_group.get(int(groups[best]), 0) + 1
    return [(i, float(fused[i]), float(d[i]), float(k[i])) for i in chosen]
