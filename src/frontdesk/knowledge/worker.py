"""Background ingestion: a queue of source ids worked off in the server process.

The queue lives in the database (a source's ``queued`` status), so a restart picks up
whatever was accepted but not finished; the in-memory queue only wakes the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from frontdesk.knowledge import repository
from frontdesk.knowledge.service import KnowledgeService

log = logging.getLogger(__name__)


class IngestionWorker:
    def __init__(self, knowledge: KnowledgeService):
        self.knowledge = knowledge
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        async with self.knowledge.db.session() as session:
            for source_id in await repository.pending_source_ids(session):
                self.enqueue(source_id)
        self._task = asyncio.create_task(self._run(), name="frontdesk-ingestion")

    def enqueue(self, source_id: str) -> None:
        self.queue.put_nowait(source_id)

    async def drain(self) -> None:
        """Wait until every queued source has been processed."""
        await self.queue.join()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            source_id = await self.queue.get()
            try:
                result = await self.knowledge.ingest(source_id)
                log.info(
                    "source %s: %s, %d chunks%s",
                    source_id,
                    result.status,
                    result.chunks,
                    " (unchanged)" if result.skipped else "",
                )
            except Exception:
                log.exception("ingestion of %s crashed", source_id)
            finally:
                self.queue.task_done()
