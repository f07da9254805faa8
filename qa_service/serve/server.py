"""How the app is served: uvicorn with bounded connections.

uvicorn alone waits forever for a request that never arrives or arrives a byte a minute,
and accepts sockets until the process runs out of file descriptors (~20,000 idle sockets
once took ``/healthz`` down). :class:`GuardedHttp` adds what it lacks:

* a cap on open connections (``QA_MAX_CONNECTIONS``): one more is answered with a JSON 503
  and closed at once, instead of being held;
* a deadline for a request's headers and body (``QA_REQUEST_TIMEOUT``), from the moment the
  connection opens or the request begins; idle keep-alive connections close after
  ``QA_KEEP_ALIVE_TIMEOUT``;

and no ``Server`` header, no ``X-Forwarded-For`` believed by uvicorn (the envelope decides
that, from ``QA_TRUSTED_PROXIES``). In production put nginx in front (``deploy/nginx.conf``).
"""
from __future__ import annotations

import asyncio
import json
import logging
import resource
import uuid
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..config import Settings

log = logging.getLogger("qa_service.server")

BUSY = {"code": "server_busy", "message": "服务繁忙（连接数已满），请稍后再试", "message_en": "too many open connections; try again later"}


def _busy_response() -> bytes:
    rid = uuid.uuid4().hex[:16]
    body = json.dumps(BUSY | {"request_id": rid}, ensure_ascii=False).encode()
    head = (f"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
            f"retry-after: 5\r\nx-request-id: {rid}\r\nconnection: close\r\n\r\n").encode()
    return head + body


class GuardedHttp(HttpToolsProtocol):
    """uvicorn's httptools protocol with a connection cap and a request-read deadline."""

    max_connections = 1000  # set per server by uvicorn_config
    request_timeout = 30.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        if len(self.connections) > self.max_connections:
            transport.write(_busy_response())
            transport.close()
            return
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.request_timeout, self._too_slow)

    def _disarm(self) -> None:
        if getattr(self, "_deadline", None) is not None:
            self._deadline.cancel()  # type: ignore[union-attr]
            self._deadline = None

    def _too_slow(self) -> None:
        """Headers or body not in by the deadline: a client that trickles bytes holds a socket
        and a file descriptor for nothing. A request being answered is never cut off."""
        self._deadline = None
        if not self.transport.is_closing():
            log.info("closing a connection from %s: request not received within %.0fs", self.client, self.request_timeout)
            self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def uvicorn_config(app, settings: Settings, **kw) -> uvicorn.Config:
    """The one uvicorn configuration of the service (``serve``, ``bench`` and the tests use it)."""
    protocol = type("GuardedHttpFor%d" % settings.port, (GuardedHttp,),
                    {"max_connections": settings.max_connections, "request_timeout": float(settings.request_timeout)})
    options: dict[str, Any] = dict(host=settings.host, port=settings.port, log_level="info", http=protocol,
                   server_header=False, proxy_headers=False, timeout_keep_alive=settings.keep_alive_timeout, backlog=2048)
    return uvicorn.Config(app, **(options | kw))


def raise_file_limit(connections: int) -> None:
    """Room for the connections allowed plus the index files and the model: raise the soft
    limit on open files toward the hard one (a default of 1024 would refuse sockets first)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = connections + 256
    if soft != resource.RLIM_INFINITY and soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(want, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        if new < want:
            log.warning("open-file limit %d is below QA_MAX_CONNECTIONS + 256; raise `ulimit -n`", new)
