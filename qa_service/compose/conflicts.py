"""Documents that disagree: the same measure with different figures.

企业开办 is 0.5 working days in one document, 1 in another, 1.5 in a third. The
answer shows each figure with its region, document and date — newest and most
specific first — and says why they can differ, never one figure silently.

Two cited figures disagree only when the figure table reads them as one measure, one
sub-case, one unit class and one kind (``figures.table.conflict_key``): 40 working days for
small low-risk projects is no disagreement with 85 for government-investment ones, nor a
rural area's outage hours with the city centre's. A figure the table cannot place (a
statistic, another province's example, a step without a key) is quoted, never set against another.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..figures.table import build_rows, comparable, conflict_key, validity_note
from ..models import Conflict, ConflictValue, Document, FigureRow, Item, Level
from .sentences import topic_figure, units_for

SPECIFICITY = {Level.district: 3, Level.new_area: 3, Level.city: 2, Level.province: 1, None: 0}


@dataclass
class Sourced:
    n: int  # citation number
    doc: Document
    item: Item
    sentence: str
    excerpt: str = ""  # the part of the sentence that gives the figure


def find_conflict(topic_terms: list[str], intents: set[str], sources: list[Sourced], hotline: str = "12345",
                  regions: list[str] | None = None, question: str = "",
                  rows_of: Callable[[Sourced], list[FigureRow]] | None = None) -> Conflict | None:
    """One conflict over the cited sentences, if two documents give different figures for one
    measure and sub-case of the topic. ``rows_of`` gives a cited clause's figure-table rows
    (read from the sentence itself without one).

    The regions the question names come first, then the newest and most specific."""
    units = units_for(intents) or {"days", "hours", "percent"}
    terms = [t for t in topic_terms if len(t) >= 2]
    seen: dict[tuple, list[tuple[Sourced, str, FigureRow]]] = {}
    for s in sources:
        hit = topic_figure(s.sentence, terms, units, question)
        if hit:
            value, s.excerpt = hit
            row = _row_for(value, s, rows_of or _rows_read_now)
            if row is not None and comparable(row):
                seen.setdefault(conflict_key(row), []).append((s, value, row))
    for vals in seen.values():
        vals = list({(s.doc.id, v): (s, v, r) for s, v, r in vals}.values())  # one row per document and figure
        if len({s.doc.id for s, _, _ in vals}) >= 2 and len({v for _, v, _ in vals}) >= 2:
            return _conflict(vals, regions, hotline)
    return None


def _rows_read_now(s: Sourced) -> list[FigureRow]:
    return build_rows([s.doc], [s.item])


def _row_for(value: str, s: Sourced, rows_of: Callable[[Sourced], list[FigureRow]]) -> FigureRow | None:
    """The table's row for a figure quoted from a cited sentence (50、85个工作日: the row of 85)."""
    rows = [r for r in rows_of(s) if r.text and (r.text == value or value.endswith(r.text) or r.text.endswith(value))]
    return next((r for r in rows if r.sentence == s.sentence), rows[0] if rows else None)


def _conflict(vals: list[tuple[Sourced, str, FigureRow]], regions: list[str] | None, hotline: str) -> Conflict:
    asked = tuple(regions or ())
    vals.sort(key=lambda sv: (bool(asked) and (sv[0].doc.region or "").startswith(asked),
                              sv[0].doc.date or "", SPECIFICITY.get(sv[0].doc.level, 0)), reverse=True)
    values = [
        ConflictValue(
            value=v,
            citation_n=s.n,
            region=s.doc.region,
            doc_title=s.doc.short_title,
            date=s.doc.date,
            subcase=r.subcase or None,
            validity=validity_note(r),
            qualifier=r.qualifier or None,
        )
        for s, v, r in vals
    ]
    head = vals[0][2]
    topic = (head.measure_key or head.measure_norm) + (f"（{head.subcase}）" if head.subcase else "")
    return Conflict(topic=topic, values=values, explanation=explain([(s, v) for s, v, _ in vals], hotline))


def explain(vals: list[tuple[Sourced, str]], hotline: str = "12345") -> str:
    return _explain([s.doc.region for s, _ in vals], [s.doc.date for s, _ in vals], hotline)


def explain_rows(rows, hotline: str = "12345") -> str:
    """Why figure-table rows of one measure and sub-case differ (region, year)."""
    return _explain([r.region for r in rows], [r.date for r in rows], hotline)


def _explain(regions_of: list, dates: list, hotline: str) -> str:
    regions = list(dict.fromkeys(r or "未注明地区" for r in regions_of))
    years = sorted({d[:4] for d in dates if d})
    why = []
    if len(regions) > 1:
        why.append(f"适用地区不同（{'、'.join(regions)}）")
    if len(years) > 1:
        why.append(f"发布年份不同（{'、'.join(years)}年）")
    why.append("指标口径或适用范围也可能不同（如全流程或单个环节、目标值或办结率）")
    return "这些文件给出的数字不一致，原因可能是" + "；".join(why) + "。请以您所在地区、最新的文件为准，具体可咨询办理部门或拨打" + hotline + "。"
