"""Recognizing the numbering markers and special lines of Chinese policy documents.

Levels, from the top: ``一、`` (L1) > ``（一）`` (L2) > ``1.`` / ``1．`` / ``1、`` (ITEM)
> ``（1）`` (SUB). ``具体措施：`` / ``具体举措：`` opens a sub-list of a task.

>>> m = match_marker("19.提升开办企业质效。")
>>> (m.level, m.num, m.printed, m.rest)
('ITEM', 19, '19.', '提升开办企业质效。')
>>> match_marker("1.5%的费率") is None
True
>>> match_marker("1.2021年3月底前完成").num
1
>>> cn_to_int("二十四")
24
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .. import lexicon

CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def cn_to_int(s: str) -> int:
    """Chinese numerals up to 99: 一 -> 1, 十 -> 10, 十六 -> 16, 二十四 -> 24."""
    if "十" not in s:
        return CN_DIGITS[s]
    tens, _, ones = s.partition("十")
    return (CN_DIGITS[tens] if tens else 1) * 10 + (CN_DIGITS[ones] if ones else 0)


_CN = "[一二三四五六七八九十]{1,3}"
L1_RE = re.compile(rf"^({_CN})、\s*")
L2_RE = re.compile(rf"^[（(]\s*({_CN})\s*[）)]\s*")
# (?!\d) keeps 1.5% and 5.5个工作日 out, except before a year: "1. 2021年3月底前" (the
# space between marker and year is squeezed away with the other OCR spaces).
ITEM_RE = re.compile(r"^(\d{1,3})\s*([.．、])(?!\d(?!\d{3}年))\s*")
SUB_RE = re.compile(r"^[（(]\s*(\d{1,2})\s*[）)]\s*")
SUBLABEL_RE = re.compile(r"^具体(?:措施|举措)\s*[:：]\s*(.*)$")

DATE_LINE_RE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日(印发)?$")
DATE_IN_TITLE_RE = re.compile(r"[（(](\d{4})年(\d{1,2})月(\d{1,2})日[）)]$")
# 文号: an issuer code of 2-10 characters (陕政办发, 陕发改营商, 铜政办函), 〔year〕, number, 号
DOCNO_RE = re.compile(r"^([\u4e00-\u9fff]{2,10})〔(\d{4})〕(\d+)号$")
# a compilation's document header: "3. 陕西省知识产权局关于…" or the number alone
# (the issuer starts with a Shaanxi place: the gazetteer's names, qa_service/lexicon/places.tsv)
DOCHDR_RE = re.compile(
    r"^(\d{1,2})\.\s*(?:$|((?:中共)?(?:" + "|".join(map(re.escape, lexicon.shaanxi_names())) + r").*))"
)
ORG_LINE_RE = re.compile(
    r"^(?:中共)?[\u4e00-\u9fff（）()]{2,40}(?:办公厅|办公室|人民政府|委员会|局|市委|省委|区委|县委|管委会|领导小组|（代章）|\(代章\))$"
)
ADDRESSEE_RE = re.compile(r"^(?:各|省|市|区|县|局)[^。]{2,120}[：:]$")
ATTACH_RE = re.compile(r"^附件\s*(\d*)\s*[:：.．]?\s*(.*)$")
FOOTER_RE = re.compile(r"^(?:抄送|抄报|主送)\s*[:：]")


@dataclass(frozen=True)
class Marker:
    level: str  # L1 | L2 | ITEM | SUB | SUBLABEL
    num: int
    printed: str  # as printed, e.g. "（十三）", "7．"
    rest: str  # the text after the marker on the same line

    @property
    def unified(self) -> str:
        """One spelling per level for paths: 二、 / （二） / 7. / （1）."""
        from .normalize import unify_marker

        if self.level == "ITEM":
            return f"{self.num}."
        return unify_marker(self.printed)


def match_marker(text: str) -> Marker | None:
    """The numbering marker at the start of ``text`` (already normalized), if any."""
    for level, rx in (("L1", L1_RE), ("L2", L2_RE), ("SUB", SUB_RE)):
        m = rx.match(text)
        if m:
            return Marker(level, cn_to_int(m.group(1)) if level != "SUB" else int(m.group(1)),
                          m.group(0).strip(), text[m.end():])
    m = ITEM_RE.match(text)
    if m:
        return Marker("ITEM", int(m.group(1)), m.group(0).strip(), text[m.end():])
    m = SUBLABEL_RE.match(text)
    if m:
        return Marker("SUBLABEL", 0, text[: m.start(1)].strip(), m.group(1))
    return None


def iso_date(y: str | int, m: str | int, d: str | int) -> str:
    return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"
