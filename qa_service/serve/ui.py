"""The web page (Gradio), mounted in the API app at "/":

* 政策咨询 — entrepreneurs ask in plain words; every answer shows its sources, each
  expandable to the clause as printed;
* 坐席检索 — 12345 hotline agents search as they type, see the matched words
  highlighted and copy a ready reply (复制答复口径) with its citation;
* 文件库 — the documents and their clauses.

The page calls the same :class:`~qa_service.service.QAService` as the API. While the
index is still being built the service is not there yet: every part of the page then
says so in Chinese and fills itself in as soon as the service is ready.
"""
from __future__ import annotations

import html
import logging
import re
import uuid
from typing import TYPE_CHECKING, Any, Callable, cast

import gradio as gr
from starlette.middleware import Middleware
from starlette.requests import Request

from ..errors import QAError
from ..lexicon import measures
from ..models import Answer, Citation, Conflict, Document, Item, Level, Scope, SearchFilters
from .present import esc, message_text, search_hit
from .schemas import SearchHit

if TYPE_CHECKING:
    from ..qalog.store import QuestionLog
    from ..service import QAService
    from .deps import ServiceHolder

log = logging.getLogger("qa_service.ui")

NOT_READY = "服务正在启动，请稍候…"
INTERNAL_ERROR = "服务内部错误，请稍后再试"
ALL_REGIONS = "全部"
ALL_DOCS = "全部文件"
SEARCH_TOP_K = 10
POLL_SECONDS = 2.0  # how often a page opened during start-up checks whether the service is ready
CHAT_STORAGE_KEY = "qa-chat-v1"  # localStorage key of the conversation (a new key when the message format changes)
# The conversation is the visitor's own, kept in their browser; Gradio encrypts BrowserState,
# and a fixed key lets it survive a restart of the service (a random one would forget it).
CHAT_STORAGE_SECRET = "qa-service-conversation"
MAX_RESTORED = 200  # messages brought back after a reload (100 questions and answers)
ANSWER_ID = re.compile(r"回答编号：([0-9a-f]{16})")
THANKS = "已收到您的评价，谢谢！"
CONCURRENCY = 8  # searches take ~30 ms; answers are slower only in LLM mode
QUEUE_MAX_SIZE = 64  # jobs waiting for a worker; ~4000 unread jobs once took 1 GB

EXAMPLES = [
    "企业开办要几天",
    "西咸新区用水报装是哪个局牵头的",
    "简易注销 税务反馈时限",
    "个人所得税税率是多少",
]

LEVEL_ORDER = {Level.province: 0, Level.city: 1, Level.new_area: 2, Level.district: 3}

KIND_LABELS = {
    "header": "文件头", "notice": "通知正文", "preamble": "前言", "intro": "导语", "goal": "目标",
    "task": "任务", "measure": "措施", "paragraph": "段落", "table_row": "表格行", "case_study": "典型案例",
    "attachments": "附件", "signature": "落款", "footer": "版记",
}

DOC_HEADERS = ["文件", "文号", "发文机关", "日期", "地区", "条款数"]

# Copies the reply in the browser. navigator.clipboard exists only on https:// and
# localhost pages, so plain-http deployments (an intranet address) fall back to execCommand.
# The text is returned unchanged so the server-side handler can confirm the copy.
COPY_JS = """
(text) => {
  const t = text || "";
  const fallback = () => {
    const ta = document.createElement("textarea");
    ta.value = t; ta.setAttribute("readonly", ""); ta.style.position = "fixed"; ta.style.opacity = "0";
    document.body.appendChild(ta); ta.select();
    try { document.execCommand("copy"); } finally { ta.remove(); }
  };
  if (t) {
    if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(t).catch(fallback); }
    else { fallback(); }
  }
  return t;
}
"""

