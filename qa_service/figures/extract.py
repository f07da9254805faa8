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

The reading is in three steps: ``numbers`` finds the figures (and the numbers that are not),
``words`` reads what each one is said of from the words around it, and this module's passes
read the sentence as a whole (分别 lists, clauses that repeat a measure, joined counts).

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

import os
import re

from ..lexicon import measures
from .numbers import (AMOUNT_CLASSES, COUNT_CLASSES, DATE_RE, FIGURE_RE, LEVEL_RUN, TIME_CLASSES, UNIT_OF, RawFigure, is_date,
                      is_figure, in_quoted_name, values_of)
from .words import (AFTER_WORDS, BREAKDOWN, ELIDED, PART, Last, trailing_noun, describe, has_content, inner_qualifier, kind_of,
                    qualified_noun, respective, subject_of, words_before)

__all__ = ["AMOUNT_CLASSES", "COUNT_CLASSES", "TIME_CLASSES", "RawFigure", "extract_sentence", "in_quoted_name"]

# the verb that introduces a list of award levels (对获得国家、省级和市级…奖项的) is not the first level's
_AWARD_VERB = re.compile(r"^(?:获得|取得|荣获|被评为|评为|认定为)")


def extract_sentence(sentence: str, context: str = "") -> list[RawFigure]:
    """Every figure of one sentence. ``context`` is what the clause's heading says (the
    measure of a sentence that only says 全流程审批时限压缩至6个工作日)."""
    out: list[RawFigure] = []
    dates = [(m.start(), m.end()) for m in DATE_RE.finditer(sentence) if is_date(m)]
    out += [_date_figure(sentence, s, e) for s, e in dates]
    last: dict[int, Last] = {}  # per comma-clause (by its start), the figure read last
    # 160千瓦及以下小微企业: a number inside a sub-case's name names the case, it is no figure of its own
    names = dates + [(m.start(), m.end()) for s in measures().subcases for m in s.pattern.finditer(sentence)
                     if re.search(r"\d", m.group(0))]
    for m in FIGURE_RE.finditer(sentence):
        if any(s <= m.start() < e for s, e in names) or not is_figure(m, sentence):
            continue
        bounds = _clause_bounds(sentence, m.start())
        figs, read = _read_figure(sentence, m, bounds, last.get(bounds[0]), context)
        out += figs
        if m.group("unit") != "级":  # 新区新城两级80%以上的事项: the levels stay the next figure's scope
            last[bounds[0]] = read
    out.sort(key=lambda f: f.start)
    _pair_respectively(sentence, out)
    _cases_listed_with_figures(sentence, out)
    _inherit_elided_measures(out)
    _steps_share_their_case(out)
    _one_family_one_case(out)
    _thresholds_name_cases(sentence, out)
    _frequencies(out)
    _joined_counts(sentence, out)
    return out


def _read_figure(sentence: str, m: re.Match, bounds: tuple[int, int], prev: Last | None,
                 context: str) -> tuple[list[RawFigure], Last]:
    clause_start, clause_end = bounds
    comparator, subject_text = words_before(sentence, m, clause_start, prev)
    after = sentence[m.end() : clause_end]
    if not comparator and (w := AFTER_WORDS.match(after)):
        comparator = w.group(1)
    if not comparator and sentence[: m.start()].endswith("每"):
        comparator = "每"  # 每半年: a frequency
    unit_class = UNIT_OF[m.group("unit")]
    kind = "other" if in_quoted_name(sentence, m.start(), m.end()) else kind_of(sentence[clause_start : m.start()], after, unit_class, comparator)
    if m.group("unit") == "级" and (levels := LEVEL_RUN.search(sentence[clause_start : m.start()])):
        kind, subject_text = "count", levels.group(0)  # 新区新城两级: a count of the levels it names
    values = values_of(m)
    out = []
    parts = m.group("num").split("、")
    for k, ((value, hi), subj) in enumerate(zip(values, respective(subject_text, len(values)))):
        text = m.group(0) if len(values) == 1 else parts[k] + (m.group("mult") or "") + m.group("unit")
        f = RawFigure(text=text, value=value, value_max=hi, unit=(m.group("mult") or "") + m.group("unit"),
                      unit_class=unit_class, kind=kind, comparator=comparator, start=m.start(), end=m.end())
        describe(f, subj, sentence, clause_start, after, context)
        f.excerpt = sentence[clause_start:clause_end]
        if _in_breakdown(sentence, m.start()):
            # （其中行政审批3个工作日，燃气企业办理6个工作日）: steps of the figure before, not the
            # measure's own (no key, never compared); they share its case (_steps_share_their_case)
            f.measure_key = None
            f.notes.append(BREAKDOWN)
        out.append(f)
    return out, Last(m.end(), subject_text, comparator)


