"""The words around a figure: its comparator, the subject it is said of, its measure, sub-case,
qualifier and kind (each rule one class of the documents' wording, named in its comment).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..lexicon import figure_words, measures
from .numbers import SET_CLASSES, SETTING_VERB, TIME_CLASSES, RawFigure

BEFORE_VERBS = re.compile(
    r"(压减至|压减到|压减|压缩至|压缩到|压缩为|压缩|缩短至|缩短到|缩短|减少到|减少至|减少|降低至|降低到|降至|降低|"
    r"提高至|提高到|提升至|提高|提升|控制在|(?:最高|最低)?(?:不得|不)(?:超过|少于|低于|高于)|低于|小于|高于|超过|达到|达|突破|增长至|增至|"
    r"增长|增加|新增|稳定在|保持在|实现|确保|为|在|由|"
    # approximators (近10%, 约3天, 逾百家) say how exact the figure is, not what it measures; 附近,
    # 预约, 签约 … are words of their own
    r"接近|将近|(?<![最附邻亲])近|大约|(?<![预签合契节制公条违履特邀相])约|逾)$"
)
# 最多跑一次, 至少开展1次: a bound adverb before the verb whose times are counted
_BOUND_ADVERB = re.compile(r"(最多|至少|最少)(?P<act>[\u4e00-\u9fff]{0,2})$")
AFTER_WORDS = re.compile(r"^(以内|之内|内|以上|以下|左右|及以下|及以上)")
_BOUNDS = {"以上", "以下", "及以上", "及以下"}
_LEAD = re.compile(
    r"^(?:将|把|对于|对|针对|按照|围绕|依托|通过|其中|并且|并|且|同时|力争|确保|实现|推动|推进|进一步|全面|持续|全年|年内|当年|每年|全[市省区县]|"
    r"到?20\d\d年(?:底|末|内)?前?|\d{1,2}月底前|年底前|[，、：“”\"（）()])+"
)
_GENERIC = re.compile(r"^(?:审批|办理|办结|平均|整体|全流程|全过程|业务)?(?:时间|时限|用时|时长|周期|环节)?$")
_QUALIFIER_AFTER = re.compile(r"^[”\"]?((?:办结率|占比|比例|覆盖率|满意率)[^，。；]*?\d+(?:\.\d+)?[%％](?:以上)?)")
_STAT_MARKERS = re.compile(r"已经|已有|已达|已累计|累计|共计|截至|截止|目前|现有|共有|同比|较上年|比上年")
# how firmly a figure is promised (the sample's qualifiers: 原则上, 一般, 力争, 基本, 平均, 鼓励, 单次)
_HEDGE_END = re.compile(r"(原则上|一般|力争|基本|平均|均|单次)$")
_HEDGE_START = re.compile(r"^(原则上|力争|平均|鼓励)")
# between two values of one list: a connector, after the first value's own bound and noun
_LISTED = re.compile(r"^(?:(?:以上|以下|以内|及以上|及以下)?的[\u4e00-\u9fff“”]{1,16})?[、和及与]$")
# a level of the body that acts (市级行业主管部门), not of what is measured
_ACTING_BODY = re.compile(r"(?:国家|省|市|区|县)级(?:有关|相关|行业)*(?:主管)?(?:部门|机关|单位|机构|政府)")
# an organ before 在N个工作日内 is who acts within the limit, not what is measured
_ACTOR = re.compile(r"(机关|部门|单位|机构|政府|管委会)$")
_OF_A_BASE = re.compile(r"((?:不得|不)(?:低于|超过|高于|少于))[^，。；、]{2,24}的$")
# a quoted name of a class of projects, matters, users or cases that opens a subject narrows the
# measure that follows it to that class
_QUOTED_CLASS = re.compile(r"^“?([^“”]{2,20}(?:项目|事项|用户|企业|案件))”")
# a class of users or firms before 的 says whose procedure is measured (小微工商企业用户的用气办理环节)
_WHOSE = re.compile(r"([\u4e00-\u9fff]{2,10}(?:用户|企业))的(?=[\u4e00-\u9fff]{2,}(?:环节|时间|时限|材料|费用))")
# a comma-clause that only says where (在…区域/地区，) opens the part of the sentence it applies to
_WHERE = re.compile(r"(?:^|[，,：:])在([\u4e00-\u9fff]{2,20}(?:区域|地区))[，,]$")
ELIDED = "elided"  # a note: the figure's subject names only its case
PART = "part"  # a note: the figure is a part (其中…) of the one before
BREAKDOWN = "breakdown"  # a note: a step inside （其中…） of the figure before the bracket
STEP = "step"  # a note: the limit of one organ's step within a procedure
_AFTER_VERBS = re.compile(r"^(?:以内|之内|内|即时|完成|办结|实现|即可|就)+")


@dataclass
class Last:
    """The figure read last in a comma-clause: where it ends, the words its subject was read from,
    its comparator (the next figure of a list shares them)."""

    end: int
    subject_text: str
    comparator: str


def words_before(sentence: str, m: re.Match, clause_start: int, prev: Last | None) -> tuple[str, str]:
    """(the comparator before the figure, the words its subject is read from): what stands between
    the clause's start, or the figure before in the clause, and this one."""
    before = sentence[prev.end if prev else clause_start : m.start()]
    if not prev and before.endswith("、"):
        before = ""  # 一个公示栏、一名以上代办员: the figure is an item of a list, it is said of what follows it
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
    if prev and prev.comparator == "由" and not subject_of(subject_text):
        subject_text = prev.subject_text  # 由5项减少到2项: the same subject, its new value
    return verb.group(1), subject_text