CSS = """
.qa-sources { margin-top: .6em; border-top: 1px solid var(--border-color-primary); padding-top: .4em; }
.qa-sources-title { font-weight: 600; margin: .2em 0 .3em; }
.qa-source { margin: .25em 0; border: 1px solid var(--border-color-primary); border-radius: 6px; padding: .3em .6em; }
.qa-source summary { cursor: pointer; line-height: 1.5; }
.qa-clause { margin: .4em 0 .2em; line-height: 1.7; white-space: pre-wrap; }
.qa-meta { color: var(--body-text-color-subdued); font-size: .9em; }
.qa-figures { overflow-x: auto; }  /* the table scrolls sideways on a phone, the page does not */
.qa-figures table { border-collapse: collapse; font-size: .9em; }
.qa-figures th, .qa-figures td { border: 1px solid var(--border-color-primary); padding: 4px 6px; white-space: nowrap; }
.qa-badge { display: inline-block; margin-left: .4em; padding: 0 .45em; border-radius: 4px; font-size: .85em;
            background: #fde68a; color: #713f12; }
.qa-badge.qa-case { background: #dbeafe; color: #1e3a8a; }
.qa-note { color: #92400e; font-size: .9em; }
.qa-conflict { border-left: 4px solid #f59e0b; background: rgba(245, 158, 11, .12); padding: .4em .7em; border-radius: 4px; }
.qa-answer p { margin: .25em 0; }
.qa-answer ul { margin: .25em 0 .25em 1.2em; }
.qa-rewrite { color: var(--body-text-color-subdued); font-size: .9em; }
.qa-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .7em .9em; margin-bottom: .7em;
           background: var(--background-fill-primary); }
.qa-card-head { font-weight: 600; line-height: 1.5; }
.qa-num { display: inline-block; min-width: 1.6em; text-align: center; margin-right: .4em; border-radius: 4px;
          background: var(--color-accent); color: white; }
.qa-path { margin: .2em 0; }
.qa-text { line-height: 1.75; margin-top: .3em; }
.qa-empty { color: var(--body-text-color-subdued); padding: .6em 0; }
.qa-card mark, .qa-source mark { background: #fde047; color: #111; padding: 0 1px; border-radius: 2px; }
.qa-items { width: 100%; border-collapse: collapse; }
.qa-items th, .qa-items td { border-bottom: 1px solid var(--border-color-primary); padding: .35em .5em; vertical-align: top;
                             text-align: left; line-height: 1.6; }
.qa-items td.qa-path-cell { white-space: nowrap; }
.qa-items td.qa-kind-cell { white-space: nowrap; color: var(--body-text-color-subdued); }
#reply-column { position: sticky; top: 1em; align-self: flex-start; }

/* Phone first: the page scrolls, nothing inside it does. The chat grows with its messages
   (no fixed-height inner scroller cutting opened sources), and the question bar sticks to
   the bottom of the screen. overflow: clip rather than Gradio's hidden, which would make
   the container a scroll box and stop position: sticky from working. */
.gradio-container { overflow: clip !important; }
#chatbot, #chatbot > .wrapper, #chatbot .bubble-wrap { height: auto !important; max-height: none !important;
                                                       overflow: visible !important; }
#chatbot { min-height: 120px; }
#chatbot [data-testid="user"] { scroll-margin-top: 10px; }
#chat-bar { position: sticky; bottom: 0; z-index: 30; background: var(--body-background-fill); padding: 6px 0;
            box-shadow: 0 -3px 8px rgba(0, 0, 0, .06); flex-wrap: nowrap !important; gap: 6px; }
#chat-bar > * { min-width: 0 !important; }
#chat-bar button { white-space: nowrap; padding-left: 10px; padding-right: 10px; }
#qa-head h1 { font-size: 1.5rem; margin: .2em 0 .1em; }
#qa-head p, #qa-status p { margin: 0; }
#qa-status { font-size: .82em; color: var(--body-text-color-subdued); }
.qa-rid { font-size: .8em; color: var(--body-text-color-subdued); margin-top: .4em; }
#fb-row { align-items: flex-end; }
.qa-hidden { display: none !important; }
.qa-doc-cards { display: none; }
.qa-doc-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .55em .75em; margin-bottom: .5em;
               cursor: pointer; background: var(--background-fill-primary); }
.qa-doc-card b { display: block; line-height: 1.45; }
@media (max-width: 640px) {
  .gradio-container { padding: 0 6px !important; }
  #qa-head h1 { font-size: 1.2rem; }
  #qa-head p { font-size: .85em; }
  #chat-hint { display: none; }
  #doc-table { display: none !important; }
  .qa-doc-cards { display: block; }
  /* the clause table of a document as stacked blocks: three columns do not fit 390 px */
  .qa-items thead { display: none; }
  .qa-items tr, .qa-items td { display: block; border: none; padding: .1em 0; }
  .qa-items tr { border-bottom: 1px solid var(--border-color-primary); padding: .4em 0; }
  .qa-items td.qa-path-cell { white-space: normal; font-weight: 600; }
}
"""

# Runs once when the page loads. Gradio's chat would scroll itself; the page scrolls
# instead, so a new question (and a conversation restored after a reload) is brought into
# view here, its answer right below it. A tap on a document card (文件库, narrow screens)
# picks that document through a hidden textbox, the one way JavaScript can raise a Gradio event.
PAGE_JS = """
() => {
  document.documentElement.lang = "zh-CN";
  let shown = "";
  const follow = () => {
    const asked = document.querySelectorAll('#chatbot [data-testid="user"]');
    const bots = document.querySelectorAll('#chatbot [data-testid="bot"]');
    const last = bots[bots.length - 1];
    // once when a question appears and once when its answer replaces 正在查询…
    const key = asked.length + ":" + bots.length + ":" + (last && last.querySelector(".qa-answer, .qa-rid") ? 1 : 0);
    if (key === shown) return;
    shown = key;
    if (asked.length) setTimeout(() => asked[asked.length - 1].scrollIntoView({block: "start"}), 60);
  };
  new MutationObserver(follow).observe(document.body, {childList: true, subtree: true});
  document.addEventListener("click", (e) => {
    const card = e.target.closest(".qa-doc-card");
    const box = document.querySelector("#lib-pick textarea");
    if (!card || !box) return;
    box.value = card.dataset.doc + "#" + Date.now();  // always a change, even for the card tapped last time
    box.dispatchEvent(new Event("input", {bubbles: true}));
  });
}
"""

# System fonts only: Gradio's default theme would fetch a web font, which an offline
# server cannot serve, and Chinese text needs a CJK font first in the list anyway.
CJK_FONTS = ["PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
             "system-ui", "sans-serif"]
MONO_FONTS = ["ui-monospace", "Consolas", "monospace"]


def _clause_html(text: str) -> str:
    return esc(text).replace("\n", "<br>")


