"""Sentences -> figure rows: what each number in a clause measures, in which case, how.

A figure is a number with its unit (0.5个工作日, 10—12个工作日, 100万个, 6月底前). For
each one the extractor reads, from the words around it in its own comma-clause:

* the **measure** — the subject the number is said of, in the document's words
  (企业开办时间), with the lexicon's key for it (企业开办) so that documents that name one
  thing differently are compared;
* the **sub-case** — which case of the measure it covers (无外线工程, 政府投资项目), from
  the lexicon's sub-case phrases; figures of different sub-cases are never compared;
* the **comparator** (压减至, 以内, 不超过, 达到 …) and a **qualifier** that changes what is
  promised (办结率达到80%以上, 原则上, 平均);
* the **kind**: a commitment (target, limit), a statistic (a past or present state), a
  date (deadline), a count (11个“一件事”), or other; only commitments and counts answer
  多久/多少 questions.

>>> rows = extract_sentence("无外线施工获得用气时间压减到3个工作日内，获得用水时间压减到7个工作日内。")
>>> [(r.value, r.unit_class, r.measure_key, r.subcase, r.comparator) for r in rows]
[(3.0, '工作日', '获得用气', '无外线工程', '压减到'), (7.0, '工作日', '获得用水', '', '压减到')]
>>> r = extract_sentence("开办企业全流程“0.5个工作日”办结率达到80%以上。")[0]
>>> r.value, r.measure_key, r.qualifier
(0.5, '企业开办', '办结率达到80%以上')
>>> [(r.value, r.subcase) for r in extract_sentence("将一般社会性投资、政府投资工程项目审批时间分表压减至50、85个工作日。")]
[(50.0, '一般社会投资项目'), (85.0, '政府投资项目')]
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from ..lexicon import measures

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}

# unit as printed -> unit class; longer spellings first, so that 个工作日 wins over 个
UNIT_CLASSES: list[tuple[str, str]] = [
    ("个工作日", "工作日"), ("工作日", "工作日"), ("个自然日", "自然日"), ("自然日", "自然日"),
    ("个小时", "小时"), ("小时", "小时"), ("分钟", "分钟"), ("个月", "月"), ("天", "自然日"), ("日", "自然日"),
    ("个百分点", "%"), ("%", "%"), ("％", "%"), ("亿元", "元"), ("万元", "元"), ("元", "元"),
    ("千瓦", "千瓦"), ("平方米", "面积"), ("亩", "面积"), ("年", "年"),
    ("项", "项"), ("个", "个"), ("家", "家"), ("次", "次"), ("人次", "人"), ("人", "人"), ("名", "人"), ("户", "户"), ("件", "件"), ("倍", "倍"),
    ("条", "其他"), ("张", "其他"), ("类", "其他"), ("批", "其他"), ("所", "其他"), ("台", "其他"), ("笔", "其他"),
    ("种", "其他"), ("级", "其他"),
]
UNIT_OF = dict(UNIT_CLASSES)
TIME_CLASSES = {"工作日", "自然日", "小时", "分钟", "月", "年"}
AMOUNT_CLASSES = {"%", "元", "千瓦", "面积", "倍"}
COUNT_CLASSES = {"项", "个", "家", "次", "人", "户", "件", "其他"}
# 次 counts occurrences of an action (每半年开展一次, 一次办结): a frequency, a commitment; the
# other count classes count things, and a bare count of things is the size of a set (26项改革举措)
SET_CLASSES = COUNT_CLASSES - {"次"}

_NUM = r"(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千半]+)"
_UNIT = "|".join(re.escape(u) for u, _ in UNIT_CLASSES)
FIGURE_RE = re.compile(
    rf"(?P<num>{_NUM}(?:、{_NUM})*(?:[—\-－~～至到]{_NUM})?)(?P<mult>[万亿])?(?P<approx>[余多])?(?P<unit>{_UNIT})"
)
DATE_RE = re.compile(r"(?:(?P<year>20\d\d)年)?(?P<month>\d{1,2})月(?P<part>底|末|上旬|中旬|下旬|\d{1,2}日)?(?P<before>前|以前)?"
                     r"|(?P<y2>20\d\d)年(?P<p2>底|末|内|上半年|下半年)(?P<b2>前)?")
# a Chinese numeral counts only where it cannot be part of a name: 一网通办, 最多跑一次,
# 三年行动方案 and 二十四条措施 are names, not figures
_CN_NAME_AFTER = re.compile(r"^(?:件事|次办(?![结理])|次性|网|窗|码|站|业|照|年行动|年计划|年规划|年攻坚|条措施|张网|个一)")
BEFORE_VERBS = re.compile(
    r"(压减至|压减到|压减|压缩至|压缩到|压缩为|压缩|缩短至|缩短到|缩短|减少到|减少至|减少|降低至|降低到|降至|降低|"
    r"提高至|提高到|提升至|提高|提升|控制在|(?:最高|最低)?(?:不得|不)(?:超过|少于|低于|高于)|低于|小于|高于|超过|达到|达|突破|增长至|增至|"
    r"增长|增加|新增|稳定在|保持在|实现|确保|为|在|由)$"
)
# 最多跑一次, 至少开展1次: a bound adverb before the verb whose times are counted
_BOUND_ADVERB = re.compile(r"(最多|至少|最少)(?P<act>[\u4e00-\u9fff]{0,2})$")
# 精简至2个, 确定为6个月, 整合为1个: a verb of setting a value, ending in 至/到/为, is its comparator
_SETTING_VERB = re.compile(r"([\u4e00-\u9fff]{2}[至到为])$")
AFTER_WORDS = re.compile(r"^(以内|之内|内|以上|以下|左右|及以下|及以上)")
_BOUNDS = {"以上", "以下", "及以上", "及以下"}
_LEAD = re.compile(
    r"^(?:将|把|对于|对|针对|按照|围绕|依托|通过|其中|并且|并|且|同时|力争|确保|实现|推动|推进|进一步|全面|持续|全年|年内|当年|每年|全[市省区县]|"
    r"到?20\d\d年(?:底|末|内)?前?|\d{1,2}月底前|年底前|[，、：“”\"（）()])+"
)
_GENERIC = re.compile(r"^(?:审批|办理|办结|平均|整体|全流程|全过程|业务)?(?:时间|时限|用时|时长|周期|环节)?$")
_QUALIFIER_AFTER = re.compile(r"^[”\"]?((?:办结率|占比|比例|覆盖率|满意率)[^，。；]*?\d+(?:\.\d+)?[%％](?:以上)?)")
_STAT_MARKERS = re.compile(r"已经|已有|已达|已累计|累计|共计|截至|截止|目前|现有|共有|同比|较上年|比上年")
# how firmly a figure is promised (the sample's qualifiers: 原则上, 一般, 力争, 基本, 平均, 鼓励)
_HEDGE_END = re.compile(r"(原则上|一般|力争|基本|平均|均)$")
_HEDGE_START = re.compile(r"^(原则上|力争|平均|鼓励)")
# administrative levels named before a count of levels: 市县两级, 省、市、县三级, 市、区县（开发区）两级
_LEVEL = r"(?:新区|新城|街道|社区|镇街|区县|开发区|[省市县区乡镇村])(?:[（(][^）)]{1,6}[）)])?"
_LEVEL_RUN = re.compile(rf"(?:{_LEVEL}、?)+$")
# the verb that introduces a list of award levels (对获得国家、省级和市级…奖项的) is not the first level's
_AWARD_VERB = re.compile(r"^(?:获得|取得|荣获|被评为|评为|认定为)")
# between two values of one list: a connector, after the first value's own bound and noun
_LISTED = re.compile(r"^(?:(?:以上|以下|以内|及以上|及以下)?的[\u4e00-\u9fff“”]{1,16})?[、和及与]$")
# an organ before 在N个工作日内 is who acts within the limit, not what is measured
_ACTOR = re.compile(r"(机关|部门|单位|机构|政府|管委会)$")
# what the documents promise one of (一个阶段, 一个程序, 一个号码对外)
_STEPS = re.compile(r"^(?:阶段|环节|程序|号码|流程)")
_OF_A_BASE = re.compile(r"((?:不得|不)(?:低于|超过|高于|少于))[^，。；、]{2,24}的$")
ELIDED = "elided"  # a note: the figure's subject names only its case
STEP = "step"  # a note: the limit of one organ's step within a procedure
_AFTER_VERBS = re.compile(r"^(?:以内|之内|内|即时|完成|办结|实现|即可|就)+")


@dataclass
class RawFigure:
    """One figure of a sentence, before the document's facts are attached."""

    text: str  # as printed: 0.5个工作日
    value: float
    value_max: float | None
    unit: str
    unit_class: str
    kind: str
    measure: str = ""
    measure_key: str | None = None
    subcase: str = ""
    comparator: str = ""
    qualifier: str = ""
    start: int = 0
    end: int = 0  # where the printed figure (or list of values) ends
    excerpt: str = ""  # the comma-clause that states it
    notes: list[str] = field(default_factory=list)


