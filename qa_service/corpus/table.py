"""A linearized table (序号 / 改革事项 / 具体措施 / 来源) back into rows.

In the OCR text each cell is wrapped to its column width: the serial number on
its own line, the narrow 改革事项 cell in lines of at most ~6 characters, the
具体措施 cell in wider lines, and the 来源 cell (a province or city) on its own
line — which the page layout sometimes prints before the measure's last lines.

>>> rows, groups, _ = parse_table(["一、打造政务环境", "1", "提高市场主", "体质量", "推动“个转企”增量提质，允许保留", "统一代码", "安徽省"])
>>> (rows[0].subject, rows[0].measure, rows[0].source, groups[1])
('提高市场主体质量', '推动“个转企”增量提质，允许保留统一代码', '安徽省', ('一、', '打造政务环境'))
"""
from __future__ import annotations

import re

from ..models import TableRow
from .markers import L1_RE
from .normalize import cjk_len

HEADER_RE = re.compile(r"^序号.*(?:改革事项|事项).*来源")
PLACE_RE = re.compile(r"^[\u4e00-\u9fff]{2,8}(?:省|市|自治区|特别行政区|新区)$")
SHAANXI = ("陕西", "西安", "宝鸡", "咸阳", "铜川", "渭南", "延安", "榆林", "汉中", "安康", "商洛", "杨凌", "韩城", "西咸")
SUBJECT_MAX = 7  # the 改革事项 column wraps at about six characters


def is_table(first_text: str) -> bool:
    return bool(HEADER_RE.match(first_text))


def parse_table(lines: list[str]) -> tuple[list[TableRow], dict[int, tuple[str, str]], dict[int, tuple[int, int]]]:
    """Rows; for each serial the (marker, title) of its group heading; and the
    (start, end) indices of its lines in ``lines``."""
    rows_lines: list[tuple[int, list[str]]] = []
    spans: dict[int, tuple[int, int]] = {}
    groups: dict[int, tuple[str, str]] = {}
    group = ("", "")
    expect = 1
    for k, text in enumerate(lines):
        m = L1_RE.match(text)
        if m:
            group = (m.group(0).strip(), text[m.end():])
            continue
        if text.isdigit() and int(text) == expect:
            rows_lines.append((expect, []))
            groups[expect] = group
            spans[expect] = (k, k + 1)
            expect += 1
            continue
        if rows_lines:
            rows_lines[-1][1].append(text)
            spans[rows_lines[-1][0]] = (spans[rows_lines[-1][0]][0], k + 1)
    return [_row(n, ls) for n, ls in rows_lines], groups, spans


def _row(serial: int, lines: list[str]) -> TableRow:
    i = 0
    subject = []
    while i < len(lines) and cjk_len(lines[i]) <= SUBJECT_MAX:
        subject.append(lines[i])
        i += 1
    rest = lines[i:]
    source, src_at, src_len = "", None, 0
    for k, t in enumerate(rest):
        if PLACE_RE.match(t):
            source, src_at, src_len = t, k, 1
        elif k + 1 < len(rest) and cjk_len(rest[k + 1]) <= 2 and PLACE_RE.match(t + rest[k + 1]):
            source, src_at, src_len = t + rest[k + 1], k, 2
    measure = rest if src_at is None else rest[:src_at] + rest[src_at + src_len :]
    return TableRow(serial=serial, subject="".join(subject), measure="".join(measure), source=source)


def is_other_province(row: TableRow) -> bool:
    return bool(row.source) and not row.source.startswith(SHAANXI)
