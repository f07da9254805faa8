"""The document lifecycle: add, replace and retire a policy document, for the CLI
(``qa-service docs …``) and the admin API alike.

Each operation checks the file completely before anything is written (format, size,
text, duplicates), then stores the file in ``corpus/``, records it in
``corpus/library.json`` and publishes a new index build (only the new items are
embedded: the cache keys vectors by text). If any step fails, the file and the library
are put back as they were and the served index is untouched: nothing is half-added.
A running service notices the new build by itself (``QA_RELOAD_INTERVAL``).
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .config import Settings
from .corpus.library import OVERRIDABLE, Library, LibraryEntry, load_library, now, save_library, LIBRARY_NAME
from .corpus.loader import Corpus, load_corpus, parse_file
from .corpus.reader import CorpusFileError
from .corpus.readers import SUFFIXES
from .errors import QAError
from .models import Document, Item, Level

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,60}$")


@dataclass
class Outcome:
    action: str
    documents: list[Document]
    items: int = 0
    embedded_new: int = 0
    build_id: str | None = None
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"action": self.action, "documents": [d.model_dump(mode="json") for d in self.documents], "items": self.items,
                "embedded_new": self.embedded_new, "build_id": self.build_id, "seconds": self.seconds, "warnings": self.warnings}


def bad_file(zh: str, en: str, code: str = "document_invalid") -> QAError:
    return QAError(code, zh, en, status=400, field="file")


@contextmanager
def library_lock(corpus_dir: Path, index_dir: Path):
    """One lifecycle change at a time (the index has its own lock for builds)."""
    for folder in (Path(corpus_dir), Path(index_dir)):
        if not os.access(folder, os.W_OK):  # e.g. a read-only image: say so rather than fail half-way
            raise QAError("library_read_only", f"目录不可写，无法修改文件库：{folder}", f"{folder} is not writable: the library cannot be changed", status=503)
    fh = open(Path(corpus_dir) / ".library.lock", "w")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise QAError("library_busy", "另一个文件操作正在进行，请稍后再试", "another document change is in progress; try again later", status=409) from None
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def add(settings: Settings, src: Path, *, name: str | None = None, doc_id: str | None = None,
        overrides: dict[str, str] | None = None, by: str = "cli") -> Outcome:
    """A new document from ``src`` (``name``: the file's original name, for uploads)."""
    return _store(settings, src, name or src.name, doc_id, overrides or {}, by, replacing=None)


def replace(settings: Settings, doc_id: str, src: Path, *, name: str | None = None,
            overrides: dict[str, str] | None = None, by: str = "cli") -> Outcome:
    """A new version of document ``doc_id``: same id, the new file's text; the old file is archived."""
    return _store(settings, src, name or src.name, doc_id, overrides or {}, by, replacing=doc_id)


def retire(settings: Settings, doc_id: str, reason: str | None = None, by: str = "cli") -> Outcome:
    corpus_dir = Path(settings.corpus_dir)
    with library_lock(corpus_dir, settings.index_dir):
        corpus = load_corpus(corpus_dir)
        doc = _existing(corpus, doc_id)
        if not doc.answerable:
            raise QAError("document_retired", f"文件已是“{doc.status}”状态：{doc.id}", f"document {doc.id} is already {doc.status}", status=409)
        lib = load_library(corpus_dir)
        entry = lib.documents.get(doc.id) or LibraryEntry(id=doc.id)
        lib.documents[doc.id] = entry.model_copy(update={"status": "retired", "retired_reason": reason or ""})
        lib.record("retire", doc.id, by=by, detail=reason)
        return _publish(settings, lib, "retire", [doc.id], undo=lambda: None)


def _store(settings: Settings, src: Path, name: str, doc_id: str | None, overrides: dict[str, str], by: str,
           replacing: str | None) -> Outcome:
    corpus_dir = Path(settings.corpus_dir)
    suffix = _check_file(settings, src, name)
    _check_overrides(overrides)
    with library_lock(corpus_dir, settings.index_dir):
        corpus = load_corpus(corpus_dir)
        if replacing:
            old_doc = _existing(corpus, replacing)
            doc_id = replacing = old_doc.id  # the id, also when named by 文号
            overrides = _inherited(old_doc) | overrides
        docs, items = _parse_staged(src, suffix, doc_id or "new-document")
        doc_id = doc_id or _new_id(corpus, docs[0], name)
        if not replacing:
            _check_id(corpus, load_library(corpus_dir), doc_id)
        if len(docs) > 1:  # one id per file: a compilation would give its documents one id
            raise bad_file(f"文件包含{len(docs)}个文件（汇编），请逐个添加", f"the file holds {len(docs)} documents (a compilation): add them one by one")
        _check_duplicates(corpus, docs[0].model_copy(update=overrides), items, ignore=replacing)
        target = corpus_dir / f"{doc_id}{suffix}"
        owned = load_library(corpus_dir).documents.get(doc_id)
        if target.exists() and not (owned and owned.file == target.name):  # never overwrite a hand-placed file
            raise QAError("document_exists", f"语料目录中已有同名文件：{target.name}，请用 --id 另取编号",
                          f"corpus/{target.name} exists and is not this document's: choose another --id", status=409, field="id")
        return _commit(settings, src, target, doc_id, name, overrides, by, replacing)


def _commit(settings: Settings, src: Path, target: Path, doc_id: str, name: str, overrides: dict[str, str], by: str,
            replacing: str | None) -> Outcome:
    """Write the file and the library entry, publish; on any failure restore both."""
    corpus_dir = target.parent
    lib = load_library(corpus_dir)
    old = lib.documents.get(doc_id)
    archived = _archive(corpus_dir, old.file) if old and old.file else None
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(src, tmp)
    target_existed = target.exists()
    tmp.replace(target)
    entry = LibraryEntry(id=doc_id, file=target.name, original_name=name, sha256=_sha256(target), overrides=overrides, added_at=now())
    lib.documents[doc_id] = entry
    lib.record("replace" if replacing else "add", doc_id, file=target.name, by=by, detail=name)

    def undo() -> None:  # the files; _publish puts the library back
        if not target_existed:
            target.unlink(missing_ok=True)
        if archived:
            shutil.copyfile(archived, corpus_dir / old.file)

    if archived and old.file != target.name:
        (corpus_dir / old.file).unlink(missing_ok=True)  # the old version's file now lives in .archive/
    return _publish(settings, lib, "replace" if replacing else "add", [doc_id], undo)


def _publish(settings: Settings, lib: Library, action: str, doc_ids: list[str], undo) -> Outcome:
    from .index.store import build_index

    t0 = time.perf_counter()
    corpus_dir = Path(settings.corpus_dir)
    path = corpus_dir / LIBRARY_NAME
    before = path.read_bytes() if path.exists() else None
    try:
        save_library(corpus_dir, lib)
        corpus = load_corpus(corpus_dir)
        manifest = build_index(settings, corpus=corpus, progress=False)
    except BaseException:
        if before is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(before)
        undo()
        raise
    docs = [d for d in corpus.documents if d.id in doc_ids]
    n_items = sum(1 for i in corpus.items if i.doc_id in doc_ids)
    warnings = [n for d in docs for n in d.notes if "没有文字层" in n]
    return Outcome(action, docs, n_items, manifest["embedded_new"], manifest["build_id"], round(time.perf_counter() - t0, 2), warnings)


DATE_RE = re.compile(r"^\d{4}(?:-\d{2}-\d{2})?$")


def _check_overrides(overrides: dict[str, str]) -> None:
    """Corrections are applied on every load: a bad one must be refused now, not break loading later."""
    bad = sorted(set(overrides) - set(OVERRIDABLE))
    if bad:
        raise QAError("invalid_request", f"不能修改的字段：{bad}", f"fields that cannot be set: {bad}")
    if "level" in overrides and overrides["level"] not in {l.value for l in Level}:
        raise QAError("invalid_request", f"级别只能是 {'、'.join(l.value for l in Level)}：{overrides['level']}",
                      f"level must be one of {', '.join(l.value for l in Level)}", field="level")
    if "date" in overrides and not DATE_RE.match(overrides["date"]):
        raise QAError("invalid_request", f"日期格式应为 2023-06-03 或 2023：{overrides['date']}", "date must be YYYY-MM-DD or YYYY", field="date")


def _check_file(settings: Settings, src: Path, name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise bad_file(f"不支持的文件格式“{suffix or '无扩展名'}”（支持：{'、'.join(SUFFIXES)}）",
                       f"unsupported file type {suffix!r} (supported: {', '.join(SUFFIXES)})", "unsupported_format")
    size = src.stat().st_size
    if size > settings.max_upload_mb * 1024 * 1024:
        raise bad_file(f"文件太大（{size / 1048576:.1f} MB），上限为 {settings.max_upload_mb} MB",
                       f"the file is {size / 1048576:.1f} MB; the limit is {settings.max_upload_mb} MB (QA_MAX_UPLOAD_MB)", "file_too_large")
    if size == 0:
        raise bad_file("文件为空", "the file is empty")
    return suffix


def _parse_staged(src: Path, suffix: str, doc_id: str) -> tuple[list[Document], list[Item]]:
    """Parse the file under its final id in a scratch folder: nothing in corpus/ is touched."""
    from .corpus.catalog import CatalogEntry

    with tempfile.TemporaryDirectory(prefix="qa-docs-") as tmp:
        staged = Path(tmp) / f"{doc_id}{suffix}"
        shutil.copyfile(src, staged)
        try:
            docs, items = parse_file(staged, [CatalogEntry(file=staged.name, id=doc_id)])
        except CorpusFileError as e:
            raise bad_file(e.zh, e.en) from None
    if not docs or not any(i.kind not in ("header", "signature", "footer") for i in items):
        raise bad_file("文件中没有识别出任何条款", "no clauses were recognized in the file")
    return docs, items


def _inherited(old: Document) -> dict[str, str]:
    """A new version keeps what the administrator or catalog.toml said of the old one's place
    (region, level): the text of a new version rarely says it better."""
    return {k: v for k, v in (("region", old.region), ("level", old.level.value if old.level else None)) if v}


def _existing(corpus: Corpus, key: str) -> Document:
    d = corpus.document(key)
    if d is None:
        raise QAError("document_not_found", f"找不到文件：{key}（qa-service docs list 列出全部文件）", f"no document {key!r}", status=404, field="doc_id")
    return d


def _check_id(corpus: Corpus, lib: Library, doc_id: str) -> None:
    if not ID_RE.match(doc_id):
        raise QAError("invalid_request", f"文件编号只能由小写字母、数字和“-”组成：{doc_id}", f"a document id is lowercase letters, digits and '-': {doc_id!r}", field="id")
    if any(d.id == doc_id for d in corpus.documents) or doc_id in lib.documents:
        raise QAError("document_exists", f"文件编号已存在：{doc_id}（替换请用 docs replace）", f"document id {doc_id!r} exists (use docs replace)", status=409, field="id")


def text_hash(items: list[Item]) -> str:
    """What two copies of one document share whatever their format: the clauses' text."""
    return hashlib.sha256("".join(re.sub(r"\s+", "", i.text) for i in items if i.kind not in ("header",)).encode()).hexdigest()


def _check_duplicates(corpus: Corpus, doc: Document, items: list[Item], ignore: str | None) -> None:
    new = text_hash(items)
    for d in corpus.documents:
        if d.id == ignore or not d.answerable:
            continue
        if doc.doc_number and d.doc_number == doc.doc_number:
            raise QAError("duplicate_document", f"文号 {doc.doc_number} 已在文件库中：{d.id}《{d.title}》（更新请用 docs replace {d.id}）",
                          f"document number {doc.doc_number} is already in the library as {d.id} (use docs replace)", status=409)
        if text_hash(corpus.items_by_doc[d.id]) == new:
            raise QAError("duplicate_document", f"内容与已有文件相同：{d.id}《{d.title}》", f"the same text as document {d.id} is already in the library", status=409)


def _new_id(corpus: Corpus, doc: Document, name: str) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", Path(name).stem.lower())[:40].strip("-")
    base = stem if len(stem) >= 3 and not stem.isdigit() else f"doc-{doc.year or 'x'}-{hashlib.sha1(doc.title.encode()).hexdigest()[:6]}"
    taken = {d.id for d in corpus.documents}
    return next(c for c in (base, *(f"{base}-{n}" for n in range(2, 1000))) if c not in taken)


def _archive(corpus_dir: Path, file: str) -> Path | None:
    src = corpus_dir / file
    if not src.exists():
        return None
    dst = corpus_dir / ".archive" / f"{time.strftime('%Y%m%dT%H%M%S')}-{file}"
    dst.parent.mkdir(exist_ok=True)
    shutil.copyfile(src, dst)
    return dst


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def list_documents(settings: Settings) -> list[dict]:
    """Every document, retired ones too, with its status, period and item count."""
    corpus = load_corpus(settings.corpus_dir)
    lib = load_library(settings.corpus_dir)
    return [d.model_dump(mode="json") | {"items": len(corpus.items_by_doc[d.id]),
                                          "added_at": lib.documents[d.id].added_at if d.id in lib.documents else None}
            for d in corpus.documents]


def history(settings: Settings) -> list[dict]:
    return [c.model_dump(mode="json") for c in load_library(settings.corpus_dir).history]
