"""Sentences and figures inside a clause.

>>> split_sentences("企业开办时间压减到1个工作日内。（市场监管局牵头）全面推行电子营业执照。")
['企业开办时间压减到1个工作日内。（市场监管局牵头）', '全面推行电子营业执照。']
>>> [(f.value, f.unit_class) for f in figures("压减至0.5个工作日，纳税时间68小时以内，费率不超过1%")]
[('0.5个工作日', 'days'), ('68小时', 'hours'), ('1%', 'percent')]
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_NOTE_START = ("（", "(", "〔")

UNITS: list[tuple[str, str]] = [
    (r"个?工作日", "days"),
    (r"个?自然日", "days"),
    (r"(?:个)?小时", "hours"),
    (r"分钟", "minutes"),
    (r"天", "days"),
    (r"个月", "months"),
    (r"%", "percent"),
    (r"万元|亿元|元", "money"),
    (r"项", "count"),
    (r"家", "count"),
    (r"个", "count"),
]
_NUM = r"\d+(?:\.\d+)?(?:[—\-－~至到]\d+(?:\.\d+)?)?"
FIGURE_RE = re.compile(rf"({_NUM})\s*(" + "|".join(u for u, _ in UNITS) + ")")


@dataclass(frozen=True)
class Figure:
    value: str  # as printed: 0.5个工作日, 10—12个工作日, 68小时
    number: str
    unit: str
    unit_class: str
    start: int


def split_sentences(text: str) -> list[str]:
    """Split at 。；！？ and keep a following note （…牵头…） with its sentence."""
    from ..corpus.notes import bracket_spans

    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):  # split at terminators outside brackets only
        if ch in "（(〔":
            depth += 1
        elif ch in "）)〕" and depth:
            depth -= 1
        elif ch in "。；！？!?;" and depth == 0:
            parts.append(text[start : i + 1])
            start = i + 1
    if start < len(text):
        parts.append(text[start:])
    out: list[str] = []
    for p in parts:
        if out and p.startswith(_NOTE_START):
            spans = bracket_spans(p)
            end = spans[0][1] if spans and spans[0][0] == 0 else len(p)
            out[-1] += p[:end]
            p = p[end:]
        if not p:
            continue
        if out and len(p) <= 2:
            out[-1] += p
        else:
            out.append(p)
    return out


def figures(text: str) -> list[Figure]:
    out = []
    for m in FIGURE_RE.finditer(text):
        unit = m.group(2)
        cls = next(c for u, c in UNITS if re.fullmatch(u, unit))
        out.append(Figure(m.group(0), m.group(1), unit, cls, m.start()))
    return out


def numbers_in(text: str) -> set[str]:
    """Every number in a text (for checking that an answer invents none)."""
    return set(re.findall(r"\d+(?:\.\d+)?", text))


def topic_figure(sentence: str, topic: list[str], units: set[str]) -> tuple[str, str] | None:
    """(figure, excerpt) for the topic in a sentence: the first figure of the wanted units in
    the comma-clause that names the topic, or in the clause right after it.

    >>> topic_figure("企业开办时间压减到1个工作日内，获得用水时间压减到7个工作日内。", ["获得用水"], {"days"})
    ('7个工作日', '获得用水时间压减到7个工作日内')
    """
    clauses = [c for c in re.split(r"[，,；;。]", sentence) if c]
    for i, c in enumerate(clauses):
        if any(t in c for t in topic):
            for cand in clauses[i : i + 2]:
                for f in figures(cand):
                    if f.unit_class in units:
                        return f.value, (c if cand is c else c + "，" + cand)
    return None
