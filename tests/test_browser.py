"""The web page, end to end: headless Chromium against the live server (real index).

政策咨询 (ask, sources, follow-up), 坐席检索 (search as you type, highlights,
复制答复口径, bad input), 文件库 (documents and their clauses); plus the API routes
that must keep working with the page mounted at "/", and the page's handlers while the
service is still starting. Screenshots of each tab go to /tmp/ui-*.png.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
# a fixed, offline browser: no download, no background traffic
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TIMEOUT = 60_000  # ms; the first answer may wait for the models to warm up
SHOTS = Path("/tmp")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        why = f"{CHROMIUM} not found: install Debian's chromium package to run the browser tests"
        if os.environ.get("QA_REQUIRE_BROWSER") == "1":  # CI: a missing browser is a failure, not a skip
            pytest.fail(why)
        pytest.skip(why)
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server):
    from playwright.sync_api import expect

    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    pg = ctx.new_page()
    pg.set_default_timeout(TIMEOUT)
    pg.goto(live_server.url + "/")
    expect(pg.locator("#qa-status")).to_contain_text("已载入", timeout=TIMEOUT)  # filled in by the page's load event
    yield pg
    ctx.close()


def open_tab(pg, name: str) -> None:
    pg.get_by_role("tab", name=name).click()


def ask(pg, question: str) -> None:
    pg.locator("#chat-input textarea").fill(question)
    pg.locator("#chat-send").click()


# -- 政策咨询 ------------------------------------------------------------------------------------
def test_chat_answers_with_expandable_sources_and_follow_up(page, qa):
    from playwright.sync_api import expect

    expected = qa.ask("企业开办要几天")
    assert expected.found and expected.citations

    ask(page, "企业开办要几天")
    bot = page.locator('#chatbot [data-testid="bot"]').last
    expect(bot.locator(".qa-sources")).to_be_visible(timeout=TIMEOUT)
    text = bot.inner_text()
    assert "工作日" in text
    assert "[1]" in text
    assert "《" in bot.locator("details.qa-source summary").first.inner_text()
    assert "参考来源" in text

    # a source opens to the clause as printed
    first = bot.locator("details.qa-source").first
    clause = first.locator(".qa-clause")
    expect(clause).to_be_hidden()
    first.locator("summary").click()
    expect(clause).to_be_visible()
    expect(clause).to_contain_text(expected.citations[0].text[:15])
    page.screenshot(path=str(SHOTS / "ui-chat.png"), full_page=True)

    # a follow-up is read with the earlier question
    ask(page, "那西咸新区呢")
    expect(page.locator('#chatbot [data-testid="bot"]')).to_have_count(2, timeout=TIMEOUT)
    second = page.locator('#chatbot [data-testid="bot"]').last
    expect(second.locator(".qa-sources")).to_be_visible(timeout=TIMEOUT)
    assert "西咸新区" in second.inner_text() and "工作日" in second.inner_text()


# -- 坐席检索 ------------------------------------------------------------------------------------
def test_agent_search_highlights_and_copies_reply(page, qa):
    from playwright.sync_api import expect

    from qa_service.serve.present import reply_text

    hits = qa.search("简易注销").hits
    assert hits

    open_tab(page, "坐席检索")
    page.locator("#search-input textarea").fill("简易注销")  # no button: results come while typing
    cards = page.locator("#search-results .qa-card")
    expect(cards.first).to_be_visible(timeout=TIMEOUT)
    expect(cards.first.locator("mark").first).to_have_text("简易注销")
    assert "《" in cards.first.inner_text()
    expect(page.locator("#search-status")).to_contain_text("找到")

    page.get_by_role("button", name="复制答复口径").click()
    reply_box = page.locator("#reply-box textarea")
    expect(reply_box).to_have_value(reply_text(hits[0]))
    value = reply_box.input_value()
    assert value.startswith("根据《") and hits[0].item.text[:20] in value
    expect(page.locator("#copy-note")).to_contain_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == value
    page.screenshot(path=str(SHOTS / "ui-search.png"), full_page=True)

    # picking another result gives its reply
    page.locator("#reply-picker").get_by_text("2", exact=True).click()
    expect(reply_box).to_have_value(reply_text(hits[1]))

    # bad input: the Chinese message, never a traceback
    page.locator("#search-input textarea").fill("企" * 600)
    expect(page.locator("#search-status")).to_contain_text("问题太长", timeout=TIMEOUT)
    expect(cards).to_have_count(0)
    assert "Traceback" not in page.content()

    # an empty box clears the results
    page.locator("#search-input textarea").fill("简易注销")
    expect(cards.first).to_be_visible(timeout=TIMEOUT)
    page.locator("#search-input textarea").fill("")
    expect(cards).to_have_count(0, timeout=TIMEOUT)
    expect(reply_box).to_have_value("")


def test_agent_compares_a_measure_across_documents(page, qa):
    """指标对照: an agent picks a measure and sees every document's figure, ended plans marked."""
    from playwright.sync_api import expect

    open_tab(page, "坐席检索")
    page.get_by_text("指标对照：同一指标在各地、各文件中的数字").click()
    box = page.locator("#figures-measure input")
    box.click()
    box.fill("企业开办")
    page.get_by_role("option", name="企业开办", exact=True).click()
    table = page.locator("#figures-table table")
    expect(table).to_be_visible(timeout=TIMEOUT)
    expect(table).to_contain_text("0.5个工作日")
    expect(table).to_contain_text("1.5个工作日")
    expect(table.locator("tr", has_text="西咸新区").first).to_contain_text("已到期")
    page.screenshot(path=str(SHOTS / "ui-figures.png"), full_page=True)


