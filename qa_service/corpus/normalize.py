"""Text repairs that make OCR'd and converted policy text citable.

Each function is pure and works on one line or one joined paragraph.

>>> squeeze_spaces("2023 年6 月3 日，〔2023〕11 号， i 西安 APP 等")
'2023年6月3日，〔2023〕11号，i西安APP等'
>>> strip_markdown("## **二、放要放出活力**")
'二、放要放出活力'
>>> join_fragments("要切实", "实完善工作机制", across_blank=True)
'要切实完善工作机制'
"""
from __future__ import annotations

import re
import unicodedata

PAGE_RE = re.compile(r"^\s*#\s*Page\s+(\d+)\s*:\s*$")
RULE_RE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")
MD_HEADING_RE = re.compile(r"^\s*(#{1,6})\s+")
_MD_LINK_RE = re.compile(r"\[([^\]]*)\]\((?:mailto:|https?://)[^)]*\)")
_BOOKMARK_RE = re.compile(r"\[bookmark:[^\]]*\]\s*")
# whitespace survives only between two ASCII word characters ("Open API"); OCR put
# spaces after digits and around Latin letters inside Chinese text.
_SPACE_RE = re.compile(r"(?<![A-Za-z0-9])[ \t\u3000\u00a0]+|[ \t\u3000\u00a0]+(?![A-Za-z0-9])")
_EMAIL_DOT_RE = re.compile(r"(@[A-Za-z0-9-]+)。(com|cn|net|org)\b")

# Characters that legitimately double across a break: 市市场监管局, 区区县…
_NO_DEDUPE = set("市区县省乡镇村")


def strip_markdown(line: str) -> str:
    """Drop markdown heading marks, bold, escapes, links and Word bookmarks; keep the words."""
    s = MD_HEADING_RE.sub("", line)
    s = s.replace("**", "")
    s = _MD_LINK_RE.sub(lambda m: m.group(1), s)
    s = re.sub(r"\\+([_*\[\]()#`\\-])", r"\1", s)
    s = _BOOKMARK_RE.sub("", s)
    return s


def squeeze_spaces(text: str) -> str:
    """Remove OCR and line-wrap spaces, keeping a space only between two ASCII words."""
    return _SPACE_RE.sub("", text).strip()


def repair_ocr(text: str) -> str:
    """Small OCR repairs that are unambiguous: ``163。com`` -> ``163.com``."""
    return _EMAIL_DOT_RE.sub(r"\1.\2", text)


def normalize_line(line: str) -> str:
    """One physical line -> clean text (NFC, no markdown, no stray spaces)."""
    s = unicodedata.normalize("NFC", line.replace("\ufeff", ""))
    s = strip_markdown(s)
    s = repair_ocr(s)
    return squeeze_spaces(s)


def cjk_len(s: str) -> int:
    """Display width in full-width characters (ASCII counts half)."""
    return sum(1 if ord(c) > 0x2000 else 0.5 for c in s)  # type: ignore[return-value]


def _is_reduplication(ch: str) -> bool:
    try:
        import jieba

        return jieba.dt.FREQ.get(ch * 2, 0) >= 10
    except Exception:  # jieba missing: be conservative, keep the text as printed
        return True


def join_fragments(left: str, right: str, *, across_blank: bool = False) -> str:
    """Join two pieces of a sentence split by a line break, with no space.

    A character printed on both sides of a blank-line break (``切实`` / ``实完善``)
    is a conversion artifact: keep one, unless the pair is a real word (人人, 常常).
    """
    if not left:
        return right
    if not right:
        return left
    if (
        across_blank
        and left[-1] == right[0]
        and "\u4e00" <= left[-1] <= "\u9fff"
        and left[-1] not in _NO_DEDUPE
        and not _is_reduplication(left[-1])
    ):
        return left + right[1:]
    return left + right


_MARKER_WIDTH = str.maketrans({"(": "（", ")": "）", "．": ".", ":": "："})


def unify_marker(marker: str) -> str:
    """``(三)`` -> ``（三）``, ``7．`` -> ``7.``: one spelling per marker kind for paths."""
    return marker.translate(_MARKER_WIDTH).replace(" ", "")
