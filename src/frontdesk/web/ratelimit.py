"""Sliding-window limits (per visitor, per address, per sign-in email), in memory or in Redis.

One server process counts attempts in its memory. Several processes sharing Redis count them
there, each key a sorted set of attempt times checked and added by one script, so N processes
allow the limit once, not N times. While Redis is unreachable the limits are not enforced
(and that is logged): refusing every visitor would be worse than a burst getting through.
"""

from __future__ import annotations

import logging
import time
import uuid
from abc import ABC, abstractmethod
from collections import deque
from typing import TYPE_CHECKING

from frontdesk.errors import TooManyRequests

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

KEY_PREFIX = "frontdesk:limit:"
IDLE_SWEEP_AT = 10_000  # keys held in memory before idle ones are forgotten

# KEYS[1]: the key; ARGV: limit, window in ms, a unique member. Returns -1 when the attempt
# is counted, else the ms until the oldest one ages out. Redis's clock, one for every process.
TAKE = """
local now_s, now_us = unpack(redis.call('TIME'))
local now = tonumber(now_s) * 1000 + math.floor(tonumber(now_us) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tonumber(oldest[2]) + window - now
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return -1
"""


class Window(ABC):
    """Where one limiter's attempts are counted."""

    @abstractmethod
    async def take(self, key: str, limit: int, window_s: float) -> float | None:
        """Count an attempt unless ``limit`` were counted within ``window_s``; else the
        seconds until the oldest one ages out."""

    @abstractmethod
    async def give_back(self, key: str) -> None:
        """Take back the latest attempt for ``key``."""

    @abstractmethod
    async def forget(self, key: str) -> None:
        """Drop every attempt for ``key``."""


class MemoryWindow(Window):
    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}

    async def take(self, key: str, limit: int, window_s: float) -> float | None:
        now = time.monotonic()
        hits = self._hits.setdefault(key, deque())
        while hits and now - hits[0] > window_s:
            hits.popleft()
        if len(hits) >= limit:
            return window_s - (now - hits[0])
        hits.append(now)
        if len(self._hits) > IDLE_SWEEP_AT:
            for idle in [k for k, v in self._hits.items() if not v or now - v[-1] > window_s]:
                del self._hits[idle]
        return None

    async def give_back(self, key: str) -> None:
        hits = self._hits.get(key)
        if hits:
            hits.pop()

    async def forget(self, key: str) -> None:
        self._hits.pop(key, None)


class RedisWindow(Window):
    def __init__(self, client: Redis, name: str):
        self._client = client
        self._prefix = f"{KEY_PREFIX}{name}:"
        self._take = client.register_script(TAKE)

    async def take(self, key: str, limit: int, window_s: float) -> float | None:
        try:
            wait_ms = await self._take(
                keys=[self._prefix + key], args=[limit, int(window_s * 1000), uuid.uuid4().hex]
            )
        except Exception as exc:  # whatever the client raises: let the attempt through
            log.warning("rate limit not checked, Redis failed: %s", type(exc).__name__)
            return None
        return None if int(wait_ms) < 0 else int(wait_ms) / 1000

    async def give_back(self, key: str) -> None:
        try:
            await self._client.zpopmax(self._prefix + key)
        except Exception as exc:
            log.warning("rate limit attempt not given back: %s", type(exc).__name__)

    async def forget(self, key: str) -> None:
        try:
            await self._client.delete(self._prefix + key)
        except Exception as exc:
            log.warning("rate limit not reset: %s", type(exc).__name__)


def window_for(name: str, redis: Redis | None) -> Window:
    """Redis's when several processes share one, else this process's memory."""
    return RedisWindow(redis, name) if redis is not None else MemoryWindow()


class RateLimiter:
    def __init__(self, window: Window, limit: int, window_s: float, what: str):
        self.window = window
        self.limit = limit
        self.window_s = window_s
        self.what = what

    async def hit(self, key: str) -> None:
        """Count one attempt for ``key``; raise 429 (with the wait) when over the limit."""
        wait_s = await self.window.take(key, self.limit, self.window_s)
        if wait_s is not None:
            wait = int(wait_s) + 1
            raise TooManyRequests(
                f"Too many {self.what}; try again in {wait} s.", retry_after_s=wait
            )

    async def refund(self, key: str) -> None:
        """Take back the latest attempt for ``key`` (it turned out not to count)."""
        await self.window.give_back(key)

    async def reset(self, key: str) -> None:
        await self.window.forget(key)
