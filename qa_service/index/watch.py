"""Noticing a newly published index in a running service, without a restart or a failed request.

``docs add``/``replace``/``retire`` (or ``index build``) publish a build by replacing
``index/CURRENT``. A serving process reads that small file at most every
``QA_RELOAD_INTERVAL`` seconds on the way into a request (a few microseconds); when it
names another build, the build is loaded in a background thread while requests go on
with the old one, and the new one is swapped in whole by one assignment. A request
holds the retriever it started with, so none sees half of each.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Callable

log = logging.getLogger(__name__)


class IndexWatcher:
    def __init__(self, index_dir: Path, interval: float, serving: Path | None, load: Callable[[Path], None]):
        self.current_file = Path(index_dir) / "CURRENT"
        self.index_dir = Path(index_dir)
        self.interval = interval
        self.serving = serving.resolve() if serving else None
        self._load = load
        self._next_check = 0.0
        self._busy = threading.Lock()

    def poll(self, force: bool = False) -> None:
        """Start loading a newly published build, if there is one; never blocks a request."""
        if not force and (not self.interval or time.monotonic() < self._next_check):
            return
        self._next_check = time.monotonic() + self.interval
        try:
            published = (self.index_dir / self.current_file.read_text(encoding="utf-8").strip()).resolve()
        except OSError:
            return  # no CURRENT (yet): keep serving what is loaded
        if published == self.serving or not self._busy.acquire(blocking=False):
            return
        threading.Thread(target=self._swap, args=(published,), name="qa-index-reload", daemon=True).start()

    def _swap(self, path: Path) -> None:
        try:
            t0 = time.perf_counter()
            self._load(path)
            self.serving = path
            log.info("index %s loaded in %.1fs and now serving", path.name, time.perf_counter() - t0)
        except Exception as e:  # a build that does not load is not served; the old one stays
            log.error("new index %s could not be loaded, still serving %s: %s", path.name, self.serving, e)
            self.serving = path  # not retried until another build is published
        finally:
            self._busy.release()
