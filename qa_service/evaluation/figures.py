"""Figure extraction against the hand-labelled sample (eval/figures-sample.jsonl).

Each labelled figure is paired with the extracted row of the same sentence that states
the same figure (same printed text, or same value and unit class). A pair is right when
value, unit class, measure and sub-case all agree:

* value: equal (and the range's upper end equal);
* unit class: equal;
* measure: the two phrases name the same thing — after dropping quotes, the sub-case
  words and a trailing 时间/时限/用时/时长/周期, one contains the other or they share a run
  of four characters (labels keep the document's words, which the extractor may cut
  differently: 企业年均纳税时间 / 年均纳税时间);
* sub-case: both empty, or they name the same lexicon case, or one contains the other.
  全流程 / 全过程 count as no sub-case on either side: the labels write 全流程 as a sub-case,
  the lexicon (measures.toml) states that a time naming no scope is the whole procedure's,
  so 开办企业全流程0.5个工作日 and 企业开办时间1个工作日 answer one question (scorer change
  of 2026-12, figures before and after it are reported apart in README.md).

Dates are scored apart (found or not), and labels of kind ``other`` (ordinals, numbers
inside names) are not figures an answer uses: extracting them is not required, and an
extracted row that pairs with one counts as a wrong row only if it would answer
(commitment or count) — and is then wrong (until 2026-12 the code counted it right, against
this sentence; no row of the current extractor is affected). The sample is split in two by
item id (``half``): rules may be read against the ``dev`` half; the ``held`` half is
reported, never read.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..figures.extract import extract_sentence
from ..lexicon import measures

SUFFIX = re.compile(r"(时间|时限|用时|时长|周期)$")


def half(item_id: str) -> str:
    return "dev" if int(hashlib.sha1(item_id.encode()).hexdigest(), 16) % 2 == 0 else "held"


def _norm(s: str, subcase: str) -> str:
    s = re.sub(r"[“”\"‘’（）()\s]", "", s or "")
    for part in re.split(r"[；;]", subcase or ""):
        if part:
            s = s.replace(part, "")
    return SUFFIX.sub("", s)


def _shared_run(a: str, b: str, n: int = 4) -> bool:
    return any(a[i : i + n] in b for i in range(max(0, len(a) - n + 1)))


def same_measure(label: str, got: str, label_sub: str = "", got_sub: str = "") -> bool:
    a, b = _norm(label, label_sub), _norm(got, got_sub)
    if not a or not b:
        return a == b
    return a in b or b in a or _shared_run(a, b) or _shared_run(b, a)


WHOLE_PROCEDURE = {"全流程", "全过程"}  # the default scope of a time, not a case of it (measures.toml)


def _scope_parts(subcase: str) -> str:
    return "；".join(p for p in re.split(r"[；;]", subcase or "") if p and p not in WHOLE_PROCEDURE)


def same_subcase(label: str, got: str) -> bool:
    """
    >>> same_subcase("全流程", ""), same_subcase("社会投资小型低风险工程建设项目；全流程", "社会投资小型低风险项目")
    (True, True)
    """
    label, got = _scope_parts(label), _scope_parts(got)
    if not label and not got:
        return True
    if not label or not got:
        return False
    lx = measures()
    la, lg = lx.subcase_of(label), lx.subcase_of(got)
    if la and lg and la.label == lg.label:
        return True
    return label in got or got in label


@dataclass
class Pair:
    label: dict | None
    row: object | None

    def right(self) -> bool:
        lab, r = self.label, self.row
        if lab is None or r is None:
            return False
        return (abs(float(lab["value"]) - r.value) < 1e-6
                and (lab.get("value_max") is None) == (r.value_max is None)
                and lab.get("unit_class") == r.unit_class
                and same_measure(lab.get("measure", ""), r.measure, lab.get("subcase", ""), r.subcase)
                and same_subcase(lab.get("subcase", ""), r.subcase))


@dataclass(frozen=True)
class LabelRow:
    """A second labeller's figure read as an extracted row, so that two people's labels of one
    sample are scored by the rule that scores the extractor (inter-annotator agreement)."""

    text: str
    value: float
    value_max: float | None
    unit_class: str
    measure: str
    subcase: str
    kind: str
    measure_key: None = None

    @classmethod
    def of(cls, lab: dict) -> "LabelRow":
        vmax = lab.get("value_max")
        return cls(lab.get("text", ""), float(lab["value"]), None if vmax is None else float(vmax), lab.get("unit_class", ""),
                   lab.get("measure", ""), lab.get("subcase", ""), lab.get("kind", ""))


def pair_sentence(sentence: str, labels: list[dict], context: str = "", rows: list | None = None) -> list[Pair]:
    """Each label with the row of the sentence that states the same figure; ``rows`` default to
    the extractor's (a second labeller's figures as ``LabelRow`` measure agreement)."""
    rows = [r for r in (extract_sentence(sentence, context) if rows is None else rows) if r.kind != "date"]
    labels = [lab for lab in labels if lab.get("kind") != "date"]
    pairs, used = [], set()
    for lab in labels:
        k = next((i for i, r in enumerate(rows) if i not in used and _same_figure(lab, r)), None)
        if k is not None:
            used.add(k)
        pairs.append(Pair(lab, rows[k] if k is not None else None))
    pairs += [Pair(None, r) for i, r in enumerate(rows) if i not in used]
    return pairs


def _same_figure(lab: dict, r) -> bool:
    text = lab.get("text", "")
    return bool(text) and (text in r.text or r.text in text) or (
        abs(float(lab.get("value", -1)) - r.value) < 1e-6 and lab.get("unit_class") == r.unit_class)


def evaluate(sample: Path, corpus_dir: Path) -> dict:
    """Scores for the dev half, the held-out half and all, each sentence read with its clause's headings."""
    return evaluate_lines(_lines(sample), corpus_dir)