# -- 政策咨询: answers and their sources ------------------------------------------------------
def render_answer(a: Answer, answer_id: str | None = None) -> str:
    """One chat message: notes, the answer text with its [n] markers, then the sources and,
    when the answer was logged, its id (what a 👍/👎 refers to; also what to quote to 12345).

    The chat renders Markdown; the HTML blocks are written on one line each so that
    Markdown leaves them (and the escaped clause texts inside) alone.
    """
    blocks = []
    if a.rewritten_query:
        blocks.append(f'<div class="qa-rewrite">（结合上文，按“{esc(a.rewritten_query)}”理解）</div>')
    if a.conflicts:
        blocks.append(conflicts_html(a.conflicts))
    blocks.append(answer_html(a.answer))
    if a.found and a.citations:
        blocks.append(sources_html("参考来源", a.citations))
    elif a.related:
        blocks.append(sources_html("可能相关的条款（仅供参考）", a.related))
    if a.fallback_reason:
        blocks.append(f'<div class="qa-meta">说明：{esc(a.fallback_reason)}</div>')
    if answer_id:
        blocks.append(f'<div class="qa-rid">回答编号：{esc(answer_id)}</div>')
    return "\n\n".join(blocks)


def answer_html(text: str) -> str:
    """The answer text as HTML: its "- " lines as a list, other lines as paragraphs.

    Written as HTML rather than left to Markdown, which would fold the lines after a
    list into its last item and read policy text (*, _, ~, 1.) as formatting.
    """
    out, bullets = [], []
    for line in text.splitlines():
        if line.startswith("- "):
            bullets.append(f"<li>{esc(line[2:])}</li>")
            continue
        if bullets:
            out.append(f"<ul>{''.join(bullets)}</ul>")
            bullets = []
        if line.strip():
            out.append(f"<p>{esc(line)}</p>")
    if bullets:
        out.append(f"<ul>{''.join(bullets)}</ul>")
    return f'<div class="qa-answer">{"".join(out)}</div>'


def conflicts_html(conflicts: list[Conflict]) -> str:
    """A short warning above an answer whose documents give different figures."""
    parts = []
    for c in conflicts:
        by_value: dict[str, list[str]] = {}
        for v in c.values:
            by_value.setdefault(v.value, []).append(v.region or v.doc_title)
        values = "；".join(f"{esc(val)}（{esc('、'.join(dict.fromkeys(regions)))}）" for val, regions in by_value.items())
        parts.append(f"<div>⚠ 不同文件对“{esc(c.topic)}”的规定不一致：{values}。请以您所在地区、最新的文件为准。</div>")
    return f'<div class="qa-conflict">{"".join(parts)}</div>'


def sources_html(title: str, cites: list[Citation]) -> str:
    items = "".join(citation_html(c) for c in cites)
    return f'<div class="qa-sources"><div class="qa-sources-title">{esc(title)}</div>{items}</div>'


def scope_badge(scope: Scope, short: bool = False) -> str:
    if scope == Scope.other_province:
        return '<span class="qa-badge">省外经验</span>' if short else '<span class="qa-badge">省外经验 · 外省做法，非陕西规定</span>'
    if scope == Scope.case_study:
        return '<span class="qa-badge qa-case">典型案例</span>'
    return ""


def validity_badge(status: str, valid_until: str | None) -> str:
    """已到期（有效期至2022-12-31）: a cited document that is no longer in force says so.

    >>> validity_badge("已到期", "2022-12-31"), validity_badge("现行", "2027-02-28")
    ('<span class="qa-badge">已到期（有效期至2022-12-31）</span>', '')
    """
    if status == "现行":
        return ""
    return f'<span class="qa-badge">{esc(status)}' + (f"（有效期至{esc(valid_until)}）" if valid_until else "") + "</span>"


def citation_html(c: Citation) -> str:
    """<details>: the citation and document facts as the summary, the clause when opened."""
    meta = " · ".join(esc(x) for x in (c.doc_number, c.issuer, c.date, c.region) if x)
    summary = f"<b>[{c.n}]</b> {esc(c.citation)}" + (f' <span class="qa-meta">· {meta}</span>' if meta else "") + scope_badge(c.scope) + validity_badge(c.doc_status, c.valid_until)
    text = _clause_html(c.text)
    quote = _clause_html(c.quote) if c.quote else ""
    if quote and quote != text and quote in text:  # show which sentence the answer relies on
        text = text.replace(quote, f"<mark>{quote}</mark>", 1)
    note = ""
    if c.scope == Scope.other_province:
        note = '<div class="qa-note">注：此条是其他省份的做法，供参考借鉴，不是陕西省的规定。</div>'
    return f'<details class="qa-source"><summary>{summary}</summary><div class="qa-clause">{text}</div>{note}</details>'


def user_questions(history: list[dict]) -> list[str]:
    # user messages are shown escaped (they are Markdown in the chat), so unescape them back
    return [html.unescape(message_text(m.get("content"))) for m in history if m.get("role") == "user"]


