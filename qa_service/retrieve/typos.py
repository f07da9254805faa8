"""One wrong character, as a pinyin input method gives it: 准映 for 准营, 公作日 for 工作日.

A run of the question that the corpus never writes, that is no word of jieba's dictionary,
and that reads exactly like a corpus word (same toneless pinyin) differing in one character
is taken for that word. The pinyin of a character is a dictionary lookup (pypinyin's table),
so the cost grows with the question's length and nothing else.

A window must not cut through a word the segmenter knows (办|食品 is not 办事), and a
function word (是, 的, 个) is never the character replaced.

>>> fix = TypoCorrector(["准营", "工作日", "注销", "十个"], known=lambda w: False, function=frozenset("是个"))
>>> fix.correct("一证准映要几个公作日")
('一证准营要几个工作日', [('准映', '准营'), ('公作日', '工作日')])
>>> fix.correct("注销要几天")[1], fix.correct("是个啥")[1]
([], [])
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Callable, Iterable

_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


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
    def __init__(self, vocabulary: Iterable[str], known: Callable[[str], bool], lengths: tuple[int, ...] = (4, 3, 2),
                 segment: Callable[[str], list[str]] | None = None, function: frozenset = frozenset()):
        self.vocab = {w for w in vocabulary if _RUN.fullmatch(w) and len(w) in lengths}
        self.known = known  # is this a word people write correctly (jieba's dictionary)?
        self.lengths = lengths
        self.segment = segment or list  # words of a run; the default treats every character as one
        self.function = function
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
            if len(w) < n or (i + n) not in cuts or w in self.vocab or self.known(w):
                continue
            for cand in self.by_sound.get(tuple(syllable(c) for c in w), ()):
                diff = [k for k, (a, b) in enumerate(zip(w, cand)) if a != b]
                if len(diff) == 1 and w[diff[0]] not in self.function:
                    return w, cand
        return None
