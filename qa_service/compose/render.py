"""Picks to text: the answer's lines, its citations and its conflict block.

Nothing here chooses a clause; every line quotes a picked sentence and ends with the
[n] of its citation, so every figure in an answer can be traced to its clause.
"""
from __future__ import annotations

import re

from ..figures.table import validity_note
from ..models import Answer, Citation, Conflict, Hit, Scope
from ..retrieve.retriever import SearchResult
from .conflicts import explain_rows
from .figure_answer import FigureAnswer, without_notes
from .params import PARAMS
from .picks import Pick
from .quotes import has_figure


def make_citation(n: int, hit: Hit, quote: str) -> Citation:
    d, it = hit.document, hit.item
    return Citation(
        n=n,
        item_id=it.id,
        doc_id=d.id,
        doc_title=d.title,
        doc_number=d.doc_number,
        issuer=d.issuer,
        date=d.date,
        region=d.region,
        level=d.level,
        path=it.citation_path(),
        page=it.page_start,
        citation=d.cite(it),
        scope=it.scope,
        quote=quote,
        text=it.text,
        score=hit.score,
        validity=validity_note(d),
    )


def render(question: str, result: SearchResult, picks: list[Pick], units: set[str], conflict: Conflict | None,
           excerpts: dict[int, str]) -> Answer:
    """The cited answer: a note when the answering clause gives no figure, the responsible units
    (谁牵头) or the document's facts (文号), each picked sentence with its source, and the
    differing figures first when documents disagree. ``excerpts`` are the conflict's
    figure-stating parts of the cited sentences, by citation number."""
    intents = result.plan.intents
    lines: list[str] = []
    if units and picks and not intents & {"who", "doc", "goal", "when"} and not any(has_figure(p.sentence, units) for p in picks):
        # the clause that answers gives no figure: say so, rather than let a reader take another clause's
        lines.append(f"所引条款对此有规定，但没有写明具体{_missing_what(question, intents)}。")
    if "who" in intents and (who := who_line(picks)):
        lines.append(who)
    if "doc" in intents and (doc := doc_line(picks)):
        lines.append(doc)
    if "when" in intents and "who" not in intents and (when := when_line(picks)):
        lines.append(when)
    several_docs = len({p.hit.document.id for p in picks}) > 1
    for n, p in enumerate(picks, start=1):
        if p.hit.item.kind == "header" and "doc" in intents:
            continue  # the document line says what the header would
        # the units responsible are the answer to 谁牵头; otherwise they stay in the source details
        shown = p.sentence if "who" in intents else without_notes(p.sentence)
        lines.append(f"{_source(p.hit, several_docs)}：{shown}[{n}]")
    if conflict:
        lines = conflict_lines(conflict, excerpts, lines)
    citations = [make_citation(n, p.hit, p.sentence) for n, p in enumerate(picks, start=1)]
    return Answer(question=question, answer="\n".join(lines), found=True, citations=citations,
                  conflicts=[conflict] if conflict else [], rewritten_query=_rewritten(question, result))


def _source(hit: Hit, several_docs: bool) -> str:
    """根据《…》, or the place and year first when several documents are quoted, marked when
    it is another province's practice or a case study rather than a Shaanxi rule."""
    label = f"《{hit.document.short_title}》"
    if note := validity_note(hit.document):
        label += f"（{note}）"
    prefix = f"{region_label(hit)}{label}" if several_docs else f"根据{label}"
    if hit.item.scope == Scope.other_province:
        src = hit.item.table_row.source if hit.item.table_row else "外省"
        return f"【省外经验：{src}的做法，不是陕西的规定】{prefix}"
    if hit.item.scope == Scope.case_study:
        return f"【典型案例】{prefix}"
    return prefix


def conflict_lines(conflict: Conflict, excerpts: dict[int, str], lines: list[str]) -> list[str]:
    """Each differing figure with the part of its sentence that states it and where it is
    said, why they differ, then the answer's other lines (those not quoted above)."""
    rows = []
    for value in dict.fromkeys(v.value for v in conflict.values):
        vs = [v for v in conflict.values if v.value == value]
        where = "；".join(
            f"{v.region or '未注明地区'}《{v.doc_title}》（{(v.date or '日期不详')[:10]}）"
            f"{'【' + v.scope_note + '】' if v.scope_note else ''}[{v.citation_n}]" for v in vs)
        rows.append(f"- {value}：{excerpts[vs[0].citation_n]}。见{where}")
    shown = {v.citation_n for v in conflict.values}
    rest = [line for line in lines if not any(line.endswith(f"[{n}]") for n in shown)]
    return [f"关于{conflict.topic}，不同文件的规定不一致：", *rows, conflict.explanation, *rest]


