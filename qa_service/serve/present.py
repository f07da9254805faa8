"""How a hit or an answer is shown, in one place for the API, the web page and the CLI:
a hit as JSON, HTML escaping, the hotline's ready reply, the sources under a chat reply.

Nothing here imports the API or the page, so both can import it (the page used to import
``serve.api`` for ``search_hit`` while the API imported the page to mount it).

>>> esc('<script>"x"</script>')
'&lt;script&gt;&quot;x&quot;&lt;/script&gt;'
>>> message_text([{"type": "text", "text": "企业"}, {"type": "image_url"}, {"type": "text", "text": "开办"}])
'企业开办'
"""
from __future__ import annotations

import html

from ..models import Answer, Hit
from ..retrieve.retriever import mark
from .schemas import SearchHit

OTHER_PROVINCE_NOTE = "（注：此为外省做法，非陕西规定）"


def esc(s: object) -> str:
    """Text for HTML: policy clauses are data, never markup (quotes too, for attributes)."""
    return html.escape("" if s is None else str(s))


def reply_text(h: Hit) -> str:
    """复制答复口径: what a hotline agent reads out, with the citation."""
    d, it = h.document, h.item
    meta = "，".join(x for x in (d.doc_number, d.issuer, d.date) if x)
    note = OTHER_PROVINCE_NOTE if it.scope.value == "省外经验" else ""
    return f"根据{d.cite(it)}{('（' + meta + '）') if meta else ''}：{it.text}{note}"


def search_hit(h: Hit) -> SearchHit:
    """A hit as the API and the page show it: escaped text with <mark>ed words and a ready reply."""
    d, it = h.document, h.item
    return SearchHit(
        item_id=it.id, doc_id=d.id, doc_title=d.title, attachment_title=d.attachment_title, doc_number=d.doc_number,
        issuer=d.issuer, date=d.date, region=d.region, level=d.level, path=it.citation_path(), citation=d.cite(it),
        scope=it.scope, kind=it.kind, text=it.text, highlighted=mark(esc(it.text), h.highlights), highlights=h.highlights,
        responsibility=it.responsibility.model_dump(exclude_defaults=True), score=h.score, reply=reply_text(h),
        doc_status=d.status, valid_until=d.valid_until,
    )


def hit_json(h: Hit) -> dict:
    """A hit as the CLI prints it (with the dense and keyword scores, for tuning)."""
    d = h.document
    return {
        "item_id": h.item.id, "doc_id": d.id, "doc_title": d.title, "attachment_title": d.attachment_title,
        "doc_number": d.doc_number, "issuer": d.issuer, "date": d.date, "region": d.region,
        "path": h.item.citation_path(), "citation": d.cite(h.item), "scope": h.item.scope.value, "kind": h.item.kind,
        "text": h.item.text, "score": h.score, "dense": h.dense, "keyword": h.keyword,
    }


def sources_text(a: Answer) -> str:
    """The sources under a plain-text reply (the OpenAI-compatible endpoint)."""
    cites = a.citations or a.related
    if not cites:
        return ""
    head = "\n\n参考来源：" if a.found else "\n\n可能相关的条款："
    return head + "".join(f"\n[{c.n}] {c.citation}" + (f"（{c.doc_number}）" if c.doc_number else "") for c in cites)


def message_text(content: object) -> str:
    """The text of a chat message: a string, or OpenAI / Gradio content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # [{"type": "text", "text": "…"}, {"type": "image_url", …}]
        return "".join(p["text"] for p in content
                       if isinstance(p, dict) and p.get("type", "text") == "text" and isinstance(p.get("text"), str))
    return ""
