"""Every error the HTTP service answers, as one JSON shape::

    {"code": "question_empty", "message": "问题不能为空", "message_en": "…", "request_id": "…"}

and the exception handlers that turn FastAPI's and Starlette's errors into it (no 422, no
HTML, no stack trace). ``ERRORS`` / ``BODY_ERRORS`` document them in the OpenAPI schema.

The OpenAI-compatible paths (``/v1/*``) answer the same errors in OpenAI's shape, which the
OpenAI SDKs and the clients built on them read (``OPENAI_ERRORS`` / ``OPENAI_BODY_ERRORS``)::

    {"error": {"message": "问题不能为空", "type": "invalid_request_error", "param": null,
               "code": "question_empty", "message_en": "…", "request_id": "…"}}

>>> openai_error(401, "unauthorized", "缺少或无效的 API 密钥", "missing or invalid API key", "r1")["error"]["code"]
'invalid_api_key'
>>> openai_error(429, "rate_limited", "请求过于频繁", "too many requests", "r1")["error"]["type"]
'rate_limit_error'
"""
from __future__ import annotations

import json
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..config import Settings
from ..errors import QAError
from .deps import NotReady, holder_of
from .schemas import ErrorBody, OpenAIErrorBody

MAX_BODY_BYTES = 1_000_000  # the largest valid request (20 turns of 4000 characters, \u-escaped) is under half of it
ADMIN_PREFIX = "/api/v1/admin"  # serve/admin.py and the question log's admin view: their own keys (QA_ADMIN_KEYS)
UPLOAD_PATH = ADMIN_PREFIX + "/documents"  # document uploads: limited by QA_MAX_UPLOAD_MB instead of MAX_BODY_BYTES
PAGE_UPLOAD_PATH = "/gradio_api/upload"  # the page's files: the 文件库's administrator panel (serve/ui_admin.py)
OPENAI_PREFIX = "/v1/"  # serve/openai.py: errors in OpenAI's {"error": {...}} shape

_ERR = {"model": ErrorBody}
# what any /api/ or /v1/ operation can answer besides 200; 401 only when QA_API_KEYS is set
ERRORS: dict = {400: _ERR, 401: _ERR, 404: _ERR, 405: _ERR, 503: _ERR,
                429: _ERR | {"headers": {"Retry-After": {"required": True, "description": "seconds to wait",
                                                         "schema": {"type": "integer"}}}}}
# operations that take a JSON body can also refuse its size or its type
BODY_ERRORS: dict = ERRORS | {413: _ERR, 415: _ERR}
_OA = {"model": OpenAIErrorBody}
OPENAI_ERRORS: dict = {status: _OA | {k: v for k, v in doc.items() if k != "model"} for status, doc in ERRORS.items()}
OPENAI_BODY_ERRORS: dict = OPENAI_ERRORS | {413: _OA, 415: _OA}
# OpenAI's error types by status, and its codes where clients look for one
_OPENAI_TYPES = {401: "authentication_error", 403: "permission_error", 429: "rate_limit_error"}
_OPENAI_CODES = {401: "invalid_api_key", 429: "rate_limit_exceeded"}


class RequestTooLarge(StarletteHTTPException):
    def __init__(self) -> None:
        super().__init__(413, "request body too large")


class SafeJSONResponse(JSONResponse):
    """JSON that always encodes: text echoed from a request (a lone surrogate in a filter
    value, say) is replaced rather than raising UnicodeEncodeError halfway through an answer."""

    def render(self, content: object) -> bytes:
        return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8", "replace")


def request_id(request: Request | None) -> str | None:
    return getattr(request.state, "request_id", None) if request is not None else None


def openai_error(status: int, code: str, zh: str, en: str, rid: str | None, field: str | None = None) -> dict:
    """An error in OpenAI's shape: the Chinese message in ``message``, the English beside it."""
    kind = _OPENAI_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": zh, "type": kind, "param": field, "code": _OPENAI_CODES.get(status, code),
                      "message_en": en, "request_id": rid}}


def error(status: int, code: str, zh: str, en: str, request: Request | None = None, field: str | None = None,
          headers: dict | None = None) -> SafeJSONResponse:
    if request is not None:
        request.state.answered_in_our_format = True  # the envelope leaves such a body alone
        if request.url.path.startswith(OPENAI_PREFIX):
            return SafeJSONResponse(openai_error(status, code, zh, en, request_id(request), field), status_code=status, headers=headers)
    body = {"code": code, "message": zh, "message_en": en, "request_id": request_id(request), **({"field": field} if field else {})}
    return SafeJSONResponse(body, status_code=status, headers=headers)