# -- 文件库 --------------------------------------------------------------------------------------
def test_library_lists_documents_and_shows_items(page, qa):
    from playwright.sync_api import expect

    docs = qa.index.documents
    assert len(docs) == 16
    open_tab(page, "文件库")
    expect(page.locator("#doc-count")).to_contain_text("共 16 份文件")
    rows = page.locator('#doc-table div[role="row"]')  # Gradio's data rows (the header is a <tr>)
    expect(rows).to_have_count(16, timeout=TIMEOUT)
    expect(rows.first).to_contain_text(docs[0].title)
    page.screenshot(path=str(SHOTS / "ui-library.png"), full_page=True)

    # choosing a document shows its clauses
    rows.nth(1).locator("div, td").first.click()
    items = page.locator("#doc-items")
    expect(items).to_contain_text(docs[1].label(), timeout=TIMEOUT)
    n = sum(1 for it in qa.index.items if it.doc_id == docs[1].id)
    expect(items.locator("table.qa-items tbody tr")).to_have_count(n)
    page.screenshot(path=str(SHOTS / "ui-library-items.png"), full_page=True)


# -- the API around the page ----------------------------------------------------------------------
def test_api_routes_still_work_with_the_page_mounted(settings, qa):
    from fastapi.testclient import TestClient

    from qa_service.serve.api import create_app

    app = create_app(settings.model_copy(update={"rate_limit": ""}), service=qa)
    with TestClient(app) as c:
        r = c.get("/")
        assert r.status_code == 200 and "text/html" in r.headers["content-type"]
        assert c.get("/docs").status_code == 200
        assert "/api/v1/ask" in c.get("/openapi.json").json()["paths"]
        assert c.get("/healthz").json() == {"status": "ok"}
        assert c.get("/readyz").json()["status"] == "ready"
        r = c.post("/api/v1/ask", json={"question": "企业开办要几天"})
        assert r.status_code == 200 and r.json()["found"]
        assert c.get("/api/v1/search", params={"q": "简易注销"}).json()["hits"]
        assert len(c.get("/api/v1/documents").json()) == len(qa.index.documents)
        r = c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "企业开办要几天"}]})
        assert r.status_code == 200 and "工作日" in r.json()["choices"][0]["message"]["content"]
        # unknown API paths and wrong methods still answer in the API's JSON, not from the page
        r = c.get("/api/v1/no-such-endpoint")
        assert r.status_code == 404 and r.json()["code"] == "not_found"
        r = c.get("/api/v1/ask")
        assert r.status_code == 405 and r.json()["code"] == "method_not_allowed"
        assert c.get("/v1/nothing").json()["error"]["code"] == "not_found"  # OpenAI's error shape on /v1/


# -- the handlers without a browser ---------------------------------------------------------------
def test_page_says_starting_while_the_index_loads():
    from qa_service.serve.ui import NOT_READY, WebPage

    page = WebPage(lambda: None)
    *_, (_, history) = page.chat("企业开办要几天", [], "全部")
    assert history[-1] == {"role": "assistant", "content": NOT_READY}
    assert NOT_READY in page.search("简易注销", "全部", "全部文件")[0]
    assert NOT_READY in page.init()[0]
    assert page.show_document("xa-2021-6") == NOT_READY
    failed = WebPage(lambda: None, load_error=lambda: "索引文件损坏")
    assert "服务暂不可用：索引文件损坏" in failed.search("简易注销", "全部", "全部文件")[0]


def test_bad_input_gives_chinese_messages(qa):
    from qa_service.serve.ui import WebPage

    page = WebPage(lambda: qa)
    assert "问题太长" in page.search("企" * 600, "全部", "全部文件")[0]
    *_, (_, history) = page.chat("企" * 600, [], "全部")
    assert "问题太长" in history[-1]["content"]
    assert page.search("   ", "全部", "全部文件")[0] == ""


def test_search_filters_by_region_and_document(qa):
    from qa_service.serve.ui import ALL_DOCS, ALL_REGIONS, WebPage, doc_choices, region_choices

    page = WebPage(lambda: qa)
    regions = region_choices(qa.index.documents)
    assert regions[0] == ALL_REGIONS and "陕西省" in regions and "西咸新区" in regions
    assert [v for _, v in doc_choices(qa.index.documents)][1:] == [d.id for d in qa.index.documents]

    *_, replies = page.search("简易注销", "西安市", ALL_DOCS)
    assert replies and all("西安" in r for r in replies)
    doc = "xixian-2020"
    status, cards, _, reply, replies = page.search("注销", ALL_REGIONS, doc)
    title = qa.index.docs_by_id[doc].title
    assert replies and cards.count('class="qa-card"') == len(replies)
    assert all(r.startswith(f"根据《{title}》") for r in replies)
    assert reply == replies[0]
    assert page.pick_reply(2, replies) == replies[1] and page.pick_reply(None, replies) == ""


def test_html_in_policy_text_is_escaped():
    from qa_service.models import Citation, Scope
    from qa_service.serve.ui import citation_html

    c = Citation(n=1, item_id="d/1", doc_id="d", doc_title="T", path="一、", citation="《T》一、", scope=Scope.other_province,
                 quote="<script>x</script>", text="<script>x</script> & 其他")
    out = citation_html(c)
    assert "<script>" not in out and "&lt;script&gt;" in out and "&amp;" in out
    assert "省外经验" in out
