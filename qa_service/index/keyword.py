"""Keyword side of the hybrid index: jieba words + character bigrams, scored with BM25.

``BM25`` is a small class in the style of rank_bm25: give it tokenized documents
(from any tokenizer), ask for scores of a tokenized query.

>>> bm = BM25([["企业", "开办"], ["用水", "报装"], ["企业", "注销"]])
>>> [round(float(s), 2) for s in bm.scores(["企业", "开办"])]
[1.45, 0.0, 0.47]
>>> tok = PolicyTokenizer(["一网通办"])
>>> "一网通办" in tok("推进“一网通办”改革")
True
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from typing import Callable, Iterable

import numpy as np

from ..lexicon import function_words

Tokenizer = Callable[[str], list[str]]

STOPWORDS = function_words()  # lexicon/stopwords.txt, kind `function`
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_KEEP = re.compile(r"^(?:[\u4e00-\u9fff]+|[A-Za-z][A-Za-z0-9+\-]*|\d+(?:\.\d+)?%?)$")
BIGRAM = "§"  # prefix keeping bigrams apart from words of the same spelling


class PolicyTokenizer:
    """jieba's search-mode words (long words and their parts) plus CJK character bigrams.

    Bigrams make the keyword side robust to segmentation differences and typos
    (抵压登记 still shares 登记 with 抵押登记).
    """

    def __init__(self, user_words: Iterable[str] = (), bigrams: bool = True):
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)  # not its "Building prefix dict…" chatter on every start
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        for w in user_words:
            self._jieba.add_word(w, freq=20000)
        self.bigrams = bigrams

    def words(self, text: str) -> list[str]:
        out = []
        for w in self._jieba.cut_for_search(text):
            w = w.strip().lower()
            if w and w not in STOPWORDS and _KEEP.match(w) and not (w.isdigit() and len(w) < 2):
                out.append(w)
        return out

    def __call__(self, text: str) -> list[str]:
        return self.words(text) + self.bigrams_of(text)

    def bigrams_of(self, text: str) -> list[str]:
        """The CJK character bigrams of ``text`` (none if this tokenizer makes none)."""
        if not self.bigrams:
            return []
        return [BIGRAM + run[i : i + 2] for run in _CJK_RUN.findall(text) for i in range(len(run) - 1)]


class BM25:
    """Okapi BM25 over an inverted index; documents are lists of tokens."""

    def __init__(self, docs: list[list[str]], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.n = len(docs)
        self.doc_len = np.array([len(d) for d in docs], dtype=np.float32)
        self.avgdl = float(self.doc_len.mean()) if self.n else 0.0
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, d in enumerate(docs):
            for t, c in Counter(d).items():
                postings[t].append((i, c))
        self.postings = {t: (np.array([p[0] for p in ps], np.int32), np.array([p[1] for p in ps], np.float32)) for t, ps in postings.items()}
        self.idf = {t: math.log((self.n - len(ps[0]) + 0.5) / (len(ps[0]) + 0.5) + 1.0) for t, ps in self.postings.items()}
        self._norm = self.k1 * (1 - self.b + self.b * self.doc_len / max(self.avgdl, 1e-9))

    def scores(self, query: list[str], weights: dict[str, float] | None = None) -> np.ndarray:
        s = np.zeros(self.n, dtype=np.float32)
        for t, qtf in Counter(query).items():
            if t not in self.postings:
                continue
            ids, tf = self.postings[t]
            w = self.idf[t] * (weights.get(t, 1.0) if weights else 1.0)
            s[ids] += w * tf * (self.k1 + 1) / (tf + self._norm[ids])
        return s

    def max_score(self, query: list[str], weights: dict[str, float] | None = None) -> float:
        """The score of an ideal document holding every query term once (for normalizing)."""
        total = 0.0
        for t in set(query):
            if t in self.idf:
                total += self.idf[t] * (weights.get(t, 1.0) if weights else 1.0) * (self.k1 + 1) / (1 + self.k1)
        return total
