"""The OpenAI-compatible surface: ``GET /v1/models``, ``GET /v1/models/{id}`` and
``POST /v1/chat/completions`` over the same answers as ``/api/v1/ask``.

* Models: ``qa-service`` (the server's default: the LLM when ``QA_LLM_BASE_URL`` is set, else
  extractive), ``qa-service-extractive`` and, with an LLM configured, ``qa-service-llm``. Any
  other name a client sends (``gpt-4o``) gets ``qa-service``, as before this list existed.
* ``usage`` counts characters (Unicode code points), not tokens: the prompt is the text of
  every message sent, the completion the reply's text (sources included). There is no
  offline tokenizer of the model that writes the answer (there is often no such model).
* ``stream_options.include_usage``: a last chunk with ``usage`` and empty ``choices``.
* In LLM mode ``stream=true`` sends the model's text as it writes it; if the grounding
  check then withdraws it, a note says so and the extractive answer follows in the same
  stream (OpenAI's protocol cannot take back text already sent).
* Errors are OpenAI's ``{"error": {...}}`` (serve/errors.py, for every ``/v1/`` path).

>>> mode_of("qa-service-llm"), mode_of("gpt-4o"), served_model("gpt-4o"), served_model("qa-service-extractive")
('llm', 'auto', 'qa-service', 'qa-service-extractive')
>>> usage(["企业开办要几天"], "3个工作日")
{'prompt_tokens': 7, 'completion_tokens': 5, 'total_tokens': 12}
"""
from __future__ import annotations

import json
import logging
import time
from typing import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from ..errors import QAError
from ..models import Answer
from .deps import ServiceDep, SettingsDep
from .errors import OPENAI_BODY_ERRORS, OPENAI_ERRORS, error, openai_error
from .feedback import record
from .present import message_text, sources_text
from .schemas import ChatRequest

log = logging.getLogger("qa_service.api")
router = APIRouter(tags=["openai"])
CHAT_CHUNK_EVENT = {"type": "object", "required": ["data"], "properties": {
    "data": {"type": "string", "description": "a chat.completion.chunk as JSON, then [DONE]"}}}
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # as /api/v1/ask/stream

DEFAULT_MODEL = "qa-service"
MODES = {DEFAULT_MODEL: "auto", "qa-service-extractive": "extractive", "qa-service-llm": "llm"}
CREATED = int(time.time())  # the models' "created": when this server started
# said in the stream when the grounding check withdraws the LLM's text already sent
WITHDRAWN_NOTE = "\n\n（以上由大模型生成的回答未通过引用核对，已撤回；以下为依据原文条款的回答：）\n\n"

MODEL_OBJECT = {"type": "object", "required": ["id", "object", "created", "owned_by"], "properties": {
    "id": {"type": "string"}, "object": {"const": "model"}, "created": {"type": "integer"}, "owned_by": {"type": "string"}}}
MODEL_LIST = {"type": "object", "required": ["object", "data"], "properties": {
    "object": {"const": "list"}, "data": {"type": "array", "items": MODEL_OBJECT}}}


def mode_of(model: str) -> str:
    return MODES.get(model, "auto")


def served_model(model: str) -> str:
    return model if model in MODES else DEFAULT_MODEL


def model_ids(llm_configured: bool) -> list[str]:
    return [m for m in MODES if llm_configured or MODES[m] != "llm"]


def model_object(model_id: str) -> dict:
    return {"id": model_id, "object": "model", "created": CREATED, "owned_by": "qa-service"}


def usage(prompt: list[str], completion: str) -> dict:
    """Characters, not tokens (see the module's docstring)."""
    p, c = sum(len(t) for t in prompt), len(completion)
    return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}


@router.get("/v1/models", responses={200: {"content": {"application/json": {"schema": MODEL_LIST}}}, **OPENAI_ERRORS})
def list_models(settings: SettingsDep):
    """The model ids `/v1/chat/completions` accepts: `qa-service` (LLM if configured, else
    extractive), `qa-service-extractive`, and `qa-service-llm` when an LLM is configured."""
    return {"object": "list", "data": [model_object(m) for m in model_ids(bool(settings.llm_base_url))]}