# -- 坐席检索: result cards -----------------------------------------------------------------
def hit_card(n: int, h: SearchHit) -> str:
    meta = " · ".join(esc(x) for x in (h.doc_number, h.issuer, h.date, h.region) if x)
    resp = h.responsibility or {}
    duty = "；".join(f"{label}：{esc('、'.join(resp[key]))}" for key, label in
                     (("lead", "牵头"), ("partners", "配合"), ("implementers", "落实")) if resp.get(key))
    if resp.get("deadline"):
        duty += ("；" if duty else "") + f"时限：{esc(resp['deadline'])}"
    return (
        f'<div class="qa-card" data-n="{n}">'
        f'<div class="qa-card-head"><span class="qa-num">{n}</span>《{esc(h.doc_title)}》{scope_badge(h.scope)}</div>'
        f'<div class="qa-meta">{meta + " · " if meta else ""}匹配度 {h.score:.2f}</div>'
        f'<div class="qa-path">出处：{esc(h.citation)}</div>'
        f'<div class="qa-text">{h.highlighted.replace(chr(10), "<br>")}</div>'  # escaped, then marked, by search_hit
        + (f'<div class="qa-meta">{duty}</div>' if duty else "")
        + "</div>"
    )


def results_html(hits: list[SearchHit]) -> str:
    if not hits:
        return '<div class="qa-empty">没有找到相关条款，请换个说法或放宽筛选条件。</div>'
    return "".join(hit_card(n, h) for n, h in enumerate(hits, 1))


# -- 文件库 ------------------------------------------------------------------------------------
def document_rows(documents: list[Document], items: list[Item]) -> list[list]:
    counts: dict[str, int] = {}
    for it in items:
        counts[it.doc_id] = counts.get(it.doc_id, 0) + 1
    return [[d.title, d.doc_number or "", d.issuer or "", d.date or "", d.region or "", counts.get(d.id, 0)] for d in documents]


def document_cards(documents: list[Document], items: list[Item]) -> str:
    """文件库 on a phone: one card per document (a six-column table does not fit 390 px)."""
    counts: dict[str, int] = {}
    for it in items:
        counts[it.doc_id] = counts.get(it.doc_id, 0) + 1
    cards = []
    for d in documents:
        facts = " · ".join(esc(x) for x in (d.doc_number, d.issuer, d.date, d.region) if x)
        cards.append(f'<div class="qa-doc-card" data-doc="{esc(d.id)}" role="button"><b>{esc(d.title)}</b>'
                     f'<div class="qa-meta">{facts}{" · " if facts else ""}{counts.get(d.id, 0)} 条</div></div>')
    return f'<div class="qa-doc-cards">{"".join(cards)}</div>'


def document_html(d: Document, items: list[Item]) -> str:
    facts = " · ".join(esc(x) for x in (d.doc_number, d.issuer, d.date, d.region) if x)
    head = f"<h3>{esc(d.label())}</h3>" + (f'<div class="qa-meta">{facts}</div>' if facts else "")
    if d.attachment_title:
        head += f'<div class="qa-meta">附件：《{esc(d.attachment_title)}》</div>'
    if d.status != "现行" or d.valid_until:  # 已到期 / 已废止 / 被替代, or the period of a current one
        period = f"（有效期至{d.valid_until}）" if d.valid_until else ""
        head += f'<div class="qa-meta qa-validity">状态：{esc(d.status)}{esc(period)}</div>'
    rows = "".join(
        f'<tr><td class="qa-path-cell">{esc(it.citation_path())}</td>'
        f'<td class="qa-kind-cell">{esc(KIND_LABELS.get(it.kind, it.kind))}{scope_badge(it.scope, short=True)}</td>'
        f"<td>{_clause_html(it.text)}</td></tr>"
        for it in items
    )
    table = f'<table class="qa-items"><thead><tr><th>出处</th><th>类型</th><th>内容</th></tr></thead><tbody>{rows}</tbody></table>'
    return f"{head}<p>共 {len(items)} 条</p>{table}"


def region_choices(documents: list[Document]) -> list[str]:
    """全部, then the regions from province down (陕西省, cities, 西咸新区, districts)."""
    order: dict[str, tuple] = {}
    for d in documents:
        if d.region and d.region not in order:
            order[d.region] = (LEVEL_ORDER.get(d.level, 9) if d.level else 9, d.region)
    return [ALL_REGIONS] + sorted(order, key=order.__getitem__)


def doc_choices(documents: list[Document]) -> list[tuple[str, str]]:
    """(label, document id): the policy's own name is what people recognise."""
    def label(d: Document) -> str:
        return f"{d.short_title}（{d.doc_number}）" if d.doc_number else d.short_title

    return [(ALL_DOCS, ALL_DOCS)] + [(label(d), d.id) for d in documents]


def make_filters(region: str | None, doc: str | None = None) -> SearchFilters | None:
    region = None if region in (None, "", ALL_REGIONS) else region
    doc = None if doc in (None, "", ALL_DOCS) else doc
    return SearchFilters(region=region, doc=doc) if (region or doc) else None


