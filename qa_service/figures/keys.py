"""The key a figure's measure shares across documents, read from the sentence's own words.

The lexicon names a dozen measures (企业开办, 获得用气 …); every other figure is keyed by its
own subject phrase, normalized so that documents that say one thing in different words meet:

* the words that say *where* or *how firmly* rather than *what* are dropped: quotes, notes in
  brackets, a leading 全市/全年/力争, 平均 (年平均 stays 年均: a yearly mean is another quantity);
* a time's 时限/用时/时长 is its 时间 (审批时限 and 审批时间 are one limit);
* a share of matters is said of the matters *and* what is done with them: 95%的税费服务事项实现
  “网上办” and 主要办税事项全程网办率98% are both 涉税事项网办率 (the lexicon's [[fold]] entries
  give the documents' synonyms), while 政务服务事项100%进驻大厅 is another share;
* a count of matters under a quoted programme counts that programme's matters (15件“一件事一次办”
  事项, 18项高频政务服务事项“一件事一次办”: both 一件事一次办).

>>> normalized_measure("税费服务事项", None, "", "%", "的税费服务事项实现“网上办”")
'涉税事项网办率'
>>> normalized_measure("主要办税事项全程网办率", None, "", "%", "以上")
'涉税事项网办率'
>>> normalized_measure("高频政务服务事项", None, "", "项", "高频政务服务事项“一件事一次办”")
'一件事一次办'
>>> normalized_measure("破产案件平均审理周期", None, "", "自然日", ""), normalized_measure("审批时限", None, "", "工作日", "")
('破产案件审理周期', '审批时间')
"""
from __future__ import annotations

import re

from ..lexicon import measures
from .numbers import TIME_CLASSES

# where or how firmly, not what: 全市政务服务事项, 全年培训, 力争引进, 争取全市金融业增加值
_LEAD = re.compile(r"^(?:全[市省区县]|我[市省区县]|本[市省区县]|全年|年内|当年|每年|争取|力争|确保|进一步)+")
# 主要办税事项: documents hedge a share's scope with 主要; the matters counted are the same kind
_SHARE_LEAD = re.compile(r"^(?:主要)")
_RATE_END = re.compile(r"(?:率|比例|占比|比重)$")
# what a share of matters is done: the words after the figure (or after its noun), up to the clause's end
_PREDICATE_LEAD = re.compile(r"^(?:以上|以下|及以上|左右)?的?|^(?:实现了?|达到|做到)")
# counts: the classes that count discrete items, which documents use for matters interchangeably
# (15件事项, 18项事项, 11个“一件事”)
ITEM_CLASSES = {"项", "件", "个"}


def comparison_class(unit_class: str) -> str:
    """The unit class figures are compared in: 项, 件 and 个 all count items."""
    return "项" if unit_class in ITEM_CLASSES else unit_class


def normalized_measure(measure: str, key: str | None, subcase: str, unit_class: str, after: str, qualifier: str = "") -> str:
    """The measure's key across documents: the lexicon's key if it has one, else its own words,
    normalized (module docstring). ``after`` is the clause's text after the figure."""
    if key:
        return key
    m = measure
    for part in re.split(r"[；;]", subcase or ""):
        if part and part != m:
            m = m.replace(part, "")
    m = re.sub(r"[“”\"‘’]", "", re.sub(r"[（(][^）)]*[）)]", "", m))
    m = _LEAD.sub("", m).replace("年平均", "年均")
    if re.search(r"年均|年平均", qualifier) and "年均" not in m:
        m = "年均" + m  # the extractor reads 年均 as the qualifier (年均停电时间): a yearly mean stays its own quantity
    m = re.sub(r"(?<!年)平均", "", m)
    if unit_class in TIME_CLASSES:
        m = re.sub(r"(?:时限|用时|时长)$", "时间", m)
    # 95%的税费服务事项实现“网上办”: a noun read after the figure is passed before its predicate
    lead = re.match(r"^(?:以上|以下|及以上|及以下)?的?", after).end()  # type: ignore[union-attr]
    rest = after[lead + len(measure) :] if measure and after[lead:].startswith(measure) else after
    if unit_class == "%":
        m = _SHARE_LEAD.sub("", m)
        if m.endswith("事项") and (pred := _predicate(rest)):
            m += pred + "率"
    elif unit_class in ITEM_CLASSES and (programme := re.match(r"^(?:以上|以下)?的?“([^”]{2,12})”", rest)):
        m = programme.group(1)
    return fold(m)


def _predicate(rest: str) -> str:
    prev = None
    while prev != rest:
        prev, rest = rest, _PREDICATE_LEAD.sub("", rest)
    return re.sub(r"[“”\"]", "", re.split(r"[，、。；,]", rest)[0])


def fold(phrase: str) -> str:
    """The lexicon's [[fold]] synonyms replaced by their one word (the longest term that matches).

    >>> fold("主要办税事项全程网办率"), fold("一件事打包办")
    ('主要涉税事项网办率', '一件事一次办打包办')
    """
    lx = measures()
    return lx.fold_pattern.sub(lambda m: lx.folds[m.group(0)], phrase) if lx.folds else phrase
