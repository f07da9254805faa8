"""The default composer: deterministic, no LLM. Every sentence of the answer is a
quoted sentence of a cited clause, followed by its [n] marker, so every figure
in an answer can be traced to the clause it comes from.

    refuse | figure answer (table) | candidates -> selection steps (select.py) -> render (render.py)

The floors, limits and bonuses are in ``params.PARAMS``; how sentences are quoted is
``quotes.py``.
"""
from __future__ import annotations

from ..figures.table import FigureTable
from ..models import Answer, Conflict
from ..retrieve.retriever import SearchResult
from .conflicts import Sourced, find_conflict
from .figure_answer import figure_answer
from .picks import Pick
from .quotes import (
    best_sentences,
    query_terms,
    sentence_score,
    shared_phrases,
    topic_terms,
)
from .render import chinese_date, figure_reply, make_citation, refuse, render
from .select import (
    Ask,
    answering_figures,
    asks_several,
    candidates,
    document_items,
    lead_units_only,
    names_document,
    local_rule_too,
    one_per_region,
    other_documents_figures,
    quote_candidates,
    read_question,
)

# the names other modules and tests import from here, wherever they are defined now
__all__ = ["asks_several", "best_sentences", "chinese_date", "compose", "figure_reply", "make_citation", "names_document",
           "query_terms", "refuse", "sentence_score", "shared_phrases", "topic_terms"]


def compose(question: str, result: SearchResult, *, hotline: str = "12345", figures: FigureTable | None = None,
            regions: list[str] | None = None) -> Answer:
    """The cited answer. ``figures`` answers 多久/多少 questions from the figure table;
    ``regions`` are the asker's places when the question names none (a filter, an earlier turn)."""
    if not result.found or not result.hits:
        return refuse(question, result, hotline)
    plan = result.plan
    # 谁牵头, a document's facts and 啥时候 are answered by clauses, not by the figure table
    if figures is not None and not plan.intents & {"who", "doc", "goal", "when"}:
        fa = figure_answer(question, result, figures, plan.regions or regions or [])
        if fa is not None:
            return figure_reply(question, result, fa, hotline)
    ask = read_question(question, result)
    picks = quote_candidates(ask, candidates(ask))
    for step in (one_per_region, local_rule_too, lead_units_only, document_items):
        picks = step(picks, ask)
    if picks and ask.wants_figure:
        # the topic is read off the best clause before it may be dropped for one that gives a figure
        topic = topic_terms(plan, picks[0].sentence)
        picks = answering_figures(picks, ask, topic)
        picks += other_documents_figures(picks, ask, topic)
    conflict, excerpts = differing_figures(picks, ask, hotline, figures)
    return render(question, result, picks, ask.units, conflict, excerpts)


def differing_figures(picks: list[Pick], ask: Ask, hotline: str,
                      figures: FigureTable | None = None) -> tuple[Conflict | None, dict[int, str]]:
    """Two cited documents giving different figures for one measure and sub-case of the topic,
    and the part of each cited sentence that states its figure (by citation number)."""
    sources = [Sourced(n, p.hit.document, p.hit.item, p.sentence) for n, p in enumerate(picks, start=1)]
    topic = topic_terms(ask.plan, picks[0].sentence if picks else "")
    rows_of = (lambda s: figures.by_item.get(s.item.id, [])) if figures is not None else None
    conflict = find_conflict(topic, ask.intents, sources, hotline, ask.plan.regions, ask.plan.normalized,
                             rows_of=rows_of) if topic else None
    return conflict, {s.n: s.excerpt for s in sources}
