"""The document lifecycle on a copy of the real corpus and index: add, replace, retire,
bad files that change nothing, the admin API, and a live server that keeps answering
while a document is added."""
from __future__ import annotations

import hashlib
import shutil
import threading
import time
from pathlib import Path

import httpx
import pytest

from qa_service import docs
from qa_service.config import Settings
from qa_service.corpus.loader import load_corpus
from qa_service.errors import QAError
from qa_service.index.store import build_index, load_index

from .conftest import CORPUS_DIR, ROOT, LiveServer
from .docfiles import make_docx, make_html, make_pdf
from .test_readers import NOTICE, seed_text

pytestmark = pytest.mark.slow
# a policy that says something no other document says, so that questions find it
NEW_POLICY = NOTICE.replace("陕政办发〔2024〕9号", "陕政办发〔2024〕19号").replace("“免证办”服务", "“秦务员”数字人帮办服务").replace(
    "陕西省人民政府办公厅\n2024年2月20日", "三、附则\n本措施自2024年3月1日起施行，有效期三年。\n陕西省人民政府办公厅\n2024年2月20日")
REPEALING = NOTICE.replace("陕政办发〔2024〕9号", "陕政办发〔2024〕21号").replace("二、优化政务服务", "二、附则\n原《西咸新区优化营商环境推进重大项目建设三年行动方案（2020年—2022年）》同时废止。\n三、优化政务服务")


@pytest.fixture(scope="session")
def pristine(tmp_path_factory):
    """The real corpus and an index built from it (from the embedding cache: seconds)."""
    base = tmp_path_factory.mktemp("library")
    shutil.copytree(CORPUS_DIR, base / "corpus")
    (base / "index").mkdir()
    if (ROOT / "index" / "cache").is_dir():
        shutil.copytree(ROOT / "index" / "cache", base / "index" / "cache")
    build_index(Settings(corpus_dir=base / "corpus", index_dir=base / "index"), progress=False)
    return base


@pytest.fixture
def lib(pristine, tmp_path):
    """A private copy of corpus and index per test."""
    shutil.copytree(pristine / "corpus", tmp_path / "corpus")
    shutil.copytree(pristine / "index", tmp_path / "index")
    return Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", reload_interval=0.2, admin_keys="admin-secret")


def snapshot(s: Settings) -> dict:
    """Everything an operation may write: the corpus folder and the published build."""
    files = {p.name: hashlib.sha1(p.read_bytes()).hexdigest() for p in Path(s.corpus_dir).iterdir() if p.is_file() and not p.name.startswith(".")}
    return {"files": files, "current": (Path(s.index_dir) / "CURRENT").read_text()}


def test_adding_a_document_embeds_only_its_items_and_publishes_in_seconds(lib, tmp_path):
    before = load_index(lib, check_stale=False)
    t0 = time.perf_counter()
    out = docs.add(lib, make_docx(NEW_POLICY, tmp_path / "new.docx"), doc_id="sx-2024-19", overrides={"region": "陕西省"})
    seconds = time.perf_counter() - t0
    after = load_index(lib, check_stale=False)
    assert out.items >= 6 and out.embedded_new == out.items  # the 959 others came from the cache
    assert after.manifest["item_count"] == before.manifest["item_count"] + out.items
    assert after.path != before.path and seconds < 60
    d = after.docs_by_id["sx-2024-19"]
    assert (d.doc_number, d.date, d.status, d.valid_until) == ("陕政办发〔2024〕19号", "2024-02-20", "现行", "2027-02-28")
    assert (Path(lib.corpus_dir) / "sx-2024-19.docx").exists()
    assert [c["action"] for c in docs.history(lib)] == ["add"]
    # the 16 documents keep their ids and item ids
    old_ids = {i.id for i in before.items}
    assert old_ids <= {i.id for i in after.items}
    print(f"add one document: {seconds:.1f}s")


@pytest.mark.parametrize("fmt", ["pdf", "html"])
def test_pdf_and_html_add_like_word(lib, tmp_path, fmt):
    path = make_pdf(NEW_POLICY, tmp_path / "n.pdf") if fmt == "pdf" else make_html(NEW_POLICY, tmp_path / "n.html", title="若干措施")
    out = docs.add(lib, path)
    assert out.documents[0].doc_number == "陕政办发〔2024〕19号" and out.items >= 6


def bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    big = tmp_path / "big.html"
    with open(big, "wb") as f:
        f.truncate(21 * 1024 * 1024)
    old = tmp_path / "old.docx"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000)
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    return {
        "empty": (empty, "文件为空"),
        "encrypted": (make_pdf(NEW_POLICY, tmp_path / "locked.pdf", encrypt="secret"), "PDF 已加密"),
        "image-only": (make_pdf(NEW_POLICY, tmp_path / "scan.pdf", image_only=True), "需要OCR"),
        "doc renamed": (old, "旧版 Word"),
        "too large": (big, "文件太大"),
        "same text": (make_docx(seed_text("weibin-2023-breakthrough-year-plan.txt"), tmp_path / "dup.docx"), "内容与已有文件相同"),
        "same 文号": (make_docx(NOTICE.replace("陕政办发〔2024〕9号", "陕政办函〔2023〕5号").replace("陕政办", "铜政办"), tmp_path / "no.docx"), "已在文件库中"),
        "unsupported": (tmp_path / "a.doc", "不支持的文件格式"),
        "compilation": (make_docx(seed_text("shaanxi-2023-yearbook-policy-compilation.txt"), tmp_path / "book.docx"), "汇编"),
    }


def test_bad_files_change_nothing(lib, tmp_path):
    (tmp_path / "a.doc").write_bytes(b"x" * 100)
    before = snapshot(lib)
    for what, (path, message) in bad_files(tmp_path).items():
        with pytest.raises(QAError) as e:
            docs.add(lib, path)
        assert message in e.value.zh, (what, e.value.zh)
        assert e.value.en and e.value.code, what
        assert snapshot(lib) == before, what
    assert not (Path(lib.corpus_dir) / "library.json").exists()


