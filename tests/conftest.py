"""Shared fixtures: the real corpus, the shared oracle files, a built index, a live server."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS_DIR = ROOT / "corpus"


def shared_file(*parts: str) -> Path:
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"{p} not present (CI places ../shared beside the clone)")
    return p


@pytest.fixture(scope="session")
def corpus():
    from qa_service.corpus.loader import load_corpus

    c = load_corpus(CORPUS_DIR)
    assert not c.errors, c.errors
    return c


@pytest.fixture(scope="session")
def documents_json():
    return json.loads(shared_file("corpus-source", "documents.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def dev_questions():
    return [json.loads(l) for l in shared_file("eval", "dev.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]


# -- the real index, built once per test session (a few minutes on a fresh clone) ------------
@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    from qa_service.config import Settings

    # the question log of the test servers goes to a tmp folder, never the repository's data/
    return Settings(corpus_dir=CORPUS_DIR, index_dir=ROOT / "index", data_dir=tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def qa(settings):
    from qa_service.service import QAService

    return QAService.from_settings(settings, progress=False)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """A real uvicorn server on loopback, in a thread of the test process. It is up once
    ``ready_path`` answers 200 (``/healthz`` for a server that is expected never to be ready)."""

    def __init__(self, app, ready_path: str = "/readyz"):
        import threading

        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ready_path = ready_path
        from qa_service.config import Settings
        from qa_service.serve.server import uvicorn_config

        # the service's own uvicorn configuration (connection cap, timeouts, no Server header);
        # another app (the LLM tests' fake model server) gets the default settings' figures
        holder = getattr(app.state, "holder", None)
        settings = holder.settings if holder is not None else Settings()
        config = uvicorn_config(app, settings, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        import time

        import httpx

        self.thread.start()
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(self.url + self.ready_path, timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not become ready")

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(settings, qa):
    """The full app (API + web page) serving the real index. Every test file that uses it asks
    from one address, so together they pass any per-minute API budget (test_api's, then
    test_figures' within the minute); the budget itself is tested on servers of its own
    (test_api, test_guard, test_robustness)."""
    from qa_service.serve.api import create_app

    with LiveServer(create_app(settings.model_copy(update={"rate_limit": ""}), service=qa)) as srv:
        yield srv
