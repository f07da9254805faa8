"""Documents that disagree: the same measure with different figures.

企业开办 is 0.5 working days in one document, 1 in another, 1.5 in a third. The
answer shows each figure with its region, document and date — newest and most
specific first — and says why they can differ, never one figure silently.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..models import Conflict, ConflictValue, Document, Item, Level, Scope
from .sentences import topic_figure, units_for

SPECIFICITY = {Level.district: 3, Level.new_area: 3, Level.city: 2, Level.province: 1, None: 0}


@dataclass
class Sourced:
    n: int  # citation number
    doc: Document
    item: Item
    sentence: str
    excerpt: str = ""  # the part of the sentence that gives the figure


def _unit_class(value: str) -> str:
    from .sentences import figures

    fs = figures(value)
    return fs[0].unit_class if fs else "other"


def find_conflict(topic_terms: list[str], intents: set[str], sources: list[Sourced], hotline: str = "12345",
                  regions: list[str] | None = None, question: str = "") -> Conflict | None:
    """One conflict over the cited sentences, if two documents give different figures for the topic.

    The regions the question names come first, then the newest and most specific."""
    units = units_for(intents) or {"days", "hours", "percent"}
    terms = [t for t in topic_terms if len(t) >= 2]
    seen: dict[str, list[tuple[Sourced, str]]] = {}
    for s in sources:
        hit = topic_figure(s.sentence, terms, units, question)
        if hit:
            value, excerpt = hit
            s.excerpt = excerpt
            seen.setdefault(_unit_class(value), []).append((s, value))
    for unit_class, vals in seen.items():
        vals = list({(s.doc.id, v): (s, v) for s, v in vals}.values())  # one row per document and figure
        docs = {s.doc.id for s, _ in vals}
        distinct = {v for _, v in vals}
        if len(docs) >= 2 and len(distinct) >= 2:
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
                    scope_note="省外经验，非陕西规定" if s.item.scope == Scope.other_province
                    else "典型案例" if s.item.scope == Scope.case_study else None,
                )
                for s, v in vals
            ]
            return Conflict(topic="、".join(terms[:2]) or unit_class, values=values, explanation=explain(vals, hotline))
    return None


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
