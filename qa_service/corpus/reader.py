"""Reading one source file into normalized physical lines, refusing what is not text.

``.txt``/``.md`` are read as UTF-8 here; ``.docx``, ``.pdf`` and ``.html`` are first
turned into text by :mod:`qa_service.corpus.readers`, then read the same way.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
>>> _ = p.write_text("\\n# Page 12:\\n一、总体要求\\n\\n坚持 2023 年\\n", encoding="utf-8")
>>> [(l.no, l.text, l.page, l.blank_before) for l in read_lines(p)]
[(3, '一、总体要求', 12, False), (5, '坚持2023年', 12, True)]
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .normalize import MD_HEADING_RE, PAGE_RE, RULE_RE, normalize_line


class CorpusFileError(ValueError):
    """A source file that cannot be read as policy text; the message names the file."""

    def __init__(self, path: Path, reason_zh: str, reason_en: str):
        self.path = path
        self.zh, self.en = reason_zh, reason_en
        super().__init__(f"{path.name}: {reason_zh} / {reason_en}")


@dataclass
class Line:
    no: int  # 1-based line number in the source file
    text: str  # normalized
    raw: str
    page: int | None
    blank_before: bool  # a blank line (or rule) separates it from the previous text line
    md_level: int  # markdown heading level, 0 if none


def decode(path: Path, data: bytes) -> str:
    if not data.strip():
        raise CorpusFileError(path, "文件为空", "file is empty")
    if b"\x00" in data[:65536]:
        raise CorpusFileError(path, "二进制文件，不是文本", "binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise CorpusFileError(path, f"不是 UTF-8 编码（第 {e.start} 字节）", f"not UTF-8 (byte {e.start})") from None
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\n\r\t\f")
    if controls > max(8, len(text) // 200):
        raise CorpusFileError(path, "含大量控制字符，不像文本", "too many control characters for text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_source(path: Path) -> tuple[list[Line], dict[str, str], list[str]]:
    """A file of any supported format: its lines, the metadata the file states, and warnings."""
    from .readers import reader_for

    data = path.read_bytes()
    reader = reader_for(path)
    if reader is None:
        return lines_of(path, decode(path, data)), {}, []
    if not data.strip():
        raise CorpusFileError(path, "文件为空", "file is empty")
    from .readers.cache import extract_cached

    got = extract_cached(path, data, reader)
    return lines_of(path, got.text), got.meta, got.warnings


def read_lines(path: Path) -> list[Line]:
    """Non-empty lines with their page (from ``# Page N:`` markers) and layout flags."""
    return read_source(path)[0]


def lines_of(path: Path, text: str) -> list[Line]:
    out: list[Line] = []
    page: int | None = None
    blank = False
    for no, raw in enumerate(text.split("\n"), start=1):
        m = PAGE_RE.match(raw)
        if m:
            # the blank line printed before a page marker is layout, not a paragraph break
            page, blank = int(m.group(1)), False
            continue
        if not raw.strip() or RULE_RE.match(raw):
            blank = True
            continue
        md = MD_HEADING_RE.match(raw)
        norm = normalize_line(raw)
        if not norm:
            blank = True
            continue
        out.append(Line(no, norm, raw, page, blank, len(md.group(1)) if md else 0))
        blank = False
    if not out:
        raise CorpusFileError(path, "没有可读的文字", "no readable text")
    return out
