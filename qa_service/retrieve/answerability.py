"""Do the retrieved clauses answer the question at all? A calibrated probability.

Similarity alone does not tell "shares vocabulary with policy text" from "is
answered by a clause": every policy-flavoured question is close to some clause.
So the decision also asks whether the question's *nouns* (its topic: 税率, 签证,
最低工资 …) occur in the best clauses, and whether it names a place outside
Shaanxi. A logistic model over these features was fitted on our own gold set
(eval/gold.jsonl, out_of_scope vs the rest; see README "Not-found threshold").

>>> answerability(Features(cos=0.93, focus=1.0, coverage=0.9, keyword=1.0, foreign=False)) > 0.9
True
>>> answerability(Features(cos=0.87, focus=0.0, coverage=0.2, keyword=0.4, foreign=False, absent=True)) < 0.15
True
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..lexicon import generic_nouns
from .query import SYNONYMS

# log-odds of "out of scope", fitted by
#   qa-service eval calibrate --gold eval/gold.jsonl --check ../shared/eval/dev.jsonl
WEIGHTS = {"cos": -86.156, "focus": -1.771, "coverage": -1.965, "keyword": 0.341, "foreign": -3.482, "absent": 0.476}
BIAS = 79.146
DEFAULT_THRESHOLD = 0.15  # keeps 97% of the in-scope questions of eval/gold.jsonl above it

GENERIC_NOUNS = generic_nouns()


@dataclass(frozen=True)
class Features:
    cos: float  # best raw cosine similarity of the question to any clause
    focus: float  # share of the question's nouns found in the best clauses (synonyms count)
    coverage: float  # IDF-weighted share of the question's words found there
    keyword: float  # keyword score of the best clause, on [0, 1]
    foreign: bool  # names a place outside Shaanxi and no Shaanxi place
    absent: bool = False  # one of its nouns occurs nowhere in the corpus, even through a synonym (税率, 签证, 契税)


def answerability(f: Features) -> float:
    z = BIAS + sum(WEIGHTS[k] * float(getattr(f, k)) for k in WEIGHTS)
    return 1.0 - 1.0 / (1.0 + math.exp(-z))


def focus_coverage(nouns: list[str], context: str) -> float:
    """Share of nouns present in ``context``, directly or through a policy synonym (个体户 -> 个体工商户)."""
    nouns = [n for n in nouns if n not in GENERIC_NOUNS and len(n) >= 2]
    if not nouns:
        return 1.0
    found = 0
    for n in nouns:
        if n in context or any(re.search(p, n) and any(t in context for t in terms) for p, terms in SYNONYMS):
            found += 1
    return found / len(nouns)


def absent_noun(nouns: list[str], corpus_text: str) -> bool:
    """Does the question name a thing the documents never mention (after policy synonyms)?"""
    for n in nouns:
        if n in GENERIC_NOUNS or len(n) < 2 or n in corpus_text:
            continue
        if any(re.search(p, n) and any(t in corpus_text for t in terms) for p, terms in SYNONYMS):
            continue
        return True
    return False


def idf_coverage(words: list[str], idf: dict[str, float], context: str, unknown_idf: float = 9.0) -> float:
    words = [w for w in set(words) if len(w) >= 2 and w not in GENERIC_NOUNS]
    if not words:
        return 1.0
    total = sum(idf.get(w, unknown_idf) for w in words)
    return sum(idf.get(w, unknown_idf) for w in words if w in context) / total
