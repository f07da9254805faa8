"""A document part's paragraphs -> a tree of numbered sections -> clause-level items.

Numbering is checked as it is read: a marker is accepted only where it continues
its level (``n == last + 1``, whether numbering runs on across sections or
restarts at 1), so a ``2.`` that opens a wrapped line inside a sentence stays text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .markers import Marker, match_marker
from .normalize import cjk_len, join_fragments
from .notes import ends_with_note, find_notes
from .paragraphs import TERMINAL, Para

RANK = {"ROOT": 0, "L1": 1, "L2": 2, "ITEM": 3, "SUB": 4, "PARA": 9}
LABELLED_RE = re.compile(r"^[\u4e00-\u9fff]{2,6}[：:]")
NOTE_START_RE = re.compile(r"^[（(〔][^）)〕]*(?:牵头|负责|落实|配合|完成时限)")


@dataclass
class Node:
    level: str
    marker: Marker | None = None
    paras: list[Para] = field(default_factory=list)  # own paragraphs; the first holds the marker
    children: list["Node"] = field(default_factory=list)
    sublabel: str | None = None  # "具体措施" when the task opens a sub-list
    after_sublabel: bool = False  # an unnumbered paragraph under 具体措施
    parent: "Node | None" = None

    @property
    def rank(self) -> int:
        return RANK[self.level]

    def own_text(self) -> str:
        text = ""
        for p in self.paras:
            text = join_fragments(text, p.text)
        if self.marker and text.startswith(self.marker.printed):
            text = text[len(self.marker.printed):]
        elif self.marker:
            m = match_marker(text)
            if m:
                text = m.rest
        return text.strip()


class Numbering:
    """Which markers continue the numbering: per level, the last number seen anywhere in
    the part (numbering that runs on) and under the current parent (restarts)."""

    def __init__(self) -> None:
        self.last: dict[str, int] = {}

    def accepts(self, m: Marker, parent: Node) -> bool:
        if m.num == 1:
            return True
        siblings = [c for c in parent.children if c.level == m.level and c.marker]
        if siblings and siblings[-1].marker.num + 1 == m.num:
            return True
        return self.last.get(m.level, 0) + 1 == m.num

    def seen(self, m: Marker) -> None:
        self.last[m.level] = m.num


def build_tree(paras: list[Para]) -> Node:
    root = Node("ROOT")
    stack = [root]
    numbering = Numbering()
    for p in paras:
        m = match_marker(p.text)
        if m and m.level == "SUBLABEL":
            owner = next((n for n in reversed(stack) if n.level in ("L1", "L2")), stack[-1])
            while stack[-1] is not owner:
                stack.pop()
            owner.sublabel = m.printed.rstrip(":：")
            if m.rest:
                _add_para_node(owner, p, after_sublabel=True)
            continue
        if m and m.level != "SUBLABEL":
            # marker alone on its line: its text is the next paragraph (blank/lines layouts)
            parent = _parent_for(stack, m.level)
            if numbering.accepts(m, parent):
                while stack[-1] is not parent:
                    stack.pop()
                node = Node(m.level, m, [p], parent=parent)
                parent.children.append(node)
                stack.append(node)
                numbering.seen(m)
                continue
        _attach(stack, p)
    _hoist_closing(root)
    return root


def _hoist_closing(root: Node) -> None:
    """Free paragraphs after the last numbered item close the whole part, not that item's section."""
    trailing: list[Node] = []
    node = root
    while node.children:
        last = node.children[-1]
        if last.level != "PARA":
            node = last
            continue
        if node is root:
            break
        k = len(node.children)
        while k > 1 and node.children[k - 1].level == "PARA" and not ends_with_note(node.children[k - 1].own_text()):
            k -= 1
        trailing = node.children[k:]
        del node.children[k:]
        break
    for t in trailing:
        t.parent, t.after_sublabel = root, False
        root.children.append(t)


def _parent_for(stack: list[Node], level: str) -> Node:
    rank = RANK[level]
    for n in reversed(stack):
        if n.rank < rank and n.level != "PARA":
            return n
    return stack[0]


def _is_heading_only(node: Node) -> bool:
    return len(node.paras) == 1 and cjk_len(node.own_text()) <= 40 and node.own_text()[-1:] not in "）)"


def _attach(stack: list[Node], p: Para) -> None:
    """An unnumbered paragraph: the rest of the open item, or a paragraph of its own."""
    top = stack[-1]
    if top.sublabel is not None and not top.children:
        _add_para_node(top, p, after_sublabel=True)
        return
    if top.level == "ROOT" or top.children:
        if top.children and _continues(top.children[-1], p) and not top.children[-1].children:
            top.children[-1].paras.append(p)
        else:
            _add_para_node(top, p, after_sublabel=top.sublabel is not None)
        return
    if _continues(top, p) or not top.own_text() or _is_heading_only(top) or top.level in ("L1", "L2"):
        top.paras.append(p)
        return
    # a finished item followed by free text: a paragraph of the enclosing section
    stack.pop()
    _attach(stack, p)


def _continues(node: Node, p: Para) -> bool:
    text = node.own_text() if node.marker else "".join(x.text for x in node.paras)
    if not text:
        return True
    if NOTE_START_RE.match(p.text) or LABELLED_RE.match(p.text) and node.level != "PARA":
        return True
    return text[-1] not in TERMINAL + "）)〕" and not ends_with_note(text)


def _add_para_node(parent: Node, p: Para, after_sublabel: bool = False) -> None:
    parent.children.append(Node("PARA", None, [p], parent=parent, after_sublabel=after_sublabel))


def split_title(node: Node, wrap: float) -> tuple[str | None, str]:
    """(title, body) of a node: a short heading before its body, if there is one.

    ``wrap`` is the line width of hard-wrapped text (0 for other layouts), where a
    first line that stops well short of the margin is a heading.
    """
    text = node.own_text()
    first = node.paras[0]
    if wrap:
        if len(first.lines) < 2 and len(node.paras) < 2:
            return None, text
        m = match_marker(first.lines[0].text)
        head = m.rest if m else first.lines[0].text
        if not head and len(first.lines) > 1:
            head = first.lines[1].text
        if head and cjk_len(head) < wrap * 0.8 and head[-1] not in "，、,（(" and not head.startswith(("（", "(")):
            return head, text[len(head):].strip() if text.startswith(head) else text
        return None, text
    if len(node.paras) > 1:
        m = match_marker(first.text)
        head = m.rest if m else first.text
        if head and cjk_len(head) <= 40 and not NOTE_START_RE.search(head) and head[-1:] not in "）)":
            return head, text[len(head):].strip()
    return None, text


def is_heading_text(text: str) -> bool:
    """A section heading rather than a clause: short, one sentence at most, no note."""
    return bool(text) and cjk_len(text) <= 60 and "。" not in text[:-1] and not find_notes(text)


def short_title(text: str, limit: int = 30) -> str:
    """A heading for the path: the first clause of a long task sentence."""
    t = re.split(r"[。；！？]", text, maxsplit=1)[0]
    t = re.sub(r"[（(〔][^）)〕]*(?:牵头|负责)[^）)〕]*[）)〕]$", "", t)
    return t if len(t) <= limit else t[:limit] + "…"
