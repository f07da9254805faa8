"""Real .docx, PDF and HTML files made from a policy text, as an administrator would receive them.

* ``.docx``: one Word paragraph per line of the text (python-docx), optionally a table;
* PDF: reportlab with its built-in CID font STSong-Light (no font file needed), the
  text wrapped at the page's measure (by printed width, as a word processor wraps), page
  numbers in the margin;
* HTML: a government page template: masthead, navigation, breadcrumb, the article in
  ``#zoom``, side bar of related links, footer with the site's ICP number.
"""
from __future__ import annotations

import html
from pathlib import Path

MEASURE = 38 * 11  # points: 38 CJK characters of 11 pt, a printed government page's measure


def text_lines(text: str) -> list[str]:
    return [l.strip() for l in text.split("\n") if l.strip()]


def make_docx(text: str, path: Path, table: list[list[str]] | None = None, title: str | None = None) -> Path:
    import docx

    d = docx.Document()
    for line in text_lines(text):
        d.add_paragraph(line)
    if table:
        t = d.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                t.cell(r, c).text = cell
    if title:
        d.core_properties.title = title
    d.save(path)
    return path


def make_pdf(text: str, path: Path, *, encrypt: str | None = None, image_only: bool = False) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), pagesize=A4, encrypt=encrypt)
    width, height = A4
    page, y = 1, height - 60

    def new_page():
        nonlocal page, y
        c.setFont("STSong-Light", 9)
        c.drawCentredString(width / 2, 30, f"— {page} —")  # the printed page number
        c.showPage()
        page, y = page + 1, height - 60

    for line in text_lines(text):
        for printed in wrap(line, lambda s: pdfmetrics.stringWidth(s, "STSong-Light", 11)):
            if y < 60:
                new_page()
            if image_only:  # a scan: marks on the page, no text layer
                c.rect(50, y, pdfmetrics.stringWidth(printed, "STSong-Light", 11), 10, fill=1)
            else:
                c.setFont("STSong-Light", 11)
                c.drawString(50, y, printed)
            y -= 16
    new_page()
    c.save()
    return path


def make_html(text: str, path: Path, *, title: str, date: str = "2023-03-01", source: str = "", old_style: bool = False) -> Path:
    body = "\n".join(f"<p style=\"text-indent:2em\">{html.escape(l)}</p>" for l in text_lines(text))
    if old_style:
        return _old_style_page(text, path, title)
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}_某某区人民政府</title>
<meta name="ArticleTitle" content="{html.escape(title)}"><meta name="PubDate" content="{date} 10:00">
<meta name="ContentSource" content="{html.escape(source)}"><script>var _hmt = [];</script></head>
<body>
<div class="top-header"><a href="/">首页</a> <a href="/zwgk">政务公开</a> <a href="/hdjl">互动交流</a> 无障碍 长者模式</div>
<div class="nav"><ul><li><a href="#">首页</a></li><li><a href="#">政府信息公开</a></li><li><a href="#">政策文件</a></li><li><a href="#">政策解读</a></li></ul></div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="#">政务公开</a> &gt; 政策文件</div>
<div class="main"><h1>{html.escape(title)}</h1>
<div class="info">发布时间：{date} 来源：{html.escape(source)} 浏览次数：1234 【字体：大 中 小】 打印本页 关闭窗口</div>
<div class="TRS_Editor" id="zoom">
{body}
</div>
<div class="share">分享到：微信 微博</div></div>
<div class="side"><h3>相关文章</h3><ul><li><a href="#">关于印发某区2022年工作要点的通知</a></li><li><a href="#">某区优化营商环境十条措施</a></li></ul></div>
<div class="footer">主办单位：某某区人民政府办公室 地址：某某区某某路1号 联系电话：0917-1234567 陕ICP备00000000号 网站标识码6103020001</div>
</body></html>"""
    path.write_text(page, encoding="utf-8")
    return path


def wrap(line: str, measure) -> list[str]:
    out = [""]
    for ch in line:
        if measure(out[-1] + ch) > MEASURE:
            out.append("")
        out[-1] += ch
    return out


def _old_style_page(text: str, path: Path, title: str) -> Path:
    """An older government page: GBK, laid out with tables, lines separated by <br>, no ids."""
    body = "<br>\n".join("&nbsp;&nbsp;&nbsp;&nbsp;" + html.escape(l) for l in text_lines(text))
    page = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>{html.escape(title)}</title></head>
<body><table width="100%"><tr><td><a href="/">网站首页</a> | <a href="#">机构概况</a> | <a href="#">政务公开</a> | <a href="#">办事服务</a></td></tr>
<tr><td><table><tr><td width="20%"><a href="#">通知公告</a><br><a href="#">政策法规</a><br><a href="#">工作动态</a></td>
<td width="80%"><div align="center"><b>{html.escape(title)}</b></div>
<font size="3">{body}</font></td></tr></table></td></tr>
<tr><td>版权所有：某某区人民政府 技术支持：某某网络公司 陕ICP备00000000号</td></tr></table></body></html>"""
    path.write_bytes(page.encode("gbk", errors="xmlcharrefreplace"))
    return path
