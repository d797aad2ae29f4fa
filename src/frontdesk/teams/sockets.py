"""Who has an inbox open: counted in this process, or in Redis across every server process.

With Redis, each process that holds a member's sockets keeps an entry in the member's sorted
set (``frontdesk:presence:<member>``), scored with when it expires by Redis's clock, and renews
it every third of ``expiry_s``: a process that is killed stops renewing, and its sockets are
gone ``expiry_s`` later. Once per round one process (whoever takes the round's lock) sweeps:
the presence callback checks every member shown as present. Redis restarted empty heals at the
next renewal. While Redis is unreachable each process goes by its own sockets.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from frontdesk.tasks import BackgroundTasks

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

KEY_PREFIX = "frontdesk:presence:"
SWEEP_LOCK = "frontdesk:presence-sweep"

_NOW = """
local now_s, now_us = unpack(redis.call('TIME'))
local now = tonumber(now_s) * 1000 + math.floor(tonumber(now_us) / 1000)
"""
# KEYS: members' sets; ARGV: this process, expiry in ms.
RENEW = (
    _NOW
    + """
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', key, ARGV[2])
end
return #KEYS
"""
)
# KEYS[1]: a member's set. Returns how many processes hold a socket of theirs now.
COUNT = (
    _NOW
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])
"""
)

Sweep = Callable[[], Awaitable[None]]


class Sockets:
    """This process's inbox sockets per member; ``shared`` when other processes count too."""

    shared = False

    def __init__(self) -> None:
        self.here: Counter[str] = Counter()

    async def opened(self, member_id: str) -> bool:
        """Count a socket; whether it is the member's first in this process."""
        self.here[member_id] += 1
        return self.here[member_id] == 1

    async def closed(self, member_id: str) -> bool:
        """Uncount a socket; whether it was the member's last in this process."""
        self.here[member_id] -= 1
        if self.here[member_id] > 0:
            return False
        del self.here[member_id]
        return True

    async def any_open(self, member_id: str) -> bool:
        return self.here[member_id] > 0

    async def start(self, sweep: Sweep) -> None:
        """Keep the counts fresh (nothing to do when this process is the only one)."""

    async def close(self) -> None:
        """Stop keeping them fresh."""


class SharedSockets(Sockets):
    shared = True

    def __init__(self, client: Redis, expiry_s: float):
        super().__init__()
        self._client = client
        self._expiry_ms = int(expiry_s * 1000)
        self._process = uuid.uuid4().hex
        self._renew = client.register_script(RENEW)
        self._count = client.register_script(COUNT)
        self._tasks = BackgroundTasks(log)

    async def opened(self, member_id: str) -> bool:
        first = await super().opened(member_id)
        if first:
            await self._renew_members([member_id])
        return first

    async def closed(self, member_id: str) -> bool:
        last = await super().closed(member_id)
        if last:
            try:
                await self._client.zrem(KEY_PREFIX + member_id, self._process)
            except Exception as exc:  # expires by itself
                log.warning("presence not withdrawn from Redis: %s", type(exc).__name__)
        return last

    async def any_open(self, member_id: str) -> bool:
        if self.here[member_id] > 0:
            return True
        try:
            return int(await self._count(keys=[KEY_PREFIX + member_id])) > 0
        except Exception as exc:
            log.warning("presence read without Redis: %s", type(exc).__name__)
            return False

    async def start(self, sweep: Sweep) -> None:
        self._tasks.spawn(self._beat(sweep), name="presence-heartbeat")

    async def close(self) -> None:
        await self._tasks.close()
        # Gone at once rather than after expiry_s: this process's sockets have all closed.
        for member_id in list(self.here):
            try:
                await self._client.zrem(KEY_PREFIX + member_id, self._process)
            except Exception:
                break

    async def _renew_members(self, member_ids: list[str]) -> None:
        try:
            await self._renew(
                keys=[KEY_PREFIX + m for m in member_ids], args=[self._process, self._expiry_ms]
            )
        except Exception as exc:
            log.warning("presence not renewed in Redis: %s", type(exc).__name__)

    async def _beat(self, sweep: Sweep) -> None:
        every_s = self._expiry_ms / 3000
        while True:
            if self.here:
                await self._renew_members(list(self.here))
            try:
                sweeping = await self._client.set(
                    SWEEP_LOCK, self._process, nx=True, px=int(every_s * 1000)
                )
            except Exception:
                sweeping = False
            if sweeping:
                try:
                    await sweep()
                except Exception:
                    log.exception("presence sweep failed")
            await asyncio.sleep(every_s)
