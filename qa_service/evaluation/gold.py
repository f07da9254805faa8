"""Gold questions in the format of ../shared/eval/README.md, and the matching rule.

An item *matches* a gold clause when its full printed text, whitespace removed,
contains the quote, and its document's title (or the title of the attachment it
issues) or 文号 contains ``doc``.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from ..models import Document, Item

QType = Literal["fact", "multi", "conflict", "entity", "doc", "out_of_scope"]


class GoldClause(BaseModel):
    doc: str
    quote: str


class GoldQuestion(BaseModel):
    id: str
    question: str
    type: QType
    gold: list[GoldClause] = Field(default_factory=list)
    answer_facts: list[str] = Field(default_factory=list)
    notes: str | None = None
    history: list[str] = Field(default_factory=list, description="earlier questions of a follow-up, oldest first")


def load_gold(path: Path) -> list[GoldQuestion]:
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(GoldQuestion(**json.loads(line)))
        except (json.JSONDecodeError, ValidationError, TypeError) as e:
            raise ValueError(f"{path}:{n}: 金标格式错误 / bad gold line: {e}") from None
    if not out:
        raise ValueError(f"{path}: 没有金标问题 / no gold questions")
    return out


def squeeze(s: str) -> str:
    return re.sub(r"\s+", "", s)


def matches(item: Item, doc: Document, clause: GoldClause) -> bool:
    return clause.quote in squeeze(item.text) and doc.matches(clause.doc)


def matched_clauses(item: Item, doc: Document, q: GoldQuestion) -> set[int]:
    return {k for k, g in enumerate(q.gold) if matches(item, doc, g)}
