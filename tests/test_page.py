"""The citizen page as a phone and a laptop show it: headless Chromium at 390×844 and
1366×900 against a live server (real index, question log in a SQLite file).

The fold (question box and the newest answer on screen without scrolling), no scroll
box inside the page, a follow-up, a source opened in place, 👎 with a comment stored in
the database, the conversation kept across a reload and cleared, 文件库 as cards on a
phone, zh-CN, gzip. Screenshots of both sizes go to eval/reports/screenshots/.
"""
from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from qa_service.qalog import schema
from qa_service.qalog.store import make_engine
from qa_service.serve.api import create_app

from .conftest import ROOT, LiveServer
from .test_browser import TIMEOUT, browser  # noqa: F401 - the shared Chromium fixture

pytestmark = pytest.mark.browser

SHOTS = ROOT / "eval" / "reports" / "screenshots"
SIZES = [pytest.param((390, 844), id="phone-390x844"), pytest.param((1366, 900), id="laptop-1366x900")]
ANSWER_ID = re.compile(r"回答编号：([0-9a-f]{16})")
BOT = '#chatbot [data-testid="bot"]'


@pytest.fixture(scope="module")
def server(settings, qa, tmp_path_factory):
    s = settings.model_copy(update={"rate_limit": "", "data_dir": tmp_path_factory.mktemp("page-db"), "log_questions": True})
    app = create_app(s, service=qa)
    with LiveServer(app) as srv:
        srv.app, srv.db = app, s.database()
        yield srv


@pytest.fixture(params=SIZES)
def page(request, browser, server):  # noqa: F811
    from playwright.sync_api import expect

    width, height = request.param
    ctx = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    pg = ctx.new_page()
    pg.set_default_timeout(TIMEOUT)
    pg.goto(server.url + "/")
    expect(pg.locator("#qa-status")).to_contain_text("已载入", timeout=TIMEOUT)
    pg.size = f"{width}x{height}"
    yield pg
    ctx.close()


def ask(pg, question: str, n: int):
    """Ask and wait for the n-th answer; returns its locator."""
    from playwright.sync_api import expect

    pg.locator("#chat-input textarea").fill(question)
    pg.locator("#chat-send").click()
    bots = pg.locator(BOT)
    expect(bots).to_have_count(n, timeout=TIMEOUT)
    expect(bots.last.locator(".qa-rid")).to_be_visible(timeout=TIMEOUT)
    return bots.last


def on_screen(pg, locator) -> bool:
    """The element's top edge is inside the viewport (as the page is, without scrolling it)."""
    box = locator.bounding_box()
    return box is not None and -2 <= box["y"] < pg.viewport_size["height"] - 40  # -2: sub-pixel rounding of a scrolled page


def inner_scrollers(pg) -> list[str]:
    """Elements of the chat that scroll on their own (content taller than the box and overflow auto/scroll)."""
    return pg.evaluate("""() => [...document.querySelectorAll('#chatbot, #chatbot *')].filter(el => {
        const o = getComputedStyle(el).overflowY;
        return (o === 'auto' || o === 'scroll') && el.scrollHeight > el.clientHeight + 2;
    }).map(el => el.tagName + '.' + [...el.classList].join('.'))""")


def stored(db: str, table, **where) -> list:
    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(table).where(*(getattr(table.c, k) == v for k, v in where.items()))))
    finally:
        engine.dispose()