class WebPage:
    """The page's event handlers, separate from the layout so that they can be tested
    without a browser. Each handler asks ``qa_getter()`` for the service afresh: it is
    None until the index has loaded."""

    def __init__(self, qa_getter: Callable[[], "QAService | None"], settings=None, load_error: Callable[[], str | None] = lambda: None,
                 log_getter: Callable[[], "QuestionLog | None"] = lambda: None):
        self.qa_getter = qa_getter
        self.settings = settings
        self.load_error = load_error
        self.log_getter = log_getter  # the QuestionLog, or None (logging off or unavailable)

    def not_ready_text(self) -> str:
        err = self.load_error()
        return f"服务暂不可用：{err}" if err else NOT_READY

    # -- page load / start-up polling -------------------------------------------------
    def init(self):
        """Status line, filter choices and the document table; the timer keeps polling
        (every POLL_SECONDS) until the service is ready."""
        qa = self.qa_getter()
        if qa is None:
            regions, docs, rows, cards = [ALL_REGIONS], [(ALL_DOCS, ALL_DOCS)], [], ""
            status = count = self.not_ready_text()
        else:
            idx = qa.index
            regions, docs = region_choices(idx.documents), doc_choices(idx.documents)
            rows, cards = document_rows(idx.documents, idx.items), document_cards(idx.documents, idx.items)
            status = (f"已载入 {len(idx.documents)} 份政策文件、{len(idx.items)} 条条款。答复均摘自政策原文并注明出处，"
                      f"仅供参考，具体以原文件和办理部门的解释为准。")
            count = f"共 {len(idx.documents)} 份文件。点击一份文件，或在下方选择，查看其全部条款。"
        return (
            status,
            gr.Dropdown(choices=regions, value=ALL_REGIONS),
            gr.Dropdown(choices=regions, value=ALL_REGIONS),
            gr.Dropdown(choices=docs, value=ALL_DOCS),
            rows,
            cards,
            count,
            gr.Dropdown(choices=docs[1:], value=None),
            gr.Timer(active=qa is None and not self.load_error()),  # a failed load will not come right by waiting
        )

    # -- 政策咨询 -------------------------------------------------------------------------
    def chat(self, message: str, history: list[dict] | None, region: str | None):
        """Shows the question at once, then the answer (a generator: two steps)."""
        question = (message or "").strip()
        history = list(history or [])
        if not question:
            yield "", history
            return
        earlier = user_questions(history)  # QAService keeps the last few (service.HISTORY_TURNS)
        history += [{"role": "user", "content": esc(question)}, {"role": "assistant", "content": "正在查询…"}]
        yield "", history
        history[-1] = {"role": "assistant", "content": self.answer(question, earlier, region)}
        yield "", history

    def answer(self, question: str, earlier: list[str], region: str | None) -> str:
        qa = self.qa_getter()
        if qa is None:
            return self.not_ready_text()
        try:
            a = qa.ask(question, history=earlier, filters=make_filters(region))
        except QAError as e:
            return f"⚠ {esc(e.zh)}"
        except Exception:  # the page never shows a traceback
            log.exception("ui: answering %r failed", question[:100])
            return f"⚠ {INTERNAL_ERROR}"
        qlog = self.log_getter()
        if qlog is None:
            return render_answer(a)
        answer_id = uuid.uuid4().hex[:16]  # random: knowing one answer's id tells nothing of another's
        qlog.record(answer_id, question, a, "page")
        return render_answer(a, answer_id)

    # -- 👍 / 👎 ------------------------------------------------------------------------------
    def vote(self, data: gr.LikeData):
        """A 👍/👎 under an answer: stored at once; the comment box opens for an optional note.
        → comment row, note, (answer id, rating) for the comment."""
        rating = "up" if data.liked is True else "down" if data.liked is False else None
        m = ANSWER_ID.search(str(data.value))
        qlog = self.log_getter()
        if rating is None or m is None or qlog is None:  # un-voting, or an answer from before the log
            return gr.Row(visible=False), "", None
        if not qlog.add_feedback(m.group(1), rating):
            return gr.Row(visible=False), "该回答已超过保存期限，无法评价。", None
        hint = "谢谢！哪里不对或缺了什么？可以写在下面（选填）。" if rating == "down" else f"{THANKS}也可以补充意见（选填）。"
        return gr.Row(visible=True), hint, [m.group(1), rating]

    def comment(self, text: str, voted: list | None):
        """The optional comment on the last vote → comment box, comment row, note."""
        qlog = self.log_getter()
        if not voted or qlog is None:
            return "", gr.Row(visible=False), ""
        if (text or "").strip():
            qlog.add_feedback(voted[0], voted[1], text[:500])
        return "", gr.Row(visible=False), THANKS

    @staticmethod
    def restore(saved: list | None) -> list:
        """The conversation kept in the browser (localStorage), shown again after a reload.
        The browser's storage is the visitor's to edit: only well-formed messages come back
        (the chat would fail on anything else), and no more than the chat ever holds.

        >>> WebPage.restore([{"role": "user", "content": "企业开办要几天"}, {"role": "hacker"}, 7])
        [{'role': 'user', 'content': '企业开办要几天'}]
        """
        if not isinstance(saved, list):
            return []
        ok = [m for m in saved if isinstance(m, dict) and m.get("role") in ("user", "assistant")
              and isinstance(m.get("content"), (str, list))]
        return ok[-MAX_RESTORED:]

    # -- 坐席检索 -------------------------------------------------------------------------
    def search(self, query: str, region: str | None, doc: str | None):
        """→ status, result cards, result picker, reply of the first result, all replies."""
        q = (query or "").strip()
        if not q:
            return "", "", gr.Radio(choices=[], value=None), "", []
        qa = self.qa_getter()
        if qa is None:
            return f"{self.not_ready_text()}", "", gr.Radio(choices=[], value=None), "", []
        try:
            res = qa.search(q, make_filters(region, doc), top_k=SEARCH_TOP_K)
        except QAError as e:
            return f"⚠ {esc(e.zh)}", "", gr.Radio(choices=[], value=None), "", []
        except Exception:
            log.exception("ui: search %r failed", q[:100])
            return f"⚠ {INTERNAL_ERROR}", "", gr.Radio(choices=[], value=None), "", []
        hits = [search_hit(h) for h in res.hits]
        status = f"找到 {len(hits)} 条相关条款" if hits else "没有找到相关条款"
        if hits and not res.found:
            status += "（没有能直接回答的条款，以下仅供参考）"
        replies = [h.reply for h in hits]
        picker = gr.Radio(choices=[(str(n), n) for n in range(1, len(hits) + 1)], value=1 if hits else None)
        return status, results_html(hits), picker, (replies[0] if replies else ""), replies

    def compare(self, measure: str | None, region: str | None) -> str:
        """指标对照: the measure's figures in every document, sub-cases apart, each with its source."""
        qa = self.qa_getter()
        if qa is None:
            return self.not_ready_text()
        if not measure:
            return ""
        from ..figures.compare import comparison
        from .figures import region_prefix

        place = None if region in (None, "", ALL_REGIONS) else region_prefix(region)
        return figures_html(comparison(qa.index.figures, measure=measure, region=place))

    @staticmethod
    def pick_reply(n: int | None, replies: list[str]) -> str:
        if not n or not replies or not 1 <= int(n) <= len(replies):
            return ""
        return replies[int(n) - 1]

    @staticmethod
    def copied(text: str) -> str:
        if not (text or "").strip():
            return "请先检索并选择一条结果。"
        return f"已复制答复口径（{len(text)}字），可直接粘贴。"

    # -- 文件库 ---------------------------------------------------------------------------
    def show_document(self, doc_id: str | None) -> str:
        qa = self.qa_getter()
        if qa is None:
            return self.not_ready_text()
        d = qa.index.docs_by_id.get(doc_id or "")
        if d is None:
            return ""
        return document_html(d, [it for it in qa.index.items if it.doc_id == d.id])

    def select_row(self, evt: gr.SelectData) -> str | None:
        """A click on the document table picks that row's document (the table keeps the index's order)."""
        qa = self.qa_getter()
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        if qa is None or row is None or not 0 <= row < len(qa.index.documents):
            return None
        return qa.index.documents[row].id


