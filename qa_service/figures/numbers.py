"""What a figure is: a number with its unit (0.5个工作日, 10—12个工作日, 100万个), Chinese
numerals read, and the numbers that are not figures (第3条, 2023年, 一网通办, 三级网络,
“十项重点工作”) told apart. ``extract`` reads what each figure is said of.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..lexicon import figure_words

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
    ("种", "其他"), ("级", "其他"), ("周", "其他"), ("场次", "次"), ("场", "其他"), ("吨", "其他"), ("标箱", "其他"),
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
# 周 is a week (一周内, unit class 其他 by the labelling convention, eval/README.md) unless it starts
# a word of its own: 周边, 周围, 周年, 周期, 周转, 周末
_WEEK_WORD = re.compile(r"^[边围年期转末]")
# a Chinese numeral counts only where it cannot be part of a name: 一网通办, 一件事一次办,
# 三年行动方案 and 二十四条措施 are names, not figures
_CN_NAME_AFTER = re.compile(r"^(?:件事|次办(?![结理])|次性|网|窗|码|站|业|照|年行动|年计划|年规划|年攻坚|条措施|张网|个一)")
# 精简至2个, 确定为6个月, 整合为1个: a verb of setting a value, ending in 至/到/为, is its comparator
SETTING_VERB = re.compile(r"([\u4e00-\u9fff]{2}[至到为])$")
# administrative levels named before a count of levels: 市县两级, 省、市、县三级, 市、区县（开发区）两级
_LEVEL = r"(?:新区|新城|街道|社区|镇街|区县|开发区|[省市县区乡镇村])(?:[（(][^）)]{1,6}[）)])?"
LEVEL_RUN = re.compile(rf"(?:{_LEVEL}、?)+$")
# what the documents promise one of (一个阶段, 一个程序, 一个号码对外)
_STEPS = re.compile(r"^(?:阶段|环节|程序|号码|流程)")


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


def is_date(m: re.Match) -> bool:
    month = m.group("month")
    return month is None or 1 <= int(month) <= 12


def is_figure(m: re.Match, sentence: str) -> bool:
    num, unit = m.group("num"), m.group("unit")
    before = sentence[: m.start()]
    if before.endswith("第") or (num[0].isdigit() and re.search(r"[\d.]$", before)):
        return False  # 第3条, or the tail of a longer number
    first = re.split(r"[、—\-－~～至到]", num)[0]
    if not first[0].isdigit() and not _chinese_numeral_is_figure(first, unit, sentence, m):
        return False
    if unit == "年" and (number(first) or 0) >= 1900:
        return False  # 2023年: a year, not a duration (dates are read by DATE_RE)
    if unit == "周" and _WEEK_WORD.match(sentence[m.end() :]):
        return False
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
        if unit == "周":
            return True  # 一周内: a week is a length of time, as 一年 is
        if re.match(r"(?:及)?(?:以上|以下)", sentence[m.end() :]):
            return True  # 一名以上代办员: a bound is set on the count, it is a real number
        if unit == "个":
            # 选定一个县: the object count of a verb of choosing (figure_words.toml [choosing_verbs])
            return bool(SETTING_VERB.search(before) or _STEPS.match(after[1:]) or figure_words().choosing_verbs.search(before))
        return unit == "次" and not after.startswith("次性")
    if before.endswith("每"):
        return UNIT_OF[unit] in TIME_CLASSES  # 每半年, 每两年: a frequency
    if re.search(r"[上下同第这该近前]$", before) or after.startswith(("度", "来")):
        return False  # 上一年度, 近两年来: a reference to a year, not a figure
    if after.startswith("级"):
        return bool(LEVEL_RUN.search(before))  # 市县两级: how many levels; 三级网络 is a name
    return True


# 15分钟政务服务圈, 10分钟办税圈: a time directly before a noun ending in 圈 names a service radius
_RADIUS = re.compile(r"^[\u4e00-\u9fff]{0,8}圈")
# “三个年”活动, “一业一证”改革: a quote followed by 活动/工程/行动/改革/机制 names a programme
_PROGRAMME = re.compile(r"^(?:活动|工程|行动|改革|机制)")


def in_quoted_name(sentence: str, start: int, end: int) -> bool:
    """“15分钟政务服务圈”: a figure inside a quoted name is part of the name (“0.5个工作日” alone is not)."""
    if UNIT_OF.get(sentence[start:end].lstrip("0123456789.零〇一二两三四五六七八九十百千半万亿余多"), "") in TIME_CLASSES \
            and _RADIUS.match(sentence[end:]):
        return True
    opened = sentence.rfind("“", 0, start)
    if opened < 0 or sentence.rfind("”", 0, start) > opened:
        return False
    close = sentence.find("”", end)
    inside = sentence[opened + 1 : close if close >= 0 else len(sentence)]
    rest = inside.replace(sentence[start:end], "", 1)
    # a quote of words, or of figures only (“6个100%”: the name of a set of targets), a brand
    # (“三名+”, “名校＋”) or a programme's name
    return (len(re.sub(r"[^\u4e00-\u9fff]", "", rest)) >= 2 or len(FIGURE_RE.findall(inside)) >= 2
            or inside.endswith(("+", "＋")) or (close >= 0 and bool(_PROGRAMME.match(sentence[close + 1 :]))))


def values_of(m: re.Match) -> list[tuple[float, float | None]]:
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
