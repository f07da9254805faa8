"""``qa-service docs``: the knowledge administrator's commands.

    qa-service docs add FILE [--region 西安市] [--title …] [--level city] [--id …]
    qa-service docs replace ID FILE
    qa-service docs retire ID [--reason …]
    qa-service docs list [--json] | docs history [--json]
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

docs_app = typer.Typer(no_args_is_help=True, help="add, replace and retire policy documents (the index is updated at once)")


def _run(op, *args, **kw):
    from .cli import err, fail, state
    from .errors import QAError
    from .index.store import IndexUnavailable

    try:
        outcome = op(state.settings, *args, **kw)
    except (QAError, IndexUnavailable) as e:
        fail(f"{e.zh} / {e.en}")
    for w in outcome.warnings:
        err.print(f"[yellow]警告 / warning: {w}[/yellow]")
    for d in outcome.documents:
        err.print(f"{outcome.action}: {d.id} 《{d.title}》 {d.doc_number or ''} {d.date or ''} {d.region or ''} [{d.status}]")
    what = "no longer answered" if outcome.action == "retire" else f"{outcome.embedded_new} newly embedded"
    err.print(f"{outcome.items} items {what}; index {outcome.build_id} published in {outcome.seconds}s")
    return outcome


def _overrides(title: str | None, region: str | None, level: str | None, doc_number: str | None, issuer: str | None, date: str | None) -> dict:
    given = {"title": title, "region": region, "level": level, "doc_number": doc_number, "issuer": issuer, "date": date}
    return {k: v for k, v in given.items() if v}


@docs_app.command("add")
def docs_add(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help=".docx, .pdf, .html, .txt or .md"),
    doc_id: Optional[str] = typer.Option(None, "--id", help="stable id for citations (default: from the file name)"),
    title: Optional[str] = typer.Option(None, help="correct the title the parser read"),
    region: Optional[str] = typer.Option(None, help="西安市, 西咸新区, 陕西省 … (default: from the issuer)"),
    level: Optional[str] = typer.Option(None, help="province | city | district | new_area"),
    doc_number: Optional[str] = typer.Option(None, "--doc-number", help="文号, where the file does not print it"),
    issuer: Optional[str] = typer.Option(None, help="发文机关"),
    date: Optional[str] = typer.Option(None, help="发布日期, 2023-06-03 or 2023"),
) -> None:
    """Add a policy document; only its items are embedded, the index is republished atomically."""
    from .docs import add

    _run(add, file, doc_id=doc_id, overrides=_overrides(title, region, level, doc_number, issuer, date))


@docs_app.command("replace")
def docs_replace(
    doc_id: str = typer.Argument(..., help="the document's id or 文号"),
    file: Path = typer.Argument(..., exists=True, dir_okay=False),
    title: Optional[str] = typer.Option(None), region: Optional[str] = typer.Option(None), level: Optional[str] = typer.Option(None),
    doc_number: Optional[str] = typer.Option(None, "--doc-number"), issuer: Optional[str] = typer.Option(None),
    date: Optional[str] = typer.Option(None),
) -> None:
    """A new version of a document under the same id; the old file is kept in corpus/.archive/."""
    from .docs import replace

    _run(replace, doc_id, file, overrides=_overrides(title, region, level, doc_number, issuer, date))


@docs_app.command("retire")
def docs_retire(doc_id: str = typer.Argument(..., help="the document's id or 文号"),
                reason: Optional[str] = typer.Option(None, help="e.g. 已被陕政办发〔2024〕5号替代")) -> None:
    """Stop answering from a document (it stays listed as 已废止)."""
    from .docs import retire

    _run(retire, doc_id, reason)


@docs_app.command("list")
def docs_list(as_json: bool = typer.Option(False, "--json", help="one JSON object per document")) -> None:
    """Every document with its status (现行 / 已到期 / 已废止 / 被替代) and period."""
    from .cli import out, state
    from .docs import list_documents

    rows = list_documents(state.settings)
    if as_json:
        for r in rows:
            print(json.dumps(r, ensure_ascii=False))
        return
    t = Table(title=f"{len(rows)} documents")
    for col in ("id", "title", "文号", "date", "region", "status", "valid until", "items"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(r["id"], r["title"], r["doc_number"] or "–", r["date"] or "–", r["region"] or "–", r["status"],
                  r["valid_until"] or "–", str(r["items"]))
    out.print(t)


@docs_app.command("history")
def docs_history(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every add, replace and retire: when, which document, by whom."""
    from .cli import out, state
    from .docs import history

    for c in history(state.settings):
        print(json.dumps(c, ensure_ascii=False)) if as_json else out.print(f"{c['at']}  {c['action']:<8} {c['doc_id']}  {c['file'] or ''}  {c['by']}  {c['detail'] or ''}")
