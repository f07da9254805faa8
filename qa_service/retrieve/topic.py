"""A question's topic: its content words, which of them are nouns, and their lexicon variants.

Words come from the domain-aware jieba dictionary without its HMM (unknown runs fall apart
into single characters, which are never topic words), so the cost grows with the question's
length only; a word's part of speech is a lookup in jieba's dictionary, not tagging.

>>> t = Topic.of("开个火锅店要办什么许可", segment=lambda s: ["开个", "火锅店", "要", "办", "什么", "许可"],
...              tag=lambda w: "n", stop=frozenset({"什么"}))
>>> t.words, t.variants["火锅店"]
(['开个', '火锅店', '许可'], ('餐饮',))
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from .. import lexicon

_KEEP = re.compile(r"^(?:[\u4e00-\u9fff]{2,}|[A-Za-z][A-Za-z0-9+\-]+)$")
NOUN_TAGS = ("n", "vn", "an", "eng", "nz", "nt", "nr")  # not ns: places are handled as regions
# pronouns, adverbs, conjunctions, prepositions, particles, numerals, measure words, locatives
# and time words never name a topic (别的, 一直, 或者, 好几个, 以后): jieba's dictionary tags say which
FUNCTION_TAGS = ("r", "d", "c", "p", "u", "m", "q", "f", "t", "y", "e", "o", "z")
# the question's own asking — 会不会, 哪几个, 谁来管 — which jieba's tags do not catch (lexicon/cues.toml)
_A_NOT_A = re.compile(lexicon.cues()["a_not_a"])
_ASKING = re.compile(lexicon.cues()["interrogative"])


@dataclass
class Topic:
    words: list[str]
    nouns: list[str]
    variants: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, text: str, segment: Callable[[str], list[str]], tag: Callable[[str], str | None],
           stop: frozenset, foreign: tuple[str, ...] = ()) -> "Topic":
        spans = _synonym_spans(text)
        asks = [(m.start(), m.end()) for m in _A_NOT_A.finditer(text)]  # 会不会: its 不会 is no topic
        cilin = lexicon.cilin_map()
        words, nouns, variants, pos = [], [], {}, 0
        for w in segment(text):
            start, pos = pos, pos + len(w)
            t = tag(w)
            if not _KEEP.match(w) or w in stop or any(f in w for f in foreign) or (t and t.startswith(FUNCTION_TAGS)):
                continue
            if _ASKING.search(w) or any(s < pos and start < e for s, e in asks):
                continue
            terms = [t for s, e, ts in spans if _speaks_for(s, e, start, pos) for t in ts] + list(cilin.get(w, ()))
            words.append(w)
            variants[w] = tuple(dict.fromkeys(terms))
            if t is None or t.startswith(NOUN_TAGS):
                nouns.append(w)
        for start, end, terms in spans:
            # 开公司: a phrase the lexicon maps is a topic even when its words are generic (公司)
            if not any(w in text[start:end] or text[start:end] in w for w in words):
                phrase = text[start:end]
                words.append(phrase)
                variants[phrase] = tuple(dict.fromkeys(variants.get(phrase, ()) + tuple(terms)))
        return cls(list(dict.fromkeys(words)), list(dict.fromkeys(nouns)), variants)

    def covered(self, word: str, text: str) -> bool:
        return word in text or any(v in text for v in self.variants.get(word, ()))

    def absent(self, corpus_text: str) -> bool:
        """A topic noun the corpus never uses, even through a variant (最低工资, 签证)."""
        return any(not self.covered(n, corpus_text) for n in self.nouns)


def _speaks_for(s: int, e: int, start: int, end: int) -> bool:
    """Does a lexicon phrase at [s, e) speak for the word at [start, end)? When it overlaps it, unless
    it lies inside the longer word: 信用 in 信用卡 is no 信用修复, 电力 in 电力线 no 获得电力.

    >>> _speaks_for(0, 2, 0, 3), _speaks_for(0, 4, 0, 2), _speaks_for(1, 3, 0, 2), _speaks_for(0, 2, 0, 2)
    (False, True, True, True)
    """
    inside = start <= s and e <= end and e - s < end - start
    return s < end and start < e and not inside


def _synonym_spans(text: str) -> list[tuple[int, int, tuple[str, ...]]]:
    """Where the question says something the lexicon maps to the documents' terms."""
    return [(m.start(), m.end(), s.terms) for s in lexicon.synonyms() for m in s.pattern.finditer(text)]
