"""The OpenAI-compatible surface with the real ``openai`` SDK against live loopback servers:
models, chat with citations and real usage, streaming with ``include_usage``, OpenAI-shaped
errors (400, 401, 404, 429), the streaming headers, and token streaming in LLM mode against
the fake model server of test_llm (including an answer the grounding check withdraws)."""
from __future__ import annotations

import time

import httpx
import openai
import pytest

from qa_service.serve.api import create_app
from qa_service.serve.openai import WITHDRAWN_NOTE

from .conftest import LiveServer
from .test_llm import QUESTION, make_fake_app

Q = "信用修复要多久"


def client(url: str, key: str = "unused", **kw) -> openai.OpenAI:
    return openai.OpenAI(base_url=url + "/v1", api_key=key, max_retries=0, timeout=120, **kw)


@pytest.fixture(scope="module")
def server(settings, qa):
    with LiveServer(create_app(settings.model_copy(update={"rate_limit": ""}), service=qa, with_ui=False)) as srv:
        yield srv


@pytest.fixture(scope="module")
def oa(server):
    return client(server.url)


def test_models_are_listed(oa, server):
    models = oa.models.list()
    ids = [m.id for m in models.data]
    assert ids == ["qa-service", "qa-service-extractive"]  # no LLM configured: no qa-service-llm
    assert all(m.object == "model" and m.owned_by == "qa-service" and m.created > 0 for m in models.data)
    assert oa.models.retrieve("qa-service-extractive").id == "qa-service-extractive"
    raw = httpx.get(server.url + "/v1/models").json()
    assert raw["object"] == "list" and set(raw["data"][0]) == {"id", "object", "created", "owned_by"}
    with pytest.raises(openai.NotFoundError) as e:
        oa.models.retrieve("gpt-4o")
    assert e.value.body["code"] == "model_not_found" and e.value.body["type"] == "invalid_request_error"


def test_chat_has_citations_and_usage_in_characters(oa):
    messages = [{"role": "system", "content": "你是政策助手"}, {"role": "user", "content": Q}]
    r = oa.chat.completions.create(model="qa-service", messages=messages)
    text = r.choices[0].message.content
    assert r.object == "chat.completion" and r.model == "qa-service" and r.choices[0].finish_reason == "stop"
    assert "[1]" in text and "参考来源：\n[1] 《" in text
    extra = r.model_extra or {}
    assert extra["found"] and extra["citations"][0]["citation"] in text
    u = r.usage
    assert u.prompt_tokens == len("你是政策助手") + len(Q) and u.completion_tokens == len(text)
    assert u.total_tokens == u.prompt_tokens + u.completion_tokens


def test_stream_with_usage_and_headers(oa, server):
    stream = oa.chat.completions.create(model="qa-service-extractive", messages=[{"role": "user", "content": Q}],
                                        stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert sum(1 for c in chunks if c.choices and c.choices[0].delta.content) >= 2
    finish = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert [c.choices[0].finish_reason for c in finish] == ["stop"] and finish[0].model_extra["citations"]
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None  # the usage chunk comes last, choices empty
    assert last.usage.prompt_tokens == len(Q) and last.usage.completion_tokens == len(text)
    assert all(c.usage is None for c in chunks[:-1])
    # the same text as the non-streaming answer
    same = oa.chat.completions.create(model="qa-service-extractive", messages=[{"role": "user", "content": Q}])
    assert text == same.choices[0].message.content
    # without include_usage: no usage chunk; the headers are those of /api/v1/ask/stream
    with httpx.stream("POST", server.url + "/v1/chat/completions", timeout=120,
                      json={"messages": [{"role": "user", "content": Q}], "stream": True}) as r:
        assert r.headers["cache-control"] == "no-cache" and r.headers["x-accel-buffering"] == "no"
        assert r.headers["content-type"].startswith("text/event-stream")
        body = r.read().decode()
    assert '"usage"' not in body and body.rstrip().endswith("data: [DONE]")


def test_errors_are_openai_shaped(oa, server):
    with pytest.raises(openai.BadRequestError) as e:
        oa.chat.completions.create(model="qa-service", messages=[])
    assert e.value.status_code == 400
    err = e.value.body
    assert err["type"] == "invalid_request_error" and err["code"] == "invalid_request" and err["param"] == "messages"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err["message"]) and err["message_en"] and err["request_id"]
    with pytest.raises(openai.BadRequestError) as e:
        oa.chat.completions.create(model="qa-service", messages=[{"role": "user", "content": "   "}], stream=True)
    assert e.value.body["code"] == "question_empty"
    r = httpx.post(server.url + "/v1/chat/completions", json={"messages": [{"role": "system", "content": "hi"}]})
    assert r.status_code == 400 and set(r.json()) == {"error"}
    assert r.json()["error"] | {"message_en": "", "request_id": ""} == {
        "message": "消息中没有用户提问", "type": "invalid_request_error", "param": "messages", "code": "question_empty",
        "message_en": "", "request_id": ""}
    # 404, 405, 413, 415 on /v1/ are OpenAI-shaped too; /api/v1/ keeps the service's own format
    assert httpx.get(server.url + "/v1/nothing").json()["error"]["code"] == "not_found"
    assert httpx.get(server.url + "/v1/chat/completions").json()["error"]["code"] == "method_not_allowed"
    big = httpx.post(server.url + "/v1/chat/completions", json={"messages": [{"role": "user", "content": "x" * 2_000_000}]})
    assert big.status_code == 413 and big.json()["error"]["code"] == "request_too_large"
    plain = httpx.post(server.url + "/v1/chat/completions", content=b"{}", headers={"content-type": "text/plain"})
    assert plain.status_code == 415 and plain.json()["error"]["code"] == "unsupported_media_type"
    assert httpx.post(server.url + "/api/v1/ask", json={"question": ""}).json()["code"] == "question_empty"