def cn_number(s: str) -> float | None:
    """三 -> 3, 二十四 -> 24, 半 -> 0.5; None for what is not a numeral.

    >>> cn_number("二十四"), cn_number("十"), cn_number("两"), cn_number("半")
    (24.0, 10.0, 2.0, 0.5)
    """
    if s == "半":
        return 0.5
    total, cur = 0, 0
    for ch in s:
        if ch in CN_DIGITS:
            cur = CN_DIGITS[ch]
        elif ch in CN_UNITS:
            total += (cur or 1) * CN_UNITS[ch]
            cur = 0
        else:
            return None
    return float(total + cur)


def number(s: str) -> float | None:
    try:
        return float(s)
    except ValueError:
        return cn_number(s)


def extract_sentence(sentence: str, context: str = "") -> list[RawFigure]:
    """Every figure of one sentence. ``context`` is what the clause's heading says (the
    measure of a sentence that only says 全流程审批时限压缩至6个工作日)."""
    out: list[RawFigure] = []
    dates = [(m.start(), m.end()) for m in DATE_RE.finditer(sentence) if _is_date(m)]
    out += [_date_figure(sentence, s, e) for s, e in dates]
    last: dict[int, _Last] = {}  # per comma-clause (by its start), the figure read last
    # 160千瓦及以下小微企业: a number inside a sub-case's name names the case, it is no figure of its own
    names = dates + [(m.start(), m.end()) for s in measures().subcases for m in s.pattern.finditer(sentence)
                     if re.search(r"\d", m.group(0))]
    for m in FIGURE_RE.finditer(sentence):
        if any(s <= m.start() < e for s, e in names) or not _is_figure(m, sentence):
            continue
        bounds = _clause_bounds(sentence, m.start())
        figs, read = _read_figure(sentence, m, bounds, last.get(bounds[0]), context)
        out += figs
        if m.group("unit") != "级":  # 新区新城两级80%以上的事项: the levels stay the next figure's scope
            last[bounds[0]] = read
    out.sort(key=lambda f: f.start)
    _pair_respectively(sentence, out)
    _inherit_elided_measures(out)
    _frequencies(out)
    _joined_counts(sentence, out)
    return out


