"""``/api/v1/ask`` and its server-sent-events twin ``/api/v1/ask/stream`` (the mini-program)."""
from __future__ import annotations

import json
import logging
from typing import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from .deps import ServiceDep
from .errors import BODY_ERRORS
from .feedback import record
from .schemas import AskRequest, AskResponse

log = logging.getLogger("qa_service.api")
router = APIRouter(tags=["ask"])

# one server-sent event (OpenAPI describes a text/event-stream by the schema of its events)
SSE_EVENT = {"type": "object", "required": ["event", "data"], "properties": {
    "event": {"enum": ["meta", "delta", "reset", "answer", "error", "done"]},
    "data": {"type": "string", "contentMediaType": "application/json", "description": "the event's JSON payload"}}}
STREAM_FAILED = {"code": "internal_error", "message": "生成回答时出错，请稍后再试", "message_en": "the answer could not be completed"}


def sse(event: str, data: dict) -> bytes:
    """One event, as bytes that always encode (a stray surrogate cannot break the stream)."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode("utf-8", "replace")


@router.post("/api/v1/ask", response_model=AskResponse, responses=BODY_ERRORS)
def ask(body: AskRequest, request: Request, qa: ServiceDep) -> AskResponse:
    """A plain-language answer with [n] citation markers, the cited clauses, and any conflicting figures."""
    a = qa.ask(body.question, body.user_history(), body.filters, body.top_k, body.mode)
    record(request, body.question, a, "api")
    return AskResponse(**a.model_dump(), request_id=request.state.request_id)


@router.post("/api/v1/ask/stream", response_class=StreamingResponse,
             responses={200: {"content": {"text/event-stream": {"schema": SSE_EVENT}}}, **BODY_ERRORS})
def ask_stream(body: AskRequest, request: Request, qa: ServiceDep):
    """Server-sent events: `meta`, `delta` (answer text chunks), `reset` (LLM answer withdrawn), `answer`
    (the full answer with citations), then `done`; a stream that fails ends with an `error` event instead."""
    rid = request.state.request_id
    events = qa.ask_stream(body.question, body.user_history(), body.filters, body.top_k, body.mode)
    first = next(events)  # validation errors surface here, before the stream starts, as a 4xx

    def gen() -> Iterator[bytes]:
        yield sse("meta", {"request_id": rid})
        try:
            for kind, payload in _chain(first, events):
                if kind == "answer":
                    record(request, body.question, payload, "stream")
                    yield sse("answer", AskResponse(**payload.model_dump(), request_id=rid).model_dump(mode="json"))
                else:
                    yield sse(kind, {"text": payload} if kind == "delta" else {"reason": payload})
        except Exception:
            log.exception("stream failed [%s]", rid)
            yield sse("error", STREAM_FAILED | {"request_id": rid})
            return  # the error is the last event: there is no answer to be done with
        yield sse("done", {})

    return StreamingResponse(gen(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _chain(first, rest):
    yield first
    yield from rest