def test_wrong_key_and_rate_limit(settings, qa):
    s = settings.model_copy(update={"api_keys": "k1", "rate_limit": "2/minute"})
    with LiveServer(create_app(s, service=qa, with_ui=False)) as srv:
        with pytest.raises(openai.AuthenticationError) as e:
            client(srv.url, "wrong").models.list()
        assert e.value.status_code == 401
        assert e.value.body["type"] == "authentication_error" and e.value.body["code"] == "invalid_api_key"
        good = client(srv.url, "k1")
        assert good.models.list().data
        good.chat.completions.create(model="qa-service", messages=[{"role": "user", "content": Q}])
        with pytest.raises(openai.RateLimitError) as e:
            good.chat.completions.create(model="qa-service", messages=[{"role": "user", "content": Q}])
        assert e.value.body["code"] == "rate_limit_exceeded" and e.value.body["type"] == "rate_limit_error"
        assert int(e.value.response.headers["retry-after"]) >= 1
        r = httpx.get(srv.url + "/api/v1/documents")  # the service's own format off /v1/
        assert r.status_code == 401 and r.json()["code"] == "unauthorized"


def test_an_index_that_cannot_load_is_an_openai_503(tmp_path, settings):
    s = settings.model_copy(update={"index_dir": tmp_path / "none", "auto_rebuild": False, "rate_limit": ""})
    with LiveServer(create_app(s, with_ui=False), ready_path="/healthz") as srv:
        oa = client(srv.url)
        assert [m.id for m in oa.models.list().data] == ["qa-service", "qa-service-extractive"]  # needs no index
        for _ in range(100):  # 503 starting until the loading thread has given up, then index_unavailable
            with pytest.raises(openai.InternalServerError) as e:
                oa.chat.completions.create(model="qa-service", messages=[{"role": "user", "content": Q}])
            if e.value.body["code"] == "index_unavailable":
                break
            assert e.value.body["code"] == "starting"
            time.sleep(0.1)
        assert e.value.status_code == 503 and e.value.body["type"] == "server_error"
        assert "qa-service index build" in e.value.body["message"]


# -- LLM mode: the model's tokens as it writes them ------------------------------------------------
@pytest.fixture(scope="module")
def fake_llm():
    state: dict = {"behaviour": "grounded", "requests": [], "sleep": 3.0}
    with LiveServer(make_fake_app(state)) as srv:
        srv.state = state
        yield srv


@pytest.fixture(scope="module")
def llm_server(settings, qa, fake_llm):
    s = settings.model_copy(update={"llm_base_url": fake_llm.url + "/v1", "llm_timeout": 5.0, "llm_api_key": None,
                                    "rate_limit": ""})
    # a service of its own (the shared qa has no LLM), on the already loaded retriever
    from qa_service.service import QAService

    with LiveServer(create_app(s, service=QAService(qa.retriever, s), with_ui=False)) as srv:
        yield srv


def test_llm_mode_streams_tokens(llm_server, fake_llm):
    fake_llm.state.update(behaviour="grounded", requests=[])
    oa = client(llm_server.url)
    assert "qa-service-llm" in [m.id for m in oa.models.list().data]
    stream = oa.chat.completions.create(model="qa-service-llm", messages=[{"role": "user", "content": QUESTION}],
                                        stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    answer = "按规定，3个工作日内就能办好。[1]"
    # the fake model writes four characters a chunk: they arrive as it writes them, not as one answer
    assert pieces[: len(answer) // 4 + 1] == [answer[i : i + 4] for i in range(0, len(answer), 4)]
    assert "".join(pieces).startswith(answer + "\n\n参考来源：")
    assert fake_llm.state["requests"][0]["body"]["stream"] is True
    assert chunks[-1].usage.completion_tokens == len("".join(pieces))


def test_llm_answer_withdrawn_midway_is_followed_by_the_extractive_one(llm_server, fake_llm, qa):
    fake_llm.state.update(behaviour="ungrounded_number", requests=[])
    oa = client(llm_server.url)
    stream = oa.chat.completions.create(model="qa-service-llm", messages=[{"role": "user", "content": QUESTION}], stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    withdrawn, rest = text.split(WITHDRAWN_NOTE)
    assert "987654" in withdrawn  # the model's invented figure was sent before the check…
    extractive = qa.ask(QUESTION, mode="extractive")
    assert rest.startswith(extractive.answer) and "987654" not in rest  # …and the grounded answer follows


def test_llm_tokens_arrive_before_the_model_has_finished(llm_server, fake_llm):
    """The model writes two pieces, stalls 3 s, then writes the rest: the first pieces reach the
    client during the stall (the endpoint forwards them; it does not wait for the whole answer)."""
    fake_llm.state.update(behaviour="stream_stall", requests=[], sleep=3.0)
    stream = client(llm_server.url).chat.completions.create(
        model="qa-service-llm", messages=[{"role": "user", "content": QUESTION}], stream=True)
    arrivals = [(time.monotonic(), c.choices[0].delta.content) for c in stream if c.choices and c.choices[0].delta.content]
    first, end = arrivals[0][0], arrivals[-1][0]
    assert arrivals[0][1] == "按规定，" and end - first > 2.0, arrivals
    assert WITHDRAWN_NOTE not in "".join(t for _, t in arrivals)  # a slow model is not a withdrawn one
