"""Benchmarks that print figures (speed and memory are measured here, not asserted in tests).

* ``retrieval``: index build time (cold: empty embedding cache; cached), query latency
  percentiles over a question set with the index loaded, peak RSS.
* ``serve``: N concurrent clients against a server on loopback for a fixed time:
  throughput, latency percentiles, errors, the server's peak RSS (its worker processes
  included). Starts its own server (``qa-service serve --no-ui``, no rate limit) unless
  ``--url`` names a running one; that one's memory is found by the port it listens on.
  A server started here logs its questions (or not: ``--no-log``) into a fresh SQLite file
  (or QA_DATABASE_URL), and after it has stopped the rows are counted against the answers
  it gave: ``log.lost`` must be 0.
"""
from __future__ import annotations

import ipaddress
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

from .config import ROOT, Settings

DEFAULT_QUESTIONS = [ROOT.parent / "shared" / "eval" / "dev.jsonl", ROOT / "eval" / "gold.jsonl"]


def load_questions(path: Path | None) -> list[str]:
    paths = [path] if path else [p for p in DEFAULT_QUESTIONS if p.exists()]
    qs: list[str] = []
    for p in paths:
        for line in Path(p).read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if not line:
                continue
            qs.append(json.loads(line)["question"] if line.startswith("{") else line)
    if not qs:
        raise ValueError("no questions: pass --questions FILE (one per line, or gold JSONL)")
    return qs


def percentiles(xs: list[float]) -> dict:
    if not xs:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    s = sorted(xs)
    pick = lambda p: round(s[min(len(s) - 1, int(p * len(s)))], 2)
    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "max": round(s[-1], 2), "mean": round(statistics.fmean(s), 2)}


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def bench_retrieval(settings: Settings, questions: list[str], cold: bool = True, rounds: int = 3) -> dict:
    from .index.store import build_index, load_index
    from .retrieve.retriever import Retriever
    from .index.embedders import load_embedder

    out: dict = {"questions": len(questions), "rounds": rounds}
    with tempfile.TemporaryDirectory() as tmp:
        s = settings.model_copy(update={"index_dir": Path(tmp)})
        if cold:
            t = time.perf_counter()
            build_index(s, progress=False)
            out["build_cold_s"] = round(time.perf_counter() - t, 1)
        else:
            src = Path(settings.index_dir) / "cache"
            if src.exists():
                shutil.copytree(src, Path(tmp) / "cache")
            build_index(s, progress=False)
        t = time.perf_counter()
        m = build_index(s, progress=False)
        out["build_cached_s"] = round(time.perf_counter() - t, 1)
        out["items"] = m["item_count"]
        t = time.perf_counter()
        idx = load_index(s)
        r = Retriever(idx, load_embedder(s.embedding_model, s.embed_threads, s.query_threads, s.fast_engine), s)
        out["load_s"] = round(time.perf_counter() - t, 2)
        for q in questions[:5]:
            r.search(q)  # warm-up

        def timed_round() -> list[float]:
            lat = []
            for q in questions:
                t = time.perf_counter()
                r.search(q)
                lat.append((time.perf_counter() - t) * 1000)
            return lat

        novel: list[float] = []
        for _ in range(rounds):
            r.query_vector.cache_clear()  # every question new to the service: the model runs each time
            novel += timed_round()
        out["query_ms"] = percentiles(novel)
        if settings.query_cache:
            out["repeated_query_ms"] = percentiles(timed_round())  # asked before: its vector is cached
        out["understanding_ms"] = percentiles(understanding_times(r, questions))
    out["lexicon_load_s"] = lexicon_load_seconds()
    out["peak_rss_mb"] = peak_rss_mb()
    out["model"] = m["model"]
    return out


def understanding_times(r, questions: list[str]) -> list[float]:
    """What reading a question costs before the model and the index: normalisation, lexicon,
    typo mending and the topic words of the not-found decision (ms per question)."""
    lat = []
    for q in questions:
        t = time.perf_counter()
        r.topic(r.understand(q))
        lat.append((time.perf_counter() - t) * 1000)
    return lat


