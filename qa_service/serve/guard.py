"""The one door every request goes through (:class:`Envelope`), and the body-size limit
behind it (:class:`BodyLimit`).

Who is asking (:func:`end_user`): with API keys, the key plus the ``X-Client-ID`` the
mini-program's backend sends for each of its users (else the client's address); without
keys, the client's address. ``X-Forwarded-For`` counts only when the connection comes
from a configured proxy (``QA_TRUSTED_PROXIES``).

>>> request_id_from("abc-123"), len(request_id_from("bad id\\r\\n")), len(request_id_from("x" * 65))
('abc-123', 16, 16)
>>> client_address("10.0.0.5", "1.2.3.4, 10.0.0.9", trusted_networks("10.0.0.0/8"))
'1.2.3.4'
>>> client_address("127.0.0.1", "1.2.3.4", trusted_networks(""))   # an untrusted peer's header is ignored
'127.0.0.1'
"""
from __future__ import annotations

import ipaddress
import logging
import re
import time
import uuid
from typing import Awaitable, Callable

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import Settings
from .errors import ADMIN_PREFIX, MAX_BODY_BYTES, RequestTooLarge, error, http_error, too_large, upload_limit_bytes, upload_paths
from .limiter import RateLimits

log = logging.getLogger("qa_service.api")

API_PREFIXES = ("/api/", "/v1/")
HEALTH_PATHS = ("/healthz", "/readyz")
JSON_BODY_PATHS = ("/api/v1/ask", "/api/v1/ask/stream", "/v1/chat/completions", "/api/v1/feedback")
# the page's files (dozens when it opens) and the event streams that carry back the results of
# calls already counted cost nothing more, so they do not count against the page's budget (they
# are still behind the key in QA_PAGE_ACCESS=key mode); every call of the page (a search as the
# agent types, a question) does
STATIC_PREFIXES = ("/assets/", "/static/", "/gradio_api/file=", "/favicon.ico", "/theme.css", "/manifest.json",
                   "/gradio_api/queue/data", "/gradio_api/heartbeat/")
CLIENT_ID_HEADER = "x-client-id"
# A request's share of its budget grows with its size: the work on a question grows with its
# text (and a follow-up's history), so a client sending 500-character questions with long
# histories gets fewer of them per minute than one asking normal questions.
COST_BYTES = 1000  # one unit per started kilobyte of body or query string
MAX_COST = 10
_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
_CLIENT_ID = re.compile(r"[A-Za-z0-9._:@-]{1,64}")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def request_id_from(header: str) -> str:
    """The client's X-Request-ID if it is a plain token, else a fresh one: it goes into logs
    and response headers, so no spaces, line breaks or 10 kB strings."""
    return header if _REQUEST_ID.fullmatch(header) else uuid.uuid4().hex[:16]


def trusted_networks(spec: str) -> list[Network]:
    return [ipaddress.ip_network(p.strip(), strict=False) for p in spec.split(",") if p.strip()]


