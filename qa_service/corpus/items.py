"""A parsed document (header, parts, signature, footer) -> :class:`Item` s with stable ids.

Ids are built from the item's place in its own document (``<doc>:s2.t1.19`` for
二、（一）19.), so they survive re-runs and edits to other documents.
"""
from __future__ import annotations

import re

from ..models import Item, Scope
from .documents import DocDraft, Part
from .notes import parse_responsibility
from .paragraphs import TERMINAL, Para
from .structure import Node, build_tree, is_heading_text, short_title, split_title
from .table import is_other_province, is_table, parse_table

_HEADER_CELL_RE = re.compile(r"^(?:序|号|序号|改革事项|具体措施|来源)$")
_TOKEN = {"L1": "s", "L2": "t", "ITEM": "", "SUB": "u"}
CASE_TITLE_RE = re.compile(r"(?:模式|经验|做法|案例)$")


class ItemBuilder:
    """Collects the items of one document, in reading order."""

    def __init__(self, doc_id: str, source_file: str, wrap: float):
        self.doc_id = doc_id
        self.source_file = source_file
        self.wrap = wrap
        self.items: list[Item] = []
        self._ids: set[str] = set()

    def add(self, code: str, paras: list[Para], text: str, **fields) -> None:
        text = text.strip()
        if not text:
            return
        item_id = f"{self.doc_id}:{code}"
        k = 2
        while item_id in self._ids:  # a repeated marker in the source: keep both, distinctly
            item_id = f"{self.doc_id}:{code}~{k}"
            k += 1
        self._ids.add(item_id)
        pages = [pg for p in paras for pg in p.pages if pg is not None]
        self.items.append(
            Item(
                id=item_id,
                doc_id=self.doc_id,
                text=text,
                responsibility=parse_responsibility(text),
                page_start=min(pages) if pages else None,
                page_end=max(pages) if pages else None,
                source_file=self.source_file,
                line_start=min(p.line_start for p in paras),
                line_end=max(p.line_end for p in paras),
                **fields,
            )
        )

    # -- document-level pieces -------------------------------------------------
    def document(self, d: DocDraft) -> list[Item]:
        if d.header:
            texts = [re.sub(r"^\d{1,2}\.", "", p.text) for p in d.header] + [p.text for p in _dated(d.signature)]
            self.add("h", d.header, "".join(texts), kind="header", title=d.title)
        for part in d.parts:
            self.part(part, d)
        if d.attachments:
            self.add("att", d.attachments, "".join(p.text for p in d.attachments), kind="attachments")
        if d.signature:
            self.add("sig", d.signature, "".join(p.text for p in d.signature), kind="signature")
        if d.footer:
            self.add("ft", d.footer, "".join(p.text for p in d.footer), kind="footer")
        return self.items

    def part(self, part: Part, d: DocDraft) -> None:
        if not part.paras:
            return
        prefix = f"{part.prefix}." if part.prefix else ""
        base_path = [part.label] if part.label else []
        heading = [part.title] if part.title and part.kind == "attachment" else []
        if is_table(part.paras[0].text):
            self.table(part, prefix, base_path, heading)
            return
        kind = "notice" if part.kind == "notice" else None
        if part.kind == "attachment" and part.title and CASE_TITLE_RE.search(part.title):
            kind = "case_study"
        root = build_tree(part.paras)
        self.walk(root, prefix, base_path, heading, kind)

    def table(self, part: Part, prefix: str, base_path: list[str], heading: list[str]) -> None:
        lines = [l for p in part.paras for l in p.lines if not _HEADER_CELL_RE.match(l.text)]
        rows, groups, spans = parse_table([l.text for l in lines])
        for row in rows:
            marker, gtitle = groups.get(row.serial, ("", ""))
            s, e = spans[row.serial]
            row_para = Para()
            for l in lines[s:e]:
                row_para.add(l)
            self.add(
                f"{prefix}r{row.serial}",
                [row_para],
                f"{row.subject}：{row.measure}（来源：{row.source}）",
                kind="table_row",
                number=str(row.serial),
                path=base_path + ([marker] if marker else []) + [f"{row.serial}."],
                heading_path=heading + ([gtitle] if gtitle else []),
                title=row.subject,
                table_row=row,
                scope=Scope.other_province if is_other_province(row) else Scope.rule,
            )

    def walk(self, node: Node, prefix: str, path: list[str], heading: list[str], kind: str | None, code: list[str] | None = None) -> None:
        code = code or []
        n_para = 0
        seen_section = False
        for child in node.children:
            if child.level == "PARA":
                n_para += 1
                paras = child.paras
                text = "".join(p.text for p in paras)
                if child.after_sublabel and node.sublabel:
                    ckind = kind or "measure"
                    cpath = path + [node.sublabel, f"p{n_para}"]
                    ccode = code + [f"m{n_para}"]
                else:
                    ckind = kind or (
                        "preamble" if node.level == "ROOT" and not seen_section else
                        "intro" if not seen_section else "paragraph"
                    )
                    if ckind in ("intro", "paragraph") and _is_goal(heading):
                        ckind = "goal"
                    cpath = path + [f"p{n_para}"]
                    ccode = code + [f"p{n_para}"]
                self.add(prefix + ".".join(ccode), paras, text, kind=ckind, path=cpath, heading_path=list(heading),
                         title=short_title(text), scope=_scope(kind))
                continue
            seen_section = True
            m = child.marker
            cpath = path + ([node.sublabel] if node.sublabel and child.level == "ITEM" and node.level in ("L1", "L2") else []) + [m.unified]
            ccode = code + [f"{_TOKEN[child.level]}{m.num}"]
            title, body = split_title(child, self.wrap)
            full = child.own_text()
            if child.children or child.sublabel:
                if title is None and is_heading_text(full):
                    title, body = full, ""
                head = title or short_title(full)
                if title is None:
                    self.add(prefix + ".".join(ccode), child.paras, full, kind=kind or "task", number=m.printed,
                             path=cpath, heading_path=list(heading), title=short_title(full), scope=_scope(kind))
                elif body:
                    ik = kind or ("goal" if _is_goal(heading + [head]) else "intro")
                    self.add(prefix + ".".join(ccode), child.paras, body, kind=ik, number=m.printed, path=cpath,
                             heading_path=heading + [head], title=head, scope=_scope(kind))
                self.walk(child, prefix, cpath, heading + [head], kind, ccode)
            else:
                # "一、总体要求" over its body: the heading is a title, not part of the clause;
                # numbered items keep their whole printed text
                pure_heading = child.level in ("L1", "L2") and title is not None and title[-1] not in TERMINAL and bool(body)
                text = body if pure_heading else full
                title = title if child.level in ("L1", "L2") and title else short_title(full)
                ik = kind or ("goal" if _is_goal(heading + [title]) else "measure")
                self.add(prefix + ".".join(ccode), child.paras, text, kind=ik, number=m.printed, path=cpath,
                         heading_path=heading + ([title] if pure_heading else []), title=title,
                         scope=_scope(kind))


def _is_goal(heading: list[str]) -> bool:
    return any("目标" in h for h in heading[-2:])


def _scope(kind: str | None) -> Scope:
    return Scope.case_study if kind == "case_study" else Scope.rule


def _dated(signature: list[Para]) -> list[Para]:
    """Issuer and date of the signature, for the header item."""
    return [p for p in signature if not p.text.startswith(("（联系人", "(联系人"))] if signature else []
