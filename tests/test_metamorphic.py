"""Harmless rewordings keep the answer (issue: 测试：, a typo or a prefix must not flip "found"),
and out-of-scope questions stay refused — over the training gold sets, on the real index."""
from __future__ import annotations

from pathlib import Path

import pytest

from qa_service.evaluation.gold import load_gold
from qa_service.evaluation.metamorphic import invariance, variants

EVAL = Path(__file__).resolve().parent.parent / "eval"


def test_rewordings_are_the_kinds_people_type():
    kinds = dict(variants("企业开办要几天？营业执照多久能拿到"))
    assert set(kinds) == {"prefix", "suffix", "label", "punctuation", "typo", "traditional", "english"}
    assert kinds["label"].startswith("测试：") and "企業" in kinds["traditional"] and "license" in kinds["english"]
    assert kinds["typo"] != "企业开办要几天？营业执照多久能拿到" and len(kinds["typo"]) == len("企业开办要几天？营业执照多久能拿到")


@pytest.mark.parametrize("name", ["gold.jsonl", "gold-train2.jsonl", "gold-train3.jsonl"])
def test_rewordings_keep_the_found_decision_and_first_citation(qa, name):
    questions = [q for q in load_gold(EVAL / name) if q.type != "out_of_scope"]
    res = invariance(qa, questions)
    assert res["invariance"] >= 0.95, (res["by_kind"], res["changed"][:10])


@pytest.mark.parametrize("name", ["oos-train.jsonl", "oos-train2.jsonl"])
def test_training_out_of_scope_questions_are_refused(qa, name):
    questions = load_gold(EVAL / name)
    refused = sum(not qa.ask(q.question).found for q in questions) / len(questions)
    assert refused >= 0.75, refused  # a regression guard; the frozen figures are in the README
