"""Retrieval metrics over gold questions: Recall@1/@5, clause recall@5, MRR@10, and the
not-found threshold's behaviour, overall and per question type.

>>> ranks = [QuestionRanks("q1", "fact", first_match=1, clauses_at5=1, n_clauses=1, top_score=0.9, found=True),
...          QuestionRanks("q2", "multi", first_match=4, clauses_at5=1, n_clauses=2, top_score=0.7, found=True)]
>>> summarize(ranks)["overall"]["mrr@10"]
0.625
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import asdict, dataclass

from ..retrieve.retriever import Retriever
from .gold import GoldQuestion, matched_clauses


@dataclass
class QuestionRanks:
    id: str
    type: str
    first_match: int | None  # 1-based rank of the first matching item within the top 10
    clauses_at5: int
    n_clauses: int
    top_score: float
    found: bool
    latency_ms: float = 0.0
    top_ids: tuple[str, ...] = ()


def rank_question(retriever: Retriever, q: GoldQuestion, k: int = 10) -> QuestionRanks:
    t = time.perf_counter()
    res = retriever.search(q.question, top_k=k)
    ms = (time.perf_counter() - t) * 1000
    first = None
    at5: set[int] = set()
    for r, h in enumerate(res.hits, start=1):
        m = matched_clauses(h.item, h.document, q)
        if m and first is None:
            first = r
        if r <= 5:
            at5 |= m
    return QuestionRanks(q.id, q.type, first, len(at5), len(q.gold), res.top_score, res.found, ms, tuple(h.item.id for h in res.hits[:5]))


def _metrics(rows: list[QuestionRanks]) -> dict:
    inscope = [r for r in rows if r.type != "out_of_scope"]
    oos = [r for r in rows if r.type == "out_of_scope"]
    out: dict = {"questions": len(rows)}
    if inscope:
        n = len(inscope)
        out.update(
            {
                "recall@1": round(sum(1 for r in inscope if r.first_match == 1) / n, 4),
                "recall@5": round(sum(1 for r in inscope if r.first_match and r.first_match <= 5) / n, 4),
                "clause_recall@5": round(sum(r.clauses_at5 for r in inscope) / max(1, sum(r.n_clauses for r in inscope)), 4),
                "mrr@10": round(sum(1 / r.first_match for r in inscope if r.first_match) / n, 4),
                "in_scope_found": round(sum(r.found for r in inscope) / n, 4),
            }
        )
    if oos:
        out["out_of_scope_not_found"] = round(sum(not r.found for r in oos) / len(oos), 4)
    return out


def summarize(rows: list[QuestionRanks]) -> dict:
    by_type: dict[str, list[QuestionRanks]] = defaultdict(list)
    for r in rows:
        by_type[r.type].append(r)
    lat = sorted(r.latency_ms for r in rows)
    pct = lambda p: round(lat[min(len(lat) - 1, int(p * len(lat)))], 2) if lat else 0.0
    return {
        "overall": _metrics(rows),
        "by_type": {t: _metrics(rs) for t, rs in sorted(by_type.items())},
        "latency_ms": {"p50": pct(0.5), "p95": pct(0.95), "p99": pct(0.99)},
    }


def evaluate_retrieval(retriever: Retriever, questions: list[GoldQuestion]) -> tuple[dict, list[QuestionRanks]]:
    rows = [rank_question(retriever, q) for q in questions]
    return summarize(rows), rows


def rows_as_dicts(rows: list[QuestionRanks]) -> list[dict]:
    return [asdict(r) for r in rows]