def chat_tab(page: WebPage, hotline: str, votes: bool, saved_chat: gr.BrowserState):
    """政策咨询: the chat, 👍/👎 with a comment box, the question bar; → (region filter, chatbot)."""
    with gr.Row(equal_height=True):
        chat_region = gr.Dropdown(choices=[ALL_REGIONS], value=ALL_REGIONS, label="地区（可选）",
                                  elem_id="chat-region", scale=1, min_width=160)
        gr.Markdown("可以接着追问，例如先问“企业开办要几天”，再问“那西咸新区呢”。答复中的 [1]、[2] 对应下方的来源，"
                    "点击来源可展开条款原文。", scale=3, elem_id="chat-hint")
    chatbot = gr.Chatbot(
        elem_id="chatbot", show_label=False, height="auto", buttons=["copy"],
        feedback_options=("Like", "Dislike") if votes else None,
        placeholder=f"您好！请直接提问营商政策方面的问题，例如企业开办要几天。每条答复都会注明出处文件和条款，"
                    f"点击来源可展开原文。需要人工服务请拨打{hotline}。",
    )
    with gr.Row(visible=False, elem_id="fb-row") as fb_row:
        fb_text = gr.Textbox(show_label=False, placeholder="您的意见（选填，不要填写姓名、电话等个人信息）", max_length=500,
                             scale=5, elem_id="fb-comment")
        fb_send = gr.Button("提交意见", scale=1, min_width=90, elem_id="fb-send")
    fb_note = gr.Markdown(elem_id="fb-note")
    voted = gr.State(None)
    with gr.Row(equal_height=True, elem_id="chat-bar"):
        msg = gr.Textbox(placeholder="请输入您的问题", show_label=False, scale=6, elem_id="chat-input", autofocus=True, min_width=0)
        send = gr.Button("发送", variant="primary", scale=1, min_width=56, elem_id="chat-send")
        clear = gr.Button("清空", scale=1, min_width=56, elem_id="chat-clear")
    gr.Examples(examples=[[q] for q in EXAMPLES], inputs=[msg], label="示例问题（点击填入）")

    chat_io: dict[str, Any] = dict(fn=page.chat, inputs=[msg, chatbot, chat_region], outputs=[msg, chatbot], concurrency_limit=CONCURRENCY)
    msg.submit(**chat_io)
    send.click(**chat_io)
    clear.click(lambda: ([], [], "", gr.Row(visible=False), "", None), outputs=[chatbot, saved_chat, msg, fb_row, fb_note, voted],
                show_progress="hidden")
    # the conversation lives in the browser: saved on every change (the page's load restores it)
    chatbot.change(lambda h: h, inputs=chatbot, outputs=saved_chat, show_progress="hidden")
    chatbot.like(page.vote, outputs=[fb_row, fb_note, voted], show_progress="hidden")
    comment_io: dict[str, Any] = dict(fn=page.comment, inputs=[fb_text, voted], outputs=[fb_text, fb_row, fb_note], show_progress="hidden")
    fb_send.click(**comment_io)
    fb_text.submit(**comment_io)
    return chat_region, chatbot


