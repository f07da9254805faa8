"""Paragraphs of a file -> documents, each with its header metadata and its parts.

A compilation (a yearbook section) holds numbered documents, each opening with
``N. <title>（YYYY年M月D日）`` and its own 文号 line; any other file is one
document. Inside a document: header, covering notice, signature (issuer and
date), attachment list, the attachments themselves, and a footer (抄送/印发).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from .markers import (
    ADDRESSEE_RE,
    ATTACH_RE,
    DATE_IN_TITLE_RE,
    DATE_LINE_RE,
    DOCHDR_RE,
    DOCNO_RE,
    FOOTER_RE,
    ORG_LINE_RE,
    iso_date,
    match_marker,
)
from .normalize import cjk_len
from .paragraphs import TITLE_END_RE, Para

ORG_PREFIX_RE = re.compile(
    r"^((?:中共[\u4e00-\u9fff]{2,6}[省市区县]委)?[\u4e00-\u9fff]{2,30}?(?:人民政府办公厅|人民政府办公室|人民政府|办公厅|办公室|委员会|局|管委会))(?:关于|印发)"
)
MASTHEAD_RE = re.compile(r"^(?:中共)?[\u4e00-\u9fff（）]{2,30}(?:人民政府办公厅|人民政府办公室|人民政府|办公厅|办公室|委员会|局|管委会)文件$")
_TWO_ORGS_RE = re.compile(r"^(中共[\u4e00-\u9fff]{2,6}?[省市区县]委)([\u4e00-\u9fff]{2,8}人民政府)$")


@dataclass
class Part:
    kind: str  # notice | main | attachment
    title: str | None
    paras: list[Para]
    prefix: str  # id prefix: "n" for the notice, "" for the main text, "a2" …
    label: str | None  # path label: "通知正文", "附件1" …


@dataclass
class DocDraft:
    seq: int
    title: str
    doc_number: str | None = None
    issuer: str | None = None
    signer: str | None = None
    date: str | None = None
    header: list[Para] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)
    signature: list[Para] = field(default_factory=list)
    attachments: list[Para] = field(default_factory=list)
    footer: list[Para] = field(default_factory=list)
    all_paras: list[Para] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def line_start(self) -> int:
        return self.all_paras[0].line_start

    @property
    def line_end(self) -> int:
        return self.all_paras[-1].line_end

    def pages(self) -> tuple[int | None, int | None]:
        ps = [p for para in self.all_paras for p in para.pages if p is not None]
        return (min(ps), max(ps)) if ps else (None, None)


def split_documents(paras: list[Para]) -> tuple[list[list[Para]], list[Para]]:
    """Documents of a compilation (numbered headers with a date), or the whole file as one.

    Returns the documents' paragraphs and whatever preceded the first header.
    """
    heads, expect = [], 1
    for i, p in enumerate(paras):
        m = DOCHDR_RE.match(p.text)
        if m and int(m.group(1)) == expect and DATE_IN_TITLE_RE.search(p.text):
            heads.append(i)
            expect += 1
    if len(heads) < 2:
        return [paras], []
    docs = [paras[a:b] for a, b in zip(heads, heads[1:] + [len(paras)])]
    return docs, paras[: heads[0]]


def clean_title(title: str) -> str:
    """Repair a title as printed: 《X》内容摘要 -> X（内容摘要）, a mismatched （…》 bracket."""
    t = title.strip()
    m = re.match(r"^《(.+)》((?:内容)?摘要)$", t)
    if m:
        t = f"{m.group(1)}（{m.group(2)}）"
    if t.count("（") > t.count("）") and t.endswith("》") and t.count("《") < t.count("》"):
        t = t[:-1] + "）"
    return t


def issuer_from_title(title: str) -> str | None:
    m = ORG_PREFIX_RE.match(title)
    if not m:
        return None
    org = m.group(1)
    two = _TWO_ORGS_RE.match(org)
    return f"{two.group(1)}、{two.group(2)}" if two else org


def _is_masthead(p: Para) -> bool:
    """「西安市人民政府办公厅文件」: a markdown heading in converted text, a plain first line in Word or PDF."""
    return p.text.endswith("文件") and (p.md_level == 1 or bool(MASTHEAD_RE.match(p.text)))


def _is_signature_para(p: Para) -> bool:
    return bool(ORG_LINE_RE.match(p.text) or (DATE_LINE_RE.match(p.text) and not p.text.endswith("印发")))


def build_document(seq: int, paras: list[Para], compiled: bool) -> DocDraft:
    rest = list(paras)
    header: list[Para] = []
    title = ""
    date = doc_number = None
    if compiled:
        head = rest.pop(0)
        header.append(head)
        t = DOCHDR_RE.sub(lambda m: m.group(2) or "", head.text, count=1)
        t = re.sub(r"^\d{1,2}\.", "", t)
        dm = DATE_IN_TITLE_RE.search(t)
        if dm:
            date = iso_date(*dm.groups())
            t = t[: dm.start()]
        title = t
    else:
        # skip "附件：", a masthead ("…文件"); a 文号 may precede the title
        while rest and (ATTACH_RE.match(rest[0].text) or _is_masthead(rest[0])):
            header.append(rest.pop(0))
        while rest and DOCNO_RE.match(rest[0].text):
            doc_number = rest[0].text
            header.append(rest.pop(0))
        if rest and not match_marker(rest[0].text) and cjk_len(rest[0].text) <= 90 and not rest[0].text.endswith("。"):
            title_paras = [rest.pop(0)]
            # titles broken over lines: join while the title does not yet end like one
            while (
                rest
                and not TITLE_END_RE.search(clean_title("".join(p.text for p in title_paras)))
                and not match_marker(rest[0].text)
                and cjk_len(rest[0].text) <= 40
                and len(title_paras) < 3
            ):
                title_paras.append(rest.pop(0))
            header += title_paras
            title = "".join(p.text for p in title_paras)
    if rest and DOCNO_RE.match(rest[0].text):
        doc_number = rest[0].text
        header.append(rest.pop(0))
    if rest and ADDRESSEE_RE.match(rest[0].text):
        header.append(rest.pop(0))
    title = clean_title(title)
    draft = DocDraft(seq=seq, title=title, doc_number=doc_number, date=date, header=header, all_paras=list(paras))
    _split_parts(draft, rest)
    draft.issuer = issuer_from_title(title) or draft.signer
    if draft.signer == draft.issuer:
        draft.signer = None
    if not title:
        draft.notes.append("no title recognized")
    return draft


def _split_parts(d: DocDraft, paras: list[Para]) -> None:
    """Cut the body at signatures, attachment titles and footers."""
    segments: list[tuple[str | None, str | None, list[Para]]] = [(None, None, [])]  # (title, attach label, paras)
    i = 0
    signed_date = None
    while i < len(paras):
        p = paras[i]
        if FOOTER_RE.match(p.text) or (DATE_LINE_RE.match(p.text) and p.text.endswith("印发")):
            d.footer += paras[i:]
            break
        if _is_signature_para(p) and (i + 1 == len(paras) or _is_signature_para(paras[i + 1]) or DATE_LINE_RE.match(p.text)):
            j = i
            while j < len(paras) and _is_signature_para(paras[j]) and not paras[j].text.endswith("印发"):
                j += 1
            block = paras[i:j]
            if any(DATE_LINE_RE.match(b.text) for b in block):
                orgs = [b.text for b in block if ORG_LINE_RE.match(b.text)]
                dates = [b.text for b in block if DATE_LINE_RE.match(b.text)]
                if orgs and not d.signer:
                    d.signer = "、".join(orgs)
                signed_date = signed_date or DATE_LINE_RE.match(dates[0])
                d.signature += block
                # contact line / publication note right after the signature
                while j < len(paras) and re.match(r"^[（(](?:联系人|此件)", paras[j].text):
                    d.signature.append(paras[j])
                    j += 1
                i = j
                continue
        am = ATTACH_RE.match(p.text)
        if am:
            label = f"附件{am.group(1)}" if am.group(1) else "附件"
            if am.group(2) and not am.group(2).startswith(("（略", "(略")) and not (am.group(1) == "" and am.group(2)):
                # "附件1.第一批…清单" followed by "2.…": a list of attachments, not their text
                pass
            if am.group(1) and not am.group(2):
                # "附件1" alone: the attachment's own text follows, under its title
                title = None
                if i + 1 < len(paras) and paras[i + 1].title_block:
                    title = paras[i + 1].text
                    i += 1
                segments.append((title, label, []))
                i += 1
                continue
            # an attachment list: this paragraph and the numbered titles right after it
            d.attachments.append(p)
            i += 1
            while i < len(paras) and re.match(r"^\d{1,2}[.．、]", paras[i].text) and not paras[i].text.endswith("。") and cjk_len(paras[i].text) < 60:
                d.attachments.append(paras[i])
                i += 1
            continue
        if p.title_block or (p.md_level and p.md_level <= 2 and not match_marker(p.text) and segments[-1][2]):
            segments.append((p.text, None, []))
            i += 1
            continue
        segments[-1][2].append(p)
        i += 1
    if signed_date and not d.date:
        d.date = iso_date(*signed_date.groups()[:3])
    segments = [s for s in segments if s[2] or s[0]]
    if not segments:
        return
    # before an attachment that carries the document's content, the text is its covering notice
    has_notice = len(segments) > 1 and segments[0][0] is None
    n_attach = 0
    for k, (title, label, ps) in enumerate(segments):
        if has_notice and k == 0:
            d.parts.append(Part("notice", None, ps, "n", "通知正文"))
            continue
        n_attach += 1
        main = n_attach == 1
        prefix = "" if main else f"a{n_attach}"
        d.parts.append(Part("main" if main else "attachment", title, ps, prefix, label if (label and not main) or (label and n_attach > 0 and len(segments) > 2) else None))


def default_doc_id(file_stem: str, title: str, multi: bool) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", file_stem.lower()).strip("-") or "doc"
    return f"{stem}-{hashlib.sha1(title.encode()).hexdigest()[:6]}" if multi else stem
