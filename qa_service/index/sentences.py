"""The sentence channel of the dense index: every clause's sentences embedded on their own.

A long clause lists several measures (企业开办…；用水报装…；不动产登记…), and its one vector is
the average of all of them, so a question about one of them is only half-close to it. Scoring
a clause by the mean of its whole-text similarity and its best sentence's (the max-passage idea
of Dai & Callan 2019, "Deeper Text Understanding for IR with Contextual Neural Language
Modeling") lets the one sentence that answers speak for its clause, while the whole text keeps
the clause's context (its heading, its document).

>>> import numpy as np
>>> texts, starts = sentence_rows(["企业开办压减至1个工作日。用水报装3个工作日内办结。", "加强组织领导"])
>>> texts, starts.tolist()
(['企业开办压减至1个工作日。', '用水报装3个工作日内办结。', '加强组织领导'], [0, 2])
>>> vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], dtype=np.float32)
>>> best_sentence_scores(vectors, starts, np.array([0.0, 1.0], dtype=np.float32)).tolist()
[1.0, 0.800000011920929]
"""
from __future__ import annotations

import numpy as np

from ..corpus.sentences import split_sentences

MIN_CHARS = 4  # shorter pieces (一是, 2.) say nothing on their own


def sentence_rows(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """Every clause's sentences, in clause order, and where each clause's sentences start
    (a clause with no sentence of MIN_CHARS is its own one sentence, so none is left out)."""
    out: list[str] = []
    starts = np.zeros(len(texts), dtype=np.int64)
    for k, text in enumerate(texts):
        starts[k] = len(out)
        parts = [s for s in (p.strip() for p in split_sentences(text)) if len(s) >= MIN_CHARS]
        out.extend(parts or [text])
    return out, starts


def best_sentence_scores(vectors: np.ndarray, starts: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Each clause's best sentence similarity to the (normalized) query vector: one matrix
    product and one segmented maximum, linear in the number of sentences."""
    sims = vectors @ query.reshape(-1)
    return np.maximum.reduceat(sims, starts).astype(np.float32)
