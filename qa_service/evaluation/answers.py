"""Answer metrics (definitions in ../shared/eval/README.md): fact coverage, citation
precision and recall, refusal accuracy, false refusals, all-figures-present on
conflict questions, latency, and the time composing adds to retrieval.
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import asdict, dataclass

from ..compose.extractive import compose
from ..service import ANSWER_POOL, QAService
from .gold import GoldQuestion, matches, squeeze


@dataclass
class AnswerRow:
    id: str
    type: str
    found: bool
    facts: int
    facts_found: int
    cited: int
    cited_relevant: int
    gold_clauses: int
    gold_cited: int
    latency_ms: float
    compose_ms: float
    missing_facts: list[str]


def score_answer(qa: QAService, q: GoldQuestion) -> AnswerRow:
    t = time.perf_counter()
    a = qa.ask(q.question, history=q.history or None)
    ms = (time.perf_counter() - t) * 1000
    # composing alone, on the same retrieval result
    res = qa.retriever.search(q.question, top_k=ANSWER_POOL)
    t = time.perf_counter()
    compose(q.question, res)
    compose_ms = (time.perf_counter() - t) * 1000
    text = squeeze(a.answer)
    found_facts = [f for f in q.answer_facts if squeeze(f) in text]
    docs = qa.index.docs_by_id
    items = qa.index.items_by_id
    relevant = 0
    cited_gold: set[int] = set()
    for c in a.citations:
        it, d = items[c.item_id], docs[c.doc_id]
        m = {k for k, g in enumerate(q.gold) if matches(it, d, g)}
        cited_gold |= m
        if m or any(squeeze(f) in squeeze(it.text) for f in q.answer_facts):
            relevant += 1
    return AnswerRow(q.id, q.type, a.found, len(q.answer_facts), len(found_facts), len(a.citations), relevant,
                     len(q.gold), len(cited_gold), round(ms, 2), round(compose_ms, 3),
                     [f for f in q.answer_facts if f not in found_facts])


def _metrics(rows: list[AnswerRow]) -> dict:
    ins = [r for r in rows if r.type != "out_of_scope"]
    oos = [r for r in rows if r.type == "out_of_scope"]
    out: dict = {"questions": len(rows)}
    if ins:
        out["fact_coverage"] = round(sum(r.facts_found for r in ins) / max(1, sum(r.facts for r in ins)), 4)
        cited = sum(r.cited for r in ins)
        out["citation_precision"] = round(sum(r.cited_relevant for r in ins) / cited, 4) if cited else 0.0
        out["citation_recall"] = round(sum(r.gold_cited for r in ins) / max(1, sum(r.gold_clauses for r in ins)), 4)
        out["false_refusals"] = round(sum(not r.found for r in ins) / len(ins), 4)
        conf = [r for r in ins if r.type == "conflict"]
        if conf:
            out["conflict_all_figures"] = round(sum(r.facts_found == r.facts for r in conf) / len(conf), 4)
    if oos:
        out["refusal_accuracy"] = round(sum(not r.found for r in oos) / len(oos), 4)
    return out


def summarize(rows: list[AnswerRow]) -> dict:
    by_type: dict[str, list[AnswerRow]] = defaultdict(list)
    for r in rows:
        by_type[r.type].append(r)
    lat = sorted(r.latency_ms for r in rows)
    comp = sorted(r.compose_ms for r in rows)
    pct = lambda xs, p: round(xs[min(len(xs) - 1, int(p * len(xs)))], 3) if xs else 0.0
    return {
        "overall": _metrics(rows),
        "by_type": {t: _metrics(rs) for t, rs in sorted(by_type.items())},
        "latency_ms": {"p50": pct(lat, 0.5), "p95": pct(lat, 0.95), "p99": pct(lat, 0.99)},
        "compose_ms": {"p50": pct(comp, 0.5), "p95": pct(comp, 0.95), "max": comp[-1] if comp else 0.0},
    }


def evaluate_answers(qa: QAService, questions: list[GoldQuestion]) -> tuple[dict, list[dict]]:
    rows = [score_answer(qa, q) for q in questions]
    return summarize(rows), [asdict(r) for r in rows]
