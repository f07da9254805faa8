"""The default composer: deterministic, no LLM. Every sentence of the answer is a
quoted sentence of a cited clause, followed by its [n] marker, so every figure
in an answer can be traced to the clause it comes from.
"""
from __future__ import annotations

import re

from ..models import Answer, Citation, Hit, Scope
from ..retrieve.retriever import SearchResult
from ..figures.table import FigureTable, validity_note
from .conflicts import Sourced, find_conflict
from .figure_answer import FigureAnswer, figure_answer, without_notes
from .params import PARAMS
from .quotes import best_sentences, has_figure, query_terms, required_terms, sentence_score, shared_phrases, topic_terms
from .sentences import figures, split_sentences, topic_figure, units_for

# the names other modules and tests import from here, wherever they are defined now
__all__ = ["asks_several", "best_sentences", "chinese_date", "compose", "figure_reply", "make_citation", "names_document",
           "query_terms", "refuse", "sentence_score", "shared_phrases", "topic_terms"]


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


def _region_label(hit: Hit) -> str:
    d = hit.document
    bits = [d.region or ""]
    if d.date:
        bits.append(d.date[:4] + "年")
    return "·".join(b for b in bits if b)


def compose(question: str, result: SearchResult, *, hotline: str = "12345", figures: FigureTable | None = None,
            regions: list[str] | None = None) -> Answer:
    """The cited answer. ``figures`` answers 多久/多少 questions from the figure table;
    ``regions`` are the asker's places when the question names none (a filter, an earlier turn)."""
    if not result.found or not result.hits:
        return refuse(question, result, hotline)
    plan = result.plan
    if figures is not None and not plan.intents & {"who", "doc", "goal", "when"}:
        fa = figure_answer(question, result, figures, plan.regions or regions or [])
        if fa is not None:
            return figure_reply(question, result, fa, hotline)
    terms = query_terms(result)
    top = result.hits[0].score
    multi = asks_several(question, plan)
    P = PARAMS
    floor, sent_floor, limit = ((P.several_floor, P.several_sentence_floor, P.several_limit) if multi
                                else (P.near_tie, P.near_tie_sentence_floor, P.single_limit))
    candidates = [h for h in result.hits[:P.candidate_depth] if h.score >= floor * top]
    named = [h for h in result.hits if names_document(plan.normalized, h.document)]
    if named:  # 陕政办发〔2023〕11号 names one document: not its neighbour 1号
        candidates = [h for h in named[:P.candidate_depth] if h.score >= floor * named[0].score]
        top = named[0].score
    if plan.regions and not multi:
        # one place asked about: its own documents answer, other places' only when it has none
        local = [h for h in candidates if in_regions(h, plan.regions)]
        candidates = local or candidates
    picked: list[tuple[Hit, str, float]] = []
    best_sentence_score = None
    for h in candidates:
        if multi and any(p[0].document.id == h.document.id for p in picked) and len(candidates) > limit:
            continue  # several places asked about: one clause per document first
        quote, sc = best_sentences(h.item.text, terms, plan.intents)
        if best_sentence_score is None:
            best_sentence_score = sc
        elif sc < sent_floor * best_sentence_score:
            continue
        picked.append((h, quote, sc))
        if len(picked) >= limit:
            break
    if multi and len(plan.regions) >= 2:
        picked = _one_per_region(picked, plan.regions)

    if picked and "who" in plan.intents and not multi and re.search(P.lead_asked, question):
        # 哪个部门牵头: the clauses whose notes name the units answer; the rest are noise
        duty = [p for p in picked if p[0].item.responsibility.lead or p[0].item.responsibility.partners]
        picked = duty[:P.lead_clauses] or picked
    if picked and plan.intents & {"doc", "goal"} and not multi:
        picked = _document_items(result, picked, terms)
    units = units_for(plan.intents)
    if "amount" in plan.intents and "time" not in plan.intents and re.search(P.amount_words, question):
        units = {"money", "percent"}  # 多少钱 is not answered by a count (新增12家)
    if units and picked and not plan.intents & {"who", "doc", "goal"}:
        topic = topic_terms(plan, picked[0][1])
        picked = _answering_figures(result, picked, topic, terms, plan.intents, units, top)
        picked += _other_figures(result, picked, topic, units, top)

    citations = [make_citation(n, h, q) for n, (h, q, _) in enumerate(picked, start=1)]
    lines: list[str] = []
    if units and picked and not plan.intents & {"who", "doc", "goal", "when"} and not any(has_figure(q, units) for _, q, _ in picked):
        # the clause that answers gives no figure: say so, rather than let a reader take another clause's
        lines.append(f"所引条款对此有规定，但没有写明具体{_missing_what(question, plan.intents)}。")
    several_docs = len({h.document.id for h, _, _ in picked}) > 1

    if "who" in plan.intents:
        who = _who_line(picked)
        if who:
            lines.append(who)
    if "doc" in plan.intents:
        doc_line = _doc_line(picked)
        if doc_line:
            lines.append(doc_line)

    for n, (h, quote, _) in enumerate(picked, start=1):
        if h.item.kind == "header" and "doc" in plan.intents:
            continue
        label = f"《{h.document.short_title}》"
        if note := validity_note(h.document):
            label += f"（{note}）"
        prefix = f"{_region_label(h)}{label}" if several_docs else f"根据{label}"
        if h.item.scope == Scope.other_province:
            src = h.item.table_row.source if h.item.table_row else "外省"
            prefix = f"【省外经验：{src}的做法，不是陕西的规定】{prefix}"
        elif h.item.scope == Scope.case_study:
            prefix = f"【典型案例】{prefix}"
        # the units responsible are the answer to 谁牵头; otherwise they stay in the source details
        shown = quote if "who" in plan.intents else without_notes(quote)
        lines.append(f"{prefix}：{shown}[{n}]")

    sources = [Sourced(n, h.document, h.item, q) for n, (h, q, _) in enumerate(picked, start=1)]
    topic = topic_terms(plan, picked[0][1] if picked else "")
    conflict = find_conflict(topic, plan.intents, sources, hotline, plan.regions, plan.normalized) if topic else None
    conflicts = [conflict] if conflict else []
    if conflict:
        by_n = {s.n: s for s in sources}
        rows = []
        for value in dict.fromkeys(v.value for v in conflict.values):
            vs = [v for v in conflict.values if v.value == value]
            where = "；".join(
                f"{v.region or '未注明地区'}《{v.doc_title}》（{(v.date or '日期不详')[:10]}）"
                f"{'【' + v.scope_note + '】' if v.scope_note else ''}[{v.citation_n}]" for v in vs)
            rows.append(f"- {value}：{by_n[vs[0].citation_n].excerpt}。见{where}")
        shown = {v.citation_n for v in conflict.values}
        rest = [l for l in lines if not any(l.endswith(f"[{n}]") for n in shown)]
        lines = [f"关于{conflict.topic}，不同文件的规定不一致：", *rows, conflict.explanation, *rest]
    return Answer(question=question, answer="\n".join(lines), found=True, citations=citations, conflicts=conflicts,
                  rewritten_query=result.question if result.question != question else None)


