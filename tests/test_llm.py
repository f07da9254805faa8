"""The optional LLM mode against a fake OpenAI-compatible server on loopback.

The fake server is a real HTTP server (uvicorn in a thread); the retriever, composer
and grounding check are the real ones over the real index. Whatever the model does
wrong (HTTP 500, too slow, malformed JSON, cites a clause it was not given, invents a
figure, breaks off mid-stream), the user gets the extractive answer with the reason.
"""
from __future__ import annotations

import asyncio
import json
import re

import pytest
from fastapi import FastAPI, Request  # module level: the route's annotations are resolved from here
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from qa_service.compose.llm import grounding_problem, number_clauses
from qa_service.compose.sentences import figures
from qa_service.config import Settings
from qa_service.models import Answer, Citation, Scope
from qa_service.service import QAService

from .conftest import ROOT, LiveServer

SYSTEM_PROMPT = (ROOT / "prompts" / "answer_system.txt").read_text(encoding="utf-8")
QUESTION = "西咸新区用水报装要几个工作日"  # one clause answers it: 3个工作日内办结用水报装
INVENTED = "987654"


# -- the fake model ------------------------------------------------------------------------------
def clause_1(messages: list[dict]) -> str:
    user = next(m["content"] for m in messages if m["role"] == "user")
    m = re.search(r"^\[1\] .*$", user, re.M)
    return m.group(0) if m else ""


def reply_for(behaviour: str, messages: list[dict]) -> str:
    c1 = clause_1(messages)
    body = c1.split("：", 1)[-1]
    fig = next((f.value for f in figures(body)), None)
    if behaviour == "ungrounded_marker":
        return f"办理时限为{fig}。[9]"
    if behaviour == "ungrounded_number":
        return f"办理时限为{INVENTED}个工作日。[1]"
    if behaviour == "no_markers":
        return f"办理时限为{fig}。"
    return f"按规定，{fig}内就能办好。[1]"


