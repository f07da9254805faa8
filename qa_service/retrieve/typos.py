"""One wrong character, as a pinyin input method gives it: 准映 for 准营, 公作日 for 工作日.

A run of the question that the corpus never writes and that reads exactly like a corpus word
(same toneless pinyin) differing in one character is taken for that word — unless it is a
word people write on purpose: one of jieba's dictionary that is not far rarer than the corpus
word and of the same part of speech (a noisy channel with the dictionary's counts as the prior:
the dictionary lists common misspellings too, with tiny counts and the word's own class — 注消
v 3 against 注销 v 80 — while 公式 1158 is no misspelling of 公示 119, nor 管到 v of 管道 n). The
pinyin of a character is a dictionary lookup (pypinyin's table), so the cost grows with the
question's length and nothing else.

A window must not cut through a word the segmenter knows (办|食品 is not 办事), and a
function word (是, 的, 个) is never the character replaced.

>>> counts = {"注消": 3, "注销": 80, "公式": 1158, "公示": 119}
>>> fix = TypoCorrector(["准营", "工作日", "注销", "十个", "公示"], frequency=lambda w: counts.get(w, 0),
...                     function=frozenset("是个"))
>>> fix.correct("一证准映要几个公作日")
('一证准营要几个工作日', [('准映', '准营'), ('公作日', '工作日')])
>>> fix.correct("没注消")[1], fix.correct("公式")[1], fix.correct("注销要几天")[1], fix.correct("是个啥")[1]
([('注消', '注销')], [], [], [])
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Callable, Iterable

_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
RARER = 10  # a dictionary word this many times rarer than the corpus word it sounds like is its misspelling


@lru_cache(maxsize=1)
def _table() -> dict[int, str]:
    from pypinyin.pinyin_dict import pinyin_dict

    return pinyin_dict


@lru_cache(maxsize=8192)
def syllable(ch: str) -> str:
    """The character's first reading without tone: 营 -> ying."""
    readings = _table().get(ord(ch))
    if not readings:
        return ch
    first = readings.split(",")[0]
    return "".join(c for c in unicodedata.normalize("NFD", first) if not unicodedata.combining(c))


class TypoCorrector:
    def __init__(self, vocabulary: Iterable[str], frequency: Callable[[str], int], lengths: tuple[int, ...] = (4, 3, 2),
                 segment: Callable[[str], list[str]] | None = None, function: frozenset = frozenset(),
                 tag: Callable[[str], str | None] = lambda w: None, keep: Callable[[str], bool] = lambda w: False):
        self.function = function
        # a corpus "word" ending in a function character (时要, 七是) is a segmenter's fragment, not a word meant
        self.vocab = {w for w in vocabulary if _RUN.fullmatch(w) and len(w) in lengths and w[-1] not in function}
        self.frequency = frequency  # a word's count in a general dictionary (jieba's), 0 when it has none
        self.tag = tag  # its part of speech there
        self.keep = keep  # words known to be meant as written (the lexicon's: 营收 is not 应收)
        self.lengths = lengths
        self.segment = segment or list  # words of a run; the default treats every character as one
        self.by_sound: dict[tuple[str, ...], list[str]] = {}
        for w in sorted(self.vocab):
            self.by_sound.setdefault(tuple(syllable(c) for c in w), []).append(w)

    def correct(self, text: str) -> tuple[str, list[tuple[str, str]]]:
        fixes: list[tuple[str, str]] = []
        for run in _RUN.findall(text):
            cuts = self._cuts(run)
            i = 0
            while i < len(run) - 1:
                hit = self._at(run, i, cuts)
                if hit:
                    fixes.append(hit)
                    i += len(hit[0])
                else:
                    i += 1
        for wrong, right in fixes:
            text = text.replace(wrong, right, 1)
        return text, fixes

    def _cuts(self, run: str) -> set[int]:
        """Positions where a word of the segmenter starts or ends (the only places a window may)."""
        cuts, pos = {0}, 0
        for w in self.segment(run):
            pos += len(w)
            cuts.add(pos)
        return cuts

    def _at(self, run: str, i: int, cuts: set[int]) -> tuple[str, str] | None:
        if i not in cuts:
            return None
        for n in self.lengths:
            w = run[i : i + n]
            if len(w) < n or (i + n) not in cuts or w in self.vocab:
                continue
            for cand in self.by_sound.get(tuple(syllable(c) for c in w), ()):
                diff = [k for k, (a, b) in enumerate(zip(w, cand)) if a != b]
                if len(diff) == 1 and w[diff[0]] not in self.function and self._misspells(w, cand):
                    return w, cand
        return None

    def _misspells(self, w: str, cand: str) -> bool:
        """An unknown run may be a misspelling; a dictionary word only when far rarer and of the same
        class; a word the lexicon knows never. (Asked only of the rare window that sounds like a
        corpus word, so the lexicon's patterns are not run over every window of a long question.)"""
        if self.keep(w):
            return False
        written = self.frequency(w)
        return not written or (written * RARER <= self.frequency(cand) and self.tag(w) == self.tag(cand))
