"""Readers: real .docx, PDF and HTML files made from a seed document's text give the same
items and citations as the .txt of that text; bad files are refused with a clear message.

Tolerance: for texts in one-paragraph-per-line layout (渭滨区, 西安2022清单, 西咸) every item —
id, kind, path, text and citation — is identical in all three formats. For a text whose
.txt breaks sentences over blank lines (市政办发〔2021〕6号), the .txt repairs a character
doubled across such a break (切实\\n\\n实完善) that a Word/PDF paragraph never has: there at
least 95% of the items are identical and all ids are.
"""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from qa_service.corpus.loader import parse_file
from qa_service.corpus.normalize import RULE_RE, strip_markdown
from qa_service.corpus.reader import CorpusFileError
from qa_service.corpus.validity import period_of, replaced_names, validity
from qa_service.models import Document

from .conftest import CORPUS_DIR
from .docfiles import make_docx, make_html, make_pdf

EXACT_SEEDS = ["weibin-2023-breakthrough-year-plan.txt", "xian-2022-key-tasks-summary.txt", "xixian-2020-2022-major-projects-action-plan.txt"]
MAKERS = {
    "docx": lambda text, p: make_docx(text, p),
    "pdf": lambda text, p: make_pdf(text, p),
    "html": lambda text, p: make_html(text, p, title="某文件", date="2023-03-01", source="某区人民政府办公室"),
}
NOTICE = """陕西省人民政府办公厅文件
陕政办发〔2024〕9号
陕西省人民政府办公厅关于进一步优化营商环境的若干措施
各设区市人民政府，省人民政府各工作部门、各直属机构：
现将有关措施通知如下。
一、提升企业开办便利度
1.企业开办时间压减至0.5个工作日以内，全面推行企业开办“一网通办”。（省市场监管局牵头）
2.企业注销实现1个工作日内办结。（省市场监管局、省税务局按职责分工负责）
二、优化政务服务
3.推行“免证办”服务，政务服务事项全程网办率达到90%以上。（省政务服务局牵头）
陕西省人民政府办公厅
2024年2月20日
"""


def seed_text(name: str) -> str:
    """The seed as the words a Word or PDF file would print: no markdown marks, no rules."""
    raw = (CORPUS_DIR / name).read_text(encoding="utf-8")
    return "\n".join(strip_markdown(l) for l in raw.split("\n") if not RULE_RE.match(l))


def parsed(path: Path):
    docs, items = parse_file(path)
    d = docs[0]
    return d, [(i.id.split(":", 1)[1], i.kind, tuple(i.path), i.text, d.cite(i)) for i in items]


@pytest.mark.parametrize("fmt", MAKERS)
@pytest.mark.parametrize("seed", EXACT_SEEDS)
def test_each_format_gives_the_items_and_citations_of_the_txt(tmp_path, seed, fmt):
    text = seed_text(seed)
    (tmp_path / "doc.txt").write_text(text, encoding="utf-8")
    ref_doc, ref = parsed(tmp_path / "doc.txt")
    doc, got = parsed(MAKERS[fmt](text, tmp_path / f"doc.{fmt}"))
    assert len(ref) > 50
    assert got == ref
    assert doc.title == ref_doc.title


@pytest.mark.parametrize("fmt", MAKERS)
def test_blank_line_layout_within_tolerance(tmp_path, fmt):
    text = seed_text("xian-2021-shizhengbanfa-6-fangguanfu-measures.txt")
    (tmp_path / "doc.txt").write_text(text, encoding="utf-8")
    _, ref = parsed(tmp_path / "doc.txt")
    _, got = parsed(MAKERS[fmt](text, tmp_path / f"doc.{fmt}"))
    assert [g[0] for g in got] == [r[0] for r in ref]
    same = sum(1 for a, b in zip(ref, got) if a == b)
    assert same >= 0.95 * len(ref), f"{same}/{len(ref)} identical"


def test_metadata_is_read_where_the_document_prints_it(tmp_path):
    for path in (make_docx(NOTICE, tmp_path / "n.docx"), make_pdf(NOTICE, tmp_path / "n.pdf")):
        doc, items = parsed(path)
        assert doc.title == "陕西省人民政府办公厅关于进一步优化营商环境的若干措施", path.suffix
        assert (doc.doc_number, doc.issuer, doc.date) == ("陕政办发〔2024〕9号", "陕西省人民政府办公厅", "2024-02-20"), path.suffix
        assert ("s1.1", "measure") == items[2][:2] or any(i[0] == "s1.1" for i in items)


