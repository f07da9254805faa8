"""Physical lines -> paragraphs, whatever the layout of the source file.

Three layouts occur:

* ``blank``: paragraphs separated by blank lines, sometimes broken mid-sentence
  with a blank line between the halves (Word/PDF conversions);
* ``lines``: one paragraph per line;
* ``wrapped``: OCR text hard-wrapped every ~40 characters, where only numbering
  markers and special lines (dates, 文号, signatures, attachment notes) show where
  a paragraph starts.

>>> from qa_service.corpus.reader import Line
>>> ls = [Line(1, "一、总体要求", "", None, False, 0), Line(2, "坚持以人民为中心，推动", "", None, False, 0),
...       Line(3, "高质量发展。", "", None, False, 0), Line(4, "1.优化企业开办。", "", None, False, 0)]
>>> [p.text for p in to_paragraphs(ls, "wrapped")]
['一、总体要求坚持以人民为中心，推动高质量发展。', '1.优化企业开办。']
"""
from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from .markers import (
    ATTACH_RE,
    DATE_IN_TITLE_RE,
    DATE_LINE_RE,
    DOCHDR_RE,
    DOCNO_RE,
    FOOTER_RE,
    ORG_LINE_RE,
    match_marker,
)
from .normalize import cjk_len, join_fragments
from .notes import ends_with_note
from .reader import Line

TERMINAL = "。；！？：:;!?"
TITLE_END_RE = re.compile(r"(?:方案|措施|意见|清单|要点|办法|规定|计划|模式|通知|细则|条例|摘要|[）)])$")
_PUNCT_ONLY_RE = re.compile(r"^[。，、；：,.;:）)〕”’]+$")


@dataclass
class Para:
    lines: list[Line] = field(default_factory=list)
    text: str = ""
    title_block: bool = False  # an attachment/part title assembled from wrapped lines

    def add(self, line: Line) -> None:
        self.text = join_fragments(self.text, line.text, across_blank=line.blank_before) if self.lines else line.text
        self.lines.append(line)

    @property
    def line_start(self) -> int:
        return self.lines[0].no

    @property
    def line_end(self) -> int:
        return self.lines[-1].no

    @property
    def pages(self) -> tuple[int | None, int | None]:
        pages = [l.page for l in self.lines if l.page is not None]
        return (pages[0], pages[-1]) if pages else (None, None)

    @property
    def md_level(self) -> int:
        return self.lines[0].md_level


def detect_layout(lines: list[Line]) -> str:
    """'blank', 'lines' or 'wrapped' from simple statistics of the file."""
    if len(lines) < 3:
        return "lines"
    blank_share = sum(l.blank_before for l in lines) / len(lines)
    if blank_share > 0.3:
        return "blank"
    open_ends = sum(1 for l in lines if l.text[-1] not in TERMINAL + "）)〕”") / len(lines)
    p90 = statistics.quantiles([cjk_len(l.text) for l in lines], n=10)[-1]
    return "wrapped" if open_ends > 0.4 and p90 < 60 else "lines"


def is_special(text: str) -> bool:
    """Lines that always stand alone: dates, 文号, attachment notes, footers."""
    return bool(
        DATE_LINE_RE.match(text)
        or DOCNO_RE.match(text)
        or ATTACH_RE.match(text)
        or FOOTER_RE.match(text)
        or text in ("特此通知。", "（此件公开发布）", "(此件公开发布)")
    )


def starts_block(text: str) -> bool:
    return bool(match_marker(text) or DOCHDR_RE.match(text) or is_special(text))


def _is_signature_org(lines: list[Line], i: int) -> bool:
    """An issuer line followed (maybe after a second issuer line) by a date line."""
    if not ORG_LINE_RE.match(lines[i].text):
        return False
    for j in (i + 1, i + 2):
        if j < len(lines) and DATE_LINE_RE.match(lines[j].text):
            return True
        if j < len(lines) and not ORG_LINE_RE.match(lines[j].text):
            return False
    return False


def to_paragraphs(lines: list[Line], layout: str) -> list[Para]:
    if layout == "wrapped":
        return _wrapped(lines)
    return _line_based(lines, has_markdown=any(l.md_level for l in lines))


def _line_based(lines: list[Line], has_markdown: bool) -> list[Para]:
    paras: list[Para] = []
    for i, line in enumerate(lines):
        prev = paras[-1] if paras else None
        if prev is not None and _continues(prev, line, lines, i, has_markdown):
            prev.add(line)
        else:
            p = Para()
            p.add(line)
            paras.append(p)
    return paras


def _continues(prev: Para, line: Line, lines: list[Line], i: int, has_markdown: bool) -> bool:
    """Is ``line`` the rest of a sentence that ``prev`` broke off?"""
    if _PUNCT_ONLY_RE.match(line.text):
        return True
    last = prev.lines[-1]
    if line.md_level or last.md_level or starts_block(line.text) or is_special(last.text):
        return False
    if _is_signature_org(lines, i) or ORG_LINE_RE.match(last.text):
        return False
    if last.text[-1] in TERMINAL + "）)〕":
        return False
    # Without markdown, headings are plain short lines: only a long line can be a broken one.
    return has_markdown or cjk_len(last.text) >= 45


def _wrapped(lines: list[Line]) -> list[Para]:
    paras: list[Para] = []
    i = 0
    # a title follows a signature date, an "附件N" or "附件：" line, a 文号 line, and opens a
    # file (a PDF's first line); without this it ran on into the first paragraph
    title_next = True
    while i < len(lines):
        line = lines[i]
        text = line.text
        prev = paras[-1] if paras else None
        if title_next and not starts_block(text):
            block, i = _title_block(lines, i)
            title_next = False
            if block is not None:
                paras.append(block)
                continue
        new = (
            prev is None
            or starts_block(text)
            or _is_signature_org(lines, i)
            or is_special(prev.lines[-1].text)
            or prev.title_block
            or (prev.lines and _is_signature_org(lines, i - 1))
            or (ends_with_note(prev.text) and not text.startswith(("（", "(", "〔")))
            # a compilation's document header closes with its date: （2023年6月3日）
            or (DOCHDR_RE.match(prev.text) and DATE_IN_TITLE_RE.search(prev.text))
        )
        if _PUNCT_ONLY_RE.match(text) and prev is not None:
            new = False
        if new:
            p = Para()
            p.add(line)
            paras.append(p)
        else:
            prev.add(line)
        m = ATTACH_RE.match(text)
        title_next = (bool(DATE_LINE_RE.match(text) and not text.endswith("印发")) or bool(m and not m.group(2))
                      or bool(DOCNO_RE.match(text)))
        i += 1
    return paras


def _title_block(lines: list[Line], i: int) -> tuple[Para | None, int]:
    """Up to three short lines ending like a title (…实施方案, …（2023-2025年）)."""
    for n in range(1, 4):
        if i + n > len(lines):
            break
        chunk = lines[i : i + n]
        if any(starts_block(l.text) for l in chunk):
            break
        joined = "".join(l.text for l in chunk)
        if TITLE_END_RE.search(chunk[-1].text) and "。" not in joined and cjk_len(joined) <= 80:
            p = Para(title_block=True)
            for l in chunk:
                p.add(l)
            return p, i + n
    if i < len(lines) and lines[i].text in ("（此件公开发布）", "(此件公开发布)"):
        return None, i
    return None, i