def test_the_conversation_on_a_phone_and_a_laptop(page, server):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    box = page.locator("#chat-input textarea")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert page.locator('a[href="/docs"]').count() == 0  # no developer link on the citizen page
    assert on_screen(page, box)

    # the answer and the question box are on screen as they come, and nothing scrolls inside the page
    first = ask(page, "企业开办要几天", 1)
    assert "工作日" in first.inner_text() and "参考来源" in first.inner_text()
    assert on_screen(page, first) and on_screen(page, box)
    assert inner_scrollers(page) == []
    assert page.evaluate("document.scrollingElement.scrollHeight") > page.viewport_size["height"]  # the page scrolls instead

    # a follow-up is read with the earlier question, and is brought into view in its turn
    second = ask(page, "那西咸新区呢", 2)
    assert "西咸新区" in second.inner_text() and "工作日" in second.inner_text()
    assert on_screen(page, second) and on_screen(page, box)

    # a source opens in place, whole: the chat grows with it
    source = second.locator("details.qa-source").first
    clause = source.locator(".qa-clause")
    expect(clause).to_be_hidden()
    source.locator("summary").click()
    expect(clause).to_be_visible()
    assert inner_scrollers(page) == []
    page.screenshot(path=str(SHOTS / f"chat-{page.size}.png"))

    # 👎 with a comment, stored with the question it is about
    answer_id = ANSWER_ID.search(second.inner_text()).group(1)
    page.locator('#chatbot button[title="踩"], #chatbot button[aria-label="Dislike"]').last.click()  # under the newest answer
    expect(page.locator("#fb-row")).to_be_visible()
    page.locator("#fb-comment textarea").fill("没写西咸新区在哪里办")
    page.locator("#fb-send").click()
    expect(page.locator("#fb-note")).to_contain_text("已收到您的评价")  # the comment's thanks, not the vote's
    (question,) = stored(server.db, schema.questions, request_id=answer_id)
    assert question.channel == "page" and question.question == "那西咸新区呢" and question.found
    (vote,) = stored(server.db, schema.feedback, request_id=answer_id)
    assert vote.rating == "down" and vote.comment == "没写西咸新区在哪里办"

    # a reload keeps the conversation, the newest answer in view; 清空 forgets it, also across a reload
    page.reload()
    expect(page.locator(BOT)).to_have_count(2, timeout=TIMEOUT)
    assert answer_id in page.locator(BOT).last.inner_text()
    page.wait_for_timeout(300)
    assert on_screen(page, page.locator('#chatbot [data-testid="user"]').last)
    page.locator("#chat-clear").click()
    expect(page.locator(BOT)).to_have_count(0)
    page.reload()
    expect(page.locator("#qa-status")).to_contain_text("已载入", timeout=TIMEOUT)
    page.wait_for_timeout(500)
    assert page.locator(BOT).count() == 0


def test_the_library_is_cards_on_a_phone_and_a_table_on_a_laptop(page, qa):
    from playwright.sync_api import expect

    page.get_by_role("tab", name="文件库").click()
    cards, table = page.locator(".qa-doc-card"), page.locator("#doc-table")
    docs = qa.index.documents
    if page.viewport_size["width"] < 640:
        expect(cards).to_have_count(len(docs))
        expect(cards.first).to_be_visible()
        expect(table).to_be_hidden()
        assert page.evaluate("document.scrollingElement.scrollWidth") <= page.viewport_size["width"]  # no sideways scrolling
        cards.nth(1).click()  # a tap opens the document
        expect(page.locator("#doc-items")).to_contain_text(docs[1].label(), timeout=TIMEOUT)
        page.screenshot(path=str(SHOTS / f"library-{page.size}.png"), full_page=True)
    else:
        expect(table).to_be_visible()
        expect(cards.first).to_be_hidden()


def test_the_page_is_compressed_and_declares_chinese_but_streams_are_not_buffered(server):
    with httpx.Client(base_url=server.url, headers={"Accept-Encoding": "gzip"}, timeout=60) as c:
        r = c.get("/")
        assert r.headers["content-encoding"] == "gzip" and '<html\n\tlang="zh-CN"' in r.text
        script = re.search(r'src="(\./)?(assets/[^"]+\.js)"', r.text).group(2)
        js = c.get("/" + script)
        assert js.status_code == 200 and js.headers["content-encoding"] == "gzip"
        assert js.num_bytes_downloaded < len(js.content) / 2  # compressed on the wire to under half
        with c.stream("POST", "/api/v1/ask/stream", json={"question": "企业开办要几天"}) as s:
            assert s.headers["content-type"].startswith("text/event-stream") and "content-encoding" not in s.headers
            assert any(line.startswith("event: answer") for line in s.iter_lines())


def test_the_page_offers_votes_only_where_they_are_stored(settings):
    import gradio as gr

    from qa_service.serve.ui import WebPage, build_blocks

    for logging_on in (True, False):
        blocks = build_blocks(WebPage(lambda: None, settings.model_copy(update={"log_questions": logging_on})))
        (chat,) = [b for b in blocks.blocks.values() if isinstance(b, gr.Chatbot)]
        assert bool(chat.feedback_options) is logging_on