def test_a_web_page_without_a_date_in_its_text_takes_the_page_metadata(tmp_path):
    text = seed_text("weibin-2023-breakthrough-year-plan.txt")
    docs, items = parse_file(make_html(text, tmp_path / "w.html", title="渭滨区推进营商环境突破年实施方案", date="2023-03-01", source="渭滨区人民政府办公室"))
    assert docs[0].date == "2023-03-01"
    everything = "".join(i.text for i in items)
    for chrome in ("ICP", "首页", "相关文章", "浏览次数", "分享到", "当前位置"):
        assert chrome not in everything


def test_pdf_items_keep_their_pages_and_drop_printed_page_numbers(tmp_path):
    docs, items = parse_file(make_pdf(seed_text("weibin-2023-breakthrough-year-plan.txt"), tmp_path / "w.pdf"))
    pages = {i.page_start for i in items}
    assert min(pages) == 1 and max(pages) >= 5
    assert not any("—" in i.text and i.text.strip("— 0123456789") == "" for i in items)
    assert docs[0].page_end >= 5


def test_docx_tables_become_one_line_per_row(tmp_path):
    table = [["序号", "任务", "牵头单位"], ["1", "优化企业开办", "区行政审批局"], ["2", "方便企业注销", "区市场监管局"]]
    docs, items = parse_file(make_docx(NOTICE, tmp_path / "t.docx", table=table))
    text = "\n".join(i.text for i in items)
    assert "1|优化企业开办|区行政审批局" in text.replace(" ", "")


BAD = {
    "empty.docx": lambda p: p.write_bytes(b""),
    "old.docx": lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000),
    "junk.docx": lambda p: p.write_bytes(b"not a zip file at all" * 50),
    "locked.pdf": lambda p: make_pdf(NOTICE, p, encrypt="secret"),
    "scan.pdf": lambda p: make_pdf(NOTICE, p, image_only=True),
    "broken.pdf": lambda p: p.write_bytes(b"%PDF-1.4\n" + b"garbage" * 100),
    "nav.html": lambda p: p.write_text("<html><body><div class='nav'><a>首页</a></div></body></html>", encoding="utf-8"),
}
MESSAGES = {"empty.docx": "文件为空", "old.docx": "旧版 Word（.doc）", "junk.docx": "不是有效的 .docx", "locked.pdf": "PDF 已加密",
            "scan.pdf": "需要OCR", "broken.pdf": "PDF 文件已损坏", "nav.html": "没有找到正文"}


@pytest.mark.parametrize("name", BAD)
def test_bad_files_are_refused_with_a_message_in_both_languages(tmp_path, name):
    path = tmp_path / name
    BAD[name](path)
    with pytest.raises(CorpusFileError) as e:
        parse_file(path)
    msg = str(e.value)
    assert msg.startswith(name) and MESSAGES[name] in msg and " / " in msg
    assert any(c.isascii() and c.isalpha() for c in msg.split(" / ", 1)[1])


def test_a_pdf_encrypted_only_against_editing_reads(tmp_path):
    from reportlab.lib import pdfencrypt

    enc = pdfencrypt.StandardEncryption("", ownerPassword="owner", canPrint=1, canModify=0)
    docs, items = parse_file(make_pdf(NOTICE, tmp_path / "ro.pdf", encrypt=enc))
    assert docs[0].doc_number == "陕政办发〔2024〕9号"


def test_the_corpus_folder_loads_the_new_formats_beside_the_texts(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS_DIR / "weibin-2023-breakthrough-year-plan.txt", corpus)
    make_docx(NOTICE, corpus / "notice.docx")
    from qa_service.corpus.loader import load_corpus

    c = load_corpus(corpus)
    assert not c.errors and {d.id for d in c.documents} == {"weibin-2023-breakthrough-year-plan", "notice"}


# -- validity -------------------------------------------------------------------------------
def test_periods_as_documents_state_them():
    assert period_of("某三年行动方案（2023—2025年）", [], None)[:2] == ("2023-01-01", "2025-12-31")
    assert period_of("某方案", ["本方案自2024年3月1日起施行，有效期五年。"], "2024-02-20")[:2] == ("2024-03-01", "2029-02-28")
    assert period_of("某办法", ["本办法自印发之日起施行，有效期至2027年12月31日。"], "2024-02-20")[:2] == ("2024-02-20", "2027-12-31")
    assert period_of("西安市2022年优化营商环境重点任务清单", [], "2022")[:2] == ("2022-01-01", "2022-12-31")
    assert period_of("某实施意见", ["坚持2023年目标。"], "2023-06-03") == (None, None, None)


