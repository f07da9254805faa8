"""A government web page saved as ``.html``: the article's text, without the site around it.

Government sites put the article in a known container (``#zoom``, ``.TRS_Editor`` …, the
TRS and 政府网站 templates) and describe it in ``<meta>`` tags (``ArticleTitle``,
``PubDate``, ``ContentSource``). Where no known container is found, the deepest element
holding most of the page's non-link text is taken. Navigation, headers, footers, side
bars and share buttons are dropped first. BeautifulSoup with the standard library's
parser: on a generated page of the 渭滨区 plan it gave the text exactly (trafilatura added
the page heading and needs a dozen more packages).
"""
from __future__ import annotations

import re
from pathlib import Path

from ..reader import CorpusFileError
from . import Extracted

# TRS and 政府网站 templates first (#Zoom on gov.cn, #UCAP-CONTENT on 开普 sites, #js_content for
# an official account's article), then generic ones
CONTENT_SELECTORS = ("#zoom", "#Zoom", ".TRS_Editor", "#UCAP-CONTENT", ".pages_content", ".Custom_UnionStyle", ".article-content",
                     ".TRS_UEDITOR", "#zoomcon", ".article_con", "#js_content", "#content", ".content", "article", "main")
NOISE_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "button", "select")
# words in a class or id that mark the site around an article (topNav, site-footer, bread_crumb …);
# whole words only: id="printContent" is often the article itself
NOISE_WORDS = {"nav", "navbar", "menu", "header", "head", "footer", "foot", "crumb", "breadcrumb", "share", "sidebar", "side",
               "related", "toolbar", "copyright", "banner", "search", "login", "links"}
BLOCK_TAGS = {"p", "div", "section", "article", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr", "table", "center"}
META_KEYS = {"title": ("ArticleTitle", "og:title"), "date": ("PubDate", "publishdate", "article:published_time"),
             "issuer": ("ContentSource", "author")}


def read_html(path: Path, data: bytes) -> Extracted:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser", from_encoding=_gb_superset(data))  # else the page's own charset
    meta = _meta(soup)
    _drop_noise(soup)
    root = _content_root(soup)
    text = "\n".join(_drop_repeated_heading(_lines(root))) if root is not None else ""
    if not re.search(r"[\u4e00-\u9fffA-Za-z]", text):
        raise CorpusFileError(path, "网页中没有找到正文", "no article text found in the web page")
    return Extracted(text, "html", meta)


def _gb_superset(data: bytes) -> str | None:
    """Pages that declare gb2312 or gbk are read as gb18030, their superset: Python's gb2312
    turns the dash of 10—12个工作日 (A1AA) into U+2015, and real pages use GBK characters anyway.

    >>> _gb_superset(b'<meta charset="GB2312">'), _gb_superset(b'<meta charset="utf-8">')
    ('gb18030', None)
    """
    m = re.search(rb"charset\s*=\s*[\"']?\s*(gb2312|gbk|gb_2312-80|x-gbk)", data[:4096], re.I)
    return "gb18030" if m else None


def _meta(soup) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, names in META_KEYS.items():
        for name in names:
            tag = soup.find("meta", attrs={"name": name}) or soup.find("meta", attrs={"property": name})
            if tag and tag.get("content", "").strip():
                out[key] = tag["content"].strip()
                break
    if "title" not in out and soup.title and soup.title.string:
        out["title"] = re.split(r"[_|｜-]", soup.title.string.strip())[0].strip()  # "标题_某某区人民政府"
    if "date" in out:
        m = re.match(r"(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})", out["date"])
        out["date"] = f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else out.pop("date")
    return out


def _drop_noise(soup) -> None:
    for tag in soup(NOISE_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.decomposed or tag.name in ("html", "body"):
            continue
        marks = " ".join([tag.get("id") or "", *(tag.get("class") or [])])
        if _noise_words(marks) and not _is_content(tag):
            tag.decompose()


def _noise_words(marks: str) -> bool:
    """Whether a class or id names page chrome, by whole words.

    >>> _noise_words("topNav"), _noise_words("site-footer"), _noise_words("printContent"), _noise_words("navigator")
    (True, True, False, False)
    """
    return any(w.lower() in NOISE_WORDS for w in re.findall(r"[a-z]+|[A-Z][a-z]*", marks))


def _is_content(tag) -> bool:
    return any(tag.select_one(sel) is not None or _matches(tag, sel) for sel in CONTENT_SELECTORS[:11])


def _matches(tag, sel: str) -> bool:
    if sel.startswith("#"):
        return tag.get("id") == sel[1:]
    return sel.startswith(".") and sel[1:] in (tag.get("class") or [])


def _content_root(soup):
    for sel in CONTENT_SELECTORS:
        hit = soup.select_one(sel)
        if hit is not None and len(_plain(hit)) >= 50:
            return hit
    body = soup.body or soup
    total = len(_plain(body))
    best = body
    # the deepest element still holding most of the page's text: the article, not the page
    for tag in body.find_all([*BLOCK_TAGS, "td"]):
        if len(_plain(tag)) >= 0.7 * total and _depth(tag) > _depth(best):
            best = tag
    return best


def _plain(tag) -> str:
    """Text outside links: navigation is mostly links, an article mostly not."""
    links = sum(len(a.get_text(strip=True)) for a in tag.find_all("a"))
    text = re.sub(r"\s+", "", tag.get_text())
    return text[: max(0, len(text) - links)]


def _depth(tag) -> int:
    return sum(1 for _ in tag.parents)


def _drop_repeated_heading(lines: list[str]) -> list[str]:
    """The page's heading above an article that prints its own title again: kept once.

    >>> _drop_repeated_heading(["某某实施方案", "附件：", "某某 实施方案", "一、总体要求"])
    ['附件：', '某某 实施方案', '一、总体要求']
    """
    squeeze = lambda s: re.sub(r"\s+", "", s)
    if lines and any(squeeze(l) == squeeze(lines[0]) for l in lines[1:4]):
        return lines[1:]
    return lines


def _is_data_row(tr) -> bool:
    """A row of a real table (its cells are short text), not a layout table's row that holds
    the article itself (old government sites lay pages out with tables)."""
    cells = tr.find_all(["td", "th"], recursive=False)
    return len(cells) > 1 and not any(c.find(["p", "div", "br", "table"]) for c in cells)


def _lines(root) -> list[str]:
    """Block elements and <br> break lines; a table row is one line, cells joined by ' | '."""
    from bs4 import NavigableString

    out: list[str] = [""]

    def walk(node) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if type(child).__name__ in ("Comment", "Doctype", "Declaration"):
                    continue
                out[-1] += str(child).replace("\n", " ")
            elif child.name == "br":
                out.append("")
            elif child.name == "tr" and _is_data_row(child):
                cells = [c.get_text(" ", strip=True) for c in child.find_all(["td", "th"], recursive=False)]
                out.extend([" | ".join(c for c in cells if c), ""])
            elif child.name in ("td", "th"):  # a layout table's cell holds text blocks of its own
                out.append("")
                walk(child)
                out.append("")
            elif child.name in BLOCK_TAGS:
                out.append("")
                walk(child)
                out.append("")
            else:
                walk(child)

    walk(root)
    return [l.strip() for l in out if l.strip()]
