"""A small in-process sliding-window limiter (per visitor, per address, per sign-in email)."""

from __future__ import annotations

import time
from collections import deque

from frontdesk.errors import TooManyRequests


class RateLimiter:
    def __init__(self, limit: int, window_s: float, what: str):
        self.limit = limit
        self.window_s = window_s
        self.what = what
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str) -> None:
        """Count one attempt for ``key``; raise 429 when over the limit."""
        self.check(key)
        self.add(key)

    def check(self, key: str) -> None:
        """Raise 429 (with the wait) when ``key`` has used its budget, without counting."""
        now = time.monotonic()
        hits = self._hits.get(key)
        if hits is None:
            return
        while hits and now - hits[0] > self.window_s:
            hits.popleft()
        if len(hits) >= self.limit:
            wait = int(self.window_s - (now - hits[0])) + 1
            raise TooManyRequests(
                f"Too many {self.what}; try again in {wait} s.", retry_after_s=wait
            )

    def add(self, key: str) -> None:
        now = time.monotonic()
        self._hits.setdefault(key, deque()).append(now)
        if len(self._hits) > 10_000:
            self._forget_idle(now)

    def refund(self, key: str) -> None:
        """Take back the latest attempt for ``key`` (it turned out not to count)."""
        hits = self._hits.get(key)
        if hits:
            hits.pop()

    def reset(self, key: str) -> None:
        self._hits.pop(key, None)

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or now - v[-1] > self.window_s]:
            del self._hits[key]