def make_fake_app(state: dict):
    app = FastAPI()

    @app.get("/readyz")
    def readyz():
        return {"status": "ready"}

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        body = await request.json()
        state["requests"].append({"headers": dict(request.headers), "body": body})
        b = state["behaviour"]
        if b == "http500":
            return PlainTextResponse("internal error", status_code=500)
        if b == "slow":
            await asyncio.sleep(state["sleep"])
        if b == "malformed":
            return Response("{not json", media_type="application/json")
        if b == "no_choices":
            return JSONResponse({"id": "x", "object": "chat.completion"})
        if b == "null_content":
            return JSONResponse({"choices": [{"message": {"role": "assistant", "content": None}}]})
        text = reply_for(b, body["messages"])
        if not body.get("stream"):
            return JSONResponse({"id": "chatcmpl-1", "object": "chat.completion", "model": body["model"],
                                 "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                              "finish_reason": "stop"}]})

        def chunk(delta: dict) -> str:
            return "data: " + json.dumps({"id": "chatcmpl-1", "object": "chat.completion.chunk",
                                          "choices": [{"index": 0, "delta": delta}]}, ensure_ascii=False) + "\n\n"

        pieces = [text[i : i + 4] for i in range(0, len(text), 4)]

        async def events():
            yield chunk({"role": "assistant"})
            for k, p in enumerate(pieces):
                if b == "stream_break" and k == 2:
                    raise RuntimeError("connection lost mid-stream")  # uvicorn drops the connection
                if b == "stream_stall" and k == 2:
                    await asyncio.sleep(state["sleep"])  # the model stops writing, longer than the timeout
                if b == "stream_garbage" and k == 2:
                    yield "data: {broken json\n\n"
                yield chunk({"content": p})
                await asyncio.sleep(0)
            yield ": keep-alive comment\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


@pytest.fixture(scope="module")
def fake():
    state: dict = {"behaviour": "grounded", "requests": [], "sleep": 3.0}
    with LiveServer(make_fake_app(state)) as srv:
        srv.state = state
        yield srv


@pytest.fixture
def model(fake):
    fake.state.update(behaviour="grounded", requests=[])
    return fake.state


@pytest.fixture(scope="module")
def llm_qa(qa, settings, fake):
    s = settings.model_copy(update={"llm_base_url": fake.url + "/v1", "llm_timeout": 1.0, "llm_api_key": None})
    return QAService(qa.retriever, s)


@pytest.fixture(scope="module")
def extractive(qa):
    a = qa.ask(QUESTION, mode="extractive")
    assert a.found and a.mode == "extractive"
    assert any(f.value == "3个工作日" for f in figures(a.citations[0].text))
    return a


def same_citations(a: Answer, b: Answer) -> bool:
    return [c.model_dump() for c in a.citations] == [c.model_dump() for c in b.citations]


# -- rewrite (one request) -------------------------------------------------------------------------
def test_grounded_answer_is_used(llm_qa, model, extractive):
    a = llm_qa.ask(QUESTION, mode="llm")
    assert a.mode == "llm" and a.fallback_reason is None, a.fallback_reason
    assert a.answer == "按规定，3个工作日内就能办好。[1]"
    assert same_citations(a, extractive) and a.found
    assert grounding_problem(a.answer, a.citations) is None

    assert len(model["requests"]) == 1
    req = model["requests"][0]
    body = req["body"]
    assert body["model"] == llm_qa.settings.llm_model and body["stream"] is False
    msgs = body["messages"]
    assert msgs[0] == {"role": "system", "content": SYSTEM_PROMPT}
    assert msgs[1]["role"] == "user"
    assert QUESTION in msgs[1]["content"] and "[1] 《" in msgs[1]["content"]
    assert number_clauses(extractive.citations) in msgs[1]["content"]
    assert "authorization" not in req["headers"]  # no key configured, none sent


def test_figure_answers_send_the_direct_answer_as_grounding(llm_qa, model):
    """A 多久 question answered from the figure table gives the model its one-line answer too,
    every figure with its [n], so that it keeps all places' figures."""
    base = llm_qa.ask("企业开办要几天", mode="extractive")
    assert base.direct
    llm_qa.ask("企业开办要几天", mode="llm")
    content = model["requests"][-1]["body"]["messages"][1]["content"]
    assert base.direct in content and number_clauses(base.citations) in content


def test_auto_mode_uses_the_llm_when_configured(llm_qa, model):
    a = llm_qa.ask(QUESTION)  # mode auto
    assert a.mode == "llm" and len(model["requests"]) == 1


def test_extractive_mode_never_calls_the_llm(llm_qa, model, extractive):
    a = llm_qa.ask(QUESTION, mode="extractive")
    assert a.mode == "extractive" and a.fallback_reason is None
    assert a.answer == extractive.answer and model["requests"] == []


def test_refusals_are_not_sent_to_the_llm(llm_qa, model):
    a = llm_qa.ask("今天西安天气咋样", mode="llm")
    assert a.found is False and a.mode == "extractive" and "12345" in a.answer
    assert model["requests"] == []


def test_api_key_is_sent(qa, settings, fake, model, monkeypatch):
    monkeypatch.setenv("QA_LLM_API_KEY", "sk-test-123")
    s = Settings(corpus_dir=settings.corpus_dir, index_dir=settings.index_dir,
                 llm_base_url=fake.url + "/v1", llm_timeout=1.0)
    assert s.llm_api_key == "sk-test-123"
    a = QAService(qa.retriever, s).ask(QUESTION, mode="llm")
    assert a.mode == "llm"
    assert model["requests"][0]["headers"]["authorization"] == "Bearer sk-test-123"


@pytest.mark.parametrize("behaviour, reason", [
    ("http500", "LLM returned HTTP 500"),
    ("slow", "LLM timed out after 1.0s"),
    ("malformed", "LLM call failed: JSONDecodeError"),
    ("no_choices", "LLM call failed: KeyError"),
    ("null_content", "LLM call failed: TypeError"),
    ("ungrounded_marker", "not supplied: [9]"),
    ("ungrounded_number", INVENTED),
    ("no_markers", "no [n] citation markers"),
])
def test_failures_fall_back_to_the_extractive_answer(llm_qa, model, extractive, behaviour, reason):
    model["behaviour"] = behaviour
    a = llm_qa.ask(QUESTION, mode="llm")
    assert a.mode == "extractive"
    assert a.fallback_reason and reason in a.fallback_reason, a.fallback_reason
    if behaviour.startswith(("ungrounded", "no_markers")):
        assert "grounding" in a.fallback_reason
    assert a.answer == extractive.answer and a.found
    assert same_citations(a, extractive)
    assert INVENTED not in a.answer
    assert len(model["requests"]) == 1


def test_timeout_is_quick(llm_qa, model, extractive):
    import time

    model["behaviour"] = "slow"
    t = time.perf_counter()
    a = llm_qa._llm.rewrite(extractive)  # the model's part alone (retrieval time varies with load)
    assert a.fallback_reason == "LLM timed out after 1.0s"
    assert time.perf_counter() - t < 2.5  # the configured 1 s, not the model's 3 s


def test_unreachable_server_falls_back(qa, settings, extractive):
    from .conftest import free_port

    s = settings.model_copy(update={"llm_base_url": f"http://127.0.0.1:{free_port()}/v1", "llm_timeout": 1.0})
    a = QAService(qa.retriever, s).ask(QUESTION, mode="llm")
    assert a.mode == "extractive" and a.fallback_reason and "LLM call failed" in a.fallback_reason
    assert a.answer == extractive.answer


def test_llm_mode_without_configuration(qa, settings, extractive):
    plain = QAService(qa.retriever, settings.model_copy(update={"llm_base_url": None}))
    a = plain.ask(QUESTION, mode="llm")
    assert a.mode == "extractive" and a.answer == extractive.answer
    assert a.fallback_reason and "not configured" in a.fallback_reason and "QA_LLM_BASE_URL" in a.fallback_reason
    events = list(plain.ask_stream(QUESTION, mode="llm"))
    final = events[-1][1]
    assert events[-1][0] == "answer" and final.mode == "extractive"
    assert final.fallback_reason and "not configured" in final.fallback_reason
    # mode auto without a model: no fallback to report
    assert plain.ask(QUESTION).fallback_reason is None


# -- streaming -----------------------------------------------------------------------------------------
def run_stream(service: QAService, question: str = QUESTION, **kw) -> tuple[list[tuple[str, object]], Answer]:
    events = list(service.ask_stream(question, **kw))
    kinds = [k for k, _ in events]
    assert kinds[-1] == "answer" and kinds.count("answer") == 1
    assert set(kinds) <= {"delta", "reset", "answer"}
    return events, events[-1][1]


def text_after_last_reset(events) -> str:
    start = max((i for i, (k, _) in enumerate(events) if k == "reset"), default=-1) + 1
    return "".join(v for k, v in events[start:] if k == "delta")


def test_stream_grounded(llm_qa, model, extractive):
    events, final = run_stream(llm_qa, mode="llm")
    kinds = [k for k, _ in events]
    assert "reset" not in kinds and kinds.count("delta") >= 3  # the model's pieces, as they come
    assert final.mode == "llm" and final.fallback_reason is None
    assert text_after_last_reset(events) == final.answer == "按规定，3个工作日内就能办好。[1]"
    assert same_citations(final, extractive)
    assert model["requests"][0]["body"]["stream"] is True
    assert model["requests"][0]["body"]["messages"][0]["content"] == SYSTEM_PROMPT


@pytest.mark.parametrize("behaviour, reason", [
    ("stream_break", "LLM stream failed: RemoteProtocolError"),  # the connection drops
    ("stream_garbage", "LLM stream failed: JSONDecodeError"),
    ("stream_stall", "LLM timed out after 1.0s"),
    ("ungrounded_marker", "grounding"),
    ("ungrounded_number", "grounding"),
])
def test_stream_failure_midway_resets_to_the_extractive_answer(llm_qa, model, extractive, behaviour, reason):
    model["behaviour"] = behaviour
    events, final = run_stream(llm_qa, mode="llm")
    kinds = [k for k, _ in events]
    assert kinds.count("reset") == 1
    r = kinds.index("reset")
    assert r > 0 and all(k == "delta" for k in kinds[:r])  # some of the model's text came first
    assert reason in events[r][1]
    assert final.mode == "extractive" and final.fallback_reason and reason in final.fallback_reason
    assert final.answer == extractive.answer == text_after_last_reset(events)
    assert same_citations(final, extractive)


@pytest.mark.parametrize("behaviour, reason", [("http500", "LLM returned HTTP 500"), ("slow", "LLM timed out after 1.0s")])
def test_stream_failure_before_any_text_needs_no_reset(llm_qa, model, extractive, behaviour, reason):
    model["behaviour"] = behaviour
    events, final = run_stream(llm_qa, mode="llm")
    assert "reset" not in [k for k, _ in events]
    assert final.mode == "extractive" and final.fallback_reason and reason in final.fallback_reason
    assert text_after_last_reset(events) == final.answer == extractive.answer


def test_stream_extractive_mode(llm_qa, model, extractive):
    events, final = run_stream(llm_qa, mode="extractive")
    assert final.mode == "extractive" and final.fallback_reason is None
    assert text_after_last_reset(events) == extractive.answer
    assert model["requests"] == []


# -- the grounding check on hand-made citations -------------------------------------------------------------
def cite(n: int, text: str, **kw) -> Citation:
    return Citation(n=n, item_id=f"d/{n}", doc_id="d", doc_title=kw.pop("doc_title", "某市优化营商环境方案"),
                    path=f"第{n}条", citation=f"《某市优化营商环境方案》第{n}条", quote=text, text=text, **kw)


CITES = [
    cite(1, "企业开办时间压减到1个工作日以内。"),
    cite(2, "用水报装时限压缩至7个工作日以内，故障维修响应时间压减至1个小时以内。", date="2023-02-13",
         doc_number="陕政办发〔2023〕11号"),
    cite(3, "每月1-25日为“企业安静生产期”。", scope=Scope.other_province),
]


@pytest.mark.parametrize("text, problem", [
    ("企业开办1个工作日办结。[1]", None),
    ("用水报装7个工作日[2]，企业开办1个工作日[1]。", None),
    ("用水报装7个工作日，维修1个小时内到场。[2]", None),
    ("依据陕政办发〔2023〕11号（2023-02-13）的规定，用水7个工作日。[2]", None),  # 文号 and date are citable
    ("每月1-25日为安静生产期[3]，不是陕西的规定。", None),
    ("拨打12345咨询。[1]", None),  # the hotline is not a policy figure
    ("", "empty"),
    ("   ", "empty"),
    ("企业开办1个工作日办结。", "no [n] citation markers"),
    ("企业开办1个工作日办结。[4]", "not supplied: [4]"),
    ("企业开办1个工作日[1][9]。", "not supplied: [9]"),
    ("企业开办0.5个工作日。[1]", "0.5"),
    ("用水报装7个工作日。[1]", "7"),  # 7 is in clause 2, but the sentence cites clause 1 only
    ("拨打123456咨询。[1]", "123456"),
])
def test_grounding_problem(text, problem):
    got = grounding_problem(text, CITES)
    if problem is None:
        assert got is None, got
    else:
        assert got and problem in got, got


def test_grounding_problem_with_another_hotline():
    assert grounding_problem("拨打12345咨询。[1]", CITES, hotline="96345")
    assert grounding_problem("拨打96345咨询。[1]", CITES, hotline="96345") is None


def test_number_clauses_marks_other_provinces():
    text = number_clauses(CITES)
    lines = text.splitlines()
    assert len(lines) == 3 and all(l.startswith(f"[{k}] 《") for k, l in enumerate(lines, start=1))
    assert "省外经验" in lines[2] and "省外经验" not in lines[0]
    assert "2023-02-13" in lines[1] and "陕政办发〔2023〕11号" in lines[1]
