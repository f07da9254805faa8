"""Inserts off the request path: request threads hand rows to a bounded queue; one thread
inserts them, as many as are waiting in one statement.

At 130 answers a second one INSERT per answer would add a database round trip (and, on
SQLite, a file lock) to every request; batched, the whole log costs one statement every
few tens of milliseconds. Once woken by a row the writer lingers (``linger``, 0.1 s) before
it takes what is queued: at 70 answers a second, a transaction per row cost ~0.8 ms of CPU
per answer (a thirtieth of a new question), one per ~7 rows ~0.3 ms, queuing included;
while it lingers, queuing a row wakes no thread either. The queue is bounded so that a stalled database cannot eat
the memory: a full queue makes requests wait up to ``put_timeout`` (back-pressure, no loss
under a burst) and only then drops the row, counted and logged.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Callable

from sqlalchemy import Engine, Table, insert
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)
_STOP = object()
RETRY_DELAYS = (0.2, 1.0, 3.0)
LINGER_STEP = 0.025  # how often a lingering writer looks whether a batch has come  # a busy or restarting database gets a few seconds before rows are given up


class BatchWriter:
    def __init__(self, engine: Engine, table: Table, *, capacity: int = 10_000, batch: int = 500, put_timeout: float = 2.0,
                 tick: Callable[[], None] | None = None, tick_seconds: float = 3600.0, linger: float = 0.1):
        self.engine, self.table = engine, table
        self.batch, self.put_timeout, self.linger = batch, put_timeout, linger
        self.tick, self.tick_seconds = tick, tick_seconds
        self.written = self.dropped = self.failed = 0
        self._q: queue.Queue = queue.Queue(maxsize=capacity)
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="qa-log-writer", daemon=True)
        self._thread.start()

    @property
    def queued(self) -> int:
        return self._q.qsize()

    def put(self, row: dict) -> bool:
        """Queue a row; False if it had to be dropped (closed, or the queue stayed full)."""
        if self._closed:
            return False
        try:
            self._q.put(row, timeout=self.put_timeout)
            return True
        except queue.Full:
            self.dropped += 1
            log.warning("question log: queue full for %.1fs, row dropped (%d so far)", self.put_timeout, self.dropped)
            return False

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every row queued before this call is written (or given up)."""
        if not self._thread.is_alive():
            return self._q.empty()
        done = threading.Event()
        self._q.put(done)
        return done.wait(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Write what is queued, then stop the thread (at shutdown)."""
        if self._closed:
            return
        self._closed = True
        self._q.put(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        next_tick = time.monotonic()
        while True:
            if self.tick and time.monotonic() >= next_tick:
                self._safely(self.tick)
                next_tick = time.monotonic() + self.tick_seconds
            try:
                first = self._q.get(timeout=min(60.0, self.tick_seconds))
            except queue.Empty:
                continue
            if isinstance(first, dict):  # not for a flush or a stop: someone waits on those
                self._linger()
            rows, markers, stop = self._drain(first)
            if rows:
                self._insert(rows)
            for m in markers:
                m.set()
            if stop:
                return

    def _linger(self) -> None:
        """Let a few more rows come before inserting, unless a batch (or half the queue) is waiting:
        a backlog is written at once. Sleeps in steps: a row queued meanwhile wakes nobody."""
        enough = min(self.batch, max(1, self._q.maxsize // 2)) - 1  # the row in hand counts too
        deadline = time.monotonic() + self.linger
        while self._q.qsize() < enough and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(LINGER_STEP, left))

    def _drain(self, first) -> tuple[list[dict], list[threading.Event], bool]:
        """``first`` and whatever else is waiting, up to one batch of rows."""
        rows, markers, stop, item = [], [], False, first
        while True:
            if item is _STOP:
                stop = True
            elif isinstance(item, threading.Event):
                markers.append(item)
            else:
                rows.append(item)
            if stop or len(rows) >= self.batch:
                return rows, markers, stop
            try:
                item = self._q.get_nowait()
            except queue.Empty:
                return rows, markers, stop

    def _insert(self, rows: list[dict]) -> None:
        for delay in (*RETRY_DELAYS, None):
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(self.table), rows)  # executemany: one statement for the batch
                self.written += len(rows)
                return
            except SQLAlchemyError as e:
                if delay is None:
                    self.failed += len(rows)
                    log.error("question log: %d rows lost after retries: %s", len(rows), str(e)[:300])
                    return
                time.sleep(delay)

    @staticmethod
    def _safely(fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception:  # maintenance must never stop the writer
            log.exception("question log: maintenance failed")