def lexicon_load_seconds() -> float:
    """Loading every lexicon file in a fresh interpreter (what a start-up pays for it)."""
    import subprocess
    import sys

    code = ("import time; t=time.perf_counter(); from qa_service import lexicon as x; x.synonyms(); x.places(); "
            "x.cilin_map(); x.intents(); x.measures(); x.question_words(); x.domain_terms(); print(time.perf_counter()-t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return round(float(out.strip().splitlines()[-1]), 3)


# -- serving ---------------------------------------------------------------------------
def require_loopback(url: str) -> None:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ValueError(f"load tests only target loopback addresses, not {host!r}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(settings: Settings, log_path: Path, workers: int = 1, env_extra: dict | None = None) -> tuple[subprocess.Popen, str]:
    import httpx

    port = _free_port()
    env = os.environ | {"QA_INDEX_DIR": str(settings.index_dir), "QA_CORPUS_DIR": str(settings.corpus_dir), "QA_RATE_LIMIT": "",
                        "QA_WORKERS": str(workers)} | (env_extra or {})
    with open(log_path, "wb") as log:  # the child keeps its own handle
        proc = subprocess.Popen([sys.executable, "-m", "qa_service.cli", "serve", "--no-ui", "--port", str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 900  # a first start builds the index
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited during start-up (code {proc.returncode}): {_tail(log_path)}")
        try:
            r = httpx.get(url + "/readyz", timeout=2)
            if r.status_code == 200:
                return proc, url
            if r.status_code == 503 and r.json().get("code") == "index_unavailable":
                stop_server(proc)
                raise RuntimeError(f"server cannot serve: {r.json().get('message')}")
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop_server(proc)
    raise RuntimeError(f"server did not become ready in 15 minutes: {_tail(log_path)}")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _tail(path: Path, lines: int = 8) -> str:
    try:
        return " | ".join(Path(path).read_text(encoding="utf-8", errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


def listening_process(url: str):
    """The process serving ``url`` on this machine (for its memory), or None if it cannot be seen."""
    import psutil

    port = urlparse(url).port or 80
    try:
        pids = {c.pid for c in psutil.net_connections(kind="tcp")
                if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid}
        # workers inherit the listening socket: the server is the one whose parent does not listen
        for pid in pids:
            p = psutil.Process(pid)
            if p.ppid() not in pids:
                return p
    except (psutil.Error, OSError):
        pass
    return None


def tree_rss_mb(p) -> float:
    """RSS of a server and its worker processes (``--workers N`` forks them)."""
    import psutil

    total = 0
    for q in [p, *p.children(recursive=True)]:
        try:
            total += q.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


def bench_serve(settings: Settings, questions: list[str], url: str | None, concurrency: int, duration: float, endpoint: str,
                workers: int = 1, warmup: bool = True, log_questions: bool = True) -> dict:
    """Load a server (``url``, or one started here on loopback) and measure it.

    With ``warmup`` each distinct question is asked once before the clock starts, so the
    figures are those of questions the service has seen (their vectors cached); for questions
    it has never seen, start the server with ``QA_QUERY_CACHE=0``."""
    if url is not None:
        require_loopback(url)
        return _load(settings, questions, url, None, concurrency, duration, endpoint, warmup)
    from datetime import datetime, timezone

    since = datetime.now(timezone.utc)  # a QA_DATABASE_URL may hold rows of earlier runs
    with tempfile.TemporaryDirectory() as tmp:
        db = settings.database_url or f"sqlite:///{Path(tmp) / 'qa.sqlite3'}"
        proc, url = start_server(settings, Path(tmp) / "server.log", workers,
                                 {"QA_LOG_QUESTIONS": str(log_questions).lower(), "QA_DATABASE_URL": db})
        try:
            result = {**_load(settings, questions, url, proc, concurrency, duration, endpoint, warmup), "workers": workers,
                      "query_cache": settings.query_cache}
        finally:  # never leave a server behind, whatever went wrong
            stop_server(proc)  # SIGTERM: the server writes its queued log rows before it exits
        result["log"] = logged_rows(db, result["answered"], since) if log_questions and endpoint == "ask" else None
        return result


def logged_rows(db: str, answered: int, since) -> dict:
    """Rows the server logged since ``since`` against the answers it gave (warm-up included)."""
    from sqlalchemy import func, select

    from .qalog import schema
    from .qalog.store import make_engine

    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            rows = conn.scalar(select(func.count()).select_from(schema.questions).where(schema.questions.c.asked_at >= since))
    finally:
        engine.dispose()
    return {"rows": rows, "answered": answered, "lost": answered - rows}


def _request(c, endpoint: str, q: str):
    if endpoint == "search":
        return c.get("/api/v1/search", params={"q": q, "top_k": 10})
    return c.post("/api/v1/ask", json={"question": q})


def _warm_up(url: str, questions: list[str], endpoint: str, concurrency: int) -> int:
    """Ask each distinct question a few times; returns how many were answered (200)."""
    import httpx
    from concurrent.futures import ThreadPoolExecutor

    distinct = list(dict.fromkeys(questions))
    answered = 0
    with httpx.Client(base_url=url, timeout=60) as c, ThreadPoolExecutor(min(concurrency, 4)) as pool:
        for _ in range(3):  # each worker process has its own cache, and any of them may take a request
            answered += sum(r.status_code == 200 for r in pool.map(lambda q: _request(c, endpoint, q), distinct))
    return answered


def _load(settings: Settings, questions: list[str], url: str, proc, concurrency: int, duration: float, endpoint: str,
          warmup: bool = True) -> dict:
    import httpx
    import psutil

    warmed = _warm_up(url, questions, endpoint, concurrency) if warmup else 0

    server_ps = psutil.Process(proc.pid) if proc else listening_process(url)
    lat: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    stop_at = time.time() + duration
    peak = [0.0]

    def client(k: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as c:
            n = k
            while time.time() < stop_at:
                q = questions[n % len(questions)]
                n += concurrency
                t = time.perf_counter()
                try:
                    r = _request(c, endpoint, q)
                    ok = r.status_code == 200
                    key = None if ok else f"HTTP {r.status_code}"
                except httpx.HTTPError as e:
                    ok, key = False, type(e).__name__
                ms = (time.perf_counter() - t) * 1000
                with lock:
                    if ok:
                        lat.append(ms)
                    else:
                        errors[key] = errors.get(key, 0) + 1

    def watch_memory() -> None:
        while server_ps and time.time() < stop_at + 0.5:
            try:
                peak[0] = max(peak[0], tree_rss_mb(server_ps))
            except psutil.Error:
                return
            time.sleep(0.2)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(concurrency)] + [threading.Thread(target=watch_memory)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    n_errors = sum(errors.values())
    return {
        "endpoint": endpoint,
        "concurrency": concurrency,
        "duration_s": round(elapsed, 1),
        "requests": len(lat) + n_errors,
        "throughput_rps": round(len(lat) / elapsed, 1),
        "latency_ms": percentiles(lat),
        "errors": errors,
        "error_rate": round(n_errors / max(1, len(lat) + n_errors), 4),
        "server_peak_rss_mb": round(peak[0], 1) if server_ps else None,
        "distinct_questions": len(set(questions)),
        "warmed_up": warmup,
        "answered": warmed + len(lat),  # every 200, warm-up included: what the question log must hold
    }


def serve_summary(r: dict) -> str:
    """One line for people; the JSON is for tools."""
    ms = r["latency_ms"]
    mem = f"{r['server_peak_rss_mb']} MB" if r["server_peak_rss_mb"] is not None else "unknown (server not visible)"
    errors = f"{sum(r['errors'].values())} errors" + (f" {r['errors']}" if r["errors"] else "")
    if r.get("query_cache") == 0:
        seen = "every question new to it (QA_QUERY_CACHE=0)"
    else:
        seen = "questions asked before" if r.get("warmed_up") else "from a cold start"
    log = r.get("log")
    logged = f", question log {log['rows']}/{log['answered']} rows ({log['lost']} lost)" if log else (
        ", question log off" if "log" in r else "")
    return (f"{r['endpoint']} × {r['concurrency']} clients, {r.get('workers', '?')} worker(s), {seen}, {r['duration_s']} s: {r['throughput_rps']} req/s, "
            f"p50 {ms['p50']} ms, p95 {ms['p95']} ms, p99 {ms['p99']} ms, {errors}, server peak RSS {mem}{logged}")
