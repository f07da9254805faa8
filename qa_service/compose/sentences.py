"""Sentences and figures inside a clause.

>>> split_sentences("企业开办时间压减到1个工作日内。（市场监管局牵头）全面推行电子营业执照。")
['企业开办时间压减到1个工作日内。（市场监管局牵头）', '全面推行电子营业执照。']
>>> [(f.value, f.unit_class) for f in figures("压减至0.5个工作日，纳税时间68小时以内，费率不超过1%")]
[('0.5个工作日', 'days'), ('68小时', 'hours'), ('1%', 'percent')]
>>> [(f.value, f.unit_class) for f in figures("2023年底前设立单次不超过3年的休眠期")]
[('3年', 'years')]
>>> [(f.value, f.unit_class) for f in figures("每月19日前报送工作进展")]   # a reporting deadline answers 几号前报
[('19日前', 'date')]
>>> [(f.value, f.unit_class) for f in figures("满足100万个以上用户，新增2万家，奖励10万元")]
[('100万个', 'count'), ('2万家', 'count'), ('10万元', 'money')]
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..corpus.sentences import split_sentences  # noqa: F401  (re-exported: the composer quotes sentences)

UNITS: list[tuple[str, str]] = [
    (r"个?工作日", "days"),
    (r"个?自然日", "days"),
    (r"(?:个)?小时", "hours"),
    (r"分钟", "minutes"),
    (r"天", "days"),
    (r"个月", "months"),
    (r"月(?:底|末|上旬|中旬|下旬)", "date"),  # 6月底前: a deadline, for 啥时候 questions
    (r"[日号](?:前|之前)", "date"),  # 每月19日前, 12月10日前报送: a reporting deadline
    (r"年", "years"),
    (r"%", "percent"),
    (r"万元|亿元|元", "money"),
    (r"项", "count"),
    (r"家", "count"),
    (r"个", "count"),
]
_NUM = r"\d+(?:\.\d+)?(?:[—\-－~至到]\d+(?:\.\d+)?)?"
# 100万个, 2万家: a 万/亿 between the number and its unit belongs to the figure
FIGURE_RE = re.compile(rf"(?<![\d.])({_NUM})\s*[万亿]?(" + "|".join(u for u, _ in UNITS) + ")")
# the units that answer each kind of question: 多久 wants days or hours, 多少 amounts
INTENT_UNITS = {"time": {"days", "hours", "minutes", "months", "years"}, "amount": {"percent", "money", "count"}}


def units_for(intents: set[str]) -> set[str]:
    """The figure units that answer a question: 多少个工作日 is a time question even though it says 多少.

    >>> sorted(units_for({"time", "amount"})), sorted(units_for({"amount"})), units_for({"who"})
    (['days', 'hours', 'minutes', 'months', 'years'], ['count', 'money', 'percent'], set())
    """
    return INTENT_UNITS["time"] if "time" in intents else INTENT_UNITS["amount"] if "amount" in intents else set()


@dataclass(frozen=True)
class Figure:
    value: str  # as printed: 0.5个工作日, 10—12个工作日, 68小时
    number: str
    unit: str
    unit_class: str
    start: int


def figures(text: str) -> list[Figure]:
    out = []
    for m in FIGURE_RE.finditer(text):
        unit = m.group(2)
        cls = next(c for u, c in UNITS if re.fullmatch(u, unit))
        if cls == "years" and float(re.split(r"[—\-－~至到]", m.group(1))[0]) >= 100:
            continue  # 2023年 is a date, not a duration
        out.append(Figure(m.group(0), m.group(1), unit, cls, m.start()))
    return out


def numbers_in(text: str) -> set[str]:
    """Every number in a text (for checking that an answer invents none)."""
    return set(re.findall(r"\d+(?:\.\d+)?", text))


def topic_figure(sentence: str, topic: list[str], units: set[str], question: str = "",
                 same_clause: bool = False) -> tuple[str, str] | None:
    """(figure, excerpt) for the topic in a sentence: the first figure of the wanted units in
    the comma-clause that names most of the topic (the question's own words count
    double), or in the clause right after it (unless ``same_clause``).

    >>> topic_figure("企业开办时间压减到1个工作日内，获得用水时间压减到7个工作日内。", ["获得用水"], {"days"})
    ('7个工作日', '获得用水时间压减到7个工作日内')
    """
    clauses = [c for c in re.split(r"[，,；;。]", sentence) if c]
    # the comma-clause that names most of the topic: 政府投资工程项目审批 over 工程建设项目审批 when both are asked
    def weight(c: str) -> int:
        hits = [t for t in topic if t in c]
        # the question's own words (政府投资) say more than a topic's synonyms (工程建设项目审批)
        return sum(len(t) * (2 if t in question else 1) for t in hits if not any(t != u and t in u for u in hits))

    ranked = sorted(((weight(c), -i) for i, c in enumerate(clauses)), reverse=True)
    for weight, neg_i in ranked:
        if not weight:
            break
        i = -neg_i
        c = clauses[i]
        for cand in clauses[i : i + (1 if same_clause else 2)]:
            for f in figures(cand):
                if f.unit_class in units:
                    return f.value, (c if cand is c else c + "，" + cand)
    return None
