"""A document's period of validity and its status: 现行 / 已到期 / 已废止 / 被替代.

The period is read from the document where it states one: a span in the title
(``（2020年—2022年）``, ``2023—2025年``), ``自印发之日起施行，有效期三年``, ``自2023年7月1日起施行``,
``有效期至2025年12月31日``, or a one-year plan (``西安市2022年…重点任务清单`` → 2022).
The status then follows from the period, today's date and the document lifecycle:
retired by the administrator (已废止) or named by a newer document's
``原《…》同时废止`` (被替代). Retired and replaced documents are not answered; an expired
one is still answered, and says so.

One function gives the status, for answers, search results and the figures alike:

>>> from datetime import date
>>> from qa_service.models import Document
>>> d = Document(id="x", title="西咸新区优化营商环境推进重大项目建设三年行动方案（2020年—2022年）", source_file="x.txt")
>>> d.valid_from, d.valid_until = period_of(d.title, [], None)[:2]
>>> v = validity(d, date(2026, 1, 1))
>>> (v.valid_from, v.valid_until, v.status, v.current)
('2020-01-01', '2022-12-31', '已到期', False)
>>> period_of("某方案", ["本方案自印发之日起施行，有效期三年。"], "2023-06-03")[:2]
('2023-06-03', '2026-06-02')
>>> replaced_names(["本办法自2024年1月1日起施行，原《某市优化营商环境办法》（某政发〔2020〕3号）同时废止。"])
['某市优化营商环境办法', '某政发〔2020〕3号']
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable

from .markers import cn_to_int

CURRENT, EXPIRED, REPEALED, REPLACED = "现行", "已到期", "已废止", "被替代"
STATUSES = (CURRENT, EXPIRED, REPEALED, REPLACED)

_Y = r"(20\d{2})\s*年?"
SPAN_RE = re.compile(rf"{_Y}\s*[—–\-－~至到]+\s*{_Y}")
DATE_RE = r"(20\d{2})年(\d{1,2})月(\d{1,2})日"
START_RE = re.compile(rf"自(?:{DATE_RE}|(印发|发布|公布)之日)起(?:施行|执行|实施|生效)")
YEARS_RE = re.compile(r"有效期(?:为|暂定)?([一二三四五六七八九十\d]{1,3})年")
UNTIL_RE = re.compile(rf"有效期至{DATE_RE}")
ONE_YEAR_RE = re.compile(r"(20\d{2})年(?:度)?[^，。]{0,20}?(?:工作要点|重点任务|任务清单|工作计划|行动计划)")
REPEAL_RE = re.compile(r"原((?:《[^》]{4,80}》(?:[（(][^）)]{4,30}[）)])?[、和及]?)+)(?:同时|一并)?(?:废止|停止执行|不再执行)")


@dataclass(frozen=True)
class Validity:
    valid_from: str | None  # ISO date
    valid_until: str | None  # ISO date, the last day in force
    basis: str | None  # the words that state the period, as printed
    status: str  # 现行 / 已到期 / 已废止 / 被替代
    reason: str | None = None  # why not current: the retirement reason, the replacing document

    @property
    def current(self) -> bool:
        return self.status == CURRENT

    @property
    def answerable(self) -> bool:
        """Retired and replaced documents are no longer answered; an expired one is, labelled."""
        return self.status in (CURRENT, EXPIRED)


def validity(doc, today: date) -> Validity:
    """The status of ``doc`` (a :class:`~qa_service.models.Document`) on ``today``."""
    if doc.retired_reason is not None:
        return Validity(doc.valid_from, doc.valid_until, doc.validity_basis, REPEALED, doc.retired_reason or "管理员废止")
    if doc.replaced_by:
        return Validity(doc.valid_from, doc.valid_until, doc.validity_basis, REPLACED, f"被 {doc.replaced_by} 替代")
    if doc.valid_until and doc.valid_until < today.isoformat():
        return Validity(doc.valid_from, doc.valid_until, doc.validity_basis, EXPIRED, f"有效期至{doc.valid_until}")
    return Validity(doc.valid_from, doc.valid_until, doc.validity_basis, CURRENT)


def period_of(title: str, texts: Iterable[str], issued: str | None) -> tuple[str | None, str | None, str | None]:
    """(valid_from, valid_until, the words that say so) from the title and the text."""
    m = SPAN_RE.search(title)
    if m and m.group(1) <= m.group(2):
        return f"{m.group(1)}-01-01", f"{m.group(2)}-12-31", m.group(0)
    for text in texts:
        found = _stated(text, issued)
        if found:
            return found
    m = ONE_YEAR_RE.search(title)
    if m:
        return f"{m.group(1)}-01-01", f"{m.group(1)}-12-31", m.group(0)
    return None, None, None


def _stated(text: str, issued: str | None) -> tuple[str | None, str | None, str] | None:
    start = START_RE.search(text)
    begin = None
    if start:
        begin = _iso(*start.groups()[:3]) if start.group(1) else (issued if issued and len(issued) == 10 else None)
    until = UNTIL_RE.search(text)
    if until:
        return begin, _iso(*until.groups()), until.group(0)
    years = YEARS_RE.search(text)
    if years and begin:
        n = int(years.group(1)) if years.group(1).isdigit() else cn_to_int(years.group(1))
        d = date.fromisoformat(begin)
        end = d.replace(year=d.year + n) - timedelta(days=1)
        return begin, end.isoformat(), _sentence(text, years.start())
    if start:
        return begin, None, start.group(0)
    return None


def replaced_names(texts: Iterable[str]) -> list[str]:
    """Titles and 文号 a document names in ``原《…》（文号）同时废止``."""
    out: list[str] = []
    for text in texts:
        for m in REPEAL_RE.finditer(text):
            out += re.findall(r"《([^》]+)》", m.group(1)) + re.findall(r"[（(]([^）)]+号)[）)]", m.group(1))
    return out


def _iso(y: str, m: str, d: str) -> str:
    return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"


def _sentence(text: str, at: int) -> str:
    start = max(text.rfind("。", 0, at), text.rfind("，", 0, max(0, at - 12))) + 1
    end = text.find("。", at)
    return text[start : end if end >= 0 else len(text)].strip()
