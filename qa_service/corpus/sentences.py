"""A clause's sentences: the unit an answer quotes and a figure is read from.

>>> split_sentences("企业开办时间压减到1个工作日内。（市场监管局牵头）全面推行电子营业执照。")
['企业开办时间压减到1个工作日内。（市场监管局牵头）', '全面推行电子营业执照。']
"""
from __future__ import annotations

_NOTE_START = ("（", "(", "〔")


def split_sentences(text: str) -> list[str]:
    """Split at 。；！？ and keep a following note （…牵头…） with its sentence."""
    from .notes import bracket_spans

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
