"""The 文件库 tab's administrator panel: add, replace and retire a document from the page.

Shown only when ``QA_ADMIN_KEYS`` is set, and every action asks for an admin key; it calls
the same operations as ``qa-service docs`` and the admin API (qa_service/docs.py).
"""
from __future__ import annotations

import hmac
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .. import docs
from ..errors import QAError
from ..index.store import IndexUnavailable

if TYPE_CHECKING:
    from ..service import QAService

ACTIONS = ("添加", "替换", "废止")
LEVELS = [("（按发文机关推断）", ""), ("省级 province", "province"), ("市级 city", "city"), ("区县 district", "district"), ("新区 new_area", "new_area")]


class AdminPanel:
    """The handler, apart from the layout so that it can be tested without a browser."""

    def __init__(self, settings, qa_getter: Callable[[], "QAService | None"]):
        self.settings = settings
        self.qa_getter = qa_getter

    def submit(self, key: str, action: str, file: str | None, doc_id: str, title: str, region: str, level: str, reason: str) -> str:
        try:
            self._check_key(key or "")
            out = self._run(action, file, (doc_id or "").strip(), {"title": title, "region": region, "level": level}, reason)
        except (QAError, IndexUnavailable) as e:
            return f"**未完成**：{e.zh}（{e.en}）"
        qa = self.qa_getter()
        if qa is not None:
            qa.check_index(force=True)
        names = "、".join(f"{d.id}《{d.title}》[{d.status}]" for d in out.documents)
        return f"**已{action}**：{names}；{out.items} 条条款，新嵌入 {out.embedded_new} 条，用时 {out.seconds} 秒。几秒内生效，刷新页面可见。"

    def _check_key(self, key: str) -> None:
        if not any(hmac.compare_digest(key.encode(), k.encode()) for k in self.settings.admin_key_set()):
            raise QAError("unauthorized", "管理密钥不正确", "invalid admin key", status=401)

    def _run(self, action: str, file: str | None, doc_id: str, fields: dict, reason: str):
        overrides = {k: v.strip() for k, v in fields.items() if v and v.strip()}
        if action == "废止":
            if not doc_id:
                raise QAError("invalid_request", "请填写要废止的文件编号或文号", "give the id or 文号 of the document to retire")
            return docs.retire(self.settings, doc_id, (reason or "").strip() or None, by="page")
        if not file:
            raise QAError("invalid_request", "请先选择文件", "choose a file first")
        path = Path(file)
        if action == "替换":
            if not doc_id:
                raise QAError("invalid_request", "请填写要替换的文件编号或文号", "give the id or 文号 of the document to replace")
            return docs.replace(self.settings, doc_id, path, name=path.name, overrides=overrides, by="page")
        return docs.add(self.settings, path, name=path.name, doc_id=doc_id or None, overrides=overrides, by="page")


def admin_panel(settings, qa_getter: Callable[[], "QAService | None"]) -> None:
    """The panel, inside the current Blocks context; nothing at all without admin keys."""
    import gradio as gr

    if settings is None or not settings.admin_key_set():
        return
    panel = AdminPanel(settings, qa_getter)
    with gr.Accordion("管理员：添加、替换、废止文件", open=False, elem_id="admin-panel"):
        with gr.Row():
            key = gr.Textbox(label="管理密钥", type="password", scale=1)
            action = gr.Radio(list(ACTIONS), value=ACTIONS[0], label="操作", scale=2)
        file = gr.File(label="文件（.docx / .pdf / .html / .txt / .md）", type="filepath",
                       file_types=[".docx", ".pdf", ".html", ".htm", ".txt", ".md"])
        with gr.Row():
            doc_id = gr.Textbox(label="文件编号（替换、废止时必填；添加时可选）")
            title = gr.Textbox(label="标题（更正时填写）")
            region = gr.Textbox(label="地区（如 西安市）")
            level = gr.Dropdown(choices=LEVELS, value="", label="级别")
        reason = gr.Textbox(label="废止原因（可选）")
        submit = gr.Button("提交", variant="primary", elem_id="admin-submit")
        result = gr.Markdown(elem_id="admin-result")
        submit.click(panel.submit, inputs=[key, action, file, doc_id, title, region, level, reason], outputs=result)
