"""Answers to 多久 / 多少 questions from the figure table.

The asked measure (企业开办, 获得用气 …) is read from the question through the lexicon;
its rows in the retrieved clauses answer, grouped by sub-case, so that a gas connection
without external works is never set against one with them. Within a group the asker's
region comes first, then current plans before ended ones, then the newest. The answer's
first line says every figure with its place; the quoted sentences follow.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from ..corpus.notes import find_notes
from ..figures.extract import AMOUNT_CLASSES, COUNT_CLASSES, TIME_CLASSES
from ..figures.keys import comparison_class
from ..figures.table import ANSWERING_KINDS, FigureTable, comparable, validity_note
from ..lexicon import measures
from ..models import Conflict, ConflictValue, FigureRow, Scope
from ..retrieve.retriever import SearchResult
from .params import FIGURE_PARAMS as PARAMS
from .picks import Pick


@dataclass
class FigureAnswer:
    direct: str  # the one-line answer; its [n] markers refer to ``picks`` (1-based)
    picks: list[Pick]
    conflicts: list[Conflict]


def wanted_classes(intents: set[str], question: str) -> set[str]:
    """The unit classes that answer: 多久 wants durations, 多少钱 amounts, 几个/几项 counts."""
    if "time" in intents:
        return TIME_CLASSES
    if re.search(PARAMS.amount_words, question):
        return {"元", "%"}
    return AMOUNT_CLASSES | COUNT_CLASSES if "amount" in intents else set()


def asked_measures(text: str) -> list[str]:
    """Measure keys a question names through one of the lexicon's aliases (its own words or
    the policy terms its colloquial words were rewritten to), then the narrower measures that
    are kinds of them (不动产登记 asked: 抵押登记's own line answers too, named as such)."""
    lx = measures()
    keys = lx.measures_in(text)
    return list(dict.fromkeys(keys + [k for key in keys for k in lx.kinds_of(key)]))


def on_topic(keys: list[str], result: SearchResult, table: FigureTable, classes: set[str], depth: int = 3) -> bool:
    """Is the asked measure what the best clauses are about? When the best clause states a
    figure of the asked kind for another measure (预约账号生成 4小时 for a question that
    also says 注册公司), the question is about that figure, not the measure its words expand to."""
    top = [r for r in table.by_item.get(result.hits[0].item.id, []) if r.unit_class in classes and r.kind in ANSWERING_KINDS]
    if top and not any(r.measure_key in keys for r in top):
        return False
    return any(r.measure_key in keys for h in result.hits[:depth] for r in table.by_item.get(h.item.id, []))


def disputed_measures(result: SearchResult, table: FigureTable, classes: set[str], question: str) -> list[str]:
    """A question that names no measure of the lexicon (网上办税比例是多少) may be about a figure of
    the best clause the lexicon has no key for; when documents disagree on that figure's measure
    (its normalized words: 涉税事项网办率 95% / 98%) and the question shares words with it or with
    the comma-clause that states it, the
    table answers with every document's figure. Lexicon measures keep the clause path: their
    questions name them, and a clause listing many targets would answer with the wrong one."""
    rows = [r for r in table.by_item.get(result.hits[0].item.id, [])
            if r.unit_class in classes and comparable(r) and not r.measure_key and r.measure_norm in table.disputed()
            and _shares_a_word(r.measure_norm + "|" + r.excerpt, question)]
    return list(dict.fromkeys(r.measure_norm for r in rows))


def _shares_a_word(phrase: str, question: str) -> bool:
    return any(phrase[i : i + 2] in question for i in range(len(phrase) - 1))


def figure_answer(question: str, result: SearchResult, table: FigureTable, regions: list[str]) -> FigureAnswer | None:
    """The answer from the table, or None when the table has no row for what was asked."""
    plan = result.plan
    classes = wanted_classes(plan.intents, question)
    if not classes or not result.hits:
        return None
    keys = asked_measures(plan.normalized + " " + " ".join(plan.expansions))
    floor = PARAMS.rank_floor
    if not keys:
        keys, floor = disputed_measures(result, table, classes, plan.normalized + " " + " ".join(plan.expansions)), PARAMS.disputed_floor
    elif not on_topic(keys, result, table, classes):
        return None
    if not keys:
        return None
    rows = _rows(keys, result, table, classes, floor)
    if not rows:
        return None
    groups = _groups(rows, plan.normalized, regions)
    picks, numbers = _picks(groups, result)
    lead = _only_kinds_line(plan.normalized, keys, groups, classes)
    direct = "\n".join([*lead, *(_group_line(g, numbers, len(groups) > 1) for g in groups)])
    conflicts = [c for g in groups if (c := _conflict(g, numbers))]
    return FigureAnswer(direct=direct, picks=picks, conflicts=conflicts)


def _rows(keys: list[str], result: SearchResult, table: FigureTable, classes: set[str], share: float) -> list[FigureRow]:
    hits = {h.item.id: h for h in result.hits}
    floor = share * result.hits[0].score
    rows = [r for k in keys for r in table.by_measure.get(k, [])
            if r.item_id in hits and hits[r.item_id].score >= floor and r.kind in ANSWERING_KINDS and r.unit_class in classes]
    # a step of the asked procedure (反馈简易注销意见 for 企业注销: its phrase names the measure, the
    # table keys it apart) answers as its own labelled line, after the measure's own rows
    aliases = tuple(a for k in keys for a in measures().aliases(k))
    if aliases:
        rows += [r for h in result.hits if h.score >= floor for r in table.by_item.get(h.item.id, [])
                 if not r.measure_key and r.kind in ANSWERING_KINDS and r.unit_class in classes
                 and any(a in r.measure_norm for a in aliases)]
    # one document saying one figure twice (its summary and its measure) is one row
    seen, out = set(), []
    for r in sorted(rows, key=lambda r: -hits[r.item_id].score):
        sig = (r.doc_id, r.measure_key or r.measure_norm, r.subcase, r.value, r.value_max, r.unit_class)
        if sig not in seen:
            seen.add(sig)
            out.append(r)
    return out


def _groups(rows: list[FigureRow], question: str, regions: list[str]) -> list[list[FigureRow]]:
    """Rows by (measure, sub-case, unit); the sub-cases the question names keep only their groups."""
    asked = measures().cases_named(question)
    by: dict[tuple, list[FigureRow]] = defaultdict(list)
    for r in rows:
        by[(r.measure_key or r.measure_norm, r.subcase, comparison_class(r.unit_class))].append(r)
    groups = list(by.values())
    if asked and any(_of_case(g[0].subcase, asked) for g in groups):
        groups = [g for g in groups if _of_case(g[0].subcase, asked)]
    for g in groups:
        g.sort(key=lambda r: _row_order(r, regions))
    # the asker's region first (its rows head their groups), then the general case before named
    # sub-cases, then by how many documents say it
    asker = tuple(regions)
    # the case asked by name before its narrower cases, the nearest of them (fewest words added:
    # 一般社会投资项目 before 社会投资小型低风险项目 for 社会投资项目) first
    named = {s.label for s in asked}
    groups.sort(key=lambda g: (bool(named) and g[0].subcase not in named, len(g[0].subcase) if named else 0,
                               not (asker and (g[0].region or "").startswith(asker)), g[0].subcase != "",
                               g[0].measure_key is None, -len(g)))
    return _trim(groups)


def _only_kinds_line(question: str, keys: list[str], groups: list[list[FigureRow]], classes: set[str]) -> list[str]:
    """不动产登记 asked, only 抵押登记 has a figure: say that the broader measure has none of its own,
    so the kind's figure is never read as every registration's (not when the kind is what was asked)."""
    lx = measures()
    broader = [k for k in keys if lx.kinds_of(k)]
    shown = {g[0].measure_key for g in groups}
    if not broader or shown & set(broader) or shown & set(lx.measures_in(question)):
        return []
    what = "时限" if classes <= TIME_CLASSES else "数字"
    return [f"文件没有写明{'、'.join(broader)}本身的{what}，只写明了其中{'、'.join(k for k in shown if k)}的："]


def _of_case(subcase: str, asked: list) -> bool:
    """Is a row's sub-case one the question names, or a narrower case of it (低压 asked:
    低压非居民用户 and 低压小微企业 are low-voltage cases too)?"""
    return bool(subcase) and any(subcase == s.label or s.pattern.search(subcase) for s in asked)


def _trim(groups: list[list[FigureRow]]) -> list[list[FigureRow]]:
    out, n = [], 0
    for g in groups[: PARAMS.max_groups]:
        room = PARAMS.max_rows - n
        if room <= 0:
            break
        out.append(g[:room])
        n += len(out[-1])
    return out


def _row_order(r: FigureRow, regions: list[str]) -> tuple:
    from .conflicts import SPECIFICITY

    asked = bool(regions) and (r.region or "").startswith(tuple(regions))
    newest = tuple(-int(p) for p in (r.date or "0").split("-") if p.isdigit()) + (1, 1)  # a bare year sorts after its dates
    return (not asked, validity_note(r) is not None, r.scope != Scope.rule, newest[:3], -SPECIFICITY.get(r.level, 0))


def _picks(groups: list[list[FigureRow]], result: SearchResult) -> tuple[list[Pick], dict[str, int]]:
    """One citation per clause, numbered in the order the rows are shown."""
    hits = {h.item.id: h for h in result.hits}
    picks: list[Pick] = []
    numbers: dict[str, int] = {}
    for g in groups:
        for r in g:
            if r.item_id not in numbers:
                picks.append(Pick(hits[r.item_id], r.sentence, "figure", hits[r.item_id].score))
                numbers[r.item_id] = len(picks)
            picks[numbers[r.item_id] - 1].rows.append(r)
    return picks, numbers


# a figure that is not a Shaanxi rule says so wherever it is shown: another province's practice,
# or what one place achieved (a case report's 2小时办结 is a result, not a promise)
SCOPE_LABELS = {Scope.other_province: "【省外经验，非陕西规定】", Scope.case_study: "【典型案例，不是规定】"}


def _where(r: FigureRow) -> str:
    year = (r.date or "")[:4]
    bits = [r.region or "未注明地区", f"《{r.doc_title}》" + (f"（{year}年）" if year else "")]
    if label := SCOPE_LABELS.get(r.scope):
        bits.insert(0, label)
    return "".join(bits)


def _value(r: FigureRow) -> str:
    v = r.text
    if r.comparator in ("以内", "内", "以上", "以下", "左右", "之内"):
        v += r.comparator
    elif r.comparator in ("不超过", "不少于", "不低于", "控制在", "接近", "将近", "近", "大约", "约", "逾"):
        v = r.comparator + v
    notes = [n for n in (r.qualifier, validity_note(r)) if n]
    return v + (f"（{'，'.join(notes)}）" if notes else "")


def _group_line(g: list[FigureRow], numbers: dict[str, int], label_subcase: bool) -> str:
    head = g[0]
    name = head.measure_key or head.measure_norm or head.measure
    if head.subcase:
        name += f"（{head.subcase}）"
    by_value: dict[tuple, list[FigureRow]] = defaultdict(list)
    for r in g:
        by_value[(r.value, r.value_max)].append(r)
    parts = []
    for rows in by_value.values():
        places = "、".join(f"{_where(r)}[{numbers[r.item_id]}]" for r in rows)
        parts.append(f"{_value(rows[0])}：{places}")
    if len(by_value) == 1:
        return f"{name}：{parts[0]}。"
    return f"{name}，各文件规定不同——" + "；".join(parts) + "。"


def _conflict(g: list[FigureRow], numbers: dict[str, int]) -> Conflict | None:
    if len({(r.value, r.value_max) for r in g}) < 2 or len({r.doc_id for r in g}) < 2:
        return None
    from .conflicts import explain_rows

    values = [ConflictValue(value=r.text, citation_n=numbers[r.item_id], region=r.region, doc_title=r.doc_title,
                            date=r.date, subcase=r.subcase or None, validity=validity_note(r), qualifier=r.qualifier or None,
                            scope_note="省外经验，非陕西规定" if r.scope == Scope.other_province else
                            "典型案例" if r.scope == Scope.case_study else None) for r in g]
    topic = (g[0].measure_key or g[0].measure_norm or g[0].measure) + (f"（{g[0].subcase}）" if g[0].subcase else "")
    return Conflict(topic=topic, values=values, explanation=explain_rows(g))


def without_notes(sentence: str) -> str:
    """The sentence an entrepreneur reads: responsibility notes stay in the source details."""
    for note in find_notes(sentence):
        sentence = sentence.replace(note, "")
    return sentence.strip()