def evaluate_lines(lines: list[dict], corpus_dir: Path) -> dict:
    from ..corpus.loader import load_corpus

    corpus = load_corpus(corpus_dir)
    out: dict[str, dict] = {}
    for x in lines:
        it = corpus.item(x["item_id"])
        x["context"] = "|".join([it.title or "", *it.heading_path]) if it else ""
    for part in ("dev", "held", "all"):
        rows = [x for x in lines if part == "all" or half(x["item_id"]) == part]
        out[part] = _score([p for x in rows for p in pair_sentence(x["sentence"], x.get("figures", []), x.get("context", ""))], len(rows))
    return out


def agreement(sample: Path, second: Path, corpus_dir: Path) -> dict:
    """How far two labellers of the same sentences agree, scored as the extractor is (the first
    labeller's figures are the labels, the second's the rows; ``other`` figures are no rows, as the
    extractor writes none), and the extractor scored against the second labeller. Only sentences
    both files hold count; each part reports its own sentences."""
    first = {(x["item_id"], x["sentence"]): x for x in _lines(sample)}
    both = [(first[k], x) for x in _lines(second) if (k := (x["item_id"], x["sentence"])) in first]
    extractor = evaluate_lines([b for _, b in both], corpus_dir)  # split into the same halves by item id
    out: dict[str, dict] = {}
    for part in ("dev", "held", "all"):
        chosen = [(a, b) for a, b in both if part == "all" or half(a["item_id"]) == part]
        if not chosen:
            continue
        rows = [[LabelRow.of(f) for f in b.get("figures", []) if f.get("kind") != "other"] for _, b in chosen]
        humans = _score([p for (a, _), r in zip(chosen, rows) for p in pair_sentence(a["sentence"], a.get("figures", []), rows=r)],
                        len(chosen))
        out[part] = {"sentences": len(chosen), "labellers": _brief(humans), "extractor_vs_second": _brief(extractor[part])}
    return out


def _brief(score: dict) -> dict:
    return {k: score[k] for k in ("labelled_figures", "extracted_rows", "precision", "recall", "by_field_recall",
                                  "keyed_rows", "keyed_precision")}


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in Path(path).read_text(encoding="utf-8").splitlines() if x.strip()]


def _score(pairs: list[Pair], sentences: int) -> dict:
    wanted = [p for p in pairs if p.label is not None and p.label.get("kind") != "other"]
    got = [p for p in pairs if p.row is not None and not (p.label is not None and p.label.get("kind") == "other"
                                                          and p.row.kind not in ("commitment", "count"))]
    right_wanted = sum(p.right() for p in wanted)
    # a row paired with an ``other`` label is in ``got`` only when it would answer: then it is wrong
    # (until 2026-12 it was counted right, against this module's docstring)
    right_got = sum(p.right() and not (p.label is not None and p.label.get("kind") == "other") for p in got)
    kinds = [p for p in pairs if p.label is not None and p.row is not None]
    # the rows answers and conflicts are built from: those with a measure key
    keyed = [p for p in got if p.row.measure_key]
    return {
        "keyed_rows": len(keyed),
        "keyed_precision": round(sum(p.right() for p in keyed) / len(keyed), 3) if keyed else None,
        "sentences": sentences,
        "labelled_figures": len(wanted),
        "extracted_rows": len(got),
        "precision": round(right_got / len(got), 3) if got else None,
        "recall": round(right_wanted / len(wanted), 3) if wanted else None,
        "kind_accuracy": round(sum(p.label["kind"] == p.row.kind for p in kinds) / len(kinds), 3) if kinds else None,
        "by_field_recall": {
            f: round(sum(_field_ok(p, f) for p in wanted) / len(wanted), 3) if wanted else None
            for f in ("found", "value", "unit_class", "measure", "subcase")
        },
    }


def _field_ok(p: Pair, field: str) -> bool:
    lab, r = p.label, p.row
    if r is None:
        return False
    return {
        "found": True,
        "value": abs(float(lab["value"]) - r.value) < 1e-6,
        "unit_class": lab.get("unit_class") == r.unit_class,
        "measure": same_measure(lab.get("measure", ""), r.measure, lab.get("subcase", ""), r.subcase),
        "subcase": same_subcase(lab.get("subcase", ""), r.subcase),
    }[field]
