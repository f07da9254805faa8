"""``corpus/library.json``: the document lifecycle, written by ``qa-service docs`` and the
admin API, never by hand.

``catalog.toml`` stays what a person wrote about the original texts; the library records
what the administrator did since: which file holds a document added or replaced, the
corrections made to what the parser read (title, region, level …), which documents are
retired and why, and a history of every change (when, what, by whom). It is rewritten
atomically as a whole.

>>> lib = Library()
>>> lib.record("add", "doc-1", file="doc-1.pdf", by="cli")
>>> lib.history[0].action, lib.history[0].doc_id
('add', 'doc-1')
"""
from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from ..models import Document, Level
from .catalog import CatalogEntry

LIBRARY_NAME = "library.json"
OVERRIDABLE = ("title", "doc_number", "issuer", "date", "region", "level")


class LibraryEntry(BaseModel):
    id: str
    file: str | None = Field(None, description="the file in corpus/ holding it; None = where catalog.toml says")
    original_name: str | None = None
    sha256: str | None = None  # of the file as added
    status: Literal["active", "retired"] = "active"
    retired_reason: str | None = None
    overrides: dict[str, str] = Field(default_factory=dict, description="corrections of what the parser read")
    added_at: str | None = None


class Change(BaseModel):
    at: str
    action: Literal["add", "replace", "retire"]
    doc_id: str
    file: str | None = None
    by: str = "cli"
    detail: str | None = None


class Library(BaseModel):
    version: int = 1
    documents: dict[str, LibraryEntry] = Field(default_factory=dict)
    history: list[Change] = Field(default_factory=list)

    def record(self, action: str, doc_id: str, *, file: str | None = None, by: str = "cli", detail: str | None = None) -> None:
        self.history.append(Change(at=now(), action=action, doc_id=doc_id, file=file, by=by, detail=detail))

    def catalog_entries(self) -> list[CatalogEntry]:
        """Entries that give an added file's documents their ids, ahead of catalog.toml's."""
        return [CatalogEntry(file=e.file, id=e.id) for e in self.documents.values() if e.file]

    def apply(self, doc: Document) -> Document | None:
        """The document as the library has it: corrected, marked retired; None when the
        library says this id now lives in another file (the version it replaced)."""
        e = self.documents.get(doc.id)
        if e is None:
            return doc
        if e.file and e.file != doc.source_file:
            return None
        update: dict = {k: v for k, v in e.overrides.items() if k in OVERRIDABLE}
        if "level" in update:
            update["level"] = Level(update["level"])
        if e.status == "retired":
            update["retired_reason"] = e.retired_reason or ""
        return doc.model_copy(update=update) if update else doc


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def load_library(corpus_dir: Path) -> Library:
    path = Path(corpus_dir) / LIBRARY_NAME
    if not path.exists():
        return Library()
    return Library.model_validate_json(path.read_text(encoding="utf-8"))


def save_library(corpus_dir: Path, lib: Library) -> None:
    path = Path(corpus_dir) / LIBRARY_NAME
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(lib.model_dump_json(indent=2))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