def test_status_follows_the_period_and_the_lifecycle():
    d = Document(id="x", title="t", source_file="x.txt", valid_until="2025-12-31")
    assert validity(d, date(2025, 12, 31)).status == "现行"
    assert validity(d, date(2026, 1, 1)).status == "已到期"
    assert validity(d.model_copy(update={"retired_reason": ""}), date(2025, 1, 1)).status == "已废止"
    assert validity(d.model_copy(update={"replaced_by": "y"}), date(2025, 1, 1)).status == "被替代"
    assert replaced_names(["原《西安市优化营商环境办法》和《西安市优化营商环境实施细则》同时废止。"]) == ["西安市优化营商环境办法", "西安市优化营商环境实施细则"]
    assert replaced_names(["原则上同时废止有关规定。"]) == []


def test_the_real_documents_periods(corpus):
    xixian = corpus.document("xixian-2020")
    assert (xixian.valid_from, xixian.valid_until) == ("2020-01-01", "2022-12-31")
    yanan = corpus.document("yanan-2023-private-economy")
    assert yanan.validity_basis.endswith("有效期三年") and yanan.valid_until == "2026-04-28"
    from qa_service.corpus.loader import load_corpus

    then = load_corpus(CORPUS_DIR, today=date(2024, 1, 1))
    assert then.document("yanan-2023-private-economy").status == "现行"
    assert then.document("xixian-2020").status == "已到期"
    assert not [d.id for d in then.documents if not d.answerable]


def test_a_gbk_encoded_government_page_reads(tmp_path):
    """Many government sites still serve GB2312/GBK pages: the page's own charset is used."""
    utf8 = make_html(NOTICE, tmp_path / "u.html", title="若干措施")
    gbk = tmp_path / "g.html"
    gbk.write_bytes(utf8.read_text(encoding="utf-8").replace('charset="utf-8"', 'charset="gbk"').encode("gbk"))
    assert parsed(gbk)[1] == parsed(utf8)[1]


def test_an_older_table_laid_out_page_reads_like_the_txt(tmp_path):
    """GB2312, the article in a layout table's cell, lines separated by <br>, no known container."""
    text = seed_text("weibin-2023-breakthrough-year-plan.txt")
    (tmp_path / "doc.txt").write_text(text, encoding="utf-8")
    _, ref = parsed(tmp_path / "doc.txt")
    doc, got = parsed(make_html(text, tmp_path / "old.html", title="渭滨区推进营商环境突破年实施方案", old_style=True))
    body = [g for g in got if g[1] != "header"]
    assert body == [r for r in ref if r[1] != "header"]
    assert not any(w in "".join(g[3] for g in got) for w in ("网站首页", "版权所有", "通知公告"))


def test_converted_text_is_cached_by_file_content(tmp_path, monkeypatch):
    from qa_service.corpus.readers import pdf

    path = make_pdf(NOTICE, tmp_path / "n.pdf")
    first = parsed(path)
    calls = []
    monkeypatch.setattr(pdf, "read_pdf", lambda *a: calls.append(a) or pytest.fail("read again"))
    assert parsed(path) == first and calls == []  # the second load reads the cache
    assert len(list((tmp_path / ".extracted").iterdir())) == 1
    make_pdf(NOTICE.replace("0.5个工作日", "0.3个工作日"), path)  # a changed file is read afresh
    monkeypatch.undo()
    assert any("0.3个工作日" in i[3] for i in parsed(path)[1])


def test_an_article_in_a_print_area_is_not_taken_for_page_chrome(tmp_path):
    page = make_html(NOTICE, tmp_path / "p.html", title="若干措施").read_text(encoding="utf-8")
    page = page.replace('class="TRS_Editor" id="zoom"', 'id="printContent"')  # no known container at all
    (tmp_path / "p.html").write_text(page, encoding="utf-8")
    doc, items = parsed(tmp_path / "p.html")
    assert doc.doc_number == "陕政办发〔2024〕9号" and any(i[0] == "s2.3" for i in items)
    assert not any(w in "".join(i[3] for i in items) for w in ("相关文章", "ICP", "当前位置"))