def _pair_respectively(sentence: str, figs: list[RawFigure]) -> None:
    """对获得国家、省级和市级…奖项的，分别按…1.5%、1.0%和0.8%: the i-th figure is the i-th case's.
    What they measure: the noun after the last value (分别给予10万元、20万元一次性奖励), else the
    list's shared noun when the list is their subject (失业保险、工伤保险参保人数分别达到…)."""
    m = re.search(r"分别|依次", sentence)
    if not m:
        return
    after = [f for f in figs if f.start > m.start() and f.kind != "date"]
    if len(after) < 2 or len({f.unit_class for f in after}) != 1:
        return
    listed = _enumerated_cases(sentence[: m.start()], len(after))
    if not listed:
        return
    cases, shared = listed
    head = _qualified_noun(sentence[after[-1].end :])
    own_clause = shared and shared in after[0].excerpt and _has_content(shared)
    for f, case in zip(after, cases):
        f.subcase = case
        if head and not f.measure_key:
            f.measure = head
        elif own_clause:  # one measure for all: the list's noun, the key it was read with
            f.measure, f.measure_key = shared, after[-1].measure_key


def _enumerated_cases(before: str, n: int) -> tuple[list[str], str] | None:
    """The n cases listed before 分别, and the noun the list's items share: the items of the last
    、/和/及 list when it has n (获得国家、省级和市级优质工程奖项 -> 国家, 省级, 市级: the verb before
    the first item and the noun after the last belong to the whole list); else the lexicon's
    sub-case phrases in the list when it names n of them (省级、国家级示范平台 -> 省级, 国家级)."""
    lists = [c for c in re.split(r"[，,；;：:]", before) if re.search(r"[、和及]", c)]
    if not lists:
        return None
    lx = measures()
    items = [x for x in re.split(r"[、和及]", _subject(lists[-1])) if x]
    if len(items) == n:
        items[0] = _AWARD_VERB.sub("", items[0])
        width = max(len(x) for x in items[:-1])
        cases = [sub.label if (sub := lx.subcase_of(item)) else _cut_case(item, width) for item in items]
        last = items[-1]
        return cases, re.sub(r"(分别|依次|分表)$", "", last[len(cases[-1]) :]) if last.startswith(cases[-1]) else ""
    found = _subcase_phrases(lists[-1])
    return (found, "") if len(found) == n else None


def _cut_case(item: str, width: int) -> str:
    """The case that starts a list item, as wide as the other items, cut at a word's end
    (农村地区用户年均停电时间 beside 中心区、市区、城镇 -> 农村地区)."""
    import jieba  # the tokenizer's own dictionary, loaded once

    ends, n = [], 0
    for w in jieba.lcut(item, HMM=False):
        n += len(w)
        ends.append(n)
    return item[: min(ends, key=lambda e: (abs(e - width), -e))]


