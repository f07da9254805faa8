"""The figure table: every figure of the corpus as a row, built with the index.

Rows carry their document's facts (region, date, period, scope) and their clause's
citation, so an answer, the 指标对照 view and the API read one table.

>>> from qa_service.models import Document, Item
>>> d = Document(id="d", title="某区三年行动方案（2020年—2022年）", source_file="x", date="2020", region="某区",
...              valid_from="2020-01-01", valid_until="2022-12-31")
>>> it = Item(id="d:s1", doc_id="d", kind="measure", path=["1."], text="将无外线施工用气报装时限压减至3个工作日以内。", source_file="x", line_start=1, line_end=1)
>>> t = FigureTable(build_rows([d], [it]))
>>> r = t.rows[0]
>>> r.measure_key, r.subcase, r.value, r.period, r.valid_until
('获得用气', '无外线工程', 3.0, '2020—2022', '2022-12-31')
>>> validity_note(r, today=date(2026, 1, 1))
'2020—2022年方案，已到期'
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..models import Document, FigureRow, Item, Scope
from .extract import RawFigure, extract_sentence
from .words import BREAKDOWN
from .keys import comparison_class, normalized_measure
from ..corpus.sentences import split_sentences

SKIP_KINDS = {"footer", "attachments"}
# header and signature figures are the document's own date: a fact about the document, not a rule
DOC_FACT_KINDS = {"header", "signature"}
ANSWERING_KINDS = {"commitment", "count"}  # statistics and dates never answer 多久/多少


def period_of(doc: Document) -> tuple[str, str] | None:
    """(the years the document runs for, its last day in force), as the corpus read them
    (qa_service/corpus/validity.py: 2020年—2022年 in the title, 有效期三年, a one-year list).

    >>> from qa_service.models import Document as D
    >>> period_of(D(id="a", title="某清单", source_file="x", valid_from="2022-01-01", valid_until="2022-12-31"))
    ('2022', '2022-12-31')
    >>> period_of(D(id="b", title="某方案", source_file="x", valid_from="2023-04-29", valid_until="2026-04-28"))
    ('2023—2026', '2026-04-28')
    """
    if not doc.valid_until:
        return None
    first, last = (doc.valid_from or doc.valid_until)[:4], doc.valid_until[:4]
    return (last if first == last else f"{first}—{last}"), doc.valid_until


def validity_note(row_or_doc, today: date | None = None) -> str | None:
    """'2020—2022年方案，已到期' when the document is no longer in force; None while it is or
    states no period. A document's status (已废止, 被替代) comes from the corpus."""
    today_iso = (today or date.today()).isoformat()
    if isinstance(row_or_doc, Document):
        status = row_or_doc.status if row_or_doc.status != "现行" else None
        p = period_of(row_or_doc)
        period, until = p if p else (None, None)
    else:
        status, period, until = None, row_or_doc.period, row_or_doc.valid_until
    if status is None and (until is None or until >= today_iso):
        return None
    return f"{period}年方案，{status or '已到期'}" if period else (status or "已到期")


def build_rows(documents: list[Document], items: list[Item]) -> list[FigureRow]:
    docs = {d.id: d for d in documents}
    rows: list[FigureRow] = []
    for it in items:
        if it.kind in SKIP_KINDS:
            continue
        doc = docs[it.doc_id]
        context = "|".join([it.title or "", *it.heading_path])
        n = 0
        for sentence in split_sentences(it.text):
            for f in extract_sentence(sentence, context):
                n += 1
                rows.append(_row(f, n, sentence, it, doc))
    return rows


def _row(f: RawFigure, n: int, sentence: str, it: Item, doc: Document) -> FigureRow:
    period = period_of(doc)
    clause = sentence.find(f.excerpt, max(0, f.start - len(f.excerpt)))
    after = sentence[f.end : clause + len(f.excerpt)] if clause >= 0 else ""
    return FigureRow(
        id=f"{it.id}#{n}", item_id=it.id, doc_id=doc.id, sentence=sentence, excerpt=f.excerpt, text=f.text, value=f.value,
        value_max=f.value_max, unit=f.unit, unit_class=f.unit_class, comparator=f.comparator, qualifier=f.qualifier,
        measure=f.measure, measure_key=f.measure_key, subcase=f.subcase,
        measure_norm="" if BREAKDOWN in f.notes else normalized_measure(f.measure, f.measure_key, f.subcase, f.unit_class, after, f.qualifier),
        kind="other" if it.kind in DOC_FACT_KINDS else f.kind,  # type: ignore[arg-type]
        region=doc.region, level=doc.level, doc_title=doc.short_title, doc_number=doc.doc_number, date=doc.date,
        period=period[0] if period else None, valid_until=period[1] if period else None, scope=it.scope,
        citation=doc.cite(it),
    )


