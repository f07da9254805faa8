"""Scoring figure extraction and the agreement of two labellers (qa_service/evaluation/figures.py):
fixture labels for the rule, the real samples of eval/ for the command."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from qa_service.evaluation.figures import agreement, evaluate, pair_sentence, LabelRow

from .conftest import CORPUS_DIR, ROOT

SENTENCE = "将企业开办时间压缩至1个工作日以内，用水报装时限压减至5个工作日"


def _fig(text, value, measure, subcase="", unit="工作日", kind="commitment"):
    return {"text": text, "value": value, "value_max": None, "unit_class": unit, "measure": measure,
            "subcase": subcase, "kind": kind}


def _write(path: Path, figures: list[dict]) -> Path:
    path.write_text(json.dumps({"item_id": "fixture:1", "doc": "fixture", "sentence": SENTENCE, "figures": figures},
                               ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def test_a_second_labeller_is_scored_by_the_extractors_rule(tmp_path):
    first = _write(tmp_path / "a.jsonl", [_fig("1个工作日", 1, "企业开办时间"), _fig("5个工作日", 5, "用水报装时限")])
    # the second labeller agrees on the first figure (a shorter phrase of the same measure) and
    # reads another measure for the second; an ``other`` figure is no row, as the extractor writes none
    second = _write(tmp_path / "b.jsonl", [_fig("1个工作日", 1, "开办时间"), _fig("5个工作日", 5, "压减"),
                                           _fig("一", 1, "", unit="其他", kind="other")])
    res = agreement(first, second, CORPUS_DIR)["all"]
    assert res["labellers"]["precision"] == res["labellers"]["recall"] == 0.5
    assert res["labellers"]["by_field_recall"]["value"] == 1.0 and res["labellers"]["by_field_recall"]["measure"] == 0.5
    # the extractor against the second labeller: it reads 用水报装时限, which the second did not
    assert res["extractor_vs_second"]["precision"] == 0.5
    # the same labels as rows: full agreement
    assert agreement(first, first, CORPUS_DIR)["all"]["labellers"]["precision"] == 1.0


def test_label_rows_pair_like_extracted_rows():
    rows = [LabelRow.of(_fig("5个工作日", 5, "用水报装时限")), LabelRow.of(_fig("1个工作日", 1, "企业开办时间"))]
    pairs = pair_sentence(SENTENCE, [_fig("1个工作日", 1, "企业开办时间")], rows=rows)
    assert pairs[0].right() and pairs[0].row.text == "1个工作日"
    assert pairs[1].label is None  # the unlabelled row is an extra row: a precision error


def test_the_real_samples_score_and_the_command_reports_agreement():
    # the training sample is read freely: a floor that catches a broken extractor or scorer
    train = evaluate(ROOT / "eval" / "figures-train.jsonl", CORPUS_DIR)["all"]
    assert train["labelled_figures"] >= 60 and train["precision"] >= 0.9 and train["recall"] >= 0.85
    r = subprocess.run([sys.executable, "-m", "qa_service.cli", "eval", "figures", "--json",
                        "--second-labels", "eval/figures-sample-b.jsonl"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads(r.stdout)
    assert res["all"]["sentences"] == 140 and set(res) == {"dev", "held", "all"}
    humans = res["all"]["labellers"]
    assert 0.5 < humans["precision"] < 1.0 and humans["by_field_recall"]["value"] > 0.95
    bad = subprocess.run([sys.executable, "-m", "qa_service.cli", "eval", "figures", "--second-labels", "no/such.jsonl"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "样本文件不存在" in bad.stderr + bad.stdout and "Traceback" not in bad.stderr