def _verb_before(before: str) -> re.Match | None:
    """The comparator verb that ends the words before a figure: a listed one (压减至, 不超过, 为), a
    bound adverb (最多跑, 至少), or any two-character word ending in 至/到/为 (精简至2个), a verb
    when it is longer than the listed one (整合为一个阶段; 审批时间为5个工作日: 时间 is the measure's)."""
    listed = BEFORE_VERBS.search(before) or _BOUND_ADVERB.search(before)
    setting = SETTING_VERB.search(before)
    if setting and (not listed or (setting.start() < listed.start() and pos_tags().get(setting.group(1)[:2], "").startswith("v"))):
        return setting
    return listed


def respective(subject: str, n: int) -> list[str]:
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


def subject_of(text: str) -> str:
    text = re.sub(r"自[^，。；]*?起", "", text.strip())  # 自委托书生效之日起: when counting starts, not what is counted
    prev = None
    while prev != text:
        prev, text = text, _LEAD.sub("", text).strip("“”\"")
    return text


def describe(f: RawFigure, subject_text: str, sentence: str, clause_start: int, after: str, context: str) -> None:
    """Fill measure, measure key, sub-case and qualifier from the words around the figure."""
    subject, hedge = _unhedged(subject_of(subject_text))
    subject, inner = inner_qualifier(subject)
    hedge = "；".join(q for q in (hedge, inner) if q)
    if has_content(granted := subject.rsplit("给予", 1)[-1]) and granted != subject:
        subject = granted  # 对…的项目给予投资金额10%: what is granted is measured, not whom it is granted to
    partial = bool(re.match(r"^\W*其中", subject_text))
    if partial:
        f.notes.append(PART)
    subject, scope = _what_is_measured(f, subject, after, partial)
    key = _measure_key(f, subject, sentence[:clause_start], context)
    f.qualifier = _qualifier(f, subject_text, after, hedge)
    # an organ's step (推送简易注销登记信息): the words of the action are what is done, not a case
    f.subcase = scope if STEP in f.notes else _case(f, subject, subject_text, scope, key, context, sentence[:clause_start])
    if not f.subcase and (where := _WHERE.search(sentence[:clause_start])):
        f.subcase = where.group(1)  # 在市政自来水管网覆盖区域，3个工作日内办结: where the figure applies
    if f.subcase and f.subcase in subject and f.subcase != subject:
        subject = subject.replace(f.subcase, "", 1).strip("的“”\"")  # the measure without its case
    if (f.subcase and f.subcase == subject) or (partial and not has_content(subject)):
        f.notes.append(ELIDED)  # 自由贸易试验区力争达到150项, 其中省内30项: the case only, the measure is said before
    f.measure = _balanced(subject) or (key or "")  # 实现1个工作日内办结: no words of its own, the topic's name
    f.measure_key = None if STEP in f.notes else key


Reading = tuple[str, str]  # (the phrase a figure is said of, the words that say whose when that phrase follows it)