def _subcase_phrases(text: str) -> list[str]:
    """Every sub-case phrase of a text, in order, none inside another."""
    spans: list[tuple[int, int, str]] = []
    for s in measures().subcases:
        for m in s.pattern.finditer(text):
            if not any(a < m.end() and m.start() < b for a, b, _ in spans):
                spans.append((m.start(), m.end(), m.group(0) if s.label == "$0" else s.label))
    return [label for _, _, label in sorted(spans)]


def _is_date(m: re.Match) -> bool:
    month = m.group("month")
    return month is None or 1 <= int(month) <= 12


def _date_figure(sentence: str, s: int, e: int) -> RawFigure:
    text = sentence[s:e]
    month = re.search(r"(\d{1,2})月", text)
    return RawFigure(text=text, value=float(month.group(1)) if month else 12.0, value_max=None, unit="月", unit_class="日期",
                     kind="date", measure=_subject(sentence[_clause_bounds(sentence, s)[0]:s]), start=s)


def _is_figure(m: re.Match, sentence: str) -> bool:
    num, unit = m.group("num"), m.group("unit")
    before = sentence[: m.start()]
    if before.endswith("第") or (num[0].isdigit() and re.search(r"[\d.]$", before)):
        return False  # 第3条, or the tail of a longer number
    first = re.split(r"[、—\-－~～至到]", num)[0]
    if not first[0].isdigit() and not _chinese_numeral_is_figure(first, unit, sentence, m):
        return False
    if unit == "年" and (number(first) or 0) >= 1900:
        return False  # 2023年: a year, not a duration (dates are read by DATE_RE)
    if unit == "日" and before.endswith("月"):
        return False
    if unit == "名" and re.search(r"[前后]$", before):
        return False  # 排名前10名: a rank
    return True


def _chinese_numeral_is_figure(first: str, unit: str, sentence: str, m: re.Match) -> bool:
    """A Chinese numeral counts only where it cannot be part of a name or a reference."""
    before, after = sentence[: m.start()], sentence[m.end("num") :]
    if _CN_NAME_AFTER.match(after) or before.endswith("届"):
        return False  # 一网通办, 二十四条措施; 十四届三次全会 (届 is followed by a session's ordinal)
    if first == "一" and UNIT_OF[unit] not in TIME_CLASSES:
        # 一批, 一个平台 are words; 一次 says how many times (一次办结, 每半年开展一次) unless it is
        # part of a quoted name (“一件事一次办”); 一个 is the promised number of stages, steps or
        # numbers when a verb sets it (整合为一个阶段) or it counts them (一个程序, 一个号码)
        if in_quoted_name(sentence, m.start(), m.end()):
            return False
        if unit == "个":
            return bool(_SETTING_VERB.search(before) or _STEPS.match(after[1:]))
        return unit == "次" and not after.startswith("次性")
    if before.endswith("每"):
        return UNIT_OF[unit] in TIME_CLASSES  # 每半年, 每两年: a frequency
    if re.search(r"[上下同第这该近前]$", before) or after.startswith(("度", "来")):
        return False  # 上一年度, 近两年来: a reference to a year, not a figure
    if after.startswith("级"):
        return bool(_LEVEL_RUN.search(before))  # 市县两级: how many levels; 三级网络 is a name
    return True


def in_quoted_name(sentence: str, start: int, end: int) -> bool:
    """“15分钟政务服务圈”: a figure inside a quoted name is part of the name (“0.5个工作日” alone is not)."""
    opened = sentence.rfind("“", 0, start)
    if opened < 0 or sentence.rfind("”", 0, start) > opened:
        return False
    close = sentence.find("”", end)
    inside = sentence[opened + 1 : close if close >= 0 else len(sentence)]
    rest = inside.replace(sentence[start:end], "", 1)
    return len(re.sub(r"[^\u4e00-\u9fff]", "", rest)) >= 2


def _clause_bounds(sentence: str, pos: int) -> tuple[int, int]:
    """The comma-clause around ``pos``: figures are said of the words of their own clause."""
    stops = "，,；;：:。！？"
    start = max(sentence.rfind(c, 0, pos) for c in stops) + 1
    ends = [i for i in (sentence.find(c, pos) for c in stops) if i >= 0]
    return start, min(ends) if ends else len(sentence)


