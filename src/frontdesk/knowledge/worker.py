"""Background ingestion: queued sources worked off by a few slots, fairly across workspaces.

The queue lives in the database (a source's ``queued`` status), so a restart picks up
whatever was accepted but not finished; the in-memory queue only wakes the worker.

Invariant: a workspace has at most one source ingesting at a time, and a free slot serves
the workspaces with waiting sources in turn. One workspace's huge source, or its long queue,
so holds at most one slot while every other workspace keeps moving. Loading, chunking and
embedding run in threads, so the slots really overlap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque

from frontdesk.errors import NotFound
from frontdesk.knowledge import repository
from frontdesk.knowledge.service import KnowledgeService

log = logging.getLogger(__name__)


class IngestionWorker:
    def __init__(self, knowledge: KnowledgeService, slots: int | None = None):
        self.knowledge = knowledge
        self.slots = slots or knowledge.settings.ingest_workers
        # Every source id enqueued and not yet finished; drain() waits until it is empty.
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self._waiting: dict[str, deque[str]] = {}  # workspace -> its source ids, oldest first
        self._waiting_ids: set[str] = set()
        self._turns: list[str] = []  # workspaces with sources waiting, whose turn is next first
        self._busy: set[str] = set()  # workspaces with a source ingesting now
        self._changed = asyncio.Condition()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        async with self.knowledge.db.session() as session:
            for source_id in await repository.pending_source_ids(session):
                self.enqueue(source_id)
        self._tasks = [asyncio.create_task(self._sort(), name="frontdesk-ingestion-queue")]
        self._tasks += [
            asyncio.create_task(self._slot(), name=f"frontdesk-ingestion-{number}")
            for number in range(1, self.slots + 1)
        ]

    def enqueue(self, source_id: str) -> None:
        self.queue.put_nowait(source_id)

    async def drain(self) -> None:
        """Wait until every queued source has been processed."""
        await self.queue.join()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _sort(self) -> None:
        """Move enqueued ids into their workspace's line; a deleted source needs no turn."""
        while True:
            source_id = await self.queue.get()
            try:
                async with self.knowledge.db.session() as session:
                    workspace_id = await repository.source_workspace(session, source_id)
            except Exception:
                log.exception("could not queue source %s", source_id)
                self.queue.task_done()
                continue
            if workspace_id is None:
                log.info("source %s was deleted before ingestion; skipped", source_id)
                self.queue.task_done()
            elif source_id in self._waiting_ids:
                self.queue.task_done()  # already waiting for its turn; once is enough
            else:
                async with self._changed:
                    self._line_up(workspace_id, source_id)
                    self._changed.notify_all()

    async def _slot(self) -> None:
        while True:
            async with self._changed:
                while (turn := self._take_turn()) is None:
                    await self._changed.wait()
            workspace_id, source_id = turn
            try:
                await self._ingest(source_id)
            finally:
                self.queue.task_done()
                async with self._changed:
                    self._busy.discard(workspace_id)
                    self._changed.notify_all()

    async def _ingest(self, source_id: str) -> None:
        try:
            result = await self.knowledge.ingest(source_id)
        except NotFound:
            log.info("source %s was deleted before ingestion; skipped", source_id)
            return
        except Exception:
            log.exception("ingestion of %s crashed", source_id)
            return
        log.info(
            "source %s: %s, %d chunks%s",
            source_id,
            result.status,
            result.chunks,
            " (unchanged)" if result.skipped else "",
        )

    def _line_up(self, workspace_id: str, source_id: str) -> None:
        waiting = self._waiting.setdefault(workspace_id, deque())
        if not waiting:
            self._turns.append(workspace_id)
        waiting.append(source_id)
        self._waiting_ids.add(source_id)

    def _take_turn(self) -> tuple[str, str] | None:
        """The oldest source of the first workspace in line that is not busy; it goes last."""
        workspace_id = next((w for w in self._turns if w not in self._busy), None)
        if workspace_id is None:
            return None
        self._turns.remove(workspace_id)
        waiting = self._waiting[workspace_id]
        source_id = waiting.popleft()
        self._waiting_ids.discard(source_id)
        if waiting:
            self._turns.append(workspace_id)
        else:
            del self._waiting[workspace_id]
        self._busy.add(workspace_id)
        return workspace_id, source_id