def _clause_bounds(sentence: str, pos: int) -> tuple[int, int]:
    """The comma-clause around ``pos``: figures are said of the words of their own clause."""
    stops = "，,；;：:。！？"
    start = max(sentence.rfind(c, 0, pos) for c in stops) + 1
    ends = [i for i in (sentence.find(c, pos) for c in stops) if i >= 0]
    return start, min(ends) if ends else len(sentence)


def _date_figure(sentence: str, s: int, e: int) -> RawFigure:
    text = sentence[s:e]
    month = re.search(r"(\d{1,2})月", text)
    return RawFigure(text=text, value=float(month.group(1)) if month else 12.0, value_max=None, unit="月", unit_class="日期",
                     kind="date", measure=subject_of(sentence[_clause_bounds(sentence, s)[0]:s]), start=s)


def _in_breakdown(sentence: str, pos: int) -> bool:
    opened = max(sentence.rfind("（", 0, pos), sentence.rfind("(", 0, pos))
    closed = max(sentence.rfind("）", 0, pos), sentence.rfind(")", 0, pos))
    return opened > closed and sentence[opened + 1 : opened + 3] == "其中"


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
    head = qualified_noun(sentence[after[-1].end :])
    own_clause = shared and shared in after[0].excerpt and has_content(shared)
    for f, case in zip(after, cases):
        f.subcase = case
        if head and not f.measure_key:
            f.measure = head
        elif own_clause:  # one measure for all: the list's noun, the key it was read with
            # 用户年均停电时间分别压减至2、5、9、15个小时: 年均 says how each figure is taken, for every item
            measure, inner = inner_qualifier(shared)
            f.measure, f.measure_key = measure, after[-1].measure_key
            if inner and inner not in f.qualifier:
                f.qualifier = "；".join(q for q in (f.qualifier, inner) if q)


def _cases_listed_with_figures(sentence: str, figs: list[RawFigure]) -> None:
    """跟进制造业23条、文化旅游7条、现代农业9条等重点产业链: a list of (case, figure) pairs closed
    by 等 and a noun — each figure counts that noun for its item, and the item is the case."""
    run: list[RawFigure] = []
    for f in figs + [None]:  # type: ignore[list-item]
        if f is not None and f.kind != "date" and run and f.unit_class == run[-1].unit_class \
                and re.fullmatch(r"、[\u4e00-\u9fff]{2,8}", sentence[run[-1].end : f.start]):
            run.append(f)
            continue
        if len(run) >= 2 and (tail := re.match(r"^等([\u4e00-\u9fff]{2,12})", sentence[run[-1].end :])):
            noun = tail.group(1).split("的", 1)[0]
            for k, g in enumerate(run):
                item = sentence[run[k - 1].end + 1 : g.start] if k else trailing_noun(sentence[: g.start])
                if item and len(noun) >= 2:
                    g.measure, g.subcase, g.kind = noun, item, "count"
        run = [f] if f is not None and f.kind != "date" else []