def _values(m: re.Match) -> list[tuple[float, float | None]]:
    """50、85 -> two values; 10—12 -> one range; 万/亿 resolved."""
    mult = {"万": 1e4, "亿": 1e8}.get(m.group("mult") or "", 1.0)
    unit = m.group("unit")
    mult *= {"万元": 1e4, "亿元": 1e8}.get(unit, 1.0)
    out = []
    for part in m.group("num").split("、"):
        ends = [number(p) for p in re.split(r"[—\-－~～至到]", part) if p]
        if not ends or ends[0] is None:
            continue
        hi = ends[1] * mult if len(ends) > 1 and ends[1] is not None else None
        out.append((ends[0] * mult, hi))
    return out


def _verb_before(before: str) -> re.Match | None:
    """The comparator verb that ends the words before a figure: a listed one (压减至, 不超过, 为), a
    bound adverb (最多跑, 至少), or any two-character word ending in 至/到/为 (精简至2个), a verb
    when it is longer than the listed one (整合为一个阶段; 审批时间为5个工作日: 时间 is the measure's)."""
    listed = BEFORE_VERBS.search(before) or _BOUND_ADVERB.search(before)
    setting = _SETTING_VERB.search(before)
    if setting and (not listed or (setting.start() < listed.start() and _tags().get(setting.group(1)[:2], "").startswith("v"))):
        return setting
    return listed


@dataclass
class _Last:
    """The figure read last in a comma-clause: where it ends, the words its subject was read from,
    its comparator (the next figure of a list shares them)."""

    end: int
    subject_text: str
    comparator: str


def _read_figure(sentence: str, m: re.Match, bounds: tuple[int, int], prev: _Last | None,
                 context: str) -> tuple[list[RawFigure], _Last]:
    clause_start, clause_end = bounds
    comparator, subject_text = _words_before(sentence, m, clause_start, prev)
    after = sentence[m.end() : clause_end]
    if not comparator and (w := AFTER_WORDS.match(after)):
        comparator = w.group(1)
    if not comparator and sentence[: m.start()].endswith("每"):
        comparator = "每"  # 每半年: a frequency
    unit_class = UNIT_OF[m.group("unit")]
    kind = "other" if in_quoted_name(sentence, m.start(), m.end()) else _kind(sentence[clause_start : m.start()], after, unit_class, comparator)
    if m.group("unit") == "级" and (levels := _LEVEL_RUN.search(sentence[clause_start : m.start()])):
        kind, subject_text = "count", levels.group(0)  # 新区新城两级: a count of the levels it names
    values = _values(m)
    out = []
    parts = m.group("num").split("、")
    for k, ((value, hi), subj) in enumerate(zip(values, _respective(subject_text, len(values)))):
        text = m.group(0) if len(values) == 1 else parts[k] + (m.group("mult") or "") + m.group("unit")
        f = RawFigure(text=text, value=value, value_max=hi, unit=(m.group("mult") or "") + m.group("unit"),
                      unit_class=unit_class, kind=kind, comparator=comparator, start=m.start(), end=m.end())
        _describe(f, subj, sentence, clause_start, after, context)
        f.excerpt = sentence[clause_start:clause_end]
        if _in_breakdown(sentence, m.start()):
            # （其中行政审批3个工作日，燃气企业办理6个工作日）: steps of the figure before, not the measure's own
            f.measure_key, f.subcase = None, "分项"
        out.append(f)
    return out, _Last(m.end(), subject_text, comparator)


def _words_before(sentence: str, m: re.Match, clause_start: int, prev: _Last | None) -> tuple[str, str]:
    """(the comparator before the figure, the words its subject is read from): what stands between
    the clause's start, or the figure before in the clause, and this one."""
    before = sentence[prev.end if prev else clause_start : m.start()]
    if prev and _LISTED.match(before):
        # 首次突破10亿元、30亿元 / 200万元以下的货物和服务项目、400万元以下的工程项目: values listed
        # one after the other share the subject and the comparator of the first
        return prev.comparator, prev.subject_text
    if prev:
        # 70%以上涉税事项一次办结: 以上 is the figure before's bound, not this one's subject;
        # 事项100%网上可办、办件信息100%一库共享: what precedes the last 、 is said of the figure before
        before = re.sub(r"^(?:以上|以下|以内|之内|及以上|及以下|左右)?的?[和及与]?", "", before).rsplit("、", 1)[-1]
    if base := _OF_A_BASE.search(before):
        # 工程预付款不得低于合同总价的10%: the comparator stands before the base the share is of
        return base.group(1), before[: base.start()]
    verb = _verb_before(before)
    if not verb:
        return "", before
    # the words before the verb, and the verb of 最多跑一次 (what is counted)
    subject_text = before[: verb.start()] + (verb.groupdict().get("act") or "")
    if prev and prev.comparator == "由" and not _subject(subject_text):
        subject_text = prev.subject_text  # 由5项减少到2项: the same subject, its new value
    return verb.group(1), subject_text