@dataclass(frozen=True)
class ConflictGroup:
    """Rows of one measure, one sub-case and one unit class that give different values."""

    measure_key: str  # the rows' shared key: the lexicon's, else the normalized measure (keys.py)
    subcase: str
    unit_class: str
    rows: tuple[FigureRow, ...]


def comparable(r: FigureRow) -> bool:
    """A row that may disagree with another document's: a commitment or count of this region
    (省外经验 and 典型案例 are examples, not rules), keyed (a step inside （其中…） has no key) and
    not a threshold that says which cases a rule covers (年营业收入10亿元以上民营企业)."""
    return bool(r.measure_norm) and r.kind in ANSWERING_KINDS and r.scope == Scope.rule and not is_threshold(r)


def is_threshold(r: FigureRow) -> bool:
    """10亿元以上民营企业, 两个以上部门对…: a bound followed by the noun it delimits (a share of
    matters, 80%以上的政务服务事项, is a level; 85%以上实现… has a verb, not a noun)."""
    at = r.excerpt.find(r.text)
    after = r.excerpt[at + len(r.text) :] if at >= 0 else ""
    return r.unit_class != "%" and bool(re.match(r"^(?:以上|以下|及以上|及以下)的?(?!实现|达到|完成|办结)[\u4e00-\u9fff]", after))


def conflict_key(r: FigureRow) -> tuple[str, str, str, str]:
    """Rows are compared only within one measure, one sub-case, one unit class and one kind."""
    return (r.measure_norm, r.subcase, comparison_class(r.unit_class), r.kind)


class FigureTable:
    def __init__(self, rows: list[FigureRow]):
        self.rows = rows
        self.by_item: dict[str, list[FigureRow]] = defaultdict(list)
        self.by_measure: dict[str, list[FigureRow]] = defaultdict(list)
        self._disputed: set[str] | None = None
        for r in rows:
            self.by_item[r.item_id].append(r)
            if r.measure_key or r.measure_norm:  # the lexicon's key, else the measure's normalized words
                self.by_measure[r.measure_key or r.measure_norm].append(r)
        self.disputed()

    def query(self, measure: str | None = None, region: str | None = None, kinds: set[str] | None = None,
              unit_classes: set[str] | None = None) -> list[FigureRow]:
        """Rows by measure key (the lexicon's or a normalized one: 涉税事项网办率), or words of the
        measure, region prefix, kind and unit class."""
        rows = self.by_measure.get(measure, []) if measure in self.by_measure else [
            r for r in self.rows if not measure or measure in r.measure]
        return [r for r in rows
                if (not region or (r.region or "").startswith(region))
                and (kinds is None or r.kind in kinds)
                and (unit_classes is None or r.unit_class in unit_classes)]

    def disputed(self) -> set[str]:
        """The measures (keys) some documents disagree on, worked out once per table (with the
        table: ~3 ms at load rather than in the first answer that asks)."""
        if self._disputed is None:
            self._disputed = {g.measure_key for g in self.conflicts()}
        return self._disputed

    def conflicts(self) -> list[ConflictGroup]:
        """Every disagreement of the corpus: one measure, one sub-case, one unit, several
        documents, several values. Rows of different sub-cases are never grouped."""
        groups: dict[tuple, list[FigureRow]] = defaultdict(list)
        for r in self.rows:
            if comparable(r):
                groups[conflict_key(r)].append(r)
        out = []
        for (key, sub, unit, _), rows in sorted(groups.items()):
            if any(a.doc_id != b.doc_id and (a.value, a.value_max) != (b.value, b.value_max) for a in rows for b in rows):
                out.append(ConflictGroup(key, sub, unit, tuple(rows)))
        return out

    # -- persistence: figures.jsonl beside the index's items -------------------------------------
    def write(self, path: Path) -> None:
        with open(path, "w", encoding="utf-8") as f:
            for r in self.rows:
                f.write(r.model_dump_json() + "\n")

    @classmethod
    def read(cls, path: Path) -> "FigureTable":
        lines = path.read_text(encoding="utf-8").splitlines()
        return cls([FigureRow.model_validate_json(line) for line in lines if line.strip()])

    @classmethod
    def from_index(cls, documents: list[Document], items: list[Item], build_dir: Path | None = None) -> "FigureTable":
        """The build's table if it has one, else built now (an index built before the table existed)."""
        if build_dir is not None and (build_dir / "figures.jsonl").exists():
            return cls.read(build_dir / "figures.jsonl")
        return cls(build_rows(documents, items))


def rows_json(rows: list[FigureRow]) -> str:
    return json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False)