def _what_is_measured(f: RawFigure, subject: str, after: str, partial: bool) -> Reading:
    """The first of the readings below that applies, else the subject before the figure."""
    if f.kind == "count" and not partial and f.unit != "级":
        return _counted(after) or subject, ""
    for reading in (_a_frequency, _a_share_or_threshold, _examples_then_count, _nothing_before, _an_organs_step, _time_of_an_action,
                    _time_of_a_noun):
        if (got := reading(f, subject, after)) is not None:
            return got
    return subject, ""


def _a_frequency(f: RawFigure, subject: str, after: str) -> Reading | None:
    """开展一次“营商环境集中宣传”活动: 次 counts the action that follows."""
    return (action, "") if f.unit_class == "次" and has_content(action := _action(after)) else None


def _a_share_or_threshold(f: RawFigure, subject: str, after: str) -> Reading | None:
    """80%以上的政务服务事项: a share is said of the noun after its 的; what stood before it
    (新区新城两级) says whose. A money threshold (政府采购领域200万元以下的货物和服务项目) is said
    of what stood before it, and the noun after names the items it covers: the case."""
    if f.unit_class not in {"%", "元"} or not (re.match(r"^(?:以上|以下|及以上|及以下)?的", after) or not has_content(subject)):
        return None
    if not (head := qualified_noun(after)):
        return None
    if f.unit_class == "元" and f.comparator in _BOUNDS and has_content(subject):
        return subject, head if len(head) > 2 else ""  # …以上的项目: a bare 项目 names no case
    return head, subject


def _examples_then_count(f: RawFigure, subject: str, after: str) -> Reading | None:
    """在药品、餐饮等不少于8个行业: the list gives examples, the noun after the figure is counted."""
    if f.unit_class in SET_CLASSES and subject.endswith("等") and has_content(counted := _counted(after)):
        return counted, ""
    return None


def _nothing_before(f: RawFigure, subject: str, after: str) -> Reading | None:
    """1个工作日内完成案件受理, 新增不少于50项高频事项, 针对11个部门: no subject, or a verb or
    preposition alone (a verb is a time's measure: 审批5个工作日), and the measure follows."""
    if has_content(subject) and (f.unit_class in TIME_CLASSES or not _only_a_verb(subject)):
        return None
    tail = _counted(after) if f.unit_class in SET_CLASSES else _action(after)
    return (tail if has_content(tail) else subject or tail), ""


def _an_organs_step(f: RawFigure, subject: str, after: str) -> Reading | None:
    """登记机关在1个工作日内推送信息, 新区部门24小时回复咨询: the limit is on the action, the organ
    before it acts; one organ's step is not the whole procedure's time (no measure key, as for （其中…））."""
    if f.comparator in ("在", "") and f.unit_class in TIME_CLASSES and _ACTOR.search(subject) \
            and has_content(action := _action(after)):
        f.notes.append(STEP)
        return action, ""
    return None


def _time_of_an_action(f: RawFigure, subject: str, after: str) -> Reading | None:
    """事项实现24小时即时受理: after 实现, a time is said of the action it is followed by (实现1个
    工作日内办结 has no action of its own: the subject's)."""
    if f.comparator == "实现" and f.unit_class in TIME_CLASSES and not AFTER_WORDS.match(after) \
            and has_content(action := _action(after)):
        return action, ""
    return None


def _time_of_a_noun(f: RawFigure, subject: str, after: str) -> Reading | None:
    """提供24小时“不打烊”的自助终端服务: a time before 的 qualifies the noun after it; so does a time
    inside a relative clause that goes on after it (设立单次不超过3年且可重复申请的“休眠期”)."""
    if f.unit_class in TIME_CLASSES and (m := re.match(r"^(?:“[^”]{1,8}”)?的", after)) and (head := qualified_noun(after[m.end() :])):
        return head, ""
    if f.unit_class in TIME_CLASSES and (m := re.match(r"^(?:以内|以上|以下)?[且并][^，。；的“”]{1,12}的“?([\u4e00-\u9fff]{2,8})”?", after)):
        return m.group(1), ""
    return None


