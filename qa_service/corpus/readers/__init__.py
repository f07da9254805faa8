"""Policy files in the formats governments publish -> the plain text the pipeline reads.

Each reader returns the document's text as lines (with ``# Page N:`` markers where the
format has pages, so that citations keep their page) and the metadata the file itself
states (a web page's ``ArticleTitle``/``PubDate``/``ContentSource``, a Word or PDF
title). The text then goes through the same normalize → paragraphs → documents →
structure → items pipeline as a ``.txt``: one parser, whatever the format.

>>> reader_for("通知.PDF").__name__, reader_for("a.htm").__name__
('read_pdf', 'read_html')
>>> reader_for("a.doc") is None
True
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

TEXT_SUFFIXES = (".txt", ".md")
CONVERTED_SUFFIXES = (".docx", ".pdf", ".html", ".htm")
SUFFIXES = TEXT_SUFFIXES + CONVERTED_SUFFIXES


@dataclass
class Extracted:
    text: str  # lines joined by "\n"; blank lines separate blocks
    format: str  # docx | pdf | html
    meta: dict[str, str] = field(default_factory=dict)  # title / date / issuer as the file states them
    warnings: list[str] = field(default_factory=list)  # what was left out (pages without text …)


def reader_for(name: str | Path) -> Callable[[Path, bytes], Extracted] | None:
    suffix = Path(name).suffix.lower()
    if suffix == ".docx":
        from .docx import read_docx

        return read_docx
    if suffix == ".pdf":
        from .pdf import read_pdf

        return read_pdf
    if suffix in (".html", ".htm"):
        from .html import read_html

        return read_html
    return None