def _enumerated_cases(before: str, n: int) -> tuple[list[str], str] | None:
    """The n cases listed before 分别, and the noun the list's items share: the items of the last
    、/和/及 list when it has n (获得国家、省级和市级优质工程奖项 -> 国家, 省级, 市级: the verb before
    the first item and the noun after the last belong to the whole list); else the lexicon's
    sub-case phrases in the list when it names n of them (省级、国家级示范平台 -> 省级, 国家级)."""
    lists = [c for c in re.split(r"[，,；;：:]", before) if re.search(r"[、和及]", c)]
    if not lists:
        return None
    lx = measures()
    items = [x for x in re.split(r"[、和及]", subject_of(lists[-1])) if x]
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
    return [case.label for case, _, _ in sorted(measures().case_spans(text), key=lambda c: c[1])]


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
    new figure is for: its sub-case. So do words before the whole of a measure the sentence has
    given a figure for (一审商事案件4个月内审结，复杂疑难一审商事案件5个月内审结), and before the
    last word of it in a part (评价技能人员3万人次，其中高级工及以上技能人员1万人次)."""
    said: list[RawFigure] = []
    for f in figs:
        if f.kind == "date":
            continue
        head = f.measure.rsplit("的", 1)
        if not f.subcase and len(head) == 2 and len(head[1]) >= 2 and f.measure not in [g.measure for g in said] \
                and any(head[1] in g.measure for g in said):
            f.subcase, f.measure = head[0] + "的", head[1]
        elif not f.subcase and (narrowed := _narrower(f, said)):
            f.subcase, f.measure, f.measure_key = narrowed[0], narrowed[1].measure, narrowed[1].measure_key
        said.append(f)


def _narrower(f: RawFigure, said: list[RawFigure]) -> tuple[str, RawFigure] | None:
    """(the narrowing words, the figure whose measure they narrow), if any."""
    for g in reversed(said):
        if g.unit_class != f.unit_class or g.subcase or len(g.measure) < 4 or f.measure == g.measure:
            continue
        if f.measure.endswith(g.measure):
            return f.measure[: -len(g.measure)], g
        if PART in f.notes and (tail := _last_word(g.measure)) and f.measure.endswith(tail) and len(f.measure) > len(tail):
            return f.measure[: -len(tail)], g
    return None


def _last_word(phrase: str) -> str:
    """The nouns that end a phrase, when something comes before them (评价技能人员 -> 技能人员)."""
    import jieba

    tail = trailing_noun(phrase)
    if tail == phrase:  # all nouns (评价 is tagged one): the words after the first
        tail = phrase[len(jieba.lcut(phrase, HMM=False)[0]) :]
    return tail if len(tail) >= 2 else ""


def _steps_share_their_case(figs: list[RawFigure]) -> None:
    """有外线用气报装时限压减至9个工作日（其中行政审批3个工作日…）: the steps are of the case of the
    figure they break down."""
    parent = None
    for f in figs:
        if f.kind == "date":
            continue
        if BREAKDOWN in f.notes:
            f.subcase = parent.subcase if parent else f.subcase
        else:
            parent = f


def _one_family_one_case(figs: list[RawFigure]) -> None:
    """主城区年平均停电时间小于1小时/户，年平均停电次数小于1次/户: a figure of the same family of
    measures as the one before it (their words share a head of four characters or more) and with no
    case of its own is said of that figure's case."""
    prev = None
    for f in figs:
        if f.kind == "date":
            continue
        # the words as printed: a qualifier read out of both phrases (年平均) is part of their shared head
        said, said_before = f.qualifier + f.measure, prev.qualifier + prev.measure if prev else ""
        if prev is not None and prev.subcase and not f.subcase and f.measure != prev.measure \
                and len(os.path.commonprefix([said, said_before])) >= 4:
            f.subcase = prev.subcase
        prev = f


def _thresholds_name_cases(sentence: str, figs: list[RawFigure]) -> None:
    """年营业收入10亿元以上民营企业增加10户以上: a bound figure right before the next figure's measure
    says which of those things it counts (the threshold, with what it bounds, is the case; a share,
    70%以上涉税事项一次办结, is a level, not a threshold)."""
    for a, b in zip(figs, figs[1:]):
        if a.kind == "date" or b.kind == "date" or a.unit_class == "%" or b.subcase or a.excerpt != b.excerpt or not b.measure:
            continue
        bound = re.match(r"^(以上|以下|及以上|及以下)的?", sentence[a.end :])
        if bound and sentence[a.end + bound.end() :].startswith(b.measure):
            b.subcase = a.measure + a.text + bound.group(1)


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
