"""What gets embedded and keyword-indexed for an item: its text in context.

A clause such as 「19.提升开办企业质效…」 only says 企业开办 in its heading, and
「3个工作日内办结用水报装」 only says 西咸 in its document's title, so both
indexes see the document's short title and the heading path before the text.

>>> from qa_service.models import Document, Item
>>> d = Document(id="d", title="咸阳市人民政府办公室关于印发2023年深化“放管服”改革工作要点的通知",
...              attachment_title="咸阳市2023年深化“放管服”改革工作要点", source_file="f")
>>> short_title(d)
'咸阳市2023年深化“放管服”改革工作要点'
"""
from __future__ import annotations

from ..models import Document, Item

# bump when what is embedded or how it is tokenized changes (3: the sentence channel; 4: coinages'
# parts in the dictionary): every build must be redone (vectors come from the cache)
RECIPE_VERSION = 4


def short_title(doc: Document) -> str:
    return doc.short_title


def passage_text(doc: Document, item: Item) -> str:
    if item.kind == "header":
        meta = "，".join(x for x in (doc.doc_number, doc.issuer, doc.date, doc.region) if x)
        return f"{doc.title}｜{short_title(doc)}｜{meta}｜{item.text}"
    heading = "｜".join(item.heading_path[-2:])
    scope = "省外经验：" if item.scope.value == "省外经验" else ""
    return f"{short_title(doc)}｜{heading}｜{scope}{item.text}" if heading else f"{short_title(doc)}｜{scope}{item.text}"