def figure_reply(question: str, result: SearchResult, fa: FigureAnswer, hotline: str) -> Answer:
    """The one-line answer, then each cited sentence, then why documents differ."""
    for p in fa.picks:  # quote the comma-clauses that state the figures, not the whole sentence
        p.sentence = "……".join(dict.fromkeys(r.excerpt or r.sentence for r in p.rows))
    citations = [make_citation(n, p.hit, p.sentence) for n, p in enumerate(fa.picks, start=1)]
    several = len({p.hit.document.id for p in fa.picks}) > 1
    lines = [fa.direct]
    for n, p in enumerate(fa.picks, start=1):
        label = f"《{p.hit.document.short_title}》"
        prefix = f"{_region_label(p.hit)}{label}" if several else f"根据{label}"
        if p.hit.item.scope == Scope.other_province:
            prefix = f"【省外经验，不是陕西的规定】{prefix}"
        lines.append(f"{prefix}：{without_notes(p.sentence)}[{n}]")
    if fa.conflicts:
        from .conflicts import explain_rows

        lines.append(explain_rows([r for p in fa.picks for r in p.rows], hotline))
    return Answer(question=question, answer="\n".join(lines), direct=fa.direct, found=True, citations=citations,
                  conflicts=fa.conflicts, rewritten_query=result.question if result.question != question else None)


def asks_several(question: str, plan) -> bool:
    """Does the question ask for several documents' or places' rules (compare, list)?"""
    return len(plan.regions) >= 2 or bool(re.search(PARAMS.several_asked, question))


def names_document(question: str, doc) -> bool:
    """Does the question give the document's 文号, in full or as people shorten it (市政办发6号)?

    >>> from types import SimpleNamespace as D
    >>> names_document("市政办发6号文要求什么", D(doc_number="市政办发〔2021〕6号"))
    True
    >>> names_document("陕政办发〔2023〕1号", D(doc_number="陕政办发〔2023〕11号"))
    False
    """
    number = doc.doc_number
    if not number:
        return False
    short = re.sub(r"[〔\[（(]\d{4}[〕\]）)]", "", number)  # 市政办发〔2021〕6号 -> 市政办发6号
    return number in question or short in question


def in_regions(hit: Hit, regions: list[str]) -> bool:
    return (hit.document.region or "").startswith(tuple(regions))


def _missing_what(question: str, intents: set[str]) -> str:
    if "time" in intents:
        return "时限"
    return "金额" if re.search(PARAMS.amount_words, question) else "数量或比例"


