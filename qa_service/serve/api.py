"""The HTTP app: one router per area, behind one envelope.

    /api/v1/ask, /ask/stream   serve/ask.py        the mini-program's answers
    /api/v1/search             serve/search.py     hotline agents' search
    /api/v1/documents, /items  serve/documents.py  browsing
    /api/v1/figures            serve/figures.py    the 指标对照 table
    /api/v1/feedback           serve/feedback.py   👍/👎 on an answer (and the question log's admin view)
    /api/v1/admin/…            serve/admin.py      documents: add, replace, retire (QA_ADMIN_KEYS)
    /v1/chat/completions       serve/openai.py     OpenAI-compatible chat
    /healthz, /readyz          serve/health.py
    /                          serve/ui.py         the web page (Gradio), optional

Every route, the page's and the docs' included, goes through :class:`~.guard.Envelope`
(request id, keys, rate limits, body limits, errors in our JSON format). Routers get the
service and the settings from ``serve/deps.py``. Every error is a 4xx JSON body
``{code, message (中文), message_en, request_id}``; user input never produces a 500. The
OpenAPI schema lists every status code an operation can return
(``tests/test_robustness.py`` fuzzes the live server against it).
"""
from __future__ import annotations

import threading
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware

from ..config import Settings
from ..service import QAService
from . import admin, ask, documents, feedback, figures, health, openai, search
from .deps import NotReady, ServiceHolder
from .errors import MAX_BODY_BYTES, SafeJSONResponse, install_handlers, upload_limit_bytes, upload_paths
from .feedback import close_log, open_log
from .guard import API_PREFIXES, BodyLimit, Envelope
from .limiter import RateLimits

__all__ = ["create_app", "MAX_BODY_BYTES", "API_PREFIXES", "NotReady"]
# the routers of the app, in order; a new area is added here, so that it is included before
# the web page's catch-all mount at "/"
AREAS = (health, ask, search, documents, figures, openai, feedback, admin)


def create_app(settings: Settings | None = None, service: QAService | None = None, *, with_ui: bool = True,
               load_before_serving: bool = False) -> FastAPI:
    """The app; the index loads (or builds) in the background unless ``service`` is given,
    or before the first connection with ``load_before_serving`` (one of several workers)."""
    settings = settings or Settings()
    holder = ServiceHolder(settings, service)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if load_before_serving:
            # one of several workers on a shared socket: it takes no connection before it can
            # answer, so the workers already up serve everything meanwhile
            await anyio.to_thread.run_sync(holder.load)
        else:
            # alone: load in the background so that the port answers at once (503 starting) while the index builds
            threading.Thread(target=holder.load, name="qa-load", daemon=True).start()
        await anyio.to_thread.run_sync(open_log, app, settings)
        yield
        await anyio.to_thread.run_sync(close_log, app)  # writes the queued rows

    app = FastAPI(
        title="营商政策问答 API",
        version="1.0",
        description="Answers about Shaanxi / Xi'an business-environment policy, each with the exact clause and its issuing document.",
        lifespan=lifespan,
        default_response_class=SafeJSONResponse,
    )
    app.state.holder = holder
    app.state.settings = settings  # for code that reads it directly; routers use SettingsDep
    app.state.loaded = holder.loaded
    install_handlers(app)
    for area in AREAS:
        app.include_router(area.router)
    _document_errors_as_400(app)
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origin_list(), allow_methods=["GET", "POST", "OPTIONS"],
                       allow_headers=["*"], expose_headers=["X-Request-ID", "X-Response-Time-ms", "Retry-After"])
    # inside the envelope, so that a body cut off mid-stream still gets a JSON 413 with its request id;
    # document uploads (the admin API, the page's administrator panel) get their own, larger limit (QA_MAX_UPLOAD_MB)
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES, exempt=upload_paths(settings))
    app.add_middleware(BodyLimit, max_bytes=upload_limit_bytes(settings), prefixes=upload_paths(settings))
    app.add_middleware(GZipMiddleware, minimum_size=1000)  # the page's ~1 MB of scripts; never event streams (Starlette skips them)
    limits = RateLimits(settings.rate_limit_storage, api=settings.rate_limit, page=settings.page_rate_limit,
                        auth_fail=settings.auth_fail_limit)
    app.add_middleware(Envelope, settings=settings, limits=limits)  # added last: the outermost
    if with_ui:
        from .ui import mount_ui

        mount_ui(app, holder)
    return app


def _document_errors_as_400(app: FastAPI) -> None:
    """FastAPI documents a 422 for every operation with parameters; this API answers invalid
    input with a 400 ErrorBody instead, so the 422 would be a false promise."""
    openapi_of_fastapi = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            spec = openapi_of_fastapi()
            for ops in spec.get("paths", {}).values():
                for op in ops.values():
                    op.get("responses", {}).pop("422", None)
            for name in ("HTTPValidationError", "ValidationError"):
                spec.get("components", {}).get("schemas", {}).pop(name, None)
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
