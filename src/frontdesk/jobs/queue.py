"""Named jobs sent through a taskiq broker, and the consumer that runs them.

A job carries ids only; what to do is read from the database when it runs, so a job that is
delivered twice, or sent again by a sweep, finds its work done (or taken) and does nothing.
Without Redis the broker is taskiq's InMemoryBroker: ``send`` starts the job in this process.
With Redis it is a Redis stream with one consumer group: every process may send, and each
job goes to one consumer (a server with run_jobs, or `frontdesk worker`); one that is never
acknowledged (its consumer died) is delivered again after a while. Each queue is a stream of
its own with its own number of slots, so long jobs (ingestion) never hold up short ones
(webhooks, emails, HTTP actions).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from taskiq import AsyncBroker, InMemoryBroker
from taskiq.api import run_receiver_task
from taskiq.receiver import Receiver

from frontdesk.settings import Settings

log = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[None]]

STREAM = "frontdesk:jobs"
# Webhook deliveries, alert emails and HTTP action runs: calls to other systems.
OUTBOUND = "frontdesk:outbound"
GROUP = "frontdesk"
# A job whose consumer took it and never acknowledged it (killed) goes to another one after
# this long; the database sweeps usually take the work up sooner.
REDELIVER_MS = 10 * 60 * 1000
# taskiq's receiver loop starts listening again at once after an error; while Redis is down
# that is a busy loop writing a traceback each turn. Wait this long before each new attempt.
LISTEN_RETRY_S = 2.0


class _PatientReceiver(Receiver):
    async def listen(self, finish_event: asyncio.Event) -> None:
        try:
            await super().listen(finish_event)
        except Exception:
            await asyncio.sleep(LISTEN_RETRY_S)
            raise


def build_broker(settings: Settings, queue: str = STREAM) -> AsyncBroker:
    if settings.redis_url is None:
        return InMemoryBroker()
    from taskiq_redis import RedisStreamBroker  # the `redis` extra

    return RedisStreamBroker(
        settings.redis_url.get_secret_value(),
        queue_name=queue,
        consumer_group_name=GROUP,
        # "0": a group created after jobs were sent still gets them.
        consumer_id="0",
        idle_timeout=REDELIVER_MS,
        # One job a read, read when a slot is free: a busy consumer leaves the next job to
        # another one instead of holding a batch it cannot start.
        xread_count=1,
        unacknowledged_lock_timeout=30,
    )


class Jobs:
    """One queue: at most ``concurrency`` of its jobs run at once in a process."""

    def __init__(self, settings: Settings, concurrency: int, queue: str = STREAM):
        self.broker = build_broker(settings, queue)
        self.in_process = isinstance(self.broker, InMemoryBroker)
        self.concurrency = concurrency
        # taskiq's InMemoryBroker starts every job at once; this holds them to the slots.
        self._slots = asyncio.Semaphore(concurrency)
        self._running: set[asyncio.Task[Any]] = set()
        self._consumer: asyncio.Task[None] | None = None
        self._started = False
        self._closed = False

    def register(self, name: str, handler: Handler) -> None:
        async def run(*args: Any) -> None:
            task = asyncio.current_task()
            assert task is not None
            self._running.add(task)
            try:
                async with self._slots:
                    await handler(*args)
            except asyncio.CancelledError:
                if not self._closed:
                    raise
                # Stopped by close(), not failed (taskiq would log it as an error): the job's
                # row is still due or leased, and a sweep sends it again.
                log.info("job %s stopped at shutdown; it runs again from the database", name)
            finally:
                self._running.discard(task)

        self.broker.register_task(run, task_name=name)

    async def start(self, consume: bool) -> None:
        """Connect; with ``consume``, also take jobs from Redis (in-process jobs always run)."""
        self._closed = False
        if not self._started:
            await self.broker.startup()
            self._started = True
        if consume and not self.in_process and self._consumer is None:
            self._consumer = asyncio.create_task(
                run_receiver_task(
                    self.broker,
                    receiver_cls=_PatientReceiver,
                    max_async_tasks=self.concurrency,
                    propagate_exceptions=False,
                ),
                name="frontdesk-jobs",
            )

    async def send(self, name: str, *args: Any) -> None:
        if self._closed:  # shutting down: the row stays due, and a sweep sends it again
            raise RuntimeError(f"jobs are stopped; {name!r} was not sent")
        if not self._started:
            await self.start(consume=False)
        task = self.broker.find_task(name)
        if task is None:
            raise LookupError(f"no job named {name!r} is registered")
        await task.kiq(*args)

    async def drain(self) -> None:
        """Wait until no in-process job is left, including jobs those jobs sent."""
        if not isinstance(self.broker, InMemoryBroker):
            return
        # A finished task leaves taskiq's set only in a done-callback, at the loop's next turn;
        # awaiting a finished task never yields, so wait for the unfinished ones only.
        while pending := [
            task
            for task in (*self.broker._running_tasks, *self._running)  # taskiq has no public count
            if not task.done()
        ]:
            await asyncio.gather(*pending, return_exceptions=True)

    async def close(self) -> None:
        self._closed = True
        if self._consumer is not None:
            self._consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._consumer
            self._consumer = None
        running = list(self._running)
        if isinstance(self.broker, InMemoryBroker):  # sent, not started yet: taskiq's own set
            running += list(self.broker._running_tasks)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        if self._started:
            await self.broker.shutdown()
            self._started = False