def _answering_figures(result: SearchResult, picked: list, topic: list[str], terms: list[str], intents: set[str],
                       units: set[str], top: float) -> list:
    """A 多久 / 多少 question is answered by clauses that give such a figure for its topic.

    Of the picked clauses keep those that do (a clause with no figure does not answer
    "how long"); when none does, cite the best clause close behind that does.
    """
    q = result.plan.normalized
    on_topic = [p for p in picked if topic and topic_figure(p[1], topic, units, q)]
    if on_topic:
        return on_topic
    if not topic:  # nothing to tell figures apart by: any figure of the unit asked for answers better than none
        return [p for p in picked if has_figure(p[1], units)] or picked
    used = {h.item.id for h, _, _ in picked}
    rarest = required_terms(result)
    for h in result.hits[: PARAMS.candidate_depth]:
        if h.score < PARAMS.rescue_floor * top:
            break
        if h.item.id in used:
            continue
        quote, sc = best_sentences(h.item.text, terms, intents)
        # another clause's figure answers only if it names every topic word of the question (上市, not just 奖励)
        if topic_figure(quote, topic, units, q) and all(w in h.item.text for w in rarest):
            return [(h, quote, sc)]
    return picked


def _other_figures(result: SearchResult, picked: list, topic: list[str], units: set[str], top: float) -> list:
    """Clauses of *other documents* that give a different figure for the same topic.

    The topic is what the best clause and the question share (企业开办, 用水报装 …),
    and the figure must be said of it (in the same comma-clause), so that 0.5, 1 and
    1.5 个工作日 for 企业开办 are all shown, each with its source, and a figure of
    another measure in the same sentence is not. When the question names a place,
    only that place's documents are swept.
    """
    if not topic:
        return []
    plan = result.plan
    shown_figs = [f for _, q, _ in picked for f in figures(q) if f.unit_class in units]
    shown = {f.value for f in shown_figs}
    # the same measure is counted in the same unit: 70个小时 vs 68小时, not 5.5个工作日
    units = {f.unit_class for f in shown_figs} or units
    docs = {h.document.id for h, _, _ in picked}
    extra = []
    for h in result.hits:
        if len(picked) + len(extra) >= PARAMS.max_figure_sources or h.score < PARAMS.figure_floor * top:
            break
        if h.document.id in docs or (plan.regions and not in_regions(h, plan.regions)):
            continue
        for sent in split_sentences(h.item.text):
            found = topic_figure(sent, topic, units, plan.normalized, same_clause=True)
            if found and found[0] not in shown:
                extra.append((h, sent, 0.0))
                shown.add(found[0])
                docs.add(h.document.id)
                break
    return extra


def _one_per_region(picked: list, regions: list[str]) -> list:
    """西安和渭滨区都说说: the best clause of each place asked about; when a place has
    none, the best clause of another place rather than a second one of the same place."""
    out, seen = [], set()
    for p in picked:
        where = next((r for r in regions if in_regions(p[0], [r])), None)
        if where and where not in seen:
            out.append(p)
            seen.add(where)
    if len(seen) < len(regions):
        out += [p for p in picked if not in_regions(p[0], regions)][:1]
    return out or picked


def _document_items(result: SearchResult, picked: list, terms: list[str]) -> list:
    """A question about a document (its 文号, 有效期, 目标) is answered by that document alone:
    its header, then its goal items (目标) or the clause that says what was asked (有效期三年)."""
    doc = picked[0][0].document
    out = [p for p in picked if p[0].document.id == doc.id]
    used = {p[0].item.id for p in out}
    same_doc = [h for h in result.hits[: PARAMS.same_doc_depth] if h.document.id == doc.id and h.item.id not in used]
    if "goal" in result.plan.intents and out[0][0].item.kind in ("goal", "header", "preamble"):
        out = [p for p in out if p[0].item.kind in ("goal", "header", "preamble")]
        goals = [h for h in same_doc if h.item.kind == "goal"]
        out += [(h, h.item.text, 0.0) for h in goals[: max(0, PARAMS.goal_items - len(out))]]
        # a goal paragraph is one statement of targets (2020年…2021年…2022年…): quote it whole
        out = [(h, h.item.text if h.item.kind == "goal" and len(h.item.text) <= PARAMS.goal_quote_chars else q, sc) for h, q, sc in out]
    elif all(p[0].item.kind == "header" for p in out) and not re.search(PARAMS.header_asked, result.plan.normalized):
        # words of the question that the title does not explain: 有效期, 施行, 适用范围 …
        asked = [t for t in terms if len(t) >= PARAMS.asked_word_chars and t not in doc.title
                 and not (doc.attachment_title and t in doc.attachment_title)]
        for h in same_doc:
            if h.item.kind != "header" and any(t in h.item.text for t in asked):
                quote, sc = best_sentences(h.item.text, asked, result.plan.intents)
                # the clause answers (有效期三年); the header only repeats the document's facts,
                # which every citation carries anyway
                out = [(h, quote, sc)]
                break
    return out


def _who_line(picked: list[tuple[Hit, str, float]]) -> str | None:
    for n, (h, _, _) in enumerate(picked, start=1):
        r = h.item.responsibility
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


def _doc_line(picked: list[tuple[Hit, str, float]]) -> str | None:
    for n, (h, _, _) in enumerate(picked, start=1):
        d = h.document
        if h.item.kind in ("header", "signature") or n == 1:
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
                  rewritten_query=result.question if result.question != question else None)