def upload_limit_bytes(settings: Settings) -> int:
    """The largest upload body: the file (QA_MAX_UPLOAD_MB) and room for the multipart form around it."""
    return settings.max_upload_mb * 1024 * 1024 + 65536


def upload_paths(settings: Settings) -> tuple[str, ...]:
    """Where a document may be uploaded, with its own limit: the admin API, and the page's file
    upload when the page has the administrator panel (QA_ADMIN_KEYS); without the panel the
    page takes no file larger than any other body."""
    return (UPLOAD_PATH, PAGE_UPLOAD_PATH) if settings.admin_key_set() else (UPLOAD_PATH,)


def too_large(request: Request) -> SafeJSONResponse:
    # a document upload has its own limit: the envelope notes it on the request (the page's
    # mounted app, which may answer this, does not know the settings)
    mb = getattr(request.state, "upload_mb", None)
    if mb is not None:
        return error(413, "file_too_large", f"文件太大，上限为 {mb} MB", f"the file exceeds {mb} MB (QA_MAX_UPLOAD_MB)", request)
    limit_kb = MAX_BODY_BYTES // 1000
    return error(413, "request_too_large", f"请求体太大，请控制在{limit_kb}KB以内", f"the request body exceeds {limit_kb} kB", request)


def not_ready(request: Request) -> SafeJSONResponse:
    holder = holder_of(request)
    if holder.public_error:
        zh, en = holder.public_error
        return error(503, "index_unavailable", f"服务暂不可用：{zh}", f"service unavailable: {en}", request)
    return error(503, "starting", "服务正在启动（首次启动需建立索引），请稍后再试", "the service is starting (building the index)",
                 request, headers={"Retry-After": "10"})


async def _qa_error(request: Request, e: Exception):
    assert isinstance(e, QAError)
    return error(e.status, e.code, e.zh, e.en, request, e.field)


async def _not_ready(request: Request, e: Exception):
    return not_ready(request)


async def _invalid(request: Request, e: Exception):
    assert isinstance(e, RequestValidationError)
    errs = e.errors()
    first = errs[0] if errs else {}
    loc = ".".join(str(x) for x in first.get("loc", ()) if x != "body")
    if first.get("type") == "json_invalid":
        return error(400, "malformed_json", "请求体不是合法的 JSON", "the request body is not valid JSON", request)
    if first.get("type") == "extra_forbidden":
        return error(400, "unknown_field", f"不支持的字段：{loc}", f"unknown field {loc}", request, loc)
    msg = first.get("msg", "invalid")
    return error(400, "invalid_request", f"请求参数不正确：{loc}（{msg}）", f"invalid request: {loc}: {msg}", request, loc or None)


def http_error(request: Request, status: int, headers: Mapping[str, str] | None = None) -> SafeJSONResponse:
    """Our body for an HTTP status that Starlette (or Gradio) raised or answered."""
    if status == 404:
        return error(404, "not_found", "接口不存在", "no such endpoint", request)
    if status == 405:  # keeps Allow: the methods that would have worked
        allow = (headers or {}).get("Allow", "")
        return error(405, "method_not_allowed", f"请求方法不被支持（可用：{allow}）" if allow else "请求方法不被支持",
                     "method not allowed", request, headers={"Allow": allow} if allow else None)
    if status == 413:
        return too_large(request)
    if status in (400, 422):
        return error(400, "invalid_request", "请求参数不正确", "invalid request", request)
    if status >= 500:
        return error(500, "internal_error", "服务内部错误，请稍后再试", "internal error", request)
    return error(status, "http_error", f"请求错误（HTTP {status}）", f"HTTP {status}", request)


async def _http(request: Request, e: Exception):
    assert isinstance(e, StarletteHTTPException)
    if isinstance(e, RequestTooLarge):
        return too_large(request)
    if e.status_code == 400:  # the body could not be parsed at all (e.g. invalid UTF-8)
        return error(400, "malformed_json", "请求体无法解析：需要 UTF-8 编码的 JSON", "the request body cannot be parsed", request)
    return http_error(request, e.status_code, e.headers)


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(QAError, _qa_error)
    app.add_exception_handler(NotReady, _not_ready)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http)
