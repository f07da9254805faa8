"""Text PDFs (pypdf): the text layer of each page, behind a ``# Page N:`` marker.

pypdf and pdfplumber both reproduced a generated Chinese PDF's text exactly (character
similarity 1.0 on the 14,210 characters of the 渭滨区 plan); pypdf took 0.3 s against
0.9 s and needs no pdfminer, so it is the one used. Its layout mode keeps each printed
line's indent and length, which tells where a paragraph ends: a line that stops short
of the right margin, or a next line that is indented or numbered. Paragraphs are
rebuilt from that here, so a title stays apart from the text under it. Checked on PDFs
with reportlab's CID font and with an embedded TrueType subset (as Word exports them,
WenQuanYi Micro Hei, first-line indents): the 渭滨区 plan and the 西安2022 list give the
.txt's 88 and 225 items exactly; reading takes ~0.1 s a page (cached, see cache.py).

A page with no text layer is a scanned image: a file with none at all is refused with a
message saying it needs OCR, a file with some is read and the missing pages are reported.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

from ..reader import CorpusFileError
from . import Extracted

# the page number printed in the margin (— 3 —, -3-, 第3页) is not part of the text
PAGE_NUMBER_RE = re.compile(r"^\s*(?:[-—–－]\s*\d{1,4}\s*[-—–－]|第\s*\d{1,4}\s*页(?:\s*共\s*\d+\s*页)?|\d{1,4})\s*$")
MIN_PAGE_CHARS = 10  # fewer than this on a page: a scan, a blank page or a stamp


def read_pdf(path: Path, data: bytes) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        _unlock(path, reader)
        pages = [page.extract_text(extraction_mode="layout") or "" for page in reader.pages]
    except CorpusFileError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as e:
        raise CorpusFileError(path, f"PDF 文件已损坏，无法读取（{type(e).__name__}）", f"the PDF is damaged and cannot be read ({e})") from None
    return _assemble(path, pages, _title(reader))


def _unlock(path: Path, reader) -> None:
    """Many published PDFs are encrypted only against editing, with an empty open password:
    those read normally. One that needs a password to open cannot be added."""
    if not reader.is_encrypted:
        return
    try:
        ok = reader.decrypt("")
    except Exception as e:  # e.g. AES without the cryptography package
        raise CorpusFileError(path, f"PDF 已加密，无法解密（{type(e).__name__}）：请提供未加密的文件",
                              f"the PDF is encrypted and cannot be decrypted ({e}): provide an unencrypted file") from None
    if not ok:
        raise CorpusFileError(path, "PDF 已加密，需要密码才能打开：请提供未加密的文件",
                              "the PDF is encrypted with a password: provide an unencrypted file")


def _assemble(path: Path, pages: list[str], title: str | None) -> Extracted:
    out: list[str] = []
    empty: list[int] = []
    printed = [[l for l in text.split("\n") if l.strip() and not PAGE_NUMBER_RE.match(l)] for text in pages]
    full = measure([l for page in printed for l in page])
    for n, lines in enumerate(printed, start=1):
        if sum(len(l.strip()) for l in lines) < MIN_PAGE_CHARS:
            empty.append(n)
            continue
        out += [f"# Page {n}:", *paragraphs(lines, full)]
    if not out:
        raise CorpusFileError(path, f"PDF 没有文字层（共{len(pages)}页，可能是扫描件），需要OCR识别后再添加",
                              f"the PDF has no text layer ({len(pages)} pages, probably scanned): it needs OCR before it can be added")
    if garbled(out):
        raise CorpusFileError(path, "PDF 的文字层是乱码（字体缺少编码映射），需要OCR识别后再添加",
                              "the PDF's text layer is garbled (fonts without a Unicode mapping): it needs OCR before it can be added")
    warnings = [f"第{'、'.join(map(str, empty))}页没有文字层（可能是扫描页），其内容未收录 / pages {empty} have no text layer and were left out"] if empty else []
    return Extracted("\n".join(out), "pdf", {"title": title} if title else {}, warnings)


def garbled(lines: list[str]) -> bool:
    """A text layer whose fonts map to no Unicode reads as private-use or stray symbols.

    >>> garbled(["一、总体要求", "企业开办时间压减至1个工作日。"]), garbled(["\ue012\ue0a1\ue3f0\u25a1\ue001好"])
    (False, True)
    """
    text = "".join(l for l in lines if not l.startswith("# Page")).replace(" ", "")
    readable = sum(1 for c in text if c.isascii() or "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f"
                   or "\uff00" <= c <= "\uffef" or "\u2000" <= c <= "\u206f")
    return bool(text) and readable < 0.7 * len(text)


def _title(reader) -> str | None:
    try:
        t = (reader.metadata or {}).get("/Title")
    except Exception:
        return None
    return str(t).strip() if t and re.search(r"[\u4e00-\u9fff]", str(t)) else None


def width(s: str) -> int:
    """Printed width in half-width columns: anything but ASCII is two."""
    return sum(1 if ord(c) < 128 else 2 for c in s)  # CJK, fullwidth and typographic punctuation alike


def measure(lines: list[str]) -> int:
    """The width of a full line: the second widest, so that one overlong line (a table row,
    a wide heading) does not set it; a document's measure is the same on every page."""
    widths = sorted((width(l.rstrip()) for l in lines), reverse=True)
    return widths[1] if len(widths) > 1 else (widths[0] if widths else 0)


def paragraphs(lines: list[str], full: int | None = None) -> list[str]:
    """Printed lines -> one line per paragraph: a line that fills the measure continues,
    unless the next one is indented or starts with a numbering marker.

    >>> paragraphs(["一、总体要求", "坚持以人民为中心，推动经济社会高质", "量发展，加快打造一流营商环境。为扎", "实开展突破年活动，现提出如下方案。",
    ...             "  1.优化企业开办。推进涉企审批减环", "节、减材料。"])
    ['一、总体要求', '坚持以人民为中心，推动经济社会高质量发展，加快打造一流营商环境。为扎实开展突破年活动，现提出如下方案。', '1.优化企业开办。推进涉企审批减环节、减材料。']
    """
    from ..markers import match_marker

    lines = [l.rstrip() for l in lines if l.strip()]
    if not lines:
        return []
    full = full or measure(lines)
    margin = min(len(l) - len(l.lstrip()) for l in lines)
    out: list[str] = []
    joining = False
    for line in lines:
        indent = len(line) - len(line.lstrip()) - margin
        text = line.strip()
        if joining and indent < 2 and not match_marker(text):
            out[-1] += text
        else:
            out.append(text)
        joining = width(line) >= full - 3 and full >= 20  # within a character of the measure
    return out
