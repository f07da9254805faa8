"""The web page (Gradio), mounted in the API app: 政策咨询 for entrepreneurs, 坐席检索 for
hotline agents, 文件库 to browse the documents. (Filled in by the UI module.)"""
from __future__ import annotations


def mount_ui(app, qa_getter, settings) -> None:
    return None
