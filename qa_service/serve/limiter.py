"""Rate limits with the ``limits`` library: a moving window per end user, kept in a
storage that every worker of the service can share.

Three budgets (``QA_RATE_LIMIT``, ``QA_PAGE_RATE_LIMIT``, ``QA_AUTH_FAIL_LIMIT``):

* ``api``: each end user of the API (see ``guard.end_user``);
* ``page``: each client address on the public web page and its docs;
* ``auth_fail``: wrong or missing keys, per client address, so keys cannot be guessed freely.

``QA_RATE_LIMIT_STORAGE`` picks where the counts live: ``memory://`` (this process;
several workers then each count on their own), ``redis://host:6379`` (all workers and all
hosts share one budget), or any other ``limits`` storage (``memcached://``…).
"""
from __future__ import annotations

import logging
import time

from limits import RateLimitItem, parse_many
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

log = logging.getLogger("qa_service.api")


def parse_limits(spec: str) -> list[RateLimitItem]:
    """'60/minute' (or '10/second;100/hour') -> limits' items; '' or '0' -> no limit.

    >>> [str(x) for x in parse_limits("60/minute")], parse_limits("")
    (['60 per 1 minute'], [])
    """
    spec = (spec or "").strip()
    if spec in ("", "0"):
        return []
    return parse_many(spec)


def storage_for(uri: str):
    """The async ``limits`` storage at ``uri``; Redis through redis-py (``pip install redis``),
    the client most deployments already have, rather than limits' default (coredis)."""
    uri = uri if uri.startswith("async+") else "async+" + uri
    options = {"implementation": "redispy"} if uri.startswith(("async+redis://", "async+rediss://")) else {}
    return storage_from_string(uri, **options)


class RateLimits:
    def __init__(self, storage_uri: str, **budgets: str):
        self.budgets = {name: parse_limits(spec) for name, spec in budgets.items()}
        self.limiter = MovingWindowRateLimiter(storage_for(storage_uri))
        self._warned = 0.0

    async def wait(self, budget: str, who: str, cost: int = 1) -> float:
        """0 if ``who`` may go on (and ``cost`` is counted), else the seconds until enough of the
        window frees up."""
        try:
            for item in self.budgets.get(budget, ()):
                if not await self.limiter.hit(item, budget, who, cost=min(cost, item.amount)):
                    stats = await self.limiter.get_window_stats(item, budget, who)
                    return max(stats.reset_time - time.time(), 0.001)
        except Exception as e:  # a shared storage that is down must not take the service down with it
            if time.monotonic() - self._warned > 60:
                self._warned = time.monotonic()
                log.error("rate-limit storage unavailable, not limiting: %s", e)
        return 0.0