def _in_breakdown(sentence: str, pos: int) -> bool:
    opened = max(sentence.rfind("（", 0, pos), sentence.rfind("(", 0, pos))
    closed = max(sentence.rfind("）", 0, pos), sentence.rfind(")", 0, pos))
    return opened > closed and sentence[opened + 1 : opened + 3] == "其中"


def _respective(subject: str, n: int) -> list[str]:
    """一般社会性投资、政府投资工程项目审批时间分表压减至50、85: the i-th figure is the i-th subject's."""
    if n <= 1:
        return [subject]
    core = re.sub(r"(分别|分表|依次)$", "", subject)
    parts = core.split("、")
    if len(parts) != n:
        return [subject] * n
    tail = _measure_tail(parts[-1])
    return [p if i == n - 1 else p + tail for i, p in enumerate(parts)]


def _measure_tail(phrase: str) -> str:
    """The measure part of the last of several subjects (政府投资工程项目审批时间 -> 工程项目审批时间)."""
    lx = measures()
    for m in lx.measures:
        for a in sorted(m.aliases, key=len, reverse=True):
            i = phrase.find(a)
            if i >= 0:
                return phrase[i:]
    return ""


def _subject(text: str) -> str:
    text = re.sub(r"自[^，。；]*?起", "", text.strip())  # 自委托书生效之日起: when counting starts, not what is counted
    prev = None
    while prev != text:
        prev, text = text, _LEAD.sub("", text).strip("“”\"")
    return text


def _describe(f: RawFigure, subject_text: str, sentence: str, clause_start: int, after: str, context: str) -> None:
    """Fill measure, measure key, sub-case and qualifier from the words around the figure."""
    subject, hedge = _unhedged(_subject(subject_text))
    partial = bool(re.match(r"^\W*其中", subject_text))
    subject, scope = _what_is_measured(f, subject, after, partial)
    key = _measure_key(f, subject, sentence[:clause_start], context)
    f.qualifier = _qualifier(f, subject_text, after, hedge)
    f.subcase = _case(f, subject, subject_text, scope, key, context)
    if f.subcase and f.subcase in subject and f.subcase != subject:
        subject = subject.replace(f.subcase, "", 1).strip("的“”\"")  # the measure without its case
    if (f.subcase and f.subcase == subject) or (partial and not _has_content(subject)):
        f.notes.append(ELIDED)  # 自由贸易试验区力争达到150项, 其中省内30项: the case only, the measure is said before
    f.measure = _balanced(subject) or (key or "")  # 实现1个工作日内办结: no words of its own, the topic's name
    f.measure_key = None if STEP in f.notes else key


def _what_is_measured(f: RawFigure, subject: str, after: str, partial: bool) -> tuple[str, str]:
    """(the phrase the figure is said of, the words that say whose when that phrase follows it)."""
    if f.kind == "count" and not partial and f.unit != "级":
        return _counted(after) or subject, ""
    if f.unit_class == "次" and _has_content(action := _action(after)):
        return action, ""  # 开展一次“营商环境集中宣传”活动: 次 counts the action that follows
    if f.unit_class in {"%", "元"} and (re.match(r"^(?:以上|以下|及以上|及以下)?的", after) or not _has_content(subject)) \
            and (head := _qualified_noun(after)):
        # 80%以上的政务服务事项: a share is said of the noun after it; what stood before it
        # (新区新城两级) says whose. A money threshold (政府采购领域200万元以下的货物和服务项目) is
        # said of what stood before it, and the noun after names the items it covers: the case
        if f.unit_class == "元" and f.comparator in _BOUNDS and _has_content(subject) and len(head) > 2:
            return subject, head
        return head, subject
    if f.unit_class in SET_CLASSES and subject.endswith("等") and _has_content(counted := _counted(after)):
        return counted, ""  # 在药品、餐饮等不少于8个行业: the list gives examples, the noun after is counted
    if not _has_content(subject) or (f.unit_class not in TIME_CLASSES and _only_a_verb(subject)):
        # 1个工作日内完成案件受理, 新增不少于50项高频事项, 针对11个部门: the measure follows the figure
        tail = _counted(after) if f.unit_class in SET_CLASSES else _action(after)
        return (tail if _has_content(tail) else subject or tail), ""
    if f.comparator == "在" and _ACTOR.search(subject) and _has_content(action := _action(after)):
        # 登记机关在1个工作日内推送信息: the limit is on the action, the organ before 在 acts; one
        # organ's step is not the whole procedure's time (no measure key, as for （其中…）)
        f.notes.append(STEP)
        return action, ""
    if f.unit_class in TIME_CLASSES and (m := re.match(r"^(?:“[^”]{1,8}”)?的", after)) and (head := _qualified_noun(after[m.end() :])):
        return head, ""  # 提供24小时“不打烊”的自助终端服务: the time qualifies the noun after its 的
    return subject, ""


