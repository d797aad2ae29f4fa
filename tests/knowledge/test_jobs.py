"""Ingestion as jobs in one process (taskiq's InMemoryBroker): the source's row decides.

A job only names a source; a repeated or duplicated job, or two claimants at once, do the work
once; a claimant that died (it stops renewing its lease) has its source taken up again; a
failure for a passing reason is retried with backoff and then fails with its reason; web
sources are re-read on a schedule. Time moves by the product's clock (db.base.set_clock), not
by sleeping.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from app_fixtures import Started, with_database
from frontdesk.accounts.models import Workspace
from frontdesk.agents.models import Agent
from frontdesk.db.base import set_clock, utcnow
from frontdesk.embedder.model import OnnxMiniLM
from frontdesk.knowledge import claims
from frontdesk.knowledge.models import Chunk, Source
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from httpserver import LocalSite
from support import free_port

PAIRS = [
    ("When are you open?", "Monday to Saturday, 8:00 to 17:30."),
    ("Do you service snowmobiles?", "Yes, every make, in our Ridgeline workshop."),
    ("Can I trade in my old sled?", "Yes; bring it in for a free appraisal."),
]


class Clock:
    """The product's clock, moved forward by the test."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Iterator[Clock]:
    clock = Clock()
    set_clock(clock)
    try:
        yield clock
    finally:
        set_clock(None)


@pytest.fixture
async def retrying(
    tmp_path: Path, embedder: OnnxMiniLM, migrated_database: Path
) -> AsyncIterator[Started]:
    """A runtime whose ingestion retries twice (after 30 s, then 60 s) and re-reads web
    sources every hour."""
    settings = Settings(
        data_dir=tmp_path / "retrying",
        ingest_retry_delays_s=[30, 60],
        url_resync_hours=1,
    )
    runtime = Runtime(with_database(settings, migrated_database), embedder=embedder)
    workspace = await runtime.start()
    try:
        yield Started(runtime, workspace.id)
    finally:
        await runtime.close()


async def _qa_source(started: Started, agent: Agent | None = None) -> str:
    agent = agent or await started.agent("Dealer")
    async with started.runtime.db.transaction() as session:
        source = await started.runtime.knowledge.add_qa(session, agent, "FAQ", PAIRS)
    return source.id


async def _source(runtime: Runtime, source_id: str) -> Source:
    async with runtime.db.session() as session:
        source = await session.get(Source, source_id)
    assert source is not None
    return source


async def _chunk_ids(runtime: Runtime, source_id: str) -> list[int]:
    async with runtime.db.session() as session:
        rows = await session.scalars(
            select(Chunk.id).where(Chunk.source_id == source_id).order_by(Chunk.id)
        )
        return list(rows)


async def test_a_source_is_ingested_by_its_job_in_process(started: Started) -> None:
    runtime = started.runtime
    await runtime.ingestion.start(consume=True)
    source_id = await _qa_source(started)
    await runtime.ingestion.enqueue(source_id)
    await runtime.jobs.drain()

    source = await _source(runtime, source_id)
    assert (source.status, source.chunk_count, source.error) == ("ready", 3, None)
    assert (source.claim, source.lease_until, source.attempts) == (None, None, 0)
    assert len(await _chunk_ids(runtime, source_id)) == 3


async def test_a_duplicated_or_repeated_job_does_the_work_once(
    started: Started, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="frontdesk.knowledge")
    runtime = started.runtime
    await runtime.ingestion.start(consume=True)
    source_id = await _qa_source(started)
    for _ in range(3):  # delivered three times before any has run
        await runtime.ingestion.enqueue(source_id)
    await runtime.jobs.drain()
    chunks = await _chunk_ids(runtime, source_id)

    for _ in range(2):  # and again once it is done
        await runtime.ingestion.enqueue(source_id)
    await runtime.jobs.drain()

    assert len(chunks) == 3
    assert await _chunk_ids(runtime, source_id) == chunks  # never replaced: never redone
    done = [r for r in caplog.records if r.getMessage().startswith(f"source {source_id}: ")]
    assert [r.getMessage() for r in done] == [f"source {source_id}: ready, 3 chunks"]


async def test_two_processes_claiming_one_source_ingest_it_once(
    started: Started, settings: Settings, embedder: OnnxMiniLM
) -> None:
    # Another runtime on the same database: its own engine and connections, as a second
    # process has. Each sends three claims at once.
    other = Runtime(settings, embedder=embedder)
    try:
        source_id = await _qa_source(started)
        results = await asyncio.gather(
            *(
                runtime.knowledge.ingest_queued(source_id)
                for runtime in (started.runtime, other)
                for _ in range(3)
            )
        )
    finally:
        await other.close()

    done = [result for result in results if result is not None]
    assert [(r.status, r.chunks) for r in done] == [("ready", 3)]
    assert len(await _chunk_ids(started.runtime, source_id)) == 3


async def test_a_workspace_ingests_one_source_at_a_time(started: Started) -> None:
    knowledge = started.runtime.knowledge
    agent = await started.agent("Dealer")
    first = await _qa_source(started, agent)
    async with started.runtime.db.transaction() as session:
        second = (await knowledge.add_qa(session, agent, "Parts", PAIRS[:1])).id
    held = await claims.take(knowledge.db, first, 60, job=True)
    assert held is not None

    assert await knowledge.ingest_queued(second) is None  # its turn comes after the first
    assert (await _source(started.runtime, second)).status == "queued"
    assert await knowledge.next_in_line(started.workspace_id) is None  # nobody sends it yet
    async with knowledge.db.transaction() as session:  # the first finishes
        done = await claims.holding(session, held)
        assert done is not None
        claims.settle(done, "ready")
    assert await knowledge.next_in_line(started.workspace_id) == second


