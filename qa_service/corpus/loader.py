"""The corpus: every text file in ``corpus/`` parsed into documents and items.

A file that cannot be read (empty, binary, not UTF-8) is reported by name and
skipped; the rest of the corpus still loads.

>>> from qa_service.config import Settings
>>> corpus = load_corpus(Settings().corpus_dir)        # doctest: +SKIP
>>> corpus.document("陕政办发〔2023〕11号").title         # doctest: +SKIP
'陕西省人民政府办公厅关于深入推进跨部门综合监管的实施意见'
"""
from __future__ import annotations

import hashlib
import logging
import re
import statistics
from datetime import date
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..models import Document, Item
from .catalog import CatalogError, find_entry, infer_region, load_catalog
from .library import Library, load_library
from .documents import build_document, default_doc_id, split_documents
from .items import ItemBuilder
from .normalize import cjk_len
from .paragraphs import detect_layout, to_paragraphs
from .reader import CorpusFileError, read_source
from .readers import SUFFIXES
from .validity import period_of, replaced_names, validity

log = logging.getLogger(__name__)


@dataclass
class Corpus:
    documents: list[Document] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @cached_property
    def _docs_by_id(self) -> dict[str, Document]:
        return {d.id: d for d in self.documents}

    @cached_property
    def _items_by_id(self) -> dict[str, Item]:
        return {i.id: i for i in self.items}

    @cached_property
    def items_by_doc(self) -> dict[str, list[Item]]:
        out: dict[str, list[Item]] = {d.id: [] for d in self.documents}
        for it in self.items:
            out[it.doc_id].append(it)
        return out

    def item(self, item_id: str) -> Item | None:
        return self._items_by_id.get(item_id)

    def document(self, key: str) -> Document | None:
        """By id, 文号 or a unique title substring (whitespace ignored)."""
        if key in self._docs_by_id:
            return self._docs_by_id[key]
        k = re.sub(r"\s+", "", key)
        if not k:
            return None
        for d in self.documents:
            if d.doc_number and k == d.doc_number:
                return d
        hits = [d for d in self.documents if k in d.title or (d.doc_number and k in d.doc_number)]
        return hits[0] if len(hits) == 1 else None

    def fingerprint(self) -> str:
        """Changes whenever any item's text, place or metadata changes."""
        h = hashlib.sha256()
        for d in self.documents:
            h.update(d.model_dump_json().encode())
        for it in self.items:
            h.update(it.model_dump_json().encode())
        return h.hexdigest()[:16]


def corpus_files(corpus_dir: Path) -> list[Path]:
    return sorted(p for p in corpus_dir.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith((".", "README", "~$")))  # ~$: Word's lock file


def load_corpus(corpus_dir: Path, today: date | None = None) -> Corpus:
    corpus = Corpus()
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        corpus.errors.append(f"{corpus_dir}: 语料目录不存在 / corpus directory not found")
        return corpus
    try:
        catalog = load_catalog(corpus_dir)
    except CatalogError as e:
        corpus.errors.append(str(e))
        catalog = []
    try:
        library = load_library(corpus_dir)
    except (ValueError, OSError) as e:
        corpus.errors.append(f"library.json: 文件库记录无法读取 / unreadable: {e}")
        library = Library()
    catalog = library.catalog_entries() + catalog
    for path in corpus_files(corpus_dir):
        try:
            docs, items = parse_file(path, catalog)
        except CorpusFileError as e:
            corpus.errors.append(str(e))
            log.warning("%s", e)
            continue
        except Exception as e:  # a parser bug must not take the other documents down
            msg = f"{path.name}: 解析失败 / parse failed: {type(e).__name__}: {e}"
            corpus.errors.append(msg)
            log.exception(msg)
            continue
        corpus.files.append(path.name)
        kept = {d.id: d for d in (library.apply(d) for d in docs) if d is not None}
        corpus.documents += kept.values()
        corpus.items += [i for i in items if i.doc_id in kept]
    _dedupe_doc_ids(corpus)
    apply_validity(corpus, today or date.today())
    return corpus


def apply_validity(corpus: Corpus, today: date) -> None:
    """Each document's stated period, the documents a newer one repeals (原《…》同时废止),
    and every status, in place."""
    by_doc: dict[str, list[str]] = {}
    for it in corpus.items:
        by_doc.setdefault(it.doc_id, []).append(it.text)
    for d in corpus.documents:
        d.valid_from, d.valid_until, d.validity_basis = period_of(d.title, by_doc.get(d.id, []), d.date)
    for d in corpus.documents:
        for name in replaced_names(by_doc.get(d.id, [])):
            for old in corpus.documents:
                newer = old.year and d.year and old.year > d.year  # a document repeals older ones only
                if old is not d and old.matches(name) and not old.replaced_by and not newer:
                    old.replaced_by = d.id
    for d in corpus.documents:
        d.status = validity(d, today).status


def parse_file(path: Path, catalog=()) -> tuple[list[Document], list[Item]]:
    lines, meta, warnings = read_source(path)
    layout = detect_layout(lines)
    wrap = statistics.median(cjk_len(l.text) for l in lines if cjk_len(l.text) > 20) if layout == "wrapped" else 0.0
    paras = to_paragraphs(lines, layout)
    doc_paras, _front = split_documents(paras)
    compiled = len(doc_paras) > 1
    docs: list[Document] = []
    items: list[Item] = []
    for seq, dp in enumerate(doc_paras, start=1):
        draft = build_document(seq, dp, compiled)
        title = draft.title or meta.get("title") or path.stem
        entry = find_entry(list(catalog), path.name, title, draft.doc_number)
        doc_id = (entry.id if entry and entry.id else None) or default_doc_id(path.stem, title, compiled)
        region, level = infer_region(draft.issuer, title)
        p0, p1 = draft.pages()
        doc = Document(
            id=doc_id,
            title=(entry.title if entry and entry.title else title),
            doc_number=draft.doc_number or (entry.doc_number if entry else None),
            issuer=draft.issuer or (entry.issuer if entry else None) or meta.get("issuer"),
            signer=draft.signer,
            date=draft.date or (entry.date if entry else None) or meta.get("date") or _year_in(title),
            region=(entry.region if entry and entry.region else region),
            level=(entry.level if entry and entry.level else level),
            # the policy a notice issues, when it issues exactly one (782号 issues a table and a case)
            attachment_title=_single([p.title for p in draft.parts if p.title]),
            source_file=path.name,
            seq=seq,
            line_start=draft.line_start,
            line_end=draft.line_end,
            page_start=p0,
            page_end=p1,
            notes=draft.notes + ([entry.note] if entry and entry.note else []) + warnings,
        )
        docs.append(doc)
        items += ItemBuilder(doc_id, path.name, wrap).document(draft)
    return docs, items


def _single(titles: list[str]) -> str | None:
    return titles[0] if len(titles) == 1 else None


def _year_in(title: str) -> str | None:
    m = re.search(r"(20\d{2})年", title)
    return m.group(1) if m else None


def _dedupe_doc_ids(corpus: Corpus) -> None:
    seen: dict[str, int] = {}
    for d in corpus.documents:
        seen[d.id] = seen.get(d.id, 0) + 1
    dups = [k for k, v in seen.items() if v > 1]
    if dups:
        corpus.errors.append(f"重复的文件编号 / duplicate document ids: {', '.join(dups)}")