def figures_html(rows) -> str:
    """The 指标对照 table: one row per figure; documents that disagree on one measure and sub-case
    are side by side, ended plans marked.

    >>> figures_html([])
    '<p class="qa-meta">没有找到这个指标的数字。</p>'
    """
    from ..figures.table import validity_note

    if not rows:
        return '<p class="qa-meta">没有找到这个指标的数字。</p>'
    head = "".join(f"<th>{h}</th>" for h in ("指标", "情形", "数字", "地区", "文件（日期）", "状态", "出处"))
    body = []
    for r in rows:
        status = "；".join(x for x in (validity_note(r) or "现行", None if r.scope.value == "本地政策" else r.scope.value) if x)
        body.append("<tr>" + "".join(f"<td>{esc(x)}</td>" for x in (
            r.measure_key or r.measure, r.subcase or "一般情形", r.text + (f"（{r.qualifier}）" if r.qualifier else ""),
            r.region or "", f"《{r.doc_title}》{(r.date or '')[:10]}", status, r.citation)) + "</tr>")
    return f'<div class="qa-figures"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def library_tab(page: WebPage):
    """文件库: a table on wide screens, cards on a phone; → (count, table, cards, document picker)."""
    doc_count = gr.Markdown(elem_id="doc-count")
    doc_table = gr.Dataframe(headers=DOC_HEADERS, datatype=["str", "str", "str", "str", "str", "number"],
                             interactive=False, wrap=True, elem_id="doc-table", max_height=560,
                             column_widths=["40%", "14%", "16%", "9%", "12%", "9%"])
    doc_cards = gr.HTML(elem_id="doc-cards")  # shown instead of the table on narrow screens (CSS)
    lib_pick = gr.Textbox(elem_id="lib-pick", elem_classes=["qa-hidden"], show_label=False)  # set by a card tap (PAGE_JS)
    lib_doc = gr.Dropdown(choices=[], value=None, label="查看文件", elem_id="lib-doc")
    doc_view = gr.HTML(elem_id="doc-items")

    doc_table.select(page.select_row, outputs=lib_doc, show_progress="hidden")
    lib_pick.change(lambda v: (v or "").split("#")[0] or None, inputs=lib_pick, outputs=lib_doc, show_progress="hidden")
    lib_doc.change(page.show_document, inputs=lib_doc, outputs=doc_view, show_progress="hidden")
    return doc_count, doc_table, doc_cards, lib_doc


def build_blocks(page: WebPage) -> gr.Blocks:
    from .ui_admin import admin_panel

    hotline = getattr(page.settings, "hotline", None) or "12345"
    votes = bool(getattr(page.settings, "log_questions", False))  # 👍/👎 only where they are stored
    with gr.Blocks(title="营商政策问答", analytics_enabled=False) as demo:
        # no link to /docs here: citizens have no use for it (and offline it is blank)
        gr.Markdown("# 营商政策问答\n陕西省及西安、咸阳、西咸新区等地优化营商环境政策的问答与条款检索。", elem_id="qa-head")
        status = gr.Markdown(NOT_READY, elem_id="qa-status")
        timer = gr.Timer(POLL_SECONDS, active=False)
        saved_chat = gr.BrowserState([], storage_key=CHAT_STORAGE_KEY, secret=CHAT_STORAGE_SECRET)

        with gr.Tabs():
            with gr.Tab("政策咨询", id="chat"):
                chat_region, chatbot = chat_tab(page, hotline, votes, saved_chat)

            with gr.Tab("坐席检索", id="search"):
                gr.Markdown("输入关键词即可检索（边输入边出结果）。选中一条结果后，点击“复制答复口径”即可复制带出处的标准答复。")
                with gr.Row():
                    query = gr.Textbox(label="关键词", placeholder="如：简易注销、用水报装、企业开办", scale=3, elem_id="search-input")
                    s_region = gr.Dropdown(choices=[ALL_REGIONS], value=ALL_REGIONS, label="地区", scale=1, elem_id="search-region")
                    s_doc = gr.Dropdown(choices=[(ALL_DOCS, ALL_DOCS)], value=ALL_DOCS, label="文件", scale=2, elem_id="search-doc")
                s_status = gr.Markdown(elem_id="search-status")
                with gr.Row():
                    with gr.Column(scale=3):
                        results = gr.HTML(elem_id="search-results")
                    with gr.Column(scale=2, elem_id="reply-column"):
                        picker = gr.Radio(choices=[], label="选用第几条结果", elem_id="reply-picker")
                        reply = gr.Textbox(label="答复口径（可修改后复制）", lines=9, max_lines=20, buttons=["copy"],
                                           elem_id="reply-box")
                        copy_btn = gr.Button("复制答复口径", variant="primary", elem_id="copy-reply")
                        copy_note = gr.Markdown(elem_id="copy-note")
                replies = gr.State([])
                with gr.Accordion("指标对照：同一指标在各地、各文件中的数字", open=False, elem_id="figures-panel"):
                    f_measure = gr.Dropdown(choices=[m.key for m in measures().measures], value=None, label="指标",
                                            elem_id="figures-measure")
                    f_table = gr.HTML(elem_id="figures-table")

            with gr.Tab("文件库", id="library"):
                doc_count, doc_table, doc_cards, lib_doc = library_tab(page)
                admin_panel(page.settings, page.qa_getter)  # only with QA_ADMIN_KEYS

        # -- wiring ------------------------------------------------------------------------
        init_outputs = [status, chat_region, s_region, s_doc, doc_table, doc_cards, doc_count, lib_doc, timer]
        demo.load(page.init, outputs=init_outputs, show_progress="hidden")
        timer.tick(page.init, outputs=init_outputs, show_progress="hidden")
        demo.load(page.restore, inputs=saved_chat, outputs=chatbot, show_progress="hidden")

        # "always_last": while the agent types, only the newest text is searched once the
        # previous search is done, so fast typing never queues stale searches.
        search_io: dict[str, Any] = dict(fn=page.search, inputs=[query, s_region, s_doc], outputs=[s_status, results, picker, reply, replies],
                         show_progress="hidden", trigger_mode="always_last", concurrency_limit=CONCURRENCY)
        query.change(**search_io)
        s_region.change(**search_io)
        s_doc.change(**search_io)
        picker.input(page.pick_reply, inputs=[picker, replies], outputs=reply, show_progress="hidden")
        copy_btn.click(page.copied, inputs=reply, outputs=copy_note, js=COPY_JS, show_progress="hidden")
        f_measure.change(page.compare, inputs=[f_measure, s_region], outputs=f_table, show_progress="hidden")
        s_region.change(page.compare, inputs=[f_measure, s_region], outputs=f_table, show_progress="hidden")
    return demo