def _measure_key(f: RawFigure, subject: str, earlier: str, context: str) -> str | None:
    lx = measures()
    key = lx.measure_of(subject)
    named_time = f.unit_class in TIME_CLASSES and re.search(r"(时间|时限|用时|时长)$", subject)
    generic = _GENERIC.match(re.sub(r"^.*?(审批|办理)", r"\1", subject) or "") and (subject or f.unit_class in TIME_CLASSES)
    if key is None and (named_time or generic):
        # 全流程审批时限, 无外线施工的报装时间, 办理环节: whose? the sentence's earlier topic, else the heading's
        key = lx.measure_of(earlier) or lx.measure_of(context)
        if key and named_time and not generic and not _said_of(subject, lx.aliases(key)):
            key = None  # 用户年均停电时间 under 提升获得电力能力: outage hours are no connection time
    return key


def _said_of(subject: str, aliases: tuple[str, ...]) -> bool:
    """Does the word before a time's 时间/时限 name the borrowed measure's procedure (报装 of 用电报装,
    办电) or say nothing of its own (审批, 办理, 全流程)? 停电 of 年均停电时间 names another quantity."""
    head = re.sub(r"(?:时间|时限|用时|时长)$", "", subject)
    word = head[-2:]
    return not word or bool(_GENERIC.match(word)) or any(word in a for a in aliases)


def _qualifier(f: RawFigure, subject_text: str, after: str, hedge: str) -> str:
    if (q := _QUALIFIER_AFTER.match(after)) and f.unit_class != "%":
        return q.group(1)
    if hedge or (m := re.search(r"原则上|平均", subject_text)) and (hedge := m.group(0)):
        return hedge
    if f.unit_class == "次" and (per := re.search(r"每(?:年|月|周|季度)", subject_text)):
        return per.group(0)  # 每年至少开展1次: how often
    return ""


def _case(f: RawFigure, subject: str, subject_text: str, scope: str, key: str | None, context: str, earlier: str = "") -> str:
    lx = measures()
    # 引进顶尖人才、国家级领军人才和高技能人才500名: a case named inside a list narrows one item of it;
    # 市级行业主管部门每年组织活动不少于2场: a level of the body that acts is not the figure's case
    own_words = _ACTING_BODY.sub("", subject.split("、", 1)[0] if "、" in subject else subject)
    own = lx.subcase_of(own_words)
    # a measure that names no topic of its own (全流程审批时限) is of the sentence's earlier topic or
    # the heading's, in the case named there (梳理一般工业建设项目审批流程…，全流程审批时限…): one of
    # the lexicon's fixed cases, nearest first (a level named earlier, 市级, says who acts)
    borrowed = key and key not in (lx.measure_of(subject) or "")
    sub = own or (_fixed_case(earlier) or lx.subcase_of(context) if borrowed else None)
    if sub:
        return sub.label
    if (quoted := _QUOTED_CLASS.match(subject)) and has_content(subject[quoted.end() :]):
        return quoted.group(1)  # “一般市政管线接入项目”占掘路审批时间: the quoted class is the case
    if whose := _WHOSE.search(subject_text):
        return subject_of(whose.group(1))  # 小微工商企业用户的用气办理环节: whose procedure it is
    if f.kind == "count" and not scope and (rel := re.search(r"([\u4e00-\u9fff“”]{2,16}的)$", subject_of(subject_text))):
        return rel.group(1)  # 国家明确在全国推行的26项改革举措: a relative clause says which ones are counted
    return scope or _narrowing_adjective(subject, subject_of(subject_text) if f.kind == "count" else "") \
        or (_whose_amount(subject) if f.unit_class == "元" else "")


def _whose_amount(subject: str) -> str:
    """本地注册民营企业年度营业收入: an amount said of a class of firms or projects narrowed by words of
    its own (figure_words.toml [class_nouns]) is that class's case of the amount (企业营业收入 has no
    words of its own: no case; 占全区企业… is a base; a share keeps its noun, eval/README.md).

    >>> _whose_amount("本地注册民营企业年度营业收入"), _whose_amount("企业营业收入"), _whose_amount("投资占全区企业投资总额")
    ('本地注册民营企业', '', '')
    """
    fw = figure_words()
    ends = [m.end() for noun in fw.class_nouns for m in re.finditer(noun, subject)]
    for end in sorted(ends, reverse=True):
        whose, rate = subject[:end], subject[end:]
        if rate.endswith(fw.rate_heads) and has_content(rate) and len(whose) >= 4 and not re.search(r"[占的、“”]", whose):
            return whose
    return ""