def figure_reply(question: str, result: SearchResult, fa: FigureAnswer, hotline: str) -> Answer:
    """The one-line answer, then each cited sentence, then why documents differ."""
    for p in fa.picks:  # quote the comma-clauses that state the figures, not the whole sentence
        p.sentence = "……".join(dict.fromkeys(r.excerpt or r.sentence for r in p.rows))
    citations = [make_citation(n, p.hit, p.sentence) for n, p in enumerate(fa.picks, start=1)]
    several = len({p.hit.document.id for p in fa.picks}) > 1
    lines = [fa.direct]
    for n, p in enumerate(fa.picks, start=1):
        label = f"《{p.hit.document.short_title}》"
        prefix = f"{region_label(p.hit)}{label}" if several else f"根据{label}"
        if p.hit.item.scope == Scope.other_province:
            prefix = f"【省外经验，不是陕西的规定】{prefix}"
        elif p.hit.item.scope == Scope.case_study:
            prefix = f"【典型案例】{prefix}"
        lines.append(f"{prefix}：{without_notes(p.sentence)}[{n}]")
    if fa.conflicts:
        lines.append(explain_rows([r for p in fa.picks for r in p.rows], hotline))
    return Answer(question=question, answer="\n".join(lines), direct=fa.direct, found=True, citations=citations,
                  conflicts=fa.conflicts, rewritten_query=_rewritten(question, result))


def refuse(question: str, result: SearchResult, hotline: str) -> Answer:
    plan = result.plan
    where = ""
    if plan.foreign_regions and not plan.regions:
        where = f"本服务收录的是陕西省及省内各市区的营商环境政策，不包含{'、'.join(plan.foreign_regions)}的规定。"
    text = (
        f"{where}现有的政策文件中没有找到能直接回答这个问题的条款，无法给出确切答复。"
        f"建议拨打{hotline}政务服务便民热线，或咨询相关办理部门。"
    )
    if result.hits:
        text += "以下条款可能相关，仅供参考。"
    related = [make_citation(n, h, h.item.text[: PARAMS.related_chars])
               for n, h in enumerate(result.hits[: PARAMS.related], start=1)]
    return Answer(question=question, answer=text, found=False, related=related,
                  rewritten_query=_rewritten(question, result))


def who_line(picks: list[Pick]) -> str | None:
    """牵头（负责）单位 … from the first cited clause whose notes name units."""
    for n, p in enumerate(picks, start=1):
        r = p.hit.item.responsibility
        if r.lead or r.partners:
            lead = "、".join(r.lead) if r.lead else "、".join(r.partners[: PARAMS.lead_as_units])
            line = f"牵头（负责）单位：{lead}"
            if r.lead and r.partners:
                line += f"；配合单位：{'、'.join(r.partners[: PARAMS.partner_units])}"
            if r.contacts:
                line += "；联系人：" + "、".join(f"{c.unit}{c.person or ''}{('（' + c.phone + '）') if c.phone else ''}" for c in r.contacts)
            if r.deadline:
                line += f"；完成时限：{r.deadline}"
            return line + f"[{n}]"
    return None


def when_line(picks: list[Pick]) -> str | None:
    """完成时限 … from the first cited clause whose responsibility note sets one: a task list
    answers 啥时候完成 in that note, which the quoted sentences leave out."""
    for n, p in enumerate(picks, start=1):
        if deadline := p.hit.item.responsibility.deadline:
            return f"完成时限：{deadline}[{n}]"
    return None


def doc_line(picks: list[Pick]) -> str | None:
    """The document's title, 文号, issuer, date and region, from its header (or the first citation)."""
    for n, p in enumerate(picks, start=1):
        d = p.hit.document
        if p.hit.item.kind in ("header", "signature") or n == 1:
            parts = [f"《{d.title}》"]
            if d.doc_number:
                parts.append(f"文号{d.doc_number}")
            if d.issuer:
                parts.append(f"由{d.issuer}印发")
            if d.date:
                parts.append(f"日期{chinese_date(d.date)}")
            if d.region:
                parts.append(f"适用于{d.region}")
            return "，".join(parts) + f"[{n}]"
    return None


def chinese_date(iso: str) -> str:
    """2023-06-03 -> 2023年6月3日 (as the documents print it); a bare year stays as it is.

    >>> chinese_date("2023-06-03"), chinese_date("2022")
    ('2023年6月3日', '2022年')
    """
    parts = [int(p) for p in iso.split("-") if p.isdigit()]
    return "".join(f"{n}{u}" for n, u in zip(parts, "年月日"))


def region_label(hit: Hit) -> str:
    d = hit.document
    bits = [d.region or ""]
    if d.date:
        bits.append(d.date[:4] + "年")
    return "·".join(b for b in bits if b)


def _missing_what(question: str, intents: set[str]) -> str:
    if "time" in intents:
        return "时限"
    return "金额" if re.search(PARAMS.amount_words, question) else "数量或比例"


def _rewritten(question: str, result: SearchResult) -> str | None:
    """The question as retrieval read it (a follow-up completed), when that differs."""
    return result.question if result.question != question else None
