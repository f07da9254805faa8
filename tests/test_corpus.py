"""The corpus parser on the real policy texts, checked against ../shared/corpus-source
(documents.json and inventory.md, read by hand) and the gold quotes of dev.jsonl."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

from qa_service.corpus.loader import load_corpus
from qa_service.models import Scope

from .conftest import CORPUS_DIR


def ws(s: str) -> str:
    return re.sub(r"\s+", "", s)


def find_doc(corpus, entry):
    """Our document for a documents.json entry: same title, whitespace ignored."""
    hits = [d for d in corpus.documents if ws(d.title) == ws(entry["title"])]
    assert len(hits) == 1, f"{entry['title']} found {len(hits)} times"
    return hits[0]


def test_all_sixteen_documents_with_their_metadata(corpus, documents_json):
    assert len(documents_json) == 16
    assert len(corpus.documents) == 16
    for e in documents_json:
        d = find_doc(corpus, e)
        assert d.doc_number == e["doc_number"], d.id
        # documents.json adds the 落款 to the issuer of 782号: the issuer is the part before it
        assert d.issuer == (e["issuer"].split("（落款")[0] if e["issuer"] else None), d.id
        assert d.date == e["date"], d.id
        assert d.region.split("（")[0] == e["region"].split("(")[0], d.id
        assert d.level.value == e["level"].split(" ")[0], d.id
        # every item of the document lies inside the document's lines in its source file
        assert e["line_start"] <= d.line_start + 1 and d.line_end <= e["line_end"] + 1, (d.id, d.line_start, d.line_end)


def test_signer_of_the_782_notice_is_kept(corpus):
    d = corpus.document("陕发改营商〔2023〕782号")
    assert d.signer == "陕西省优化提升营商环境工作领导小组办公室（代章）"


# Numbered items per document, as inventory.md counts them. Our parser finds exactly
# these; 渭滨区 adds the 3 numbered goals under 一、（二） to its 80 tasks (inventory: "80 (+3 goals)").
EXPECTED_NUMBERED = {
    "xa-2022-tasks": 209,
    "xa-2021-6": 73,
    "weibin-2023": 83,
    "sx-ip-2023-27": 11,
    "sx-amr-2023-85": 34,
    "sx-2023-breakthrough": 35,
    "sx-2023-1": 31,
    "yanan-2023-private-economy": 38,
    "xy-2023-10": 33,
    "xy-2023-11": 28,
    "tc-2023-5": 62,
    "xixian-2020": 47,
}


def test_numbered_item_counts_match_the_inventory(corpus):
    for doc_id, n in EXPECTED_NUMBERED.items():
        items = corpus.items_by_doc[doc_id]
        numbered = [i for i in items if i.number and i.number[0].isdigit()]
        assert len(numbered) == n, doc_id


def test_documents_whose_lowest_level_is_a_chinese_numbered_paragraph(corpus):
    # 跨部门综合监管: 三、重点任务 （一）-（十六）; 二十四条措施: （一）-（二十四）
    tasks = [i for i in corpus.items_by_doc["sx-2023-11"] if i.path[:1] == ["三、"] and len(i.path) == 2]
    assert len(tasks) == 16
    measures = [i for i in corpus.items_by_doc["xa-zjj-2023-81"] if i.kind == "measure"]
    assert len(measures) == 24
    assert [i.path[-1] for i in corpus.items_by_doc["sx-2023-2"] if i.kind == "measure"] == ["一、", "二、", "三、"]


def test_the_other_provinces_table_is_one_item_per_row_and_flagged(corpus):
    rows = [i for i in corpus.items_by_doc["sx-fgw-2023-782"] if i.kind == "table_row"]
    assert [r.table_row.serial for r in rows] == list(range(1, 31))
    assert all(r.scope == Scope.other_province for r in rows)
    assert {r.table_row.source for r in rows} == {"安徽省", "上海市", "北京市", "江苏省", "深圳市", "成都市", "浙江省", "青岛市", "宁夏回族自治区"}
    r30 = rows[-1]
    assert r30.table_row.subject == "无事不扰企业" and "每月1-25日为“企业安静生产期”" in r30.text
    # the 来源 cell printed before the measure's last line (a page break): the measure is whole
    r27 = rows[26]
    assert r27.table_row.source == "深圳市" and r27.table_row.measure.endswith("专业化、个性化的服务")
    assert rows[0].heading_path[-1] == "打造办事更高效的政务环境"
    case = [i for i in corpus.items_by_doc["sx-fgw-2023-782"] if i.kind == "case_study"]
    assert len(case) == 5 and all(i.scope == Scope.case_study for i in case)


def test_item_texts_are_clean(corpus):
    for it in corpus.items:
        t = it.text
        assert "# Page" not in t and "\n" not in t, it.id
        assert not re.search(r"\*\*|^#|\\_|\[bookmark|\]\(mailto", t), it.id
        assert not re.search(r"\d[ \u3000]+[\u4e00-\u9fff]|[\u4e00-\u9fff][ \u3000]+\d", t), it.id
        assert not re.search(r"[\u4e00-\u9fff，。、][ \u3000]+[\u4e00-\u9fff]", t), it.id


def test_no_item_straddles_two_documents(corpus):
    docs = {d.id: d for d in corpus.documents}
    for it in corpus.items:
        d = docs[it.doc_id]
        assert it.source_file == d.source_file
        assert d.line_start <= it.line_start <= it.line_end <= d.line_end, it.id


def test_every_gold_quote_is_inside_one_clause_of_its_document(corpus, dev_questions):
    """No clause lost, split or merged with a neighbour from another document."""
    docs = {d.id: d for d in corpus.documents}
    checked = 0
    for q in dev_questions:
        for g in q["gold"]:
            hits = [i for i in corpus.items if g["quote"] in ws(i.text)]
            assert hits, (q["id"], g["quote"])
            for h in hits:
                assert docs[h.doc_id].matches(g["doc"]), (q["id"], g["doc"], h.id)
            checked += 1
    assert checked >= 60


def test_spot_checks_in_every_document(corpus):
    def item(iid):
        it = corpus.item(iid)
        assert it is not None, iid
        return it

    # 西安2022清单: full-width ．on item 107, numbering runs on across sections
    it = item("xa-2022-tasks:s3.107") if corpus.item("xa-2022-tasks:s3.107") else next(i for i in corpus.items_by_doc["xa-2022-tasks"] if i.number == "107．")
    assert it.number == "107．" and it.citation_path().endswith("第107条")
    assert item("xa-2022-tasks:h").text.startswith("《西安市2022年优化营商环境重点任务清单》内容摘要")
    # 市政办发〔2021〕6号: title spaces gone, 具体措施 restart at 1, a "1. 2021年…" marker, the
    # note printed as its own paragraph, the character doubled across a break repaired
    d = corpus.document("市政办发〔2021〕6号")
    assert " " not in d.title and d.attachment_title.startswith("西安市贯彻落实全国深化")
    m = item("xa-2021-6:s3.t11.1")
    assert m.text.startswith("2021年3月底前") and m.citation_path() == "三、（十一）具体措施第1条"
    m = item("xa-2021-6:s2.t10.1")
    assert m.text.endswith("按职责分工负责）") and m.responsibility.lead == ["市市场监管局"]
    assert "要切实完善工作机制" in item("xa-2021-6:n.s4").text
    assert item("xa-2021-6:s5.t23.m1").kind == "measure"
    # 渭滨: goals and tasks numbered separately; item 29's stray "。" stays with it
    assert item("weibin-2023:s1.t2.1").kind == "goal"
    w = item("weibin-2023:s2.t1.1")
    assert w.text.startswith("优化企业开办") and d.cite(w) != ""
    assert corpus.document("weibin-2023").cite(w) == "《渭滨区推进营商环境突破年实施方案》二、（一）第1条"
    assert item("weibin-2023:s2.t3.29").text.endswith("。")
    # 跨部门综合监管: 〔…〕 notes over many lines
    t = item("sx-2023-11:s3.t1")
    assert t.responsibility.lead == ["省政府办公厅", "省市场监管局"] and t.page_start == 1481
    # 知识产权: several contact notes inside one item
    ip = item("sx-ip-2023-27:s4.9")
    assert [c.phone for c in ip.responsibility.contacts] == ["63916865", "63916862"]
    # 市场监管: 完成时限
    assert item("sx-amr-2023-85:s3.t1.1").responsibility.deadline == "2023年底前"
    # 突破年实施意见: the three unnumbered targets stay in 工作目标
    assert "突破一批短板弱项" in item("sx-2023-breakthrough:s1.t2").text
    # 秦务员 (省): "N、" markers, a marker alone on its line
    assert item("sx-2023-1:s2.t2.11").number.startswith("11")
    # 住建 二十四条: （N） as the lowest level
    assert item("xa-zjj-2023-81:s4.t24").text.startswith("推行包容审慎监管")
    # 延安: 落实 units
    y = item("yanan-2023-private-economy:s3.t7.25")
    assert "按4∶3∶2∶1的比例分担风险" in y.text and y.responsibility.lead == ["市财政局"]
    # 咸阳: items directly under 一、 (no （一） level), the 文号 of each
    assert item("xy-2023-10:s5.17").path == ["五、", "17."]
    assert corpus.document("xy-2023-11").doc_number == "咸政办发〔2023〕11号"
    # 铜川: 具体举措 restart per task and a single unnumbered 具体举措 paragraph
    assert item("tc-2023-5:s1.t3.m1").text.startswith("具体举措：")
    # 西咸: [bookmark] prefix gone, half-width "3." among full-width, 牵头单位：…；配合单位：…
    assert item("xixian-2020:s3.t1.2").text.startswith("促进招标投标市场公平竞争")
    assert item("xixian-2020:s3.t7.3").number == "3."
    assert item("xixian-2020:s3.t2.2").responsibility.lead == ["新区农业农村局"]
    # an OCR'd e-mail repaired
    assert "ysbyx002@163.com" in item("sx-fgw-2023-782:n.s4").text


def test_ids_are_stable_and_unaffected_by_other_documents(tmp_path, corpus):
    ids = [i.id for i in corpus.items]
    assert len(ids) == len(set(ids))
    copy = tmp_path / "corpus"
    shutil.copytree(CORPUS_DIR, copy)
    # edit another document: insert an item into 渭滨区's plan
    p = copy / "weibin-2023-breakthrough-year-plan.txt"
    p.chmod(0o644)
    p.write_text(p.read_text(encoding="utf-8").replace("二、重点任务\n", "二、重点任务\n新增的一段说明文字，不影响其他文件。\n"), encoding="utf-8")
    again = load_corpus(copy)
    others = {i.id: i.text for i in again.items if i.doc_id != "weibin-2023"}
    assert others == {i.id: i.text for i in corpus.items if i.doc_id != "weibin-2023"}


def test_bad_files_are_reported_by_name_and_the_rest_loads(tmp_path):
    shutil.copy(CORPUS_DIR / "weibin-2023-breakthrough-year-plan.txt", tmp_path)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02PK\x03\x04" * 100)
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 politique".encode("latin-1"))
    (tmp_path / "plain.txt").write_text("这是一段没有任何编号的说明文字。\n第二段也没有编号，只是普通文字。\n", encoding="utf-8")
    c = load_corpus(tmp_path)
    msgs = " ".join(c.errors)
    for name, why in (("empty.txt", "empty"), ("binary.txt", "binary"), ("latin1.txt", "UTF-8")):
        assert name in msgs and why in msgs
    assert {d.source_file for d in c.documents} == {"weibin-2023-breakthrough-year-plan.txt", "plain.txt"}
    plain = [i for i in c.items if i.source_file == "plain.txt"]
    assert plain and all(i.kind in ("header", "preamble", "paragraph") for i in plain)
    assert "第二段也没有编号" in "".join(i.text for i in plain)


def test_corpus_cli(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "qa_service.cli", *a], capture_output=True, text=True, timeout=120)
    r = run("corpus", "list", "--json")
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 16
    r = run("corpus", "show", "咸政办发〔2023〕10号", "s5.17")
    assert r.returncode == 0 and "《咸阳市2023年深化“放管服”改革工作要点》五、第17条" in r.stdout
    r = run("corpus", "show", "不存在的文件")
    assert r.returncode == 2 and "找不到文件" in r.stderr
    out = tmp_path / "items.jsonl"
    r = run("corpus", "export", "--format", "jsonl", "-o", str(out))
    assert r.returncode == 0
    import json

    rows = [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) > 900 and {"id", "text", "doc_title", "doc_number", "citation", "responsibility"} <= set(rows[0])