def _narrowing_adjective(measure: str, before: str = "") -> str:
    """正常出口退税业务办理时间, 20家金牌调解组织: an adjective that picks one grade or type out of a class
    (figure_words.toml [narrowing_adjectives]) before the measure's head names the case, when a head of
    its own follows it (200个高频事项 is all matters of that grade: no case). A count's case may stand
    in the words before it (科技型企业“…”四个工程).

    >>> _narrowing_adjective("正常出口退税业务办理时间"), _narrowing_adjective("高频事项"), _narrowing_adjective("工程", "科技型企业")
    ('正常', '', '科技型')
    """
    rx = figure_words().narrowing
    if (m := rx.search(measure)) and has_content(rest := measure[m.end() :]) and rest not in figure_words().bare_heads:
        return m.group(0)
    m = rx.search(before)
    return m.group(0) if m and not _quoted_at(before, m.start()) else ""


def _quoted_at(text: str, pos: int) -> bool:
    return text.rfind("“", 0, pos) > text.rfind("”", 0, pos)


def _fixed_case(text: str):
    """The lexicon's fixed case (not a level or place labelled as printed) a text names last: the
    nearest to the figure that follows it (the more specific entry on a tie: 小型低风险 over 社会投资)."""
    best, end = None, -1
    for s in measures().subcases:
        if s.label != "$0":
            for m in s.pattern.finditer(text):
                if m.end() > end:
                    best, end = s, m.end()
    return best


@lru_cache(maxsize=1)
def pos_tags() -> dict[str, str]:
    import jieba.posseg  # the tokenizer's dictionary with its part-of-speech tags, loaded once

    jieba.posseg.dt.initialize()
    return jieba.posseg.dt.word_tag_tab


def _only_a_verb(subject: str) -> bool:
    """新增, 建成, 针对: one verb or preposition is no measure (a noun is, 审批 for a time is)."""
    import jieba

    words = jieba.lcut(subject, HMM=False)
    return len(words) == 1 and pos_tags().get(words[0]) in ("v", "p")


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


def inner_qualifier(subject: str) -> tuple[str, str]:
    """企业年均纳税时间, 破产案件平均审理周期, 营业收入首次: a word inside the phrase that says how the
    figure is taken (figure_words.toml [inner_qualifiers]) is its qualifier, not part of what is measured.

    >>> inner_qualifier("企业年均纳税时间"), inner_qualifier("年平均停电时间"), inner_qualifier("平均")
    (('企业纳税时间', '年均'), ('停电时间', '年平均'), ('平均', ''))
    """
    m = figure_words().inner_qualifiers.search(subject)
    rest = subject[: m.start()] + subject[m.end() :] if m else ""
    if not m or not has_content(rest):
        return subject, ""
    return rest, m.group(0)


def _action(after: str) -> str:
    """What a frequency counts: the object after it (一次“集中宣传”活动, 1次专项检查), not a bare
    verb (一次办结 says of the subject before that it is done in one visit)."""
    if re.match(r"^[\u4e00-\u9fff]{0,2}”", after):
        # “跑一次”是上限, 纳税申报“零次跑”: the quoted promise ends at the figure or its verb, and is
        # said of the words before the quote
        return ""
    # 一次告知、一窗受理: a list's separator (outside quotes) ends the action the figure belongs to
    action = _AFTER_VERBS.sub("", re.sub(r"^(?:以上|以内|及以上)", "", after))
    return re.match(r"^(?:“[^”]*”|[^、“])*", action).group(0)  # type: ignore[union-attr]


def qualified_noun(after: str) -> str:
    """The noun a figure qualifies: 以上的政务服务事项实现… -> 政务服务事项 (事项85%以上实现全程网办:
    a verb after the figure, the share is of the subject before it)."""
    if (lead := re.match(r"^(?:以上|以下|及以上|及以下)?的([\u4e00-\u9fff]{2,})", after)) and _opens_with_a_verb(lead.group(1)):
        return ""  # 突破1亿元的给予奖励: that 的 closes a condition, the main verb follows, not a noun
    m = re.match(r"^(?:以上|以下|及以上|及以下)?的?(?!实现|达到|完成|办结)([\u4e00-\u9fff]{2,12}?)(?=实现|一次|办结|可以|应当|，|、|。|；|$)", after)
    if m and not AFTER_WORDS.match(m.group(1)):
        return m.group(1)
    # 10亿元以上的重点建筑业企业进行包抓: after 的, the noun runs up to the verb that follows it
    if (m := re.match(r"^(?:以上|以下|及以上|及以下)?的([\u4e00-\u9fff]{2,16})", after)) and (head := _head_before_verb(m.group(1))):
        return head
    return ""


