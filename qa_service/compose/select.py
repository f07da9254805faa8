"""Which clauses the extractive answer cites: small steps over a list of ``Pick``.

``candidates`` and ``quote_candidates`` make the first list (the best clauses, each with its
best sentences); every later step takes the list and returns the list, and does nothing
when the question is not of its kind:

    one_per_region     西安和渭滨区都说说: the best clause of each place asked about
    local_rule_too     the best clause is 省外经验: a Shaanxi rule on the topic is cited beside it
    lead_units_only    哪个部门牵头: the clauses whose notes name the units
    document_items     a question about one document: its header, goals or the clause asked about
    answering_figures  多久 / 多少: the clauses that give such a figure for the topic
    other_documents_figures   … and other documents' different figures for it

Every floor and limit is in ``params.PARAMS``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ..models import Hit, Scope
from ..retrieve.retriever import SearchResult
from .params import PARAMS
from .picks import Pick
from .quotes import best_sentences, has_figure, query_terms, required_terms
from .sentences import figures, split_sentences, topic_figure, units_for

GOAL_KINDS = ("goal", "header", "preamble")  # the items of a document that state its goals, or name it


@dataclass(frozen=True)
class Ask:
    """The question as the selection steps read it, read once."""

    question: str
    result: SearchResult
    terms: list[str]  # words an answering sentence should contain: the question's and their synonyms
    several: bool  # a compare / list question: several places' or documents' rules are wanted
    named: list[Hit]  # clauses of a document the question names by its 文号 (陕政办发〔2023〕11号)
    units: set[str]  # the figure units that answer a 多久 / 多少 question; empty for other questions

    @property
    def plan(self):
        return self.result.plan

    @property
    def intents(self) -> set[str]:
        return self.result.plan.intents

    @property
    def top(self) -> float:
        """The score every floor is a share of: the named document's best clause, else the best clause."""
        return self.named[0].score if self.named else self.result.hits[0].score

    @property
    def wants_figure(self) -> bool:
        """多久 / 多少 about a topic (not 谁牵头 or a document's facts): a figure answers."""
        return bool(self.units) and not self.intents & {"who", "doc", "goal"}


def read_question(question: str, result: SearchResult) -> Ask:
    plan = result.plan
    units = units_for(plan.intents)
    if "amount" in plan.intents and "time" not in plan.intents and re.search(PARAMS.amount_words, question):
        units = {"money", "percent"}  # 多少钱 is not answered by a count (新增12家)
    named = [h for h in result.hits if names_document(plan.normalized, h.document)]
    return Ask(question, result, query_terms(result), asks_several(question, plan), named, units)


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


def candidates(ask: Ask) -> list[Hit]:
    """The clauses that may be cited: close to the best one (a compare question reaches
    lower), of the document the question names, of the one place it asks about."""
    floor = PARAMS.several_floor if ask.several else PARAMS.near_tie
    # 陕政办发〔2023〕11号 names one document: not its neighbour 1号
    pool = ask.named or ask.result.hits
    hits = [h for h in pool[: PARAMS.candidate_depth] if h.score >= floor * ask.top]
    # the question's rarest topic word: when the best clause names it, a clause that does not is
    # about something else, however close its wording
    rarest = required_terms(ask.result)[:1]
    if hits and rarest and rarest[0] in hits[0].item.text:
        hits = [h for h in hits if rarest[0] in h.item.text]
    if ask.plan.regions and not ask.several:
        # one place asked about: its own documents answer, other places' only when it has none
        hits = [h for h in hits if in_regions(h, ask.plan.regions)] or hits
    return hits


def best_topic(ask: Ask, best: Hit) -> list[str]:
    """The question's topic words that the best clause names (上市 and 奖励 in 上市奖励多少钱): a
    clause without one of them is about something else, however close its wording (技改项目的奖励)."""
    return [w for w in required_terms(ask.result) if w in best.item.text]


def quote_candidates(ask: Ask, hits: list[Hit]) -> list[Pick]:
    """Each candidate with its best sentences, best clause first; a clause whose best sentence
    says much less of the question than the first one's is left out."""
    if ask.several:
        sentence_floor, limit = PARAMS.several_sentence_floor, PARAMS.several_limit
    else:
        sentence_floor, limit = PARAMS.near_tie_sentence_floor, PARAMS.single_limit
    picks: list[Pick] = []
    best = None
    for h in hits:
        if ask.several and any(p.hit.document.id == h.document.id for p in picks) and len(hits) > limit:
            continue  # several places asked about: one clause per document first
        quote, score = best_sentences(h.item.text, ask.terms, ask.intents, title=h.item.title)
        if best is None:
            best = score
        elif score < sentence_floor * best:
            continue
        picks.append(Pick(h, quote, "candidate", score))
        if len(picks) >= limit:
            break
    return picks


