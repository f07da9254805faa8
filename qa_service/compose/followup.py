"""Follow-up questions: 「那注销呢？」 after 「企业开办要几天」, 「西咸新区呢？」 after 「用水报装多久」.

A short question that leans on the previous one keeps what it does not say
itself: the topic (when only a region is new) or the region and what was asked
(a time limit, a department) when only the topic is new.

>>> resolve("西咸新区呢？", ["用水报装多久"])
'西咸新区 用水报装多久'
>>> resolve("那注销呢？", ["企业开办要几天"])
'注销 要几天'
>>> resolve("您好，西咸新区呢？", ["用水报装多久"])   # a greeting changes nothing
'西咸新区 用水报装多久'
>>> resolve("企业开办要几天", ["用水报装多久"])
'企业开办要几天'
>>> resolve("要交什么材料", ["西安用气报装多久"], has_topic=lambda q: "报装" in q)
'西安用气报装 要交什么材料'
>>> resolve("这个找市场监管局哪个处办", ["个体户转企业要多久"], has_topic=lambda q: True)   # 这个: the earlier topic
'个体户转企业 这个找市场监管局哪个处办'
>>> resolve("那注销呢？", ["企业开办" * 30, "甲" * 40], has_topic=lambda q: "注销" in q, context_chars=10)   # the topic comes first
'注销 企业开办企业开办企业'
>>> resolve("社会投资的呢", ["政府投资项目审批要多久"])   # only a case is new: the same question for it
'社会投资 项目审批要多久'
>>> resolve("那有外线的呢？", ["无外线用气报装要几天"])
'有外线 用气报装要几天'
>>> resolve("那政府投资项目呢", ["企业开办要几天"])   # a case of another measure: a new topic
'政府投资项目 要几天'
"""
from __future__ import annotations

import re
from typing import Callable

from .. import lexicon
from ..retrieve.query import INTENTS, REGIONS, analyze, normalize_query

_LEAD = re.compile(lexicon.cues()["followup_lead"])
_TAIL = re.compile(lexicon.cues()["followup_tail"])
_ANAPHOR = re.compile(lexicon.cues()["anaphor"])  # 这个找哪个处: 这个 is the previous turn's topic
_MODAL = lexicon.cues()["modal"]  # 要/需要/能 before what was asked (要几天) goes with it


def _core(question: str) -> str:
    return _TAIL.sub("", _LEAD.sub("", question.strip())).strip()


def _strip_regions(text: str) -> str:
    for pattern, _ in REGIONS:
        text = re.sub(pattern, "", text)
    return re.sub(r"^[的在\s，,]+", "", text).strip()


def _previous_topic(prev: str, question: str) -> str:
    """The previous question without what it asked (多久, 哪个部门) and, when the new turn names a
    place, without its place: 「西安用气报装多久」 -> 「西安用气报装」."""
    text = prev
    for _, pattern in INTENTS:
        text = re.sub(rf"(?:{_MODAL})?(?:{pattern})", "", text)
    if analyze(question).regions:
        text = _strip_regions(text)
    return _TAIL.sub("", re.sub(r"[吗嘛呢啊？?。！!]+$", "", text)).strip(" ，,")


def _names_only_a_case(text: str) -> bool:
    """Does the text name one of the lexicon's sub-cases and nothing else (社会投资的, 有外线的)?"""
    lx = lexicon.measures()
    if not lx.subcases_in(text):
        return False
    return not re.sub(r"[的那个项目工程用户呢]", "", _strip_cases(text))


def _same_distinction(case: str, prev: str) -> bool:
    """Did the previous question name a measure and a case of the same distinction (项目类型,
    外线)? 政府投资项目呢 after 企业开办要几天 is a new topic, not 企业开办 for government projects."""
    lx = lexicon.measures()
    asked = {s.dimension for s in lx.subcases_in(prev)}
    return bool(lx.measures_in(prev)) and any(s.dimension in asked for s in lx.subcases_in(case))


def _strip_cases(text: str) -> str:
    for s in lexicon.measures().subcases:
        text = s.pattern.sub("", text)
    return text.strip()


def is_followup(question: str) -> bool:
    q = question.strip()
    return len(q) <= 14 and bool(_LEAD.match(q) or re.search(r"呢[？?]?$", q))


def resolve(question: str, history: list[str], has_topic: Callable[[str], bool] | None = None,
            context_chars: int | None = None) -> str:
    """The question to search for, given the user's earlier questions (oldest first).

    ``has_topic`` tells whether a question names what it is about; a turn that does not
    (「具体多少钱」, 「要交什么材料」) asks about the previous turn's topic. ``context_chars``
    bounds what the earlier turns add, resolved as they are (their own context included): the
    question is searched with it, so without a bound five long turns that name no topic would
    each be searched again."""
    turns = [h for h in history if h and h.strip()]
    if not turns:
        return question
    # the previous turn may itself lean on the one before it
    prev = resolve(turns[-1], turns[:-1], has_topic, context_chars)[:context_chars]
    bare = normalize_query(question)  # 您好，/ 测试： before 那些… must not hide that the turn leans on the last one
    if not is_followup(bare):
        if (has_topic is not None and not has_topic(question)) or _ANAPHOR.match(bare):
            return f"{_previous_topic(prev, question)} {question}".strip()
        return question
    core = _core(bare)
    new = analyze(core)
    rest = _strip_regions(core)
    if new.regions and not rest:
        # only a place is new: ask the previous question there
        return f"{core} {_strip_regions(prev) or prev}"
    if _names_only_a_case(rest) and _same_distinction(rest, prev):
        # only another case of what was asked before is new (社会投资的呢 after 政府投资项目审批要多久):
        # the previous question, for that case instead of its own
        return f"{core} {_strip_cases(prev)}"
    if has_topic is not None and not has_topic(core):
        # 「谁负责牵头呢」 asks about the previous turn's topic, not about nothing
        return f"{_previous_topic(prev, question)} {core}".strip()
    # a new topic: keep what was asked (要几天 / 哪个部门牵头) and the region of the previous question
    old = analyze(prev)
    asked = ""
    for _, pattern in INTENTS:
        m = re.search(rf"(?:{_MODAL})?(?:{pattern})[^，,。？?\s]*", prev)
        if m:
            asked = m.group(0)
            break
    region = " ".join(r for r in old.regions if r not in new.regions and not re.search(r, core))
    parts = [p for p in (region, core, asked) if p]
    return " ".join(parts) if asked or region else f"{core} {prev}"