def _measure_key(f: RawFigure, subject: str, earlier: str, context: str) -> str | None:
    lx = measures()
    key = lx.measure_of(subject)
    named_time = f.unit_class in TIME_CLASSES and re.search(r"(时间|时限|用时|时长)$", subject)
    generic = _GENERIC.match(re.sub(r"^.*?(审批|办理)", r"\1", subject) or "") and (subject or f.unit_class in TIME_CLASSES)
    if key is None and (named_time or generic):
        # 全流程审批时限, 无外线施工的报装时间, 办理环节: whose? the sentence's earlier topic, else the heading's
        key = lx.measure_of(earlier) or lx.measure_of(context)
    return key


def _qualifier(f: RawFigure, subject_text: str, after: str, hedge: str) -> str:
    if (q := _QUALIFIER_AFTER.match(after)) and f.unit_class != "%":
        return q.group(1)
    if hedge or (m := re.search(r"原则上|平均", subject_text)) and (hedge := m.group(0)):
        return hedge
    if f.unit_class == "次" and (per := re.search(r"每(?:年|月|周|季度)", subject_text)):
        return per.group(0)  # 每年至少开展1次: how often
    return ""


def _case(f: RawFigure, subject: str, subject_text: str, scope: str, key: str | None, context: str) -> str:
    lx = measures()
    # 引进顶尖人才、国家级领军人才和高技能人才500名: a case named inside a list narrows one item of it
    own = lx.subcase_of(subject.split("、", 1)[0]) if "、" in subject else lx.subcase_of(subject)
    sub = own or (lx.subcase_of(context) if key and key not in (lx.measure_of(subject) or "") else None)
    if sub:
        return sub.label
    if f.kind == "count" and not scope and (rel := re.search(r"([\u4e00-\u9fff“”]{2,16}的)$", _subject(subject_text))):
        return rel.group(1)  # 国家明确在全国推行的26项改革举措: a relative clause says which ones are counted
    return scope


@lru_cache(maxsize=1)
def _tags() -> dict[str, str]:
    import jieba.posseg  # the tokenizer's dictionary with its part-of-speech tags, loaded once

    jieba.posseg.dt.initialize()
    return jieba.posseg.dt.word_tag_tab


def _only_a_verb(subject: str) -> bool:
    """新增, 建成, 针对: one verb or preposition is no measure (a noun is, 审批 for a time is)."""
    import jieba

    words = jieba.lcut(subject, HMM=False)
    return len(words) == 1 and _tags().get(words[0]) in ("v", "p")


def _balanced(phrase: str) -> str:
    """“坐窗口”活动 cut after its opening quote reads 坐窗口”活动: drop quotes left without their pair."""
    if phrase.count("“") != phrase.count("”"):
        phrase = phrase.replace("“", "").replace("”", "")
    return phrase


def _unhedged(subject: str) -> tuple[str, str]:
    """破产案件一般在6个月内办结, 事项力争达到100项: a hedge at either end of the subject says how
    firmly the figure is promised (a qualifier), not what it measures. 一般 and 基本 only at the end,
    before the verb: at the start they are adjectives of a name (一般社会投资项目, 基本公共服务).

    >>> _unhedged("破产案件一般"), _unhedged("原则上工业用地出让年期"), _unhedged("一般社会投资项目")
    (('破产案件', '一般'), ('工业用地出让年期', '原则上'), ('一般社会投资项目', ''))
    """
    if (m := _HEDGE_END.search(subject)) and len(subject) > len(m.group(0)):
        return subject[: m.start()], m.group(0)
    if (m := _HEDGE_START.match(subject)) and len(subject) > len(m.group(0)):
        return subject[m.end() :], m.group(0)
    return subject, ""


def _inherit_elided_measures(figs: list[RawFigure]) -> None:
    """…的事项力争达到100项以上，自由贸易试验区力争达到150项 / 形成61项改革措施，其中省内30项: a figure
    whose subject names only a case (or nothing but 其中) states the measure of the figure of its unit
    before it in the sentence, for that case."""
    last: dict[str, RawFigure] = {}
    for f in figs:
        if f.kind == "date":
            continue
        if ELIDED in f.notes and (prev := last.get(f.unit_class)):
            f.measure, f.measure_key = prev.measure, prev.measure_key
        last[f.unit_class] = f
    _narrowed_by_relative_clause(figs)


