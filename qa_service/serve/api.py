"""The HTTP API (FastAPI): the mini-program's JSON endpoints, search for hotline agents,
document browsing, an OpenAI-compatible chat endpoint, health checks.

Every response carries ``X-Request-ID`` and ``X-Response-Time-ms``; every error is a
4xx JSON body ``{code, message (中文), message_en, request_id}``; user input never
produces a 500. The OpenAPI schema lists every status code an operation can return
(``tests/test_robustness.py`` fuzzes the live server against it).
"""
from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from contextlib import asynccontextmanager
from typing import Iterator

import anyio
from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..config import Settings
from ..errors import QAError
from ..index.store import IndexUnavailable
from ..models import Level, SearchFilters
from ..retrieve.retriever import mark
from ..service import QAService
from .admin import ADMIN_PREFIX, router as admin_router
from .feedback import close_log, open_log, record
from .feedback import router as feedback_router
from .figures import router as figures_router
from .guard import BodyLimit, RequestTooLarge, RateLimiter
from .schemas import (
    AskRequest,
    AskResponse,
    ChatRequest,
    DocumentDetail,
    DocumentSummary,
    ErrorBody,
    ItemDetail,
    SearchHit,
    SearchResponse,
)

log = logging.getLogger("qa_service.api")
API_PREFIXES = ("/api/", "/v1/")
MAX_BODY_BYTES = 1_000_000  # the largest valid request (20 turns of 4000 characters, \u-escaped) is under half of it
_ERR = {"model": ErrorBody}
# what any /api/ or /v1/ operation can answer besides 200; 401 only when QA_API_KEYS is set
ERRORS = {400: _ERR, 401: _ERR, 404: _ERR, 405: _ERR, 503: _ERR,
          429: _ERR | {"headers": {"Retry-After": {"required": True, "description": "seconds to wait", "schema": {"type": "integer"}}}}}
# operations that take a JSON body can also refuse its size or its type
BODY_ERRORS = ERRORS | {413: _ERR, 415: _ERR}
JSON_BODY_PATHS = ("/api/v1/ask", "/api/v1/ask/stream", "/v1/chat/completions", "/api/v1/feedback")
# one server-sent event (OpenAPI describes a text/event-stream by the schema of its events)
SSE_EVENT = {"type": "object", "required": ["event", "data"], "properties": {
    "event": {"enum": ["meta", "delta", "reset", "answer", "error", "done"]},
    "data": {"type": "string", "contentMediaType": "application/json", "description": "the event's JSON payload"}}}
CHAT_CHUNK_EVENT = {"type": "object", "required": ["data"], "properties": {
    "data": {"type": "string", "description": "a chat.completion.chunk as JSON, then [DONE]"}}}


def error(status: int, code: str, zh: str, en: str, request: Request | None = None, field: str | None = None, headers: dict | None = None) -> JSONResponse:
    rid = getattr(request.state, "request_id", None) if request is not None else None
    body = {"code": code, "message": zh, "message_en": en, "request_id": rid, **({"field": field} if field else {})}
    return JSONResponse(body, status_code=status, headers=headers)


class NotReady(Exception):
    pass


def public_reason(e: Exception) -> tuple[str, str]:
    """What clients may see of a failed start: the cause and the command that fixes it, not
    file paths or FAISS's C++ messages (the log has those)."""
    if isinstance(e, IndexUnavailable):
        zh, en = {"index_missing": ("索引尚未建立", "there is no index"), "index_corrupt": ("索引文件损坏", "the index files are corrupt"),
                  "index_busy": ("另一个索引构建正在进行", "another index build is running")}.get(e.code, ("索引无法加载", "the index cannot be loaded"))
        return (f"{zh}，请管理员运行 qa-service index build（详情见服务日志）",
                f"{en}; the operator should run `qa-service index build` (details in the server log)")
    return f"{str(e)[:200]}（详情见服务日志）", "the service failed to start (details in the server log)"


