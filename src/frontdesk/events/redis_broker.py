"""Redis pub/sub between server processes: it only wakes them; the event log stays the truth.

Every process delivers what it publishes to its own subscribers at once and sends it to one
Redis channel; each process's listener hands what the others sent to its own subscribers.
Redis delivers at most once: what is published while a listener is disconnected never
reaches it, and two processes' messages interleave in any order. So sockets read what they
lack from the log by ``seq`` (web/live.py), and whenever the listener (re)connects, every
local subscription is cut off as if it fell behind and resumes from the log.

What this process publishes waits in an outbox while Redis is unreachable and is sent, in
order, once it is back (up to ``OUTBOX_SIZE`` payloads; a process down that long has its
listeners resume from the log anyway).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections import deque
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from frontdesk.events.broker import Broker
from frontdesk.events.types import Event
from frontdesk.tasks import BackgroundTasks

log = logging.getLogger(__name__)

CHANNEL = "frontdesk:events"  # + ":<database number>"
OUTBOX_SIZE = 10_000
BATCH = 200  # payloads sent in one pipeline
RETRY_FIRST_S = 0.05
RETRY_MAX_S = 2.0
# The listener pings this often when nothing arrives; no answer in 3 pings means the
# connection is dead (a half-open TCP connection never raises by itself).
PING_S = 5.0
CONNECT_TIMEOUT_S = 5.0


def encode(origin: str, events: Sequence[Event]) -> str:
    return json.dumps(
        {
            "origin": origin,
            "events": [
                {
                    "type": e.type,
                    "workspace_id": e.workspace_id,
                    "conversation_id": e.conversation_id,
                    "data": e.data,
                    "id": e.id,
                    "seq": e.seq,
                    "created_at": e.created_at.isoformat(),
                }
                for e in events
            ],
        },
        separators=(",", ":"),
    )


def decode(payload: bytes | str) -> tuple[str, list[Event]]:
    body = json.loads(payload)
    events = [
        Event(
            type=item["type"],
            workspace_id=item["workspace_id"],
            conversation_id=item["conversation_id"],
            data=item["data"],
            id=item["id"],
            seq=item["seq"],
            created_at=datetime.fromisoformat(item["created_at"]),
        )
        for item in body["events"]
    ]
    return str(body["origin"]), events


def connect(url: str, retries: int = 0, **options: Any) -> Redis:
    """A client for ``url`` that retries a command ``retries`` times (once is enough to get
    past a pooled connection that died with a restarted Redis), then lets errors surface."""
    return Redis.from_url(
        url,
        retry=Retry(NoBackoff(), retries),
        retry_on_error=[RedisConnectionError, RedisTimeoutError] if retries else [],
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        **options,
    )


class RedisBroker(Broker):
    """Several server processes sharing one Redis; ``connected`` while the listener is."""

    def __init__(self, url: str, channel: str = CHANNEL):
        super().__init__()
        self._url = url
        self._client = connect(url, retries=1)
        # Pub/sub ignores the database number: the channel carries it, so two deployments
        # on one Redis (databases 0 and 1) do not hear each other.
        self._channel = f"{channel}:{self._client.connection_pool.connection_kwargs.get('db', 0)}"
        self._origin = uuid.uuid4().hex
        self._outbox: deque[str] = deque(maxlen=OUTBOX_SIZE)
        self._pending = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None
        self._dropping = False
        self._tasks = BackgroundTasks(log)
        self.connected = False

    async def start(self) -> None:
        """Listen to the other processes; returns after the first attempt to connect."""
        tried = asyncio.Event()
        self._tasks.spawn(self._listen(tried), name="redis-listen")
        await tried.wait()

    async def publish(self, events: Sequence[Event]) -> None:
        self.deliver_locally(events)
        if len(self._outbox) == self._outbox.maxlen and not self._dropping:
            self._dropping = True  # logged once until a send succeeds
            log.warning("Redis outbox full: the oldest unsent events are dropped")
        self._outbox.append(encode(self._origin, events))
        self._pending.set()
        if self._sender is None:
            self._sender = self._tasks.spawn(self._send(), name="redis-send")

    async def healthy(self) -> bool:
        if not self.connected:
            return False
        try:
            return bool(await asyncio.wait_for(self._client.ping(), CONNECT_TIMEOUT_S))
        except (RedisError, OSError, TimeoutError):
            return False

    async def close(self) -> None:
        if self._outbox and self._sender is not None:
            # What this process wrote last still wakes the others, if Redis lets it soon.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._flushed(), CONNECT_TIMEOUT_S)
        await self._tasks.close()
        await self._client.aclose()
        await super().close()

    async def _flushed(self) -> None:
        while self._outbox:
            await asyncio.sleep(0.01)

    async def _send(self) -> None:
        delay = RETRY_FIRST_S
        while True:
            await self._pending.wait()
            self._pending.clear()
            while self._outbox:
                batch = [self._outbox[i] for i in range(min(BATCH, len(self._outbox)))]
                try:
                    async with self._client.pipeline(transaction=False) as pipe:
                        for payload in batch:
                            pipe.publish(self._channel, payload)
                        await pipe.execute()
                except Exception as exc:  # whatever it is, the next attempt may succeed
                    if delay == RETRY_FIRST_S:  # once per outage, not once per attempt
                        log.warning("publishing to Redis failed (%s); retrying", exc)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, RETRY_MAX_S)
                    continue
                delay = RETRY_FIRST_S
                self._dropping = False
                for _ in batch:
                    # Never more than were sent: a full outbox may have dropped some meanwhile.
                    if self._outbox:
                        self._outbox.popleft()

    async def _listen(self, tried: asyncio.Event) -> None:
        delay = RETRY_FIRST_S
        while True:
            client = connect(self._url)
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(self._channel)
                await self._confirmed(pubsub)
                self.connected = True
                delay = RETRY_FIRST_S
                # Whatever was published while this process was not listening is in the log
                # only: every subscription re-reads it (sockets close with "resume").
                self.resume_everyone()
                tried.set()
                await self._receive(pubsub)
            except (RedisError, OSError, TimeoutError) as exc:
                if self.connected or not tried.is_set():
                    log.warning("Redis listener disconnected (%s); reconnecting", exc)
            except Exception:
                log.exception("Redis listener failed; reconnecting")
            finally:
                self.connected = False
                tried.set()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                    await client.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)

    @staticmethod
    async def _confirmed(pubsub: PubSub) -> None:
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        while time.monotonic() < deadline:
            message = await pubsub.get_message(timeout=CONNECT_TIMEOUT_S)
            if message is not None and message["type"] == "subscribe":
                return
        raise TimeoutError("Redis did not confirm the subscription")

    async def _receive(self, pubsub: PubSub) -> None:
        heard = time.monotonic()
        while True:
            message = await pubsub.get_message(timeout=PING_S)
            now = time.monotonic()
            if message is None:
                if now - heard > 3 * PING_S:
                    raise TimeoutError("Redis stopped answering")
                await pubsub.ping()
                continue
            heard = now
            if message["type"] != "message":
                continue
            try:
                origin, events = decode(message["data"])
            except (ValueError, KeyError, TypeError):
                log.warning("ignored a malformed event payload on %s", self._channel)
                continue
            if origin != self._origin:  # this process delivered its own at publish
                self.deliver_locally(events, remote=True)