async def test_a_source_whose_worker_died_is_taken_up_again(
    retrying: Started, clock: Clock
) -> None:
    runtime, knowledge = retrying.runtime, retrying.runtime.knowledge
    source_id = await _qa_source(retrying)
    dead = await claims.take(knowledge.db, source_id, knowledge.settings.ingest_lease_s, job=True)
    assert dead is not None  # and then its process was killed: no renewal, no result

    assert await knowledge.ingest_queued(source_id) is None  # held while the lease lasts
    assert await knowledge.sweep() == []
    clock.advance(knowledge.settings.ingest_lease_s + 1)
    assert await knowledge.sweep() == [source_id]
    assert await knowledge.sweep() == []  # sent once, not by every sweeper

    result = await knowledge.ingest_queued(source_id)
    assert result is not None and (result.status, result.chunks) == ("ready", 3)
    async with knowledge.db.transaction() as session:
        assert await claims.holding(session, dead) is None  # a late write would be dropped
    assert len(await _chunk_ids(runtime, source_id)) == 3


async def test_a_source_that_kills_its_workers_fails_after_its_retries(
    retrying: Started, clock: Clock
) -> None:
    knowledge = retrying.runtime.knowledge
    lease = knowledge.settings.ingest_lease_s
    source_id = await _qa_source(retrying)
    for _ in range(3):  # the first attempt and both retries die
        assert await claims.take(knowledge.db, source_id, lease, job=True) is not None
        clock.advance(lease + 1)
        await knowledge.sweep()

    source = await _source(retrying.runtime, source_id)
    assert source.status == "failed"
    assert source.error is not None and "Processing stopped 3 times" in source.error


async def test_a_passing_failure_is_retried_with_backoff_then_fails_with_its_reason(
    retrying: Started, clock: Clock
) -> None:
    runtime, knowledge = retrying.runtime, retrying.runtime.knowledge
    port = free_port()  # nothing listens there
    async with runtime.db.transaction() as session:
        workspace = await session.get(Workspace, retrying.workspace_id)
        assert workspace is not None
        workspace.allowed_hosts = [f"127.0.0.1:{port}"]
    agent = await retrying.agent("Dealer")
    async with runtime.db.transaction() as session:
        source_id = (await knowledge.add_url(session, agent, f"http://127.0.0.1:{port}/")).id
    reason = f"Could not connect to 127.0.0.1:{port}."

    first = await knowledge.ingest_queued(source_id)
    assert first is not None and first.status == "queued"
    assert first.error == f"{reason} (trying again in 30 s; attempt 1 of 3)"
    assert await knowledge.ingest_queued(source_id) is None  # a duplicate cannot hurry it
    assert await knowledge.sweep() == []

    clock.advance(31)
    assert await knowledge.sweep() == [source_id]
    second = await knowledge.ingest_queued(source_id)
    assert second is not None and second.status == "queued"
    assert second.error == f"{reason} (trying again in 60 s; attempt 2 of 3)"

    clock.advance(61)
    assert await knowledge.sweep() == [source_id]
    last = await knowledge.ingest_queued(source_id)
    assert last is not None and last.status == "failed"
    source = await _source(runtime, source_id)
    assert (source.status, source.error) == ("failed", f"{reason} (gave up after 3 attempts)")


async def test_web_sources_are_read_again_on_schedule_and_unchanged_ones_skipped(
    retrying: Started, clock: Clock, local_site: LocalSite
) -> None:
    runtime, knowledge = retrying.runtime, retrying.runtime.knowledge
    page = "<html><head><title>Hours</title></head><body><p>{}</p></body></html>"
    url = local_site.add("/hours", page.format("Open Monday to Saturday, 8:00 to 17:30."))
    async with runtime.db.transaction() as session:
        workspace = await session.get(Workspace, retrying.workspace_id)
        assert workspace is not None
        workspace.allowed_hosts = [local_site.host]
    agent = await retrying.agent("Dealer")
    async with runtime.db.transaction() as session:
        source_id = (await knowledge.add_url(session, agent, url)).id
    assert await knowledge.sweep(everything=True) == [source_id]
    assert (await knowledge.ingest_queued(source_id)) is not None
    chunks = await _chunk_ids(runtime, source_id)

    clock.advance(30 * 60)
    assert await knowledge.sweep() == []  # not yet an hour
    clock.advance(31 * 60)
    assert await knowledge.sweep() == [source_id]
    unchanged = await knowledge.ingest_queued(source_id)
    assert unchanged is not None and unchanged.skipped and unchanged.status == "ready"
    assert await _chunk_ids(runtime, source_id) == chunks

    local_site.add("/hours", page.format("Open every day, 9:00 to 18:00."))
    clock.advance(61 * 60)
    assert await knowledge.sweep() == [source_id]
    changed = await knowledge.ingest_queued(source_id)
    assert changed is not None and not changed.skipped and changed.status == "ready"
    async with runtime.db.session() as session:
        texts = list(await session.scalars(select(Chunk.text).where(Chunk.source_id == source_id)))
    assert any("every day" in text for text in texts)


def test_servers_that_run_no_jobs_need_redis_to_send_them_to() -> None:
    with pytest.raises(ValidationError, match="run_jobs=false needs redis_url"):
        Settings(run_jobs=False)
    assert not Settings(run_jobs=False, redis_url="redis://127.0.0.1:6379/0").run_jobs
