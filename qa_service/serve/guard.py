"""Rate limiting (per key, or per client IP when no keys are configured) and the
request-body size limit. API keys are checked in ``api.py``.

>>> rl = RateLimiter("2/second")
>>> [rl.check("k", now=0.0) for _ in range(3)]
[0.0, 0.0, 0.5]
"""
from __future__ import annotations

import re
import threading
import time

from starlette.exceptions import HTTPException

_UNITS = {"second": 1, "sec": 1, "s": 1, "minute": 60, "min": 60, "m": 60, "hour": 3600, "h": 3600}


def parse_rate(spec: str) -> tuple[int, float] | None:
    """'60/minute' -> (60, 60.0); '' or '0' -> None (no limit)."""
    spec = (spec or "").strip()
    if not spec or spec == "0":
        return None
    m = re.fullmatch(r"(\d+)\s*/\s*(\d*)\s*([a-z]+)", spec)
    if not m or m.group(3) not in _UNITS:
        raise ValueError(f"QA_RATE_LIMIT must look like '60/minute', got {spec!r}")
    return int(m.group(1)), (int(m.group(2) or 1)) * _UNITS[m.group(3)]


class RateLimiter:
    """Token buckets: ``n`` requests per ``period`` seconds, refilled continuously."""

    def __init__(self, spec: str):
        self.rate = parse_rate(spec)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str, now: float | None = None) -> float:
        """0 when allowed, else the seconds to wait (for Retry-After)."""
        if self.rate is None:
            return 0.0
        n, period = self.rate
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (float(n), now))
            tokens = min(float(n), tokens + (now - last) * n / period)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > 100_000:  # forget idle clients rather than grow without bound
                self._buckets.clear()
            return (1.0 - tokens) * period / n


class RequestTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(413, "request body too large")


class BodyLimit:
    """ASGI middleware: a body that grows past ``max_bytes`` while it is read (chunked, or a
    Content-Length that lies) raises :class:`RequestTooLarge`, which the app answers as a
    413. A declared Content-Length that is too large is refused before this is reached."""

    def __init__(self, app, max_bytes: int, prefixes: tuple[str, ...] = ("/",), exempt: tuple[str, ...] = ()):
        self.app, self.max_bytes, self.prefixes, self.exempt = app, max_bytes, prefixes, exempt

    async def __call__(self, scope, receive, send):
        # exempt: paths that limit their own bodies (document uploads, QA_MAX_UPLOAD_MB)
        if scope["type"] != "http" or not scope["path"].startswith(self.prefixes) or scope["path"].startswith(self.exempt):
            return await self.app(scope, receive, send)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise RequestTooLarge()
            return message

        await self.app(scope, limited, send)