def _opens_with_a_verb(run: str) -> bool:
    import jieba

    words = jieba.lcut(run, HMM=False)
    return bool(words) and pos_tags().get(words[0], "") == "v"


def trailing_noun(text: str) -> str:
    """The nouns that end a text (持续动态跟进制造业 -> 制造业, 评价技能人员 -> 技能人员)."""
    import jieba.posseg

    words = jieba.posseg.lcut(text, HMM=False)
    n = len(words)
    while n > 0 and words[n - 1].flag.startswith("n") and re.fullmatch(r"[\u4e00-\u9fff]+", words[n - 1].word):
        n -= 1
    return "".join(w.word for w in words[n:])


def _head_before_verb(run: str) -> str:
    import jieba.posseg

    words = jieba.posseg.lcut(run, HMM=False)
    n = next((i for i, w in enumerate(words) if i > 0 and w.flag == "v"), None)
    head = "".join(w.word for w in words[:n]) if n is not None else ""
    return head if len(head) >= 2 else ""


def has_content(subject: str) -> bool:
    return len(re.sub(r"[^\u4e00-\u9fff]", "", subject)) >= 2 and not _GENERIC.match(subject)


def _counted(after: str) -> str:
    """11个“一件事”打包办 -> 一件事; 61项可供…借鉴的具体改革措施 -> 具体改革措施: what a count counts."""
    run = re.match(r"^(?:以上|以下|及以上|及以下)?的?[“\"]?([\u4e00-\u9fff]+)", after)
    if not run:
        return ""
    if len(run.group(1)) == 1 and (alt := re.match(r"（[^（）]{1,8}）", after[run.end() :])):
        return run.group(1) + alt.group(0)  # 一个县（市、区）: a one-character noun with its bracketed alternatives
    phrase = re.split(r"为|实现|实行|实施|打包|开展|进行|纳入|试点|推行|办理|入驻|上线|落地", run.group(1))[0]
    if _opens_relative_clause(phrase):
        phrase = phrase.rsplit("的", 1)[-1]
    else:  # 35项重点任务的基础上, 11个部门涉及的18个事项: the noun right after the count is counted
        phrase = phrase.split("的", 1)[0]
    if not re.match(r"^(?:以上|以下|及以上|及以下)?的?[“\"]", after):
        phrase = _noun_run(phrase)
    return phrase if len(phrase) >= 2 else ""


# after a count's first word, the counted noun ends at: a preposition, numeral, adverb, adjective or
# particle (3个部门对…, 一个程序一次办理, 11个事项平均办结时间); a verb followed by another verb
# (四种方式深入推进: a predicate, not a compound noun like 创新中心); a conjunction that ends the
# phrase (7条线路和16条…: the next count's list). A quoted name (“一件事一次办”) is taken whole.
_ENDS_A_NOUN = ("p", "m", "d", "a", "ad", "u")


def _noun_run(phrase: str) -> str:
    import jieba.posseg

    words = jieba.posseg.lcut(phrase, HMM=False)
    flags = [w.flag for w in words] + [""]
    n = next((i for i in range(1, len(words))
              if flags[i] in _ENDS_A_NOUN or (flags[i] == "v" and flags[i + 1] in ("v", "l", "p", "d"))
              or (flags[i] == "c" and i == len(words) - 1)), len(words))
    return "".join(w.word for w in words[:n])


def _opens_relative_clause(phrase: str) -> bool:
    """可供…借鉴的具体改革措施, 具有示范作用的龙头企业: a verb right after a count opens a clause that
    ends in 的 before the counted noun."""
    import jieba

    words = jieba.lcut(phrase, HMM=False)
    return "的" in phrase and bool(words) and pos_tags().get(words[0], "")[:1] in ("v", "p", "d")


def kind_of(before: str, after: str, unit_class: str, comparator: str) -> str:
    if comparator == "由":
        return "statistic"  # 由5项减少到2项: 5 is where it was, not the promise
    if _STAT_MARKERS.search(before):
        return "statistic"
    if unit_class in SET_CLASSES and not comparator and re.match(r"^[“\"\u4e00-\u9fff]", after) \
            and not AFTER_WORDS.match(after):
        return "count"
    return "commitment"
