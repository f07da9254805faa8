"""The ``neighbours`` evidence of the not-found decision (qa_service/retrieve/neighbours.py):
small fixture vectors for the arithmetic, the shipped reference questions on the real index."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from qa_service.retrieve.answerability import Calibration
from qa_service.retrieve.neighbours import Neighbours
from qa_service.retrieve.retriever import load_neighbours

ROOT = Path(__file__).resolve().parents[1]


def fixture_neighbours(k: int = 2) -> Neighbours:
    # two answerable questions near axis 0, two out-of-scope ones near axis 1
    v = [[1, 0.1, 0], [0.9, 0, 0.2], [0.1, 1, 0], [0, 0.9, 0.3]]
    return Neighbours.of(["开办几天", "开办流程", "社保补缴", "退休年龄"], np.array(v), [False, False, True, True], k=k)


def test_margin_is_positive_near_out_of_scope_questions_and_negative_near_answerable_ones():
    n = fixture_neighbours()
    assert n.margin(np.array([0.05, 1.0, 0.1]), "社保断缴") > 0.5
    assert n.margin(np.array([1.0, 0.05, 0.1]), "开办企业") < -0.5


def test_a_question_is_never_its_own_neighbour():
    n = fixture_neighbours(k=1)
    v = n.vectors[2]  # 社保补缴 asked again, word for word: only 退休年龄 is left on its side
    assert n.margin(v, "社保补缴") == pytest.approx(float(n.vectors[3] @ v) - float(max(n.vectors[:2] @ v)), abs=1e-6)
    assert n.margin(v, "社保补缴") < n.margin(v, "另一个问题")


def test_saved_and_loaded_alike_and_disagreeing_lengths_are_refused(tmp_path):
    n = fixture_neighbours()
    n.save(tmp_path / "n.npz")
    m = Neighbours.load(tmp_path / "n.npz")
    assert m.texts == n.texts and m.k == n.k and np.array_equal(m.vectors, n.vectors)
    assert list(m.out_of_scope) == [False, False, True, True]
    assert not list(tmp_path.glob(".*.tmp"))  # written through a temporary file
    with pytest.raises(ValueError, match="disagree"):
        Neighbours(("a",), np.zeros((2, 3), dtype=np.float32), np.array([False]))


def test_a_calibration_whose_reference_questions_are_missing_says_so(tmp_path, caplog):
    cal = Calibration("m", {"neighbours": 1.0}, 0.0, 0.5, neighbours_file="neighbours-missing.npz")
    with caplog.at_level(logging.WARNING):
        assert load_neighbours(cal, tmp_path) is None
    assert "reference questions neighbours-missing.npz" in caplog.text and "参照问题" in caplog.text
    assert load_neighbours(Calibration("m", {}, 0.0, 0.5), tmp_path) is None  # an older calibration needs none


# -- the shipped reference questions, on the real index ----------------------------------------------
def test_the_shipped_reference_questions_load_for_the_default_model(qa):
    n = qa.retriever.neighbours
    cal = qa.retriever.calibration
    assert n is not None and cal.neighbours_file and cal.weights.get("neighbours", 0) > 0
    assert n.vectors.shape == (len(n.texts), qa.retriever.index.faiss_index.d)
    assert np.allclose(np.linalg.norm(n.vectors, axis=1), 1.0, atol=1e-4)
    assert 80 <= int(n.out_of_scope.sum()) < len(n.texts) - 200  # both kinds, answerable ones the most


def test_no_frozen_question_is_a_reference_question(qa):
    """The reference questions are training questions and clause headings: a frozen question among
    them would be answered from its own label."""
    texts = set(qa.retriever.neighbours.texts)
    frozen = [json.loads(x)["question"] for f in sorted((ROOT / "eval").glob("*frozen*.jsonl"))
              for x in f.read_text(encoding="utf-8").splitlines() if x.strip()]
    assert frozen, "no frozen files found"
    leaked = [q for q in frozen if qa.retriever.understand(q).normalized in texts]
    assert not leaked, leaked


@pytest.mark.parametrize("outside, inside", [("孩子上小学怎么报名", "推行企业开办全程网上办"),
                                             ("身份证丢了去哪补办", "办理施工许可要多久")])
def test_neighbouring_matters_sit_nearer_the_out_of_scope_references(qa, outside, inside):
    r = qa.retriever

    def margin(q: str) -> float:
        p = r.understand(q)
        return r.neighbours.margin(r.query_vector(p.dense_text), p.normalized)

    assert margin(outside) > 0 > margin(inside)
    assert not qa.search(outside).found and qa.search(inside).found


def test_readiness_says_when_the_reference_questions_are_missing():
    from types import SimpleNamespace as NS

    from qa_service.serve.health import decision_name

    cal = Calibration("m", {"neighbours": 1.0}, 0.0, 0.5, neighbours_file="neighbours-m.npz")
    assert decision_name(NS(calibration=None, neighbours=None)) == "evidence_rule"
    assert decision_name(NS(calibration=cal, neighbours=None)) == "calibrated_partial"
    assert decision_name(NS(calibration=cal, neighbours=fixture_neighbours())) == "calibrated"
    assert decision_name(NS(calibration=Calibration("m", {}, 0.0, 0.5), neighbours=None)) == "calibrated"


def test_the_shipped_reference_questions_are_those_the_shipped_calibration_was_fitted_with(qa):
    cal, n = qa.retriever.calibration, qa.retriever.neighbours
    assert len(n.texts) == cal.fitted_on["in_scope"] + cal.fitted_on["out_of_scope"]
    assert int(n.out_of_scope.sum()) == cal.fitted_on["out_of_scope"]


def test_reference_questions_are_read_from_the_folder_of_the_calibration_in_use(tmp_path):
    from qa_service.retrieve.answerability import DEFAULT_FILE
    from qa_service.retrieve.retriever import calibration_folder

    own = {"model": "m", "calibration": {"model": "m", "weights": {}, "bias": 0.0, "threshold": 0.5}}
    assert calibration_folder(own, tmp_path) == tmp_path  # the index's own refit: its build
    assert calibration_folder({"model": "m"}, tmp_path) == DEFAULT_FILE.parent  # the shipped one: the package
    other = {"model": "m", "calibration": {"model": "another", "weights": {}, "bias": 0.0, "threshold": 0.5}}
    assert calibration_folder(other, tmp_path) == DEFAULT_FILE.parent
