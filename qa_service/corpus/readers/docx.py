"""Word ``.docx``: body paragraphs and tables in document order.

A table row becomes one line with its cells joined by `` | `` (a cell merged over
several columns is repeated by Word's model; it is written once). Headers and footers
of the page (page numbers, a masthead repeated on every page) are not body text and
are left out.
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from ..reader import CorpusFileError
from . import Extracted

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .doc (and .wps) container
CJK_RE = re.compile(r"[\u4e00-\u9fff]")


def read_docx(path: Path, data: bytes) -> Extracted:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    _check_container(path, data)
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as e:
        raise CorpusFileError(path, f"Word 文件已损坏，无法打开（{type(e).__name__}）", f"the Word file is damaged and cannot be opened ({e})") from None
    lines = list(_body_lines(document))
    meta = {}
    title = (document.core_properties.title or "").strip()
    if CJK_RE.search(title):  # "Microsoft Word - 1.doc" and template names are not titles
        meta["title"] = title
    return Extracted("\n".join(lines), "docx", meta)


def _check_container(path: Path, data: bytes) -> None:
    if data.startswith(OLE_MAGIC):
        raise CorpusFileError(path, "这是旧版 Word（.doc）文件，只是改了扩展名：请在 Word/WPS 中另存为 .docx 或 PDF 后再添加",
                              "this is an old Word .doc file renamed .docx: save it as .docx or PDF and add that")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise CorpusFileError(path, "不是有效的 .docx 文件（文件已损坏或格式不符）", "not a valid .docx file (damaged or another format)")


def _body_lines(document):
    """Paragraph and table-row lines in the order they are printed."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            yield Paragraph(block, document).text.strip()
        elif tag == "tbl":
            yield ""  # a table is its own block
            for row in Table(block, document).rows:
                cells = _dedupe([c.text.strip().replace("\n", " ") for c in row.cells])
                if any(cells):
                    yield " | ".join(cells)
            yield ""


def _dedupe(cells: list[str]) -> list[str]:
    """A merged cell appears once per column it spans; keep it once."""
    out: list[str] = []
    for c in cells:
        if not out or c != out[-1]:
            out.append(c)
    return out
