"""Ingestion as background jobs: a job names a source; the source's row says what to do.

Sending a job never decides anything: the row was queued in the caller's transaction, and
a job that is lost (Redis down), repeated or duplicated changes nothing, because only a
claim (knowledge/claims.py) turns a queued source into work, once. Each process that runs
jobs ingests at most ``ingest_workers`` sources at a time, and a workspace at most one at
all (its later sources are sent on, one by one, as each finishes), so one workspace's huge
source or long queue holds one slot while the others keep moving. A sweep, every
``jobs_sweep_s`` in every process that runs jobs, takes back the sources of workers that
died, sends the jobs of retries that are due and, with ``url_resync_hours``, re-syncs web
sources.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from frontdesk.errors import NotFound
from frontdesk.jobs.queue import Jobs
from frontdesk.knowledge import repository
from frontdesk.knowledge.service import KnowledgeService

log = logging.getLogger(__name__)

JOB = "knowledge.ingest"


class Ingestion:
    def __init__(self, knowledge: KnowledgeService, jobs: Jobs):
        self.knowledge = knowledge
        self.jobs = jobs
        self._slots = asyncio.Semaphore(knowledge.settings.ingest_workers)
        self._sweeper: asyncio.Task[None] | None = None
        jobs.register(JOB, self.run)

    async def enqueue(self, source_id: str) -> None:
        """Send the job of a source queued (and committed) by the caller."""
        try:
            await self.jobs.send(JOB, source_id)
        except Exception:
            # The row stays queued: a sweep sends its job again (claims.RESEND_AFTER).
            log.warning("could not send the ingestion job of %s", source_id, exc_info=True)

    async def start(self, consume: bool) -> None:
        """Connect to the broker; with ``consume``, run jobs here and sweep."""
        await self.jobs.start(consume)
        if not consume:
            return
        # Jobs held in memory died with the last process: send every queued source's again.
        await self.sweep(everything=self.jobs.in_process)
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="frontdesk-sweep")

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None

    async def sweep(self, everything: bool = False) -> None:
        for source_id in await self.knowledge.sweep(everything=everything):
            await self.enqueue(source_id)

    async def run(self, source_id: str) -> None:
        """The job: ingest the source if it is still queued and due, then send its successor."""
        async with self._slots:
            async with self.knowledge.db.session() as session:
                workspace_id = await repository.source_workspace(session, source_id)
            if workspace_id is None:
                log.info("source %s was deleted before ingestion; skipped", source_id)
                return
            try:
                result = await self.knowledge.ingest_queued(source_id)
            except NotFound:
                log.info("source %s was deleted before ingestion; skipped", source_id)
                return
            except Exception:
                log.exception("ingestion of %s crashed", source_id)
                return
            if result is None:
                return  # done, taken, not due, or its workspace busy: its turn comes
            log.info(
                "source %s: %s, %d chunks%s",
                source_id,
                result.status,
                result.chunks,
                " (unchanged)" if result.skipped else "",
            )
        following = await self.knowledge.next_in_line(workspace_id)
        if following is not None:
            await self.enqueue(following)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.knowledge.settings.jobs_sweep_s)
            try:
                await self.sweep()
            except Exception:
                log.exception("the ingestion sweep failed; trying again")