def _narrowed_by_relative_clause(figs: list[RawFigure]) -> None:
    """破产案件审理周期缩短30天，无产可破等符合简易审理条件的破产案件一般在6个月内办结: a relative
    clause (…的) before a noun the sentence has already given a figure for says which of them the
    new figure is for: its sub-case."""
    said: list[str] = []
    for f in figs:
        if f.kind == "date":
            continue
        head = f.measure.rsplit("的", 1)
        if not f.subcase and len(head) == 2 and len(head[1]) >= 2 and f.measure not in said and any(head[1] in m for m in said):
            f.subcase, f.measure = head[0] + "的", head[1]
        said.append(f.measure)


def _action(after: str) -> str:
    """What a frequency counts: the object after it (一次“集中宣传”活动, 1次专项检查), not a bare
    verb (一次办结 says of the subject before that it is done in one visit)."""
    if after.startswith("”"):
        return ""  # “跑一次”是上限: the quoted phrase ends with the figure, its verb is before it
    return _AFTER_VERBS.sub("", re.sub(r"^(?:以上|以内|及以上)", "", after))


def _joined_counts(sentence: str, figs: list[RawFigure]) -> None:
    """中央层面涉及的211项及地方层面涉及的9项涉企经营许可事项: counts joined by 及/和/、 count the
    noun that follows the last of them."""
    for f in reversed(range(len(figs) - 1)):
        a, b = figs[f], figs[f + 1]
        if a.kind == b.kind == "count" and a.unit_class == b.unit_class and a.excerpt == b.excerpt \
                and re.match(r"^[、和及与][^，、]*$", sentence[a.end : b.start]):
            a.measure, a.measure_key = b.measure, b.measure_key


def _frequencies(figs: list[RawFigure]) -> None:
    """每半年开展一次“集中宣传”活动: the period of a frequency is said of what is done once in it."""
    for f, nxt in zip(figs, figs[1:]):
        if f.comparator == "每" and nxt.unit_class == "次" and nxt.excerpt == f.excerpt:
            f.measure, f.measure_key = nxt.measure, nxt.measure_key
            nxt.qualifier = nxt.qualifier or "每" + f.text


def _qualified_noun(after: str) -> str:
    """The noun a figure qualifies: 以上的政务服务事项实现… -> 政务服务事项 (事项85%以上实现全程网办:
    a verb after the figure, the share is of the subject before it)."""
    m = re.match(r"^(?:以上|以下|及以上|及以下)?的?(?!实现|达到|完成|办结)([\u4e00-\u9fff]{2,12}?)(?=实现|一次|办结|可以|应当|，|、|。|；|$)", after)
    return m.group(1) if m and not AFTER_WORDS.match(m.group(1)) else ""


def _has_content(subject: str) -> bool:
    return len(re.sub(r"[^\u4e00-\u9fff]", "", subject)) >= 2 and not _GENERIC.match(subject)


def _counted(after: str) -> str:
    """11个“一件事”打包办 -> 一件事; 61项可供…借鉴的具体改革措施 -> 具体改革措施: what a count counts."""
    run = re.match(r"^(?:以上|以下|及以上|及以下)?的?[“\"]?([\u4e00-\u9fff]+)", after)
    if not run:
        return ""
    phrase = re.split(r"为|实现|实行|实施|打包|开展|进行|纳入|试点|推行|办理|入驻|上线|落地", run.group(1))[0]
    if _opens_relative_clause(phrase):
        phrase = phrase.rsplit("的", 1)[-1]
    else:  # 35项重点任务的基础上, 11个部门涉及的18个事项: the noun right after the count is counted
        phrase = phrase.split("的", 1)[0]
    return phrase if len(phrase) >= 2 else ""


def _opens_relative_clause(phrase: str) -> bool:
    """可供…借鉴的具体改革措施, 具有示范作用的龙头企业: a verb right after a count opens a clause that
    ends in 的 before the counted noun."""
    import jieba

    words = jieba.lcut(phrase, HMM=False)
    return "的" in phrase and bool(words) and _tags().get(words[0], "")[:1] in ("v", "p", "d")


def _kind(before: str, after: str, unit_class: str, comparator: str) -> str:
    if comparator == "由":
        return "statistic"  # 由5项减少到2项: 5 is where it was, not the promise
    if _STAT_MARKERS.search(before):
        return "statistic"
    if unit_class in SET_CLASSES and not comparator and re.match(r"^[“\"\u4e00-\u9fff]", after) \
            and not AFTER_WORDS.match(after):
        return "count"
    return "commitment"
