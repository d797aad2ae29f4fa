"""Background asyncio tasks that are kept referenced until done, logged if they fail, and
cancelled together on shutdown.

The event loop holds only weak references to tasks: one nobody keeps may vanish mid-run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

# How long close() waits for cancelled tasks before cancelling the ones still running again.
CANCEL_AGAIN_S = 1.0


class BackgroundTasks:
    def __init__(self, log: logging.Logger):
        """``log`` is the owner's logger: a failure is reported where it belongs."""
        self._log = log
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None], name: str | None = None) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def __len__(self) -> int:
        return len(self._tasks)

    async def drain(self) -> None:
        """Wait until no task is left, including tasks started meanwhile."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Cancel every task and wait until they have all stopped.

        Something a task awaits may swallow a cancellation: the presence heartbeat on
        PostgreSQL + Redis was seen going on to its next sleep, "cancelling" but running, and a
        server never finished shutting down. A task still running after CANCEL_AGAIN_S is
        cancelled again, so a loop in it cannot keep the process from stopping.
        """
        pending = set(self._tasks)
        for task in pending:
            task.cancel()
        while pending:
            _, pending = await asyncio.wait(pending, timeout=CANCEL_AGAIN_S)
            if pending:
                names = sorted(task.get_name() for task in pending)
                self._log.warning("cancelling again, still running: %s", ", ".join(names))
                for task in pending:
                    task.cancel()

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            self._log.error("%s failed", task.get_name(), exc_info=error)


class Coalescing:
    """At most one task per key. Work submitted while its key's task runs replaces any work
    already waiting, and runs once that task is done: a burst becomes at most two runs."""

    def __init__(self, tasks: BackgroundTasks, log: logging.Logger):
        self._tasks = tasks
        self._log = log
        # A key is present while its task runs; the value is the work waiting after it.
        self._waiting: dict[str, Callable[[], Coroutine[Any, Any, None]] | None] = {}

    def submit(self, key: str, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        if key in self._waiting:
            self._waiting[key] = work
            return
        self._waiting[key] = None
        self._tasks.spawn(self._run(key, work), name=f"{key}")

    def running(self, key: str) -> bool:
        return key in self._waiting

    async def _run(self, key: str, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        try:
            next_work: Callable[[], Coroutine[Any, Any, None]] | None = work
            while next_work is not None:
                try:
                    await next_work()
                except Exception:
                    self._log.exception("%s failed", key)
                next_work = self._waiting.get(key)
                self._waiting[key] = None
        finally:
            self._waiting.pop(key, None)
