"""Feedback, the question log and the admin view over HTTP, on a real server on loopback
with the real index, storing into a real SQLite file and a real PostgreSQL server (the
same test bodies on both); and ``qa-service log`` reading what the server stored."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import httpx
import pytest
from sqlalchemy import select

from qa_service.qalog import schema
from qa_service.qalog.store import make_engine
from qa_service.serve.api import create_app

from .conftest import ROOT, LiveServer
from .test_qalog import empty_database

ADMIN = {"Authorization": "Bearer admin-secret"}
CLIENT = {"Authorization": "Bearer client-key"}
UNANSWERABLE = "外卖平台怎么点餐"  # nothing in the policy documents answers it


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db_url(request, tmp_path_factory):
    yield from empty_database(request.param, tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="module")
def server(settings, qa, db_url):
    s = settings.model_copy(update={"rate_limit": "", "database_url": db_url, "admin_keys": "admin-secret",
                                    "api_keys": "client-key"})
    app = create_app(s, service=qa, with_ui=False)
    with LiveServer(app) as srv:
        srv.app = app
        yield srv


@pytest.fixture(scope="module")
def api(server):
    with httpx.Client(base_url=server.url, timeout=60, headers=CLIENT) as c:
        yield c


def stored(db_url: str, table, **where) -> list:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            stmt = select(table).where(*(getattr(table.c, k) == v for k, v in where.items())).order_by(table.c.id)
            return list(conn.execute(stmt))
    finally:
        engine.dispose()


def assert_error(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code and body["message_en"] and body["request_id"] == r.headers["x-request-id"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])
    return body


def flush(server) -> None:
    assert server.app.state.qalog.flush()


# -- every channel is logged ---------------------------------------------------------------
def test_questions_from_ask_stream_and_openai_are_logged_with_their_channel(api, server, db_url):
    a = api.post("/api/v1/ask", json={"question": "企业开办要几天"}).json()
    with api.stream("POST", "/api/v1/ask/stream", json={"question": UNANSWERABLE}) as r:
        events = [json.loads(l[6:]) for l in r.iter_lines() if l.startswith("data: ")]
    stream_rid = events[0]["request_id"]
    r = api.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "信用修复要多久"}]},
                 headers={"X-Request-ID": "openai-rid-1"})
    assert r.status_code == 200
    flush(server)
    (row,) = stored(db_url, schema.questions, request_id=a["request_id"])
    assert row.channel == "api" and row.found and row.question == "企业开办要几天"
    assert row.citation_item == a["citations"][0]["item_id"] and row.citation == a["citations"][0]["citation"]
    assert row.latency_ms == a["latency_ms"]
    (row,) = stored(db_url, schema.questions, request_id=stream_rid)
    assert row.channel == "stream" and not row.found and row.citation is None
    (row,) = stored(db_url, schema.questions, request_id="openai-rid-1")
    assert row.channel == "openai" and row.question == "信用修复要多久"


# -- feedback --------------------------------------------------------------------------------
def test_feedback_is_stored_and_a_later_vote_replaces_it(api, db_url):
    rid = api.post("/api/v1/ask", json={"question": "简易注销要多久"}).json()["request_id"]
    r = api.post("/api/v1/feedback", json={"request_id": rid, "rating": "up"})  # at once: the row may still be queued
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["stored"] and body["answer_request_id"] == rid and body["rating"] == "up"
    assert body["request_id"] == r.headers["x-request-id"] != rid
    r = api.post("/api/v1/feedback", json={"request_id": rid, "rating": "down", "comment": "没说清楚在哪里办，我的电话13800001111\u0000"})
    assert r.status_code == 200
    (vote,) = stored(db_url, schema.feedback, request_id=rid)
    assert vote.rating == "down" and vote.comment == "没说清楚在哪里办，我的电话[手机号]"


@pytest.mark.parametrize("body, status, code", [
    ({"request_id": "never-answered", "rating": "up"}, 404, "answer_not_found"),
    ({"request_id": "x", "rating": "meh"}, 400, "invalid_request"),
    ({"request_id": "", "rating": "up"}, 400, "invalid_request"),
    ({"request_id": "rid\u0000x", "rating": "up"}, 400, "invalid_request"),  # PostgreSQL would refuse the NUL with a 500
    ({"rating": "up"}, 400, "invalid_request"),
    ({"request_id": "x", "rating": "up", "comment": "很" * 501}, 400, "invalid_request"),
    ({"request_id": "x", "rating": "up", "stars": 5}, 400, "unknown_field"),
])
def test_bad_feedback_gets_a_clear_4xx(api, body, status, code):
    assert_error(api.post("/api/v1/feedback", json=body), status, code)


def test_feedback_needs_json_and_a_client_key(api, server):
    r = api.post("/api/v1/feedback", content=b"request_id=x&rating=up", headers={"content-type": "application/x-www-form-urlencoded"})
    assert_error(r, 415, "unsupported_media_type")
    assert_error(httpx.post(server.url + "/api/v1/feedback", json={"request_id": "x", "rating": "up"}), 401, "unauthorized")


# -- admin view ----------------------------------------------------------------------------------
def test_admin_view_lists_unanswered_and_downvoted_as_json_and_csv(api, server, db_url):
    rids = [api.post("/api/v1/ask", json={"question": q}).json()["request_id"]
            for q in (UNANSWERABLE, UNANSWERABLE + "？", " 外卖平台 怎么点餐呢", "企业开办要几天")]
    assert api.post("/api/v1/feedback", json={"request_id": rids[3], "rating": "down", "comment": "要写明西安的时限"}).status_code == 200
    flush(server)
    with httpx.Client(base_url=server.url, headers=ADMIN, timeout=60) as admin:
        top = admin.get("/api/v1/admin/log/unanswered", params={"days": 1}).json()
        assert top["days"] == 1 and top["items"][0]["question"] == "外卖平台怎么点餐" and top["items"][0]["count"] >= 3
        down = admin.get("/api/v1/admin/log/downvoted").json()["items"]
        assert down[0]["request_id"] == rids[3] and down[0]["comment"] == "要写明西安的时限" and down[0]["citation"].startswith("《")
        r = admin.get("/api/v1/admin/log/unanswered", params={"format": "csv"})
        assert r.headers["content-type"].startswith("text/csv") and "attachment" in r.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert rows[0]["question"] == "外卖平台怎么点餐" and int(rows[0]["count"]) >= 3
        r = admin.get("/api/v1/admin/log/downvoted", params={"format": "csv", "limit": 1})
        assert len(list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))) == 1
        assert_error(admin.get("/api/v1/admin/log/unanswered", params={"days": 0}), 400, "invalid_request")
        assert_error(admin.get("/api/v1/admin/log/unanswered", params={"format": "xml"}), 400, "invalid_request")


def test_admin_view_needs_an_admin_key_and_a_client_key_is_not_one(api, server):
    path = server.url + "/api/v1/admin/log/unanswered"
    assert_error(httpx.get(path), 401, "unauthorized")
    assert_error(httpx.get(path, headers=CLIENT), 401, "unauthorized")  # a mini-program's key reads no citizen's question
    assert_error(httpx.get(path, headers={"Authorization": "Bearer admin-secreT"}), 401, "unauthorized")
    assert httpx.get(path, headers={"X-API-Key": "admin-secret"}).status_code == 200
    assert_error(httpx.post(server.url + "/api/v1/ask", json={"question": "企业开办要几天"}, headers=ADMIN), 401, "unauthorized")


def test_the_cli_prints_what_the_admin_view_shows(server, db_url, api):
    api.post("/api/v1/ask", json={"question": UNANSWERABLE})
    flush(server)
    env = {"QA_DATABASE_URL": db_url, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "qa_service.cli", "log", "top-unanswered", "--days", "1", "--json"],
                         capture_output=True, text=True, env=env, timeout=120, check=True).stdout
    lines = [json.loads(l) for l in out.splitlines()]
    with httpx.Client(base_url=server.url, headers=ADMIN) as admin:
        assert lines == admin.get("/api/v1/admin/log/unanswered", params={"days": 1}).json()["items"]
    out = subprocess.run([sys.executable, "-m", "qa_service.cli", "log", "downvoted", "--csv"],
                         capture_output=True, text=True, env=env, timeout=120, check=True).stdout
    assert out.startswith("voted_at,request_id,channel,question,answer,citation,comment")


# -- switched off -----------------------------------------------------------------------------------
def test_with_logging_off_nothing_is_stored_and_feedback_says_why(settings, qa, tmp_path):
    s = settings.model_copy(update={"rate_limit": "", "log_questions": False, "data_dir": tmp_path, "admin_keys": "k"})
    with LiveServer(create_app(s, service=qa, with_ui=False)) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        rid = c.post("/api/v1/ask", json={"question": "企业开办要几天"}).json()["request_id"]
        assert_error(c.post("/api/v1/feedback", json={"request_id": rid, "rating": "up"}), 503, "log_unavailable")
        assert_error(c.get("/api/v1/admin/log/unanswered", headers={"Authorization": "Bearer k"}), 503, "log_unavailable")
        assert_error(c.get("/api/v1/admin/log/unanswered"), 401, "unauthorized")
    assert not list(tmp_path.iterdir())  # not even an empty database file


def test_admin_endpoints_are_off_without_admin_keys(api, settings, qa):
    s = settings.model_copy(update={"rate_limit": ""})
    with LiveServer(create_app(s, service=qa, with_ui=False)) as srv:
        assert_error(httpx.get(srv.url + "/api/v1/admin/log/downvoted", headers=ADMIN), 403, "admin_disabled")


def test_a_database_that_comes_up_after_the_service_is_used_from_then_on(settings, qa, tmp_path, monkeypatch):
    import time

    from qa_service.serve import feedback as feedback_module

    monkeypatch.setattr(feedback_module, "RETRY_OPEN_S", 0.2)
    blocker = tmp_path / "db"
    blocker.write_text("a file where the database's folder should be")  # the database cannot be opened yet
    s = settings.model_copy(update={"rate_limit": "", "database_url": f"sqlite:///{blocker / 'qa.sqlite3'}"})
    app = create_app(s, service=qa, with_ui=False)
    with LiveServer(app) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        rid = c.post("/api/v1/ask", json={"question": "企业开办要几天"}).json()["request_id"]  # answers do not wait for the log
        assert_error(c.post("/api/v1/feedback", json={"request_id": rid, "rating": "up"}), 503, "log_unavailable")
        blocker.unlink()
        deadline = time.monotonic() + 10
        while app.state.qalog is None and time.monotonic() < deadline:
            time.sleep(0.1)
        rid = c.post("/api/v1/ask", json={"question": "企业开办要几天"}).json()["request_id"]
        assert c.post("/api/v1/feedback", json={"request_id": rid, "rating": "up"}).status_code == 200
    assert stored(f"sqlite:///{blocker / 'qa.sqlite3'}", schema.feedback, request_id=rid)


def test_a_load_of_16_clients_loses_no_logged_question(db_url):
    """``qa-service bench serve -c 16`` against a server logging into this database: every
    answer it gave is a row once the server has shut down."""
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("QA_")}
    env |= {"QA_INDEX_DIR": str(ROOT / "index"), "QA_AUTO_REBUILD": "false", "QA_DATABASE_URL": db_url, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "qa_service.cli", "bench", "serve", "-c", "16", "-d", "4", "--no-warmup"],
                       capture_output=True, text=True, env=env, timeout=900, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout)
    assert out["errors"] == {} and out["answered"] == out["requests"] > 16
    assert out["log"] == {"rows": out["answered"], "answered": out["answered"], "lost": 0}
