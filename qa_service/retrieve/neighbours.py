"""Is a question like the questions the documents answer, or like the ones they do not?

The not-found decision's other features compare the question with *clauses*. A question and a
clause are written differently (「公司快撑不住了」 / 「完善企业破产重整机制」), so their cosine
sits in a narrow band for every policy-flavoured question. Compared with other *questions*, the
band widens: a question about a pension top-up is nearer to the known out-of-scope questions
(社保补缴, 退休年龄) than to any answerable one. ``margin`` is that difference, over the k
nearest of each kind: the mean similarity to the k nearest out-of-scope reference questions
minus that to the k nearest answerable ones (k-nearest-neighbour evidence, fitted into the
calibration as one more feature).

The reference questions are the calibration's own training questions (never a frozen set) and
clause headings; they are embedded with the model the calibration is for and saved beside it
(``qa-service eval calibrate``). A question never counts as its own neighbour (same analysed
text), so the features of the training questions at fitting time are those of new questions.

>>> v = np.eye(3, dtype=np.float32)
>>> n = Neighbours(("开公司几天", "社保怎么补缴", "营业执照"), v, np.array([False, True, False]), k=1)
>>> round(n.margin(np.array([0.1, 0.9, 0.1], dtype=np.float32), "社保断缴了"), 3)   # nearer the out-of-scope one
0.8
>>> n.margin(np.array([1.0, 0.0, 0.0], dtype=np.float32), "社保怎么补缴")   # itself is skipped: no out-of-scope left
-1.0
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

K = 5  # neighbours of each kind (5-fold cross-validation over the training questions: 1 < 3 < 5, alike above)


@dataclass(frozen=True)
class Neighbours:
    texts: tuple[str, ...]
    vectors: np.ndarray  # (n, dim), one row per text, unit length
    out_of_scope: np.ndarray  # (n,) bool
    k: int = K
    _rows: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.vectors) or len(self.texts) != len(self.out_of_scope):
            raise ValueError(f"neighbours disagree: {len(self.texts)} texts, {len(self.vectors)} vectors, "
                             f"{len(self.out_of_scope)} labels")
        for n, t in enumerate(self.texts):
            self._rows.setdefault(t, []).append(n)

    def margin(self, vector: np.ndarray, text: str) -> float:
        """Mean similarity to the k nearest out-of-scope references minus to the k nearest answerable ones."""
        sims = self.vectors @ np.asarray(vector, dtype=np.float32).ravel()
        sims[self._rows.get(text, [])] = np.nan  # never its own neighbour
        return _top_mean(sims[self.out_of_scope], self.k) - _top_mean(sims[~self.out_of_scope], self.k)

    def save(self, path: Path) -> None:
        """Atomically: a reader sees the old file or the new one."""
        tmp = Path(path).with_name(f".{Path(path).name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            np.savez(f, texts=np.array(self.texts, dtype=str), vectors=self.vectors.astype(np.float32),
                     out_of_scope=self.out_of_scope.astype(bool), k=np.array(self.k))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> "Neighbours":
        with np.load(path, allow_pickle=False) as z:
            return cls(tuple(str(t) for t in z["texts"]), z["vectors"].astype(np.float32), z["out_of_scope"].astype(bool), int(z["k"]))

    @classmethod
    def of(cls, texts: list[str], vectors: np.ndarray, out_of_scope: list[bool], k: int = K) -> "Neighbours":
        v = np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
        v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        return cls(tuple(texts), v, np.array(out_of_scope, dtype=bool), k)


def _top_mean(sims: np.ndarray, k: int) -> float:
    sims = sims[~np.isnan(sims)]
    if not len(sims):
        return 0.0
    k = min(k, len(sims))
    return float(np.partition(sims, len(sims) - k)[-k:].mean())