def one_per_region(picks: list[Pick], ask: Ask) -> list[Pick]:
    """西安和渭滨区都说说: the best clause of each place asked about; when a place has
    none, the best clause of another place rather than a second one of the same place."""
    regions = ask.plan.regions
    if not ask.several or len(regions) < 2:
        return picks
    out, seen = [], set()
    for p in picks:
        where = next((r for r in regions if in_regions(p.hit, [r])), None)
        if where and where not in seen:
            out.append(p)
            seen.add(where)
    if len(seen) < len(regions):
        out += [p for p in picks if not in_regions(p.hit, regions)][:1]
    return out or picks


def local_rule_too(picks: list[Pick], ask: Ask) -> list[Pick]:
    """The best clause is another province's practice (省外经验): a Shaanxi rule on the same topic,
    close behind, is cited beside it — the asker lives under the local rule, the other is reference."""
    if not picks or picks[0].hit.item.scope != Scope.other_province or ask.plan.foreign_regions:
        return picks
    if any(p.hit.item.scope == Scope.rule for p in picks):
        return picks
    topic = best_topic(ask, picks[0].hit)
    for h in ask.result.hits[: PARAMS.candidate_depth]:
        if h.item.scope == Scope.rule and h.score >= PARAMS.local_rule_floor * ask.top and (not topic or topic[0] in h.item.text):
            quote, score = best_sentences(h.item.text, ask.terms, ask.intents, title=h.item.title)
            return picks[: PARAMS.single_limit - 1] + [Pick(h, quote, "local rule", score)]
    return picks


def lead_units_only(picks: list[Pick], ask: Ask) -> list[Pick]:
    """哪个部门牵头: the clauses whose notes name the units answer; the rest are noise."""
    if not picks or "who" not in ask.intents or ask.several or not re.search(PARAMS.lead_asked, ask.question):
        return picks
    duty = [p for p in picks if p.hit.item.responsibility.lead or p.hit.item.responsibility.partners]
    return duty[: PARAMS.lead_clauses] or picks


def document_items(picks: list[Pick], ask: Ask) -> list[Pick]:
    """A question about a document (its 文号, 有效期, 目标) is answered by that document alone:
    its header, then its goal items (目标) or the clause that says what was asked (有效期三年)."""
    if not picks or not ask.intents & {"doc", "goal"} or ask.several:
        return picks
    doc = picks[0].hit.document
    out = [p for p in picks if p.hit.document.id == doc.id]
    used = {p.hit.item.id for p in out}
    same_doc = [h for h in ask.result.hits[: PARAMS.same_doc_depth] if h.document.id == doc.id and h.item.id not in used]
    # 搞成啥样: the document's goal items (or its preamble, which states the aim) answer, even
    # when a measure that repeats the question's words ranks first — unless something else is
    # asked too (谁牵头…跟上级目标不一致按哪个: the clause asked about answers)
    if "goal" in ask.intents and (out[0].hit.item.kind in GOAL_KINDS
                                  or (ask.intents == {"goal"} and any(h.item.kind in GOAL_KINDS for h in same_doc[:3]))):
        return _goal_items(out, same_doc)
    if re.search(PARAMS.basis_asked, ask.plan.normalized):
        # the preamble that names the basis ranks low (it shares only the document's name): the whole pool
        if basis := _basis(out, [h for h in ask.result.hits if h.document.id == doc.id and h.item.id not in used]):
            return basis
    if all(p.hit.item.kind == "header" for p in out) and not re.search(PARAMS.header_asked, ask.plan.normalized):
        # the clause answers (有效期三年); the header only repeats the document's facts,
        # which every citation carries anyway
        return _clause_asked_about(doc, same_doc, ask) or out
    return out


def _basis(out: list[Pick], same_doc: list[Hit]) -> list[Pick]:
    """依据哪个文件: the document's header and the preamble sentence that names the documents it
    follows (《…》 with their 文号); nothing when the document's preamble names none."""
    for h in [p.hit for p in out] + same_doc:
        if h.item.kind in ("preamble", "notice"):
            named = [s for s in split_sentences(h.item.text) if "《" in s]
            if named:
                headers = [p for p in out if p.hit.item.kind == "header"][:1]
                return headers + [Pick(h, named[0], "basis", 0.0)]
    return []


