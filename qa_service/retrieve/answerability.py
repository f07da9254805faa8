"""Do the retrieved clauses answer the question at all? A decision on evidence.

Similarity alone does not tell "shares vocabulary with policy text" from "is answered by a
clause": every policy-flavoured question is close to some clause. So the decision looks at
whether one clause covers the question's topic:

* ``cover`` — the best single clause's IDF-weighted share of the question's content words,
  a word counting when the clause has it or one of its lexicon variants (开公司 -> 企业开办,
  工钱 -> 工资, a mended typo); ``cover3`` the same over the best three together;
* ``absent`` — a content noun the corpus never uses, even through a variant (最低工资, 签证);
* ``cos`` and ``keyword`` — the best dense and keyword scores; ``foreign`` — a place outside
  Shaanxi and none inside;
* ``neighbours`` — how much nearer the question is to known out-of-scope questions than to
  answerable ones (``neighbours.py``; 0 without reference questions).

A logistic model over these is fitted per embedding model (``qa-service eval calibrate``,
stored in the index manifest; cosines of different models are on different scales). A model
with no calibration gets the evidence rule: answered when one clause covers at least half of
the question's topic and no topic noun is absent.

>>> f = Features(cos=0.9, cover=0.9, cover3=1.0, keyword=1.0, foreign=False, absent=False)
>>> evidence_rule(f), evidence_rule(Features(0.9, 0.2, 0.4, 0.5, False, False))
(True, False)
>>> cal = Calibration(model="m", weights={k: 0.0 for k in FEATURES} | {"cover": -8.0}, bias=4.0, threshold=0.5)
>>> cal.probability(f) > 0.9
True
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..lexicon import generic_nouns

GENERIC_NOUNS = generic_nouns()
FEATURES = ("cos", "cover", "cover3", "keyword", "foreign", "absent", "neighbours")
EVIDENCE_COVER = 0.5  # the uncalibrated rule: one clause names at least half of the question's topic
# A Chinese compound the clause lacks still counts in part by the characters it shares with the
# clause (罚款 / 处罚, 房本 / 房屋): its morphemes carry its meaning. Half a word at most, so a
# word spelled out counts more. Chosen by 5-fold cross-validation over the training questions
# (0.3-0.7 alike; out-of-scope refused at 3% false refusals 0.85 -> 0.90).
MORPHEME_CREDIT = 0.5
DEFAULT_FILE = Path(__file__).with_name("calibration.json")  # shipped calibrations, by model


@dataclass(frozen=True)
class Features:
    cos: float
    cover: float
    cover3: float
    keyword: float
    foreign: bool
    absent: bool
    neighbours: float = 0.0


@dataclass(frozen=True)
class Calibration:
    """Weights (log-odds of out-of-scope), bias and threshold fitted for one embedding model, and
    the file of reference questions its ``neighbours`` feature was fitted with (beside the JSON
    that holds the calibration)."""

    model: str
    weights: dict
    bias: float
    threshold: float
    fitted_on: dict = field(default_factory=dict)
    neighbours_file: str | None = None

    def probability(self, f: Features) -> float:
        z = self.bias + sum(self.weights.get(k, 0.0) * float(getattr(f, k)) for k in FEATURES)
        return 1.0 - 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "Calibration":
        return cls(d["model"], dict(d["weights"]), float(d["bias"]), float(d["threshold"]), dict(d.get("fitted_on", {})),
                   d.get("neighbours_file"))


def evidence_rule(f: Features) -> bool:
    """The decision without a calibration: a topic noun unknown to the corpus refuses; one clause
    naming at least half of the topic answers."""
    return not f.absent and not f.foreign and f.cover >= EVIDENCE_COVER


def shipped_calibration(model: str) -> Calibration | None:
    """The calibration this package ships for a model (fitted here, see calibration.json)."""
    if not DEFAULT_FILE.exists():
        return None
    data = json.loads(DEFAULT_FILE.read_text(encoding="utf-8"))
    return Calibration.from_json(data[model]) if model in data else None


def coverage(words: list[str], idf: dict[str, float], text: str, variants: dict[str, tuple[str, ...]],
             unknown_idf: float = 9.0) -> float:
    """IDF-weighted share of ``words`` that ``text`` has, itself or as one of its variants; a word
    it lacks counts in part by the share of its characters the text has (:data:`MORPHEME_CREDIT`).

    >>> coverage(["开公司", "几天"], {"几天": 1.0}, "企业开办时间压减到1个工作日", {"开公司": ("企业开办",)})
    0.9
    >>> round(coverage(["罚款"], {}, "首次轻微违法行为不予行政处罚", {}), 2)
    0.25
    """
    if not words:
        return 0.0
    total = sum(idf.get(w, unknown_idf) for w in words)
    hit = sum(idf.get(w, unknown_idf) * _credit(w, text, variants.get(w, ())) for w in words)
    return hit / total


def _credit(word: str, text: str, variants: tuple[str, ...]) -> float:
    if word in text or any(v in text for v in variants):
        return 1.0
    return MORPHEME_CREDIT * sum(c in text for c in word) / len(word)
