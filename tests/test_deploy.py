"""deploy/nginx.conf: valid for nginx, and a real nginx in front of a live server does
what the README promises: the client's own X-Forwarded-For is dropped, over-large bodies
and errors come back in our JSON, the request id flows through, streams are not buffered."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time

import httpx
import pytest

from qa_service.serve.api import create_app

from .conftest import ROOT, LiveServer, free_port
from .test_api import assert_error, sse_events

CONF = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
needs_nginx = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx-light)")


def local_conf(tmp_path, listen: int, upstream: int):
    text = CONF.read_text(encoding="utf-8")
    text = text.replace("listen 80;", f"listen 127.0.0.1:{listen};").replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};")
    text = re.sub(r"^pid .*$", f"pid {tmp_path}/nginx.pid;", text, flags=re.M)
    conf = tmp_path / "nginx.conf"
    conf.write_text(text, encoding="utf-8")
    return conf


@needs_nginx
def test_the_nginx_example_is_valid(tmp_path):
    r = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(local_conf(tmp_path, free_port(), 8000))],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


@needs_nginx
def test_serving_through_the_nginx_example(tmp_path, settings, qa):
    s = settings.model_copy(update={"trusted_proxies": "127.0.0.1", "rate_limit": "3/minute"})
    with LiveServer(create_app(s, service=qa, with_ui=False)) as srv:
        port = free_port()
        conf = local_conf(tmp_path, port, srv.port)
        proc = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 20
            while True:
                try:
                    if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read() if proc.poll() is not None else ""
                time.sleep(0.1)
            with httpx.Client(base_url=url, timeout=60) as c:
                _check_through_proxy(c)
        finally:
            proc.terminate()
            proc.wait(10)


def _check_through_proxy(c: httpx.Client) -> None:
    r = c.get("/api/v1/documents")
    assert r.status_code == 200 and re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])  # nginx's id, kept
    # a client that writes its own X-Forwarded-For is still one client: nginx replaces the header
    codes = [c.get("/api/v1/documents", headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code for n in range(3)]
    assert codes == [200, 200, 429]
    # nginx refuses the body itself, in our format
    body = assert_error(c.post("/api/v1/ask", content=b"x" * 2_000_000, headers={"content-type": "application/json"}),
                        413, "request_too_large")
    assert re.fullmatch(r"[0-9a-f]{32}", body["request_id"])
    assert "nginx/" not in c.get("/nope").headers.get("server", "")  # no version


@needs_nginx
def test_a_stream_through_nginx_arrives_complete(tmp_path, settings, qa):
    s = settings.model_copy(update={"trusted_proxies": "127.0.0.1", "rate_limit": ""})
    with LiveServer(create_app(s, service=qa, with_ui=False)) as srv:
        port = free_port()
        proc = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(local_conf(tmp_path, port, srv.port)), "-g", "daemon off;"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    httpx.get(url + "/healthz", timeout=2)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            r = httpx.post(url + "/api/v1/ask/stream", json={"question": "信用修复要多久"}, timeout=60)
            kinds = [k for k, _ in sse_events(r.text)]
            assert kinds[0] == "meta" and kinds[-1] == "done" and "answer" in kinds
            after = httpx.get(url + "/healthz")  # the connection pool to the service is still good
            assert after.status_code == 200 and json.loads(after.text) == {"status": "ok"}
        finally:
            proc.terminate()
            proc.wait(10)