def _trusted(addr: str, networks: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(ip in n for n in networks)


def client_address(peer: str, forwarded_for: str, networks: list[Network]) -> str:
    """The first address, from the right, that is not one of our proxies: the right end of
    X-Forwarded-For is what our own proxy appended; anything left of it the client could write."""
    if not _trusted(peer, networks):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop[:64]
    return hops[0][:64] if hops else peer


def presented_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else request.headers.get("x-api-key")


def end_user(key: str | None, client_id: str, address: str) -> str:
    """The rate-limit bucket: one per end user. A client id counts only with a valid key (the
    key's holder vouches for it); anyone else could rotate it to reset the limit."""
    if key is not None:
        who = f"client:{client_id}" if _CLIENT_ID.fullmatch(client_id) else f"ip:{address}"
        return f"key:{key}|{who}"
    return f"ip:{address}"


class BodyLimit:
    """ASGI middleware: a body that grows past ``max_bytes`` while it is read (chunked, or a
    Content-Length that lies) raises :class:`RequestTooLarge`, which the app answers as a
    413. A declared Content-Length that is too large is refused before this is reached."""

    def __init__(self, app: ASGIApp, max_bytes: int, prefixes: tuple[str, ...] = ("/",), exempt: tuple[str, ...] = ()):
        self.app, self.max_bytes, self.prefixes, self.exempt = app, max_bytes, prefixes, exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # exempt: paths that limit their own bodies (document uploads, QA_MAX_UPLOAD_MB)
        if scope["type"] != "http" or not scope["path"].startswith(self.prefixes) or scope["path"].startswith(self.exempt):
            return await self.app(scope, receive, send)
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise RequestTooLarge()
            return message

        await self.app(scope, limited, send)


Responder = Callable[[Scope, Receive, Send], Awaitable[None]]


class Envelope:
    """The outermost middleware, for every path (API, web page, docs, health):

    * a sanitized request id, timing headers and one log line on every response;
    * API keys (the page too in ``QA_PAGE_ACCESS=key`` mode), rate limits, and 413 / 415
      from the headers alone, before the app runs;
    * any error the app answers in another format (Gradio's text/plain 500 or English 422,
      Starlette's 404) replaced by ours, and a JSON 500 for a bug.

    Plain ASGI: Starlette's @app.middleware costs a task and two memory streams per request,
    a fifth of the time of a cached answer."""

    def __init__(self, app: ASGIApp, settings: Settings, limits: RateLimits):
        self.app = app
        self.keys = settings.api_key_set()
        self.upload_bytes = upload_limit_bytes(settings)
        self.upload_mb = settings.max_upload_mb
        self.upload_paths = upload_paths(settings)
        self.page_needs_key = settings.page_access == "key"
        self.proxies = trusted_networks(settings.trusted_proxies)
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        rid = request_id_from(request.headers.get("x-request-id", ""))
        request.state.request_id = rid
        if scope["path"].startswith(self.upload_paths):
            request.state.upload_mb = self.upload_mb  # its 413 names this limit (errors.too_large)
        stamped = _Stamped(request, send, rewrite_errors=not scope["path"].startswith(API_PREFIXES))
        refused = await self.gate(request)
        if refused is not None:
            return await refused(scope, receive, stamped)
        try:
            await self.app(scope, receive, stamped)
        except Exception:  # last line of defence: a bug must still answer in JSON
            log.exception("unhandled error [%s]", rid)
            if stamped.status:
                raise  # the answer has begun: nothing clean can be sent any more
            await http_error(request, 500)(scope, receive, stamped)

    async def gate(self, request: Request) -> Responder | None:
        """A refusal before the app runs (401, 429, 413, 415), or None."""
        path = request.url.path
        if path in HEALTH_PATHS or request.method == "OPTIONS":
            return None  # probes and CORS preflights need no key and cost nothing
        api = path.startswith(API_PREFIXES)
        address = client_address(request.client.host if request.client else "unknown",
                                 request.headers.get("x-forwarded-for", ""), self.proxies)
        key = None
        # the admin routes check QA_ADMIN_KEYS themselves (an administrator needs no client key)
        if self.keys and (api or self.page_needs_key) and not path.startswith(ADMIN_PREFIX):
            key = presented_key(request)
            if key not in self.keys:
                # guessing keys costs a budget per address, like everything else
                wait = await self.limits.wait("auth_fail", f"ip:{address}")
                return self.rate_limited(request, wait) if wait else error(
                    401, "unauthorized", "缺少或无效的 API 密钥", "missing or invalid API key", request)
        if api or self.page_needs_key:
            wait = await self.limits.wait("api", end_user(key, request.headers.get(CLIENT_ID_HEADER, ""), address), request_cost(request))
        elif not path.startswith(STATIC_PREFIXES):
            wait = await self.limits.wait("page", f"ip:{address}")
        else:
            wait = 0.0
        if wait:
            return self.rate_limited(request, wait)
        return refuse_body(request, self.upload_bytes, self.upload_paths)

    @staticmethod
    def rate_limited(request: Request, wait: float) -> Responder:
        seconds = str(int(wait) + 1)
        return error(429, "rate_limited", f"请求过于频繁，请{seconds}秒后再试", "too many requests", request,
                     headers={"Retry-After": seconds})


def request_cost(request: Request) -> int:
    """Units of the API budget this request takes: 1, plus 1 per started kilobyte past the first
    of its body (from Content-Length) or query string; a body of unknown length (chunked) pays
    the most. Normal questions are well under a kilobyte.

    >>> from starlette.requests import Request
    >>> def req(method, headers=(), qs=b""):
    ...     return Request({"type": "http", "method": method, "path": "/", "headers": list(headers), "query_string": qs})
    >>> request_cost(req("POST", [(b"content-length", b"120")])), request_cost(req("POST", [(b"content-length", b"4500")]))
    (1, 5)
    >>> request_cost(req("POST")), request_cost(req("GET", qs=b"q=" + b"%E4%BC%81" * 500))
    (10, 5)
    """
    if request.method == "POST":
        length = request.headers.get("content-length", "")
        size = int(length) if length.isdigit() else MAX_COST * COST_BYTES
    else:
        size = len(request.scope.get("query_string", b""))
    return max(1, min(MAX_COST, -(-size // COST_BYTES)))


def refuse_body(request: Request, upload_bytes: int = MAX_BODY_BYTES, uploads: tuple[str, ...] = ()) -> Responder | None:
    """413 / 415 from the headers alone, before a byte of the body is read (a document upload,
    under one of ``uploads``, may be up to ``upload_bytes``)."""
    length = request.headers.get("content-length", "")
    limit = upload_bytes if uploads and request.url.path.startswith(uploads) else MAX_BODY_BYTES
    if length.isdigit() and int(length) > limit:
        return too_large(request)
    if request.method != "POST" or request.url.path not in JSON_BODY_PATHS:
        return None  # the other operations read no JSON body
    ctype = request.headers.get("content-type", "")
    if not _is_json(ctype):
        return error(415, "unsupported_media_type", f"请求体须为 JSON（Content-Type: application/json），收到的是 {ctype[:60]}",
                     f"the body must be JSON (Content-Type: application/json), not {ctype[:60]}", request)
    return None


def _is_json(content_type: str) -> bool:
    """Whether FastAPI will parse a body of this type as JSON (no type at all counts)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return not media or media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class _Stamped:
    """The envelope's ``send``: adds X-Request-ID and X-Response-Time-ms, logs the line, and
    (outside the API, where Gradio and Starlette answer) swaps an error body that is not in
    our format for ours, keeping its status."""

    def __init__(self, request: Request, send: Send, rewrite_errors: bool):
        self.request, self.send, self.rewrite_errors = request, send, rewrite_errors
        self.t0 = time.perf_counter()
        self.status = 0
        self.held: Message | None = None  # a foreign error's start, held until its body is skipped

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            if self.status >= 400 and self.rewrite_errors and not self.request.scope.get("state", {}).get("answered_in_our_format"):
                self.held = message
                return
            await self.send(self.stamp(message))
        elif self.held is not None:
            if not message.get("more_body", False):  # the foreign body has been skipped: send ours instead
                allow = dict(self.held.get("headers", [])).get(b"allow", b"").decode("latin-1")
                ours = http_error(self.request, self.status, {"Allow": allow} if allow else None)
                self.held = None
                await ours(self.request.scope, _no_body, self)
        else:
            await self.send(message)

    def stamp(self, message: Message) -> Message:
        ms = (time.perf_counter() - self.t0) * 1000
        rid = self.request.state.request_id
        message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode()),
                              (b"x-response-time-ms", f"{ms:.1f}".encode())]
        log.info("%s %s %s %d %.1fms", rid, self.request.method, self.request.url.path, message["status"], ms)
        return message


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}