def test_a_failed_build_puts_everything_back(lib, tmp_path, monkeypatch):
    before = snapshot(lib)

    def broken(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr("qa_service.index.store.build_index", broken)
    with pytest.raises(OSError):
        docs.add(lib, make_docx(NEW_POLICY, tmp_path / "n.docx"))
    assert snapshot(lib) == before
    assert not (Path(lib.corpus_dir) / "library.json").exists()


def test_replace_keeps_the_id_and_archives_the_old_file(lib, tmp_path):
    new_text = seed_text("weibin-2023-breakthrough-year-plan.txt").replace("1个工作日以内", "0.5个工作日以内")
    out = docs.replace(lib, "weibin-2023", make_docx(new_text, tmp_path / "weibin-v2.docx"))
    idx = load_index(lib, check_stale=False)
    items = [i for i in idx.items if i.doc_id == "weibin-2023"]
    assert out.embedded_new >= 1 and len(items) == 88
    assert any("0.5个工作日以内" in i.text for i in items)
    assert idx.docs_by_id["weibin-2023"].source_file == "weibin-2023.docx"
    assert idx.docs_by_id["weibin-2023"].region == "渭滨区（宝鸡市）"  # catalog.toml's place carries over
    # a hand-placed text stays where it is; the library says which file now holds the id
    assert (Path(lib.corpus_dir) / "weibin-2023-breakthrough-year-plan.txt").exists()
    assert [c["action"] for c in docs.history(lib)] == ["replace"]
    # a document inside the yearbook compilation: the new version replaces it, its neighbours stay
    docs.replace(lib, "sx-2023-2", make_docx(NOTICE, tmp_path / "x.docx"))
    c = load_corpus(lib.corpus_dir)
    assert len(c.documents) == 16 and c.document("sx-2023-2").source_file == "sx-2023-2.docx"
    assert c.document("sx-2023-1").source_file == "shaanxi-2023-yearbook-policy-compilation.txt"
    # a document added by the tool: the new version takes its place, the old file is archived
    docs.add(lib, make_pdf(NEW_POLICY, tmp_path / "v1.pdf"), doc_id="sx-2024-19")
    docs.replace(lib, "陕政办发〔2024〕19号", make_docx(NEW_POLICY.replace("0.5个工作日", "0.3个工作日"), tmp_path / "v2.docx"))
    corpus = Path(lib.corpus_dir)
    assert not (corpus / "sx-2024-19.pdf").exists() and (corpus / "sx-2024-19.docx").exists()
    assert [p.name.split("-", 1)[1] for p in (corpus / ".archive").iterdir()] == ["sx-2024-19.pdf"]
    assert "0.3个工作日" in load_index(lib, check_stale=False).items_by_id["sx-2024-19:s1.1"].text


def test_retired_and_repealed_documents_are_listed_but_not_answered(lib, tmp_path):
    docs.retire(lib, "xa-2021-6", reason="已被新文件替代")
    docs.add(lib, make_docx(REPEALING, tmp_path / "r.docx"), doc_id="sx-2024-21")
    rows = {r["id"]: r for r in docs.list_documents(lib)}
    assert rows["xa-2021-6"]["status"] == "已废止" and rows["xa-2021-6"]["retired_reason"] == "已被新文件替代"
    assert rows["xixian-2020"]["status"] == "被替代" and rows["xixian-2020"]["replaced_by"] == "sx-2024-21"
    idx = load_index(lib, check_stale=False)
    assert not {"xa-2021-6", "xixian-2020"} & {i.doc_id for i in idx.items}
    assert {"xa-2021-6", "xixian-2020"} <= set(idx.docs_by_id)  # still listed
    with pytest.raises(QAError) as e:
        docs.retire(lib, "xa-2021-6")
    assert e.value.code == "document_retired"


# -- a live server: the admin API, and questions answered all through an update ----------------
QUESTIONS = ["企业开办要几天", "信用修复要多久", "西咸新区用水报装是哪个局牵头的", "简易注销多久办结", "数字人帮办服务是什么"]


def ask(client: httpx.Client, srv, q: str) -> dict:
    r = client.post(srv.url + "/api/v1/ask", json={"question": q})
    assert r.status_code == 200, r.text
    return r.json()


def wait_for_build(client, srv, build_id: str) -> None:
    deadline = time.time() + 30
    while client.get(srv.url + "/readyz").json().get("build_id") != build_id:
        assert time.time() < deadline, "the new index was not picked up"
        time.sleep(0.1)


def test_a_live_server_answers_throughout_an_add_and_stops_citing_a_retired_document(lib, tmp_path):
    from qa_service.serve.api import create_app
    from qa_service.service import QAService

    qa = QAService.from_settings(lib.model_copy(update={"rate_limit": ""}))
    admin = {"Authorization": "Bearer admin-secret"}
    statuses: list[int] = []
    stop = threading.Event()
    with LiveServer(create_app(lib.model_copy(update={"rate_limit": ""}), service=qa, with_ui=False)) as srv, httpx.Client(timeout=60) as client:

        def hammer() -> None:
            with httpx.Client(timeout=60) as c:
                n = 0
                while not stop.is_set() and n < 2000:
                    statuses.append(c.post(srv.url + "/api/v1/ask", json={"question": QUESTIONS[n % len(QUESTIONS)]}).status_code)
                    n += 1

        threads = [threading.Thread(target=hammer) for _ in range(2)]
        for t in threads:
            t.start()
        assert client.post(srv.url + "/api/v1/admin/documents", files={"file": ("n.docx", b"x")}).status_code == 401
        path = make_docx(NEW_POLICY, tmp_path / "n.docx")
        r = client.post(srv.url + "/api/v1/admin/documents", headers=admin, data={"id": "sx-2024-19"},
                        files={"file": ("措施.docx", path.read_bytes())})
        assert r.status_code == 201, r.text
        wait_for_build(client, srv, r.json()["build_id"])
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join()
        assert len(statuses) > 20 and set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
        cited = {c["doc_id"] for c in ask(client, srv, "秦务员数字人帮办服务")["citations"]}
        assert "sx-2024-19" in cited
        r = client.delete(srv.url + "/api/v1/admin/documents/sx-2024-19", headers=admin, params={"reason": "测试"})
        assert r.status_code == 200, r.text
        wait_for_build(client, srv, r.json()["build_id"])
        a = ask(client, srv, "秦务员数字人帮办服务")
        assert "sx-2024-19" not in {c["doc_id"] for c in a["citations"] + a["related"]}
        listed = {d["id"]: d for d in client.get(srv.url + "/api/v1/admin/documents", headers=admin).json()}
        assert listed["sx-2024-19"]["status"] == "已废止"
        assert [h["action"] for h in client.get(srv.url + "/api/v1/admin/history", headers=admin).json()] == ["add", "retire"]
        bad = client.post(srv.url + "/api/v1/admin/documents", headers=admin, files={"file": ("scan.pdf", make_pdf(NOTICE, tmp_path / "s.pdf", image_only=True).read_bytes())})
        assert bad.status_code == 400 and "需要OCR" in bad.json()["message"] and bad.json()["message_en"]


def test_the_admin_api_is_off_without_admin_keys(lib):
    from qa_service.serve.api import create_app
    from qa_service.service import QAService

    settings = lib.model_copy(update={"admin_keys": "", "api_keys": "client-key"})
    with LiveServer(create_app(settings, service=QAService.from_settings(settings), with_ui=False)) as srv:
        r = httpx.get(srv.url + "/api/v1/admin/documents", headers={"Authorization": "Bearer client-key"})
        assert r.status_code == 403 and r.json()["code"] == "admin_disabled"


def test_answers_and_search_results_say_when_a_document_has_expired(lib):
    from qa_service.serve.present import search_hit
    from qa_service.service import QAService

    qa = QAService.from_settings(lib)
    a = qa.ask("西咸新区重大项目审批时间压减到多少")
    xixian = [c for c in a.citations if c.doc_id == "xixian-2020"]
    assert xixian and all((c.doc_status, c.valid_until) == ("已到期", "2022-12-31") for c in xixian)
    hits = [search_hit(h) for h in qa.search("企业开办").hits]
    statuses = {h.doc_id: h.doc_status for h in hits}
    assert statuses and all(statuses[k] == qa.index.docs_by_id[k].status for k in statuses)
    assert statuses.get("xa-2022-tasks") == "已到期"  # 西安市2022年…重点任务清单: its year is over


def test_an_upload_over_the_size_limit_is_refused_while_it_arrives(lib):
    from qa_service.serve.api import create_app

    settings = lib.model_copy(update={"max_upload_mb": 1})
    with LiveServer(create_app(settings, service=object(), with_ui=False), ready_path="/healthz") as srv:
        r = httpx.post(srv.url + "/api/v1/admin/documents", headers={"X-Admin-Key": "admin-secret"},
                       files={"file": ("big.pdf", b"%PDF" + b"0" * (2 * 1024 * 1024))}, timeout=60)
        assert r.status_code == 413 and r.json()["code"] == "file_too_large" and "1 MB" in r.json()["message"]
    assert not (Path(lib.corpus_dir) / "library.json").exists()


def test_corrections_are_applied_and_bad_ones_refused_before_anything_is_written(lib, tmp_path):
    path = make_docx(NEW_POLICY, tmp_path / "n.docx")
    before = snapshot(lib)
    for bad in ({"level": "county"}, {"date": "2024年2月"}, {"signer": "某人"}):
        with pytest.raises(QAError) as e:
            docs.add(lib, path, overrides=bad)
        assert e.value.code == "invalid_request" and snapshot(lib) == before
    # a hand-placed file of the same name is never overwritten
    (Path(lib.corpus_dir) / "taken.docx").write_bytes(b"mine")
    with pytest.raises(QAError) as e:
        docs.add(lib, path, doc_id="taken")
    assert e.value.code == "document_exists" and (Path(lib.corpus_dir) / "taken.docx").read_bytes() == b"mine"
    (Path(lib.corpus_dir) / "taken.docx").unlink()
    out = docs.add(lib, path, doc_id="sx-2024-19", overrides={"title": "关于进一步优化营商环境的若干措施（修正标题）", "level": "province", "date": "2024-02-21"})
    d = out.documents[0]
    assert (d.title, d.level.value, d.date) == ("关于进一步优化营商环境的若干措施（修正标题）", "province", "2024-02-21")
    assert load_index(lib, check_stale=False).docs_by_id["sx-2024-19"].title.endswith("（修正标题）")


def test_the_page_admin_panel_adds_and_retires_with_the_admin_key(lib, tmp_path):
    from qa_service.serve.ui_admin import AdminPanel

    panel = AdminPanel(lib, qa_getter=lambda: None)
    path = str(make_docx(NEW_POLICY, tmp_path / "措施.docx"))
    assert "管理密钥不正确" in panel.submit("wrong", "添加", path, "", "", "", "", "")
    assert "请先选择文件" in panel.submit("admin-secret", "添加", None, "", "", "", "", "")
    done = panel.submit("admin-secret", "添加", path, "sx-2024-19", "", "陕西省", "province", "")
    assert done.startswith("**已添加**") and "sx-2024-19" in done
    assert "需要OCR" in panel.submit("admin-secret", "添加", str(make_pdf(NOTICE, tmp_path / "s.pdf", image_only=True)), "", "", "", "", "")
    assert panel.submit("admin-secret", "废止", None, "sx-2024-19", "", "", "", "测试").startswith("**已废止**")
    assert [(c["action"], c["by"]) for c in docs.history(lib)] == [("add", "page"), ("retire", "page")]


def test_the_docs_commands(lib, tmp_path):
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")} | {
        "QA_CORPUS_DIR": str(lib.corpus_dir), "QA_INDEX_DIR": str(lib.index_dir), "COLUMNS": "200"}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "qa_service.cli", "docs", *args], env=env, capture_output=True, text=True, timeout=300)

    r = cli("add", str(make_docx(NEW_POLICY, tmp_path / "n.docx")), "--id", "sx-2024-19", "--region", "陕西省")
    assert r.returncode == 0, r.stderr
    assert "sx-2024-19" in r.stderr and "newly embedded" in r.stderr
    rows = {json.loads(l)["id"]: json.loads(l) for l in cli("list", "--json").stdout.splitlines()}
    assert len(rows) == 17 and rows["sx-2024-19"]["status"] == "现行" and rows["xixian-2020"]["status"] == "已到期"
    r = cli("add", str(make_pdf(NOTICE, tmp_path / "scan.pdf", image_only=True)))
    assert r.returncode == 2 and "需要OCR" in r.stderr and "needs OCR" in r.stderr
    r = cli("retire", "sx-2024-19", "--reason", "测试")
    assert r.returncode == 0 and "no longer answered" in r.stderr