@router.get("/v1/models/{model_id}", responses={200: {"content": {"application/json": {"schema": MODEL_OBJECT}}}, **OPENAI_ERRORS})
def get_model(model_id: str, request: Request, settings: SettingsDep):
    """One model of the list, or 404 `model_not_found`."""
    if model_id not in model_ids(bool(settings.llm_base_url)):
        return error(404, "model_not_found", f"模型不存在：{model_id}", f"no model {model_id!r}", request, "model")
    return model_object(model_id)


@router.post("/v1/chat/completions", responses={
    200: {"content": {"application/json": {"schema": {"type": "object", "description": "chat.completion"}},
                      "text/event-stream": {"schema": CHAT_CHUNK_EVENT}}},
    **OPENAI_BODY_ERRORS})
def chat(body: ChatRequest, request: Request, qa: ServiceDep):
    """OpenAI chat-completions protocol: the last user message is the question, earlier user
    messages the history; `model` chooses the mode (see `GET /v1/models`). The reply carries
    the citations both in its text and in a `citations` field; `usage` counts characters."""
    users = [message_text(m.content) for m in body.messages if m.role == "user"]
    if not users:
        raise QAError("question_empty", "消息中没有用户提问", "no user message", field="messages")
    prompt = [message_text(m.content) for m in body.messages]
    mode = mode_of(body.model)
    cid = f"chatcmpl-{request.state.request_id}"
    created = int(time.time())
    model = served_model(body.model)
    if not body.stream:
        a = qa.ask(users[-1], users[:-1], mode=mode)  # type: ignore[arg-type]
        record(request, users[-1], a, "openai")
        content = a.answer + sources_text(a)
        return {"id": cid, "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                "usage": usage(prompt, content), "citations": citations(a), "found": a.found}
    events = qa.ask_stream(users[-1], users[:-1], mode=mode)  # type: ignore[arg-type]
    first = next(events)  # an invalid question surfaces here, before the stream starts, as a 4xx
    include_usage = body.stream_options is not None and body.stream_options.include_usage
    base = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model}
    return StreamingResponse(_chunks(request, users[-1], base, _chain(first, events), prompt, include_usage),
                             media_type="text/event-stream", headers=STREAM_HEADERS)


def citations(a: Answer) -> list[dict]:
    return [c.model_dump(mode="json") for c in (a.citations or a.related)]


def _chain(first, rest):
    yield first
    yield from rest


def _data(obj: dict) -> bytes:
    return ("data: " + json.dumps(obj, ensure_ascii=False) + "\n\n").encode("utf-8", "replace")


def _chunks(request: Request, question: str, base: dict, events, prompt: list[str], include_usage: bool) -> Iterator[bytes]:
    """The answer's text as the service writes it (an LLM's tokens as they come), its sources,
    the finish with `citations`, the usage chunk if asked for, then [DONE]. A failure halfway
    ends the stream with an OpenAI error object (the SDKs raise it) instead of [DONE]."""
    sent: list[str] = []

    def content(text: str, **extra) -> bytes:
        sent.append(text)
        return _data(base | {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]} | extra)

    yield _data(base | {"choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]})
    try:
        for kind, payload in events:
            if kind == "delta":
                yield content(str(payload))
            elif kind == "reset":  # the LLM's text is withdrawn: the extractive answer's lines follow
                yield content(WITHDRAWN_NOTE, withdrawn=True)
            elif kind == "answer":
                assert isinstance(payload, Answer)
                record(request, question, payload, "openai")
                sources = sources_text(payload)
                if sources:
                    yield content(sources)
                yield _data(base | {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                                    "citations": citations(payload), "found": payload.found})
    except Exception:
        rid = request.state.request_id
        log.exception("chat stream failed [%s]", rid)
        yield _data(openai_error(500, "internal_error", "生成回答时出错，请稍后再试", "the answer could not be completed", rid))
        return
    if include_usage:
        yield _data(base | {"choices": [], "usage": usage(prompt, "".join(sent))})
    yield b"data: [DONE]\n\n"