def _goal_items(out: list[Pick], same_doc: list[Hit]) -> list[Pick]:
    out = [p for p in out if p.hit.item.kind in GOAL_KINDS]
    goals = [h for h in same_doc if h.item.kind == "goal"]
    if not out and not goals:  # no goal item: the preamble states the aim (为…营造一流营商环境)
        goals = [h for h in same_doc if h.item.kind == "preamble"][:1]
    out += [Pick(h, h.item.text, "goal item") for h in goals[: max(0, PARAMS.goal_items - len(out))]]
    # a goal paragraph is one statement of targets (2020年…2021年…2022年…): quote it whole
    return [replace(p, sentence=p.hit.item.text)
            if p.hit.item.kind == "goal" and len(p.hit.item.text) <= PARAMS.goal_quote_chars else p for p in out]


def _clause_asked_about(doc, same_doc: list[Hit], ask: Ask) -> list[Pick]:
    """The document's clause that says what the question asks beyond the title, if any."""
    # words of the question that the title does not explain: 有效期, 施行, 适用范围 …
    asked = [t for t in ask.terms if len(t) >= PARAMS.asked_word_chars and t not in doc.title
             and not (doc.attachment_title and t in doc.attachment_title)]
    for h in same_doc:
        if h.item.kind != "header" and any(t in h.item.text for t in asked):
            quote, score = best_sentences(h.item.text, asked, ask.intents, title=h.item.title)
            return [Pick(h, quote, "clause asked about", score)]
    return []


def answering_figures(picks: list[Pick], ask: Ask, topic: list[str]) -> list[Pick]:
    """A 多久 / 多少 question is answered by clauses that give such a figure for its topic.

    Of the picked clauses keep those that do (a clause with no figure does not answer
    "how long"); when none does, cite the best clause close behind that does.
    """
    q = ask.plan.normalized
    on_topic = [p for p in picks if topic and topic_figure(p.sentence, topic, ask.units, q)]
    if on_topic:
        return on_topic
    if not topic:  # nothing to tell figures apart by: any figure of the unit asked for answers better than none
        return [p for p in picks if has_figure(p.sentence, ask.units)] or picks
    return _rescued_figure(picks, ask, topic) or picks


def _rescued_figure(picks: list[Pick], ask: Ask, topic: list[str]) -> list[Pick]:
    """The best clause close behind the picked ones that gives a figure for the topic."""
    used = {p.hit.item.id for p in picks}
    rarest = required_terms(ask.result)
    for h in ask.result.hits[: PARAMS.candidate_depth]:
        if h.score < PARAMS.rescue_floor * ask.top:
            break
        if h.item.id in used:
            continue
        quote, score = best_sentences(h.item.text, ask.terms, ask.intents, title=h.item.title)
        # another clause's figure answers only if it names every topic word of the question (上市, not just 奖励)
        if topic_figure(quote, topic, ask.units, ask.plan.normalized) and all(w in h.item.text for w in rarest):
            return [Pick(h, quote, "figure close behind", score)]
    return []


def other_documents_figures(picks: list[Pick], ask: Ask, topic: list[str]) -> list[Pick]:
    """Clauses of *other documents* that give a different figure for the same topic.

    The topic is what the best clause and the question share (企业开办, 用水报装 …),
    and the figure must be said of it (in the same comma-clause), so that 0.5, 1 and
    1.5 个工作日 for 企业开办 are all shown, each with its source, and a figure of
    another measure in the same sentence is not. When the question names a place,
    only that place's documents are swept.
    """
    if not topic:
        return []
    plan = ask.plan
    shown_figs = [f for p in picks for f in figures(p.sentence) if f.unit_class in ask.units]
    shown = {f.value for f in shown_figs}
    # the same measure is counted in the same unit: 70个小时 vs 68小时, not 5.5个工作日
    units = {f.unit_class for f in shown_figs} or ask.units
    docs = {p.hit.document.id for p in picks}
    needed = best_topic(ask, picks[0].hit)
    extra: list[Pick] = []
    for h in ask.result.hits:
        if len(picks) + len(extra) >= PARAMS.max_figure_sources or h.score < PARAMS.figure_floor * ask.top:
            break
        if h.document.id in docs or (plan.regions and not in_regions(h, plan.regions)):
            continue
        if not all(w in h.item.text for w in needed):
            continue
        for sent in split_sentences(h.item.text):
            found = topic_figure(sent, topic, units, plan.normalized, same_clause=True)
            if found and found[0] not in shown:
                extra.append(Pick(h, sent, "another document's figure"))
                shown.add(found[0])
                docs.add(h.document.id)
                break
    return extra
