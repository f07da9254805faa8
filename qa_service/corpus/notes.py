"""Responsibility notes: who leads, who helps, by when, whom to call.

The item text keeps the note as printed; these functions only read it.

>>> r = parse_responsibility("推进企业开办。（市市场监管局牵头，市税务局、市公安局等市级相关部门按职责分工负责）")
>>> r.lead, r.partners
(['市市场监管局'], ['市税务局', '市公安局', '市级相关部门'])
>>> parse_responsibility("（牵头单位：新区农业农村局；配合单位：新区水务集团，各新城）").lead
['新区农业农村局']
>>> parse_responsibility("（运用促进处，刘诗雨，63916860）").contacts[0].phone
'63916860'
"""
from __future__ import annotations

import re

from ..models import Contact, Responsibility

OPEN, CLOSE = "（(〔", "）)〕"
KEYWORDS = ("牵头", "负责", "落实", "配合", "完成时限")
_CONTACT_RE = re.compile(r"^([\u4e00-\u9fff]{2,12}(?:处|中心|室|局|科|办))[，,]([\u4e00-\u9fff]{2,4})[，,](\d{7,12})$")
_SPLIT_RE = re.compile(r"[、]|(?<=[局委办厅府会行处部司队院站心所门位])及|(?<=[局委办厅府会])和")


def bracket_spans(text: str) -> list[tuple[int, int]]:
    """Top-level bracketed spans (start, end-exclusive); inner （区） pairs stay inside.

    Mismatched pairs such as （…) occur in the sources, so any closer closes any opener.
    """
    spans, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in OPEN:
            if depth == 0:
                start = i
            depth += 1
        elif ch in CLOSE and depth:
            depth -= 1
            if depth == 0:
                spans.append((start, i + 1))
    return spans


def find_notes(text: str) -> list[str]:
    """The responsibility / contact notes printed in ``text``, in order."""
    notes = []
    for s, e in bracket_spans(text):
        inner = text[s + 1 : e - 1]
        if any(k in inner for k in KEYWORDS) and len(inner) < 400 and not inner.startswith(("以下简称", "详见")):
            notes.append(text[s:e])
        elif _CONTACT_RE.match(inner):
            notes.append(text[s:e])
    return notes


def ends_with_note(text: str) -> bool:
    """Does ``text`` end with a closed responsibility note (which ends an item)?"""
    stripped = text.rstrip("。 \u3000")
    spans = bracket_spans(stripped)
    if not spans or spans[-1][1] != len(stripped):
        return False
    inner = stripped[spans[-1][0] + 1 : -1]
    return any(k in inner for k in KEYWORDS if k != "配合") or "配合单位" in inner


def split_units(s: str) -> list[str]:
    """'市财政局、市税务局等市级相关部门及各区县政府' -> ['市财政局', '市税务局', '市级相关部门', '各区县政府']."""
    out = []
    for part in _SPLIT_RE.split(s):
        for u in re.split(r"等(?=[\u4e00-\u9fff])", part):
            u = u.strip(" ，,：:；;。")
            u = re.sub(r"^(?:由|会同|协调|请)", "", u)
            if u and len(u) <= 40:
                out.append(u)
    return out


def parse_note(note: str, r: Responsibility) -> None:
    inner = note[1:-1].strip()
    r.raw.append(note)
    m = _CONTACT_RE.match(inner)
    if m:
        r.contacts.append(Contact(unit=m.group(1), person=m.group(2), phone=m.group(3)))
        if m.group(1) not in r.lead:
            r.lead.append(m.group(1))
        return
    for clause in re.split(r"[；;]|[，,](?![^（(]*[）)])", inner):
        clause = clause.strip()
        if not clause:
            continue
        label, _, value = clause.partition("：") if "：" in clause else clause.partition(":")
        if value:
            if "牵头" in label:
                r.lead += split_units(value)
            elif "配合" in label or "责任" in label:
                r.partners += split_units(value)
            elif "时限" in label or "时间" in label:
                r.deadline = value.strip()
            continue
        if clause.endswith("牵头"):
            r.lead += split_units(clause[: -len("牵头")])
        elif clause.endswith("按职责分工负责") or clause.endswith("按职责负责"):
            r.partners += split_units(re.sub(r"按职责(?:分工)?负责$", "", clause))
        elif clause.endswith("负责"):
            units = split_units(clause[: -len("负责")])
            (r.partners if r.lead else r.lead).extend(units)
        elif clause.endswith("配合"):
            r.partners += split_units(clause[: -len("配合")])
        elif clause.endswith("落实"):
            r.implementers += split_units(clause[: -len("落实")])
        elif clause.startswith("协调") and clause.endswith("做好相关工作"):
            r.partners += split_units(clause[2 : -len("做好相关工作")])


def parse_responsibility(text: str) -> Responsibility:
    r = Responsibility()
    for note in find_notes(text):
        parse_note(note, r)
    # keep order, drop repeats (a unit named in two notes of one item)
    r.lead = list(dict.fromkeys(r.lead))
    r.partners = [u for u in dict.fromkeys(r.partners) if u not in r.lead]
    return r