def _flat_routes(routes):
    """The routes themselves: FastAPI keeps an included router as one entry (its routers are
    included without a prefix, so their routes' own paths are the served ones)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _flat_routes(inner.routes)
        else:
            yield route


def keep_api_errors(app) -> None:
    """Mounted at "/", Gradio receives every request that no API route fully matches,
    including /api/v1/typo and GET /api/v1/ask; keep answering those with the API's
    JSON errors (404 not_found / 405 method_not_allowed) instead of Gradio's."""
    from starlette.exceptions import HTTPException
    from starlette.routing import Match, Mount

    async def unmatched(request: Request):
        allowed: set[str] = set()
        for route in _flat_routes(app.router.routes):
            if isinstance(route, Mount) or getattr(route, "endpoint", None) is unmatched:
                continue
            if route.matches(request.scope)[0] is Match.PARTIAL:  # the path exists, the method does not
                allowed |= set(getattr(route, "methods", None) or ())
        if allowed:  # a 405 names what would have worked (RFC 9110)
            raise HTTPException(405, headers={"Allow": ", ".join(sorted(allowed))})
        raise HTTPException(404)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    for prefix in ("/api", "/v1"):
        app.add_api_route(prefix + "/{rest:path}", unmatched, methods=methods, include_in_schema=False)


def mount_ui(app, holder: "ServiceHolder") -> None:
    """Build the page and mount it at "/"; call after every API route is defined, since
    the mount catches all paths that come after it."""
    # what the page may say of a failed start: the public reason, never the log's paths
    page = WebPage(lambda: holder.service, holder.settings, lambda: (holder.public_error or (None, None))[0],
                   log_getter=lambda: getattr(app.state, "qalog", None))
    keep_api_errors(app)
    theme = gr.themes.Soft(primary_hue="blue", neutral_hue="slate", font=CJK_FONTS, font_mono=MONO_FONTS)
    blocks = build_blocks(page)
    # a bounded queue: unread jobs beyond it are refused instead of piling up in memory
    blocks.queue(max_size=QUEUE_MAX_SIZE)
    gr.mount_gradio_app(app, blocks, path="/", footer_links=[], ssr_mode=False, theme=theme, css=CSS,
                        show_error=False, js=PAGE_JS)
    # innermost (add_middleware would make it the outermost, outside the gzip layer)
    app.user_middleware.append(Middleware(ChineseLang))
    _unknown_page_calls_are_404(app)


def _unknown_page_calls_are_404(app) -> None:
    """Gradio raises (a 500) for /gradio_api/call/<a name it does not have>: a wrong address
    from a client, so our 404."""
    from fastapi import FastAPI
    from gradio.route_utils import FnIndexInferError
    from starlette.routing import Mount

    from .errors import http_error

    async def unknown(request: Request, e: Exception):
        return http_error(request, 404)

    for route in app.router.routes:
        if isinstance(route, Mount) and route.path == "":
            cast(FastAPI, route.app).add_exception_handler(FnIndexInferError, unknown)


class ChineseLang:
    """Gradio's page says <html lang="en">: screen readers then read Chinese with an English
    voice and browsers offer to translate. Rewritten to zh-CN on the page's HTML only."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != "/":
            return await self.app(scope, receive, send)
        start, body = {}, []

        async def buffered(message):
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":  # e.g. the test client's http.response.debug
                return await send(message)
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            html_bytes = b"".join(body).replace(b'<html\n\tlang="en"', b'<html\n\tlang="zh-CN"', 1).replace(b'<html lang="en"', b'<html lang="zh-CN"', 1)
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            await send({**start, "headers": [*headers, (b"content-length", str(len(html_bytes)).encode())]})
            await send({"type": "http.response.body", "body": html_bytes})

        await self.app(scope, receive, buffered)
