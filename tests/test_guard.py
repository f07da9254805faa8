"""One guarded door for every route, on live servers over the real index: the web page's
own routes (Gradio), the docs and the schema behind the same keys, limits and body limit
as the API, with errors in our JSON; rate limits per end user; proxies believed only when
configured; bounded connections."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time

import httpx
import pytest

from qa_service.serve.api import create_app

from .conftest import ROOT, LiveServer
from .test_api import assert_error

Q = "企业开办要几天"
PAGE_CALL = "/gradio_api/call/search"  # the page's search, as a script would call it
PAGE_ROUTES = [("GET", "/config"), ("GET", "/docs"), ("GET", "/openapi.json"), ("POST", PAGE_CALL)]


def serve(settings, qa, with_ui=False, **update):
    return LiveServer(create_app(settings.model_copy(update=update), service=qa, with_ui=with_ui))


def page_call(c: httpx.Client, **kw) -> httpx.Response:
    return c.post(PAGE_CALL, json={"data": ["简易注销", "全部", "全部文件"]}, **kw)


# -- 1. the page's routes, the docs and the schema behind the same guard ----------------------
def test_with_page_access_key_every_page_route_needs_the_key(settings, qa):
    with serve(settings, qa, with_ui=True, api_keys="k1", page_access="key") as srv, httpx.Client(base_url=srv.url) as c:
        for method, path in PAGE_ROUTES:
            assert_error(c.request(method, path, json={"data": []} if method == "POST" else None), 401, "unauthorized")
        assert c.get("/config", headers={"X-API-Key": "k1"}).status_code == 200
        assert c.get("/docs", headers={"X-API-Key": "k1"}).status_code == 200
        assert page_call(c, headers={"X-API-Key": "k1"}).status_code == 200
        assert c.get("/healthz").status_code == 200  # probes need no key


def test_the_public_page_has_its_own_limit_per_client(settings, qa):
    with serve(settings, qa, with_ui=True, api_keys="k1", page_rate_limit="3/minute", rate_limit="") as srv, \
            httpx.Client(base_url=srv.url) as c:
        assert [page_call(c).status_code for _ in range(3)] == [200, 200, 200]  # no key needed on the public page
        r = page_call(c)
        assert_error(r, 429, "rate_limited")
        assert int(r.headers["retry-after"]) >= 1
        assert_error(c.get("/docs"), 429, "rate_limited")  # one budget for the page and the docs
        assert c.get("/api/v1/documents", headers={"X-API-Key": "k1"}).status_code == 200  # the API's is its own


def test_the_page_routes_have_the_body_limit(settings, qa):
    with serve(settings, qa, with_ui=True) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        big = json.dumps({"data": ["x" * 2_000_000, "全部", "全部文件"]})
        assert_error(c.post(PAGE_CALL, content=big, headers={"content-type": "application/json"}), 413, "request_too_large")

        def chunked():
            yield b'{"data": ["'
            for _ in range(40):
                yield b"x" * 64 * 1024
            yield b'"]}'

        assert_error(c.post(PAGE_CALL, content=chunked(), headers={"content-type": "application/json"}), 413, "request_too_large")


def test_the_page_routes_answer_errors_in_our_format(settings, qa):
    with serve(settings, qa, with_ui=True) as srv, httpx.Client(base_url=srv.url) as c:
        assert_error(c.post(PAGE_CALL, json={"wrong": 1}), 400, "invalid_request")  # Gradio's English 422
        assert_error(c.post("/gradio_api/call/no-such-endpoint", json={"data": []}), 404, "not_found")
        assert_error(c.get("/gradio_api/no/such/route"), 404, "not_found")


# -- 2. rate limits per end user ----------------------------------------------------------------
def test_each_user_of_a_key_has_their_own_budget(settings, qa):
    with serve(settings, qa, api_keys="mini", rate_limit="2/minute") as srv, httpx.Client(base_url=srv.url) as c:
        def ask(client_id):
            return c.get("/api/v1/documents", headers={"X-API-Key": "mini", "X-Client-ID": client_id})

        assert [ask("user-a").status_code for _ in range(2)] == [200, 200]
        assert_error(ask("user-a"), 429, "rate_limited")
        assert ask("user-b").status_code == 200  # another user of the same mini-program


def test_wrong_keys_are_limited_per_address(settings, qa):
    with serve(settings, qa, api_keys="k1", auth_fail_limit="3/minute") as srv, httpx.Client(base_url=srv.url) as c:
        for n in range(3):
            assert_error(c.get("/api/v1/documents", headers={"X-API-Key": f"guess-{n}"}), 401, "unauthorized")
        r = c.get("/api/v1/documents", headers={"X-API-Key": "guess-4"})
        assert_error(r, 429, "rate_limited")
        assert int(r.headers["retry-after"]) >= 1


def test_a_forwarded_address_counts_only_from_a_trusted_proxy(settings, qa):
    def statuses(srv):
        with httpx.Client(base_url=srv.url) as c:
            return [c.get("/api/v1/documents", headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(4)]

    with serve(settings, qa, rate_limit="2/minute") as srv:
        assert statuses(srv) == [200, 200, 429, 429]  # rotating the header from loopback resets nothing
    with serve(settings, qa, rate_limit="2/minute", trusted_proxies="127.0.0.1") as srv:
        assert statuses(srv) == [200, 200, 200, 200]  # behind our proxy each address is its own client


def test_a_client_id_without_a_key_does_not_reset_the_limit(settings, qa):
    with serve(settings, qa, rate_limit="2/minute") as srv, httpx.Client(base_url=srv.url) as c:
        codes = [c.get("/api/v1/documents", headers={"X-Client-ID": f"u{n}"}).status_code for n in range(3)]
        assert codes == [200, 200, 429]


def test_long_requests_take_more_of_the_budget(settings, qa):
    """The work on a question grows with its text: a client sending long questions or long
    histories gets fewer of them per minute than one asking normal questions (one unit per
    started kilobyte)."""
    heavy = json.dumps({"question": Q, "history": ["企" * 1480]}, ensure_ascii=False).encode()
    assert 4000 < len(heavy) <= 5000  # 5 units
    with serve(settings, qa, rate_limit="10/minute") as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        sent = [c.post("/api/v1/ask", content=heavy, headers={"content-type": "application/json"}) for _ in range(2)]
        assert [r.status_code for r in sent] == [200, 200]
        assert_error(c.post("/api/v1/ask", json={"question": Q}), 429, "rate_limited")
    with serve(settings, qa, rate_limit="10/minute") as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        assert [c.post("/api/v1/ask", json={"question": Q}).status_code for _ in range(10)] == [200] * 10  # one unit each


# -- 3. connections ----------------------------------------------------------------------------
def test_the_admin_routes_take_the_admin_key_and_uploads_have_their_own_body_limit(settings, qa):
    """/api/v1/admin/… is not behind the client keys (its routes check QA_ADMIN_KEYS); a document
    upload may be larger than the 1 MB of every other body, up to QA_MAX_UPLOAD_MB."""
    with serve(settings, qa, api_keys="k1", admin_keys="admin-secret", max_upload_mb=2, rate_limit="") as srv, \
            httpx.Client(base_url=srv.url, timeout=60) as c:
        assert c.get("/api/v1/admin/history", headers={"X-Admin-Key": "admin-secret"}).status_code == 200  # no client key
        assert "管理密钥" in assert_error(c.get("/api/v1/admin/history"), 401, "unauthorized")["message"]  # the route's refusal
        assert_error(c.get("/api/v1/admin/history", headers={"X-API-Key": "k1"}), 401, "unauthorized")  # a client key is no admin key
        assert_error(c.get("/api/v1/documents"), 401, "unauthorized")  # the rest of the API still needs a client key
        # 1.5 MB passes the body limits and reaches the route, which refuses the wrong key (nothing is written)
        r = c.post("/api/v1/admin/documents", headers={"X-Admin-Key": "wrong"}, files={"file": ("a.pdf", b"%PDF" + b"0" * 1_500_000)})
        assert_error(r, 401, "unauthorized")
        r = c.post("/api/v1/admin/documents", headers={"X-Admin-Key": "admin-secret"}, files={"file": ("b.pdf", b"%PDF" + b"0" * 3_000_000)})
        assert "2 MB" in assert_error(r, 413, "file_too_large")["message"]
        big = json.dumps({"question": Q, "history": ["企" * 1000] * 400})
        assert_error(c.post("/api/v1/ask", content=big, headers={"X-API-Key": "k1", "content-type": "application/json"}),
                     413, "request_too_large")  # other bodies keep the 1 MB limit


def test_the_page_takes_document_files_only_with_its_administrator_panel(settings, qa):
    """The 文件库's administrator panel (QA_ADMIN_KEYS) uploads through Gradio's /gradio_api/upload:
    then that path has the upload limit; without the panel it has the 1 MB of every body."""
    def upload(c: httpx.Client, size: int) -> httpx.Response:
        return c.post("/gradio_api/upload", files={"files": ("p.pdf", b"%PDF" + b"0" * size)})

    with serve(settings, qa, with_ui=True, admin_keys="admin-secret", max_upload_mb=2, rate_limit="") as srv, \
            httpx.Client(base_url=srv.url, timeout=60) as c:
        assert upload(c, 1_500_000).status_code == 200
        assert_error(upload(c, 3_000_000), 413, "file_too_large")
    with serve(settings, qa, with_ui=True, max_upload_mb=2, rate_limit="") as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        assert_error(upload(c, 1_500_000), 413, "request_too_large")


def _connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    return s


def test_a_connection_that_sends_nothing_is_closed_after_the_request_timeout(settings, qa):
    with serve(settings, qa, request_timeout=1) as srv:
        idle = _connect(srv.port)
        trickle = _connect(srv.port)
        trickle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # headers never finished
        time.sleep(2.0)
        for s in (idle, trickle):
            s.settimeout(3)
            assert s.recv(100) == b"", "the server should have closed the connection"
            s.close()
        assert httpx.get(srv.url + "/healthz").status_code == 200


def test_connections_past_the_cap_get_a_json_503_and_are_closed(settings, qa):
    with serve(settings, qa, max_connections=5) as srv:
        held = [_connect(srv.port) for _ in range(5)]
        time.sleep(0.2)
        extra = _connect(srv.port)
        extra.settimeout(5)
        data = b""
        while chunk := extra.recv(4096):
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 503") and json.loads(body)["code"] == "server_busy"
        assert "服务繁忙" in json.loads(body)["message"]
        for s in held:
            s.close()
        time.sleep(0.3)
        assert httpx.get(srv.url + "/healthz").status_code == 200  # room again once they are gone


def test_no_server_header_and_a_sanitized_request_id(api_server):
    with httpx.Client(base_url=api_server.url) as c:
        r = c.get("/healthz", headers={"X-Request-ID": "abc-123"})
        assert "server" not in r.headers and r.headers["x-request-id"] == "abc-123"
        for bad in ("x" * 65, "has space", "a;b", "<script>"):
            rid = c.post("/api/v1/ask", json={"question": ""}, headers={"X-Request-ID": bad}).headers["x-request-id"]
            assert rid != bad and len(rid) == 16 and rid.isalnum(), (bad, rid)


@pytest.fixture(scope="module")
def api_server(settings, qa):
    with serve(settings, qa) as srv:
        yield srv


# -- 4. one budget across workers ------------------------------------------------------------------
REDIS = shutil.which("redis-server")


@pytest.mark.skipif(REDIS is None, reason="redis-server is not installed (apt-get install redis-server)")
def test_workers_share_one_budget_in_redis(tmp_path):
    """Two API workers with QA_RATE_LIMIT_STORAGE=redis://…: the limit is one budget for the
    client, whichever worker takes its connection (memory:// would count in each worker)."""
    pytest.importorskip("redis")
    from .conftest import free_port
    from .test_robustness import cli_env, qa_cli

    rport, port = free_port(), free_port()
    redis = subprocess.Popen([REDIS, "--port", str(rport), "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = cli_env(ROOT / "index") | {"QA_RATE_LIMIT": "4/minute", "QA_RATE_LIMIT_STORAGE": f"redis://127.0.0.1:{rport}",
                                     "QA_AUTO_REBUILD": "false"}
    server = subprocess.Popen(qa_cli("serve", "--no-ui", "--workers", "2", "--port", str(port)), cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while True:  # both workers up: each loads the index before it takes a connection
            try:
                if httpx.get(url + "/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
            time.sleep(0.5)
        time.sleep(5)  # the second worker
        codes = []
        for _ in range(10):  # a new connection each time: the kernel spreads them over the workers
            with httpx.Client(base_url=url, timeout=30) as c:
                codes.append(c.get("/api/v1/documents").status_code)
        assert codes.count(200) == 4 and codes.count(429) == 6, codes
    finally:
        server.terminate()
        server.wait(30)
        redis.terminate()
        redis.wait(10)