def _is_json(content_type: str) -> bool:
    """Whether FastAPI will parse a body of this type as JSON (no type at all counts)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return not media or media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def create_app(settings: Settings | None = None, service: QAService | None = None, *, with_ui: bool = True,
               load_before_serving: bool = False) -> FastAPI:
    settings = settings or Settings()
    state = {"qa": service, "error": None, "public_error": None}
    loaded = threading.Event()

    def load() -> None:
        try:
            if state["qa"] is None:
                state["qa"] = QAService.from_settings(settings, progress=True)
        except Exception as e:  # reported by /readyz and every API call; the process stays up
            state["error"] = str(e)
            state["public_error"] = public_reason(e)
            log.error("service not ready: %s", e)
        finally:
            loaded.set()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if load_before_serving:
            # one of several workers on a shared socket: it takes no connection before it can
            # answer, so the workers already up serve everything meanwhile
            await anyio.to_thread.run_sync(load)
        else:
            # alone: load in the background so that /healthz answers at once while the index builds
            threading.Thread(target=load, name="qa-load", daemon=True).start()
        await anyio.to_thread.run_sync(open_log, app, settings)
        yield
        await anyio.to_thread.run_sync(close_log, app)  # writes the queued rows

    app = FastAPI(
        title="营商政策问答 API",
        version="1.0",
        description="Answers about Shaanxi / Xi'an business-environment policy, each with the exact clause and its issuing document.",
        lifespan=lifespan,
    )
    app.state.loaded = loaded
    app.state.qa_state = state
    app.state.settings = settings  # read by serve/deps.py
    app.include_router(admin_router)
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origin_list(), allow_methods=["GET", "POST", "OPTIONS"],
                       allow_headers=["*"], expose_headers=["X-Request-ID", "X-Response-Time-ms", "Retry-After"])
    # inside the envelope, so that a body cut off mid-stream still gets a JSON 413 with its request id;
    # the document uploads of the admin API get their own, larger limit
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES, prefixes=API_PREFIXES, exempt=(ADMIN_PREFIX + "/documents",))
    app.add_middleware(BodyLimit, max_bytes=settings.max_upload_mb * 1024 * 1024 + 65536, prefixes=(ADMIN_PREFIX + "/documents",))
    app.add_middleware(GZipMiddleware, minimum_size=1000)  # the page's ~1 MB of scripts; never event streams (Starlette skips them)
    limiter = RateLimiter(settings.rate_limit)
    keys = settings.api_key_set()

    def qa() -> QAService:
        if state["qa"] is None:
            raise NotReady()
        return state["qa"]

    def envelope(inner):
        """Request id, timing and a log line on every response; API keys, rate limits, and 413/415
        from the headers alone; a JSON 500 for a bug. Plain ASGI: Starlette's @app.middleware
        costs a task and two memory streams per request, a fifth of the time of a cached answer."""

        async def asgi(scope, receive, send):
            if scope["type"] != "http":
                return await inner(scope, receive, send)
            request = Request(scope)
            rid = request.headers.get("x-request-id", "")[:64] or uuid.uuid4().hex[:16]
            request.state.request_id = rid
            t0 = time.perf_counter()
            status = [0]

            async def send_stamped(message):
                if message["type"] == "http.response.start":
                    status[0] = message["status"]
                    ms = (time.perf_counter() - t0) * 1000
                    message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode("latin-1", "replace")),
                                          (b"x-response-time-ms", f"{ms:.1f}".encode())]
                    log.info("%s %s %s %d %.1fms", rid, request.method, scope["path"], status[0], ms)
                await send(message)

            refused = _gate(request)
            if refused is not None:
                return await refused(scope, receive, send_stamped)
            try:
                await inner(scope, receive, send_stamped)
            except Exception:  # last line of defence: a bug must still answer in JSON
                log.exception("unhandled error [%s]", rid)
                if status[0]:
                    raise  # the answer has begun: nothing clean can be sent any more
                await error(500, "internal_error", "服务内部错误，请稍后再试", "internal error", request)(scope, receive, send_stamped)

        return asgi

    def _gate(request: Request):
        """A refusal before the app runs (401, 429, 413, 415), or None."""
        if not request.url.path.startswith(API_PREFIXES) or request.method == "OPTIONS":
            return None
        key = None
        if keys and not request.url.path.startswith(ADMIN_PREFIX):  # admin routes check QA_ADMIN_KEYS themselves
            auth = request.headers.get("authorization", "")
            key = auth[7:].strip() if auth.lower().startswith("bearer ") else request.headers.get("x-api-key")
            if key not in keys:
                return error(401, "unauthorized", "缺少或无效的 API 密钥", "missing or invalid API key", request)
        wait = limiter.check(key or (request.client.host if request.client else "unknown"))
        if wait > 0:
            return error(429, "rate_limited", f"请求过于频繁，请{int(wait) + 1}秒后再试", "too many requests", request,
                         headers={"Retry-After": str(int(wait) + 1)})
        return _refuse_body(request)

    app.add_middleware(envelope)  # added last: the outermost, so that every answer carries the request id

    def _refuse_body(request: Request):
        """413 / 415 from the headers alone, before a byte of the body is read."""
        if request.method != "POST" or request.url.path not in JSON_BODY_PATHS:
            return None  # no other operation reads a body
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            return too_large(request)
        ctype = request.headers.get("content-type", "")
        if not _is_json(ctype):
            return error(415, "unsupported_media_type", f"请求体须为 JSON（Content-Type: application/json），收到的是 {ctype[:60]}",
                         f"the body must be JSON (Content-Type: application/json), not {ctype[:60]}", request)
        return None

    def too_large(request: Request):
        if request.url.path.startswith(ADMIN_PREFIX):  # document uploads have their own limit
            return error(413, "file_too_large", f"文件太大，上限为 {settings.max_upload_mb} MB",
                         f"the file exceeds {settings.max_upload_mb} MB (QA_MAX_UPLOAD_MB)", request)
        limit_kb = MAX_BODY_BYTES // 1000
        return error(413, "request_too_large", f"请求体太大，请控制在{limit_kb}KB以内", f"the request body exceeds {limit_kb} kB", request)

    @app.exception_handler(QAError)
    async def _qa_error(request: Request, e: QAError):
        return error(e.status, e.code, e.zh, e.en, request, e.field)

    @app.exception_handler(NotReady)
    async def _not_ready(request: Request, e: NotReady):
        if state["error"]:
            zh, en = state["public_error"]
            return error(503, "index_unavailable", f"服务暂不可用：{zh}", f"service unavailable: {en}", request)
        return error(503, "starting", "服务正在启动（首次启动需建立索引），请稍后再试", "the service is starting (building the index)", request,
                     headers={"Retry-After": "10"})

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, e: RequestValidationError):
        errs = e.errors()
        first = errs[0] if errs else {}
        loc = ".".join(str(x) for x in first.get("loc", ()) if x != "body")
        if first.get("type") == "json_invalid":
            return error(400, "malformed_json", "请求体不是合法的 JSON", "the request body is not valid JSON", request)
        if first.get("type") == "extra_forbidden":
            return error(400, "unknown_field", f"不支持的字段：{loc}", f"unknown field {loc}", request, loc)
        msg = first.get("msg", "invalid")
        return error(400, "invalid_request", f"请求参数不正确：{loc}（{msg}）", f"invalid request: {loc}: {msg}", request, loc or None)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, e: StarletteHTTPException):
        if isinstance(e, RequestTooLarge):
            return too_large(request)
        if e.status_code == 404:
            return error(404, "not_found", "接口不存在", "no such endpoint", request)
        if e.status_code == 405:  # keeps Allow: the methods that would have worked
            allow = (e.headers or {}).get("Allow", "")
            return error(405, "method_not_allowed", f"请求方法不被支持（可用：{allow}）" if allow else "请求方法不被支持",
                         "method not allowed", request, headers=e.headers)
        if e.status_code == 400:  # the body could not be parsed at all (e.g. invalid UTF-8)
            return error(400, "malformed_json", "请求体无法解析：需要 UTF-8 编码的 JSON", f"the request body cannot be parsed: {e.detail}", request)
        return error(e.status_code, "http_error", f"请求错误（HTTP {e.status_code}）", str(e.detail), request)

    # -- health -------------------------------------------------------------------
    @app.get("/healthz", tags=["health"])
    def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], responses={503: {"model": ErrorBody}})
    def readyz(request: Request):
        if state["qa"] is None:
            raise NotReady()
        m = state["qa"].index.manifest
        return {"status": "ready", "build_id": m["build_id"], "documents": m["document_count"], "items": m["item_count"],
                "model": m["model"], "stale": state["qa"].index.stale_reason}

    # -- ask ---------------------------------------------------------------------
    @app.post("/api/v1/ask", response_model=AskResponse, tags=["ask"], responses=BODY_ERRORS)
    def ask(body: AskRequest, request: Request) -> AskResponse:
        """A plain-language answer with [n] citation markers, the cited clauses, and any conflicting figures."""
        a = qa().ask(body.question, body.user_history(), body.filters, body.top_k, body.mode)
        record(request, body.question, a, "api")
        return AskResponse(**a.model_dump(), request_id=request.state.request_id)

    @app.post("/api/v1/ask/stream", tags=["ask"], response_class=StreamingResponse,
              responses={200: {"content": {"text/event-stream": {"schema": SSE_EVENT}}}, **BODY_ERRORS})
    def ask_stream(body: AskRequest, request: Request):
        """Server-sent events: `delta` (answer text chunks), `reset` (LLM answer withdrawn), `answer` (the full answer with citations), `done`."""
        service = qa()
        rid = request.state.request_id
        events = service.ask_stream(body.question, body.user_history(), body.filters, body.top_k, body.mode)
        first = next(events)  # validation errors surface here, before the stream starts, as a 4xx

        def gen() -> Iterator[str]:
            yield sse("meta", {"request_id": rid})
            try:
                for kind, payload in _chain(first, events):
                    if kind == "answer":
                        record(request, body.question, payload, "stream")
                        yield sse("answer", AskResponse(**payload.model_dump(), request_id=rid).model_dump(mode="json"))
                    else:
                        yield sse(kind, {"text": payload} if kind == "delta" else {"reason": payload})
            except Exception as e:
                log.exception("stream failed [%s]", rid)
                yield sse("error", {"code": "internal_error", "message": "生成回答时出错", "message_en": str(e)[:200]})
            yield sse("done", {})

        return StreamingResponse(gen(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    # -- search for hotline agents -----------------------------------------------------
    @app.get("/api/v1/search", response_model=SearchResponse, tags=["search"], responses=ERRORS)
    def search(
        request: Request,
        q: str = Query(..., description="a few words or a question", examples=["简易注销", "企业开办要几天"]),
        region: str | None = Query(None, max_length=20, examples=["西安", "西咸新区"]),
        doc: str | None = Query(None, max_length=100, examples=["陕政办发〔2023〕11号"]),
        level: Level | None = None,
        year_from: int | None = Query(None, ge=1990, le=2100),
        year_to: int | None = Query(None, ge=1990, le=2100),
        include_other_provinces: bool = True,
        top_k: int = Query(10, ge=1, le=50),
    ) -> SearchResponse:
        """Matching clauses with highlighted words and a ready reply (复制答复口径) for each."""
        t0 = time.perf_counter()
        f = SearchFilters(region=region, doc=doc, level=level, year_from=year_from, year_to=year_to, include_other_provinces=include_other_provinces)
        res = qa().search(q, f, top_k)
        hits = [search_hit(h) for h in res.hits]
        return SearchResponse(query=q, found=res.found, confidence=res.confidence, hits=hits,
                              latency_ms=round((time.perf_counter() - t0) * 1000, 2), request_id=request.state.request_id)

    # -- documents ------------------------------------------------------------------
    @app.get("/api/v1/documents", response_model=list[DocumentSummary], tags=["documents"], responses=ERRORS)
    def documents() -> list[DocumentSummary]:
        idx = qa().index
        counts: dict[str, int] = {}
        for it in idx.items:
            counts[it.doc_id] = counts.get(it.doc_id, 0) + 1
        return [DocumentSummary(**d.model_dump(), item_count=counts.get(d.id, 0)) for d in idx.documents]

    @app.get("/api/v1/documents/{doc_id}", response_model=DocumentDetail, tags=["documents"], responses=ERRORS)
    def document(request: Request, doc_id: str = Path(description="document id or 文号", examples=["xixian-2020", "陕政办发〔2023〕11号"])):
        idx = qa().index
        d = idx.docs_by_id.get(doc_id) or idx.document(doc_id)
        if d is None:
            return error(404, "document_not_found", f"找不到文件：{doc_id}", f"no document {doc_id!r}", request, "doc_id")
        return DocumentDetail(document=d, items=[i for i in idx.items if i.doc_id == d.id])

    @app.get("/api/v1/items/{item_id}", response_model=ItemDetail, tags=["documents"], responses=ERRORS)
    def item(request: Request, item_id: str = Path(examples=["xy-2023-10:s5.17"])):
        idx = qa().index
        it = idx.items_by_id.get(item_id)
        if it is None:
            return error(404, "item_not_found", f"找不到条款：{item_id}", f"no item {item_id!r}", request, "item_id")
        d = idx.docs_by_id[it.doc_id]
        return ItemDetail(item=it, document=d, citation=d.cite(it))

    # -- OpenAI-compatible -------------------------------------------------------------
    @app.post("/v1/chat/completions", tags=["openai"], responses={
        200: {"content": {"application/json": {"schema": {"type": "object", "description": "chat.completion"}},
                          "text/event-stream": {"schema": CHAT_CHUNK_EVENT}}},
        **BODY_ERRORS})
    def chat(body: ChatRequest, request: Request):
        """OpenAI chat-completions protocol: the last user message is the question; the reply
        carries the citations both in its text and in a `citations` field."""
        users = [_text(m.content) for m in body.messages if m.role == "user"]
        if not users:
            raise QAError("question_empty", "消息中没有用户提问", "no user message", field="messages")
        a = qa().ask(users[-1], users[:-1])
        record(request, users[-1], a, "openai")
        content = a.answer + _sources_text(a)
        cid = f"chatcmpl-{request.state.request_id}"
        created = int(time.time())
        cites = [c.model_dump(mode="json") for c in (a.citations or a.related)]
        if not body.stream:
            return {"id": cid, "object": "chat.completion", "created": created, "model": "qa-service",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                    "citations": cites, "found": a.found}

        def gen() -> Iterator[str]:
            base = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": "qa-service"}
            yield "data: " + json.dumps(base | {"choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]}, ensure_ascii=False) + "\n\n"
            for line in content.splitlines(keepends=True):
                yield "data: " + json.dumps(base | {"choices": [{"index": 0, "delta": {"content": line}, "finish_reason": None}]}, ensure_ascii=False) + "\n\n"
            yield "data: " + json.dumps(base | {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "citations": cites}, ensure_ascii=False) + "\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(gen(), media_type="text/event-stream")

    openapi_of_fastapi = app.openapi

    def openapi() -> dict:
        # FastAPI documents a 422 for every operation with parameters; this API answers
        # invalid input with a 400 ErrorBody instead, so the 422 would be a false promise
        if app.openapi_schema is None:
            spec = openapi_of_fastapi()
            for ops in spec.get("paths", {}).values():
                for op in ops.values():
                    op.get("responses", {}).pop("422", None)
            for name in ("HTTPValidationError", "ValidationError"):
                spec.get("components", {}).get("schemas", {}).pop(name, None)
        return app.openapi_schema

    app.openapi = openapi
    app.include_router(feedback_router)
    app.include_router(figures_router)

    if with_ui:
        from .ui import mount_ui

        mount_ui(app, qa_getter=lambda: state["qa"], settings=settings)
    return app


def _chain(first, rest):
    yield first
    yield from rest


def sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _text(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: [{"type": "text", "text": "…"}, {"type": "image_url", …}]
        return "".join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def _sources_text(a) -> str:
    cites = a.citations or a.related
    if not cites:
        return ""
    head = "\n\n参考来源：" if a.found else "\n\n可能相关的条款："
    return head + "".join(f"\n[{c.n}] {c.citation}" + (f"（{c.doc_number}）" if c.doc_number else "") for c in cites)


def search_hit(h) -> SearchHit:
    d, it = h.document, h.item
    cite = d.cite(it)
    reply = reply_text(h)
    return SearchHit(
        item_id=it.id, doc_id=d.id, doc_title=d.title, attachment_title=d.attachment_title, doc_number=d.doc_number,
        issuer=d.issuer, date=d.date, region=d.region, level=d.level, path=it.citation_path(), citation=cite,
        scope=it.scope, kind=it.kind, text=it.text, highlighted=mark(_escape(it.text), h.highlights), highlights=h.highlights,
        responsibility=it.responsibility.model_dump(exclude_defaults=True), score=h.score, reply=reply,
        doc_status=d.status, valid_until=d.valid_until,
    )


def reply_text(h) -> str:
    """复制答复口径: what a hotline agent reads out, with the citation."""
    d, it = h.document, h.item
    meta = "，".join(x for x in (d.doc_number, d.issuer, d.date) if x)
    note = "（注：此为外省做法，非陕西规定）" if it.scope.value == "省外经验" else ""
    return f"根据{d.cite(it)}{('（' + meta + '）') if meta else ''}：{it.text}{note}"


def _escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
