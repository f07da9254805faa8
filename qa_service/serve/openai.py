"""``/v1/chat/completions``: the OpenAI chat-completions protocol over the same answers."""
from __future__ import annotations

import json
import time
from typing import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from ..errors import QAError
from .deps import ServiceDep
from .errors import BODY_ERRORS
from .feedback import record
from .present import message_text, sources_text
from .schemas import ChatRequest

router = APIRouter(tags=["openai"])
CHAT_CHUNK_EVENT = {"type": "object", "required": ["data"], "properties": {
    "data": {"type": "string", "description": "a chat.completion.chunk as JSON, then [DONE]"}}}


@router.post("/v1/chat/completions", responses={
    200: {"content": {"application/json": {"schema": {"type": "object", "description": "chat.completion"}},
                      "text/event-stream": {"schema": CHAT_CHUNK_EVENT}}},
    **BODY_ERRORS})
def chat(body: ChatRequest, request: Request, qa: ServiceDep):
    """OpenAI chat-completions protocol: the last user message is the question; the reply
    carries the citations both in its text and in a `citations` field."""
    users = [message_text(m.content) for m in body.messages if m.role == "user"]
    if not users:
        raise QAError("question_empty", "消息中没有用户提问", "no user message", field="messages")
    a = qa.ask(users[-1], users[:-1])
    record(request, users[-1], a, "openai")
    content = a.answer + sources_text(a)
    cid = f"chatcmpl-{request.state.request_id}"
    created = int(time.time())
    cites = [c.model_dump(mode="json") for c in (a.citations or a.related)]
    if not body.stream:
        return {"id": cid, "object": "chat.completion", "created": created, "model": "qa-service",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "citations": cites, "found": a.found}
    base = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": "qa-service"}
    return StreamingResponse(_chunks(base, content, cites), media_type="text/event-stream")


def _chunks(base: dict, content: str, cites: list[dict]) -> Iterator[bytes]:
    def data(obj: dict) -> bytes:
        return ("data: " + json.dumps(obj, ensure_ascii=False) + "\n\n").encode("utf-8", "replace")

    yield data(base | {"choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]})
    for line in content.splitlines(keepends=True):
        yield data(base | {"choices": [{"index": 0, "delta": {"content": line}, "finish_reason": None}]})
    yield data(base | {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "citations": cites})
    yield b"data: [DONE]\n\n"
