"""Two processes at once on PostgreSQL: marking due deliveries to send their jobs, each is
marked by one of them; claiming the same delivery (a job delivered twice), one takes it. The
other passes over the row being taken without waiting."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from frontdesk.accounts.service import create_workspace
from frontdesk.alerts import outbox
from frontdesk.alerts.models import Delivery
from frontdesk.db.engine import Database
from frontdesk.settings import Settings
from row_locks import wait_behind

# Jobs sent before this are lost; none of the tests' are.
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)

pytestmark = pytest.mark.postgres

LEASE_S = 60.0


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.sqlalchemy_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def other_process(settings: Settings) -> AsyncIterator[Database]:
    """The same database as another server process reaches it: a pool of its own."""
    database = Database(settings.sqlalchemy_url)
    try:
        yield database
    finally:
        await database.dispose()


async def _queue(db: Database, count: int) -> list[str]:
    async with db.transaction() as session:
        workspace = await create_workspace(session, "Ridgeline")
        deliveries = [
            outbox.queue(
                session,
                workspace_id=workspace.id,
                channel="email",
                event_type="conversation.handoff",
                body="{}",
                recipient=f"team{i}@ridgeline.test",
            )
            for i in range(count)
        ]
        await session.flush()
        return [d.id for d in deliveries]


async def _mark(db: Database, limit: int) -> list[str]:
    async with db.transaction() as session:
        return await outbox.mark_due(session, limit, LONG_AGO)


async def _claim(db: Database, delivery_id: str) -> str | None:
    async with db.transaction() as session:
        claimed = await outbox.claim(session, delivery_id, LEASE_S)
        return claimed.id if claimed else None


async def test_the_job_of_a_due_delivery_is_sent_by_one_process_only(
    db: Database, other_process: Database
) -> None:
    queued = await _queue(db, 3)
    # One process marks two; before it commits, another asks for all that is due.
    async with db.transaction() as session:
        first = await outbox.mark_due(session, 2, LONG_AGO)
        other = asyncio.create_task(_mark(other_process, 10))
        await wait_behind(db, session, other)
        waited = not other.done()
    second = await other

    assert first == queued[:2]
    assert second == queued[2:]
    assert not waited  # it passed over the rows being marked instead of waiting for them
    assert await _mark(db, 10) == []  # every job is sent
    async with db.session() as session:
        marked = [await session.get(Delivery, i) for i in queued]
    assert all(d is not None and d.status == "pending" and d.job_sent_at for d in marked)


async def test_a_delivery_whose_job_came_twice_is_claimed_once(
    db: Database, other_process: Database
) -> None:
    [queued] = await _queue(db, 1)
    await _mark(db, 1)
    async with db.transaction() as session:
        first = await outbox.claim(session, queued, LEASE_S)
        other = asyncio.create_task(_claim(other_process, queued))
        await wait_behind(db, session, other)
        waited = not other.done()
    second = await other

    assert first is not None and first.id == queued
    assert second is None and waited  # it waited for the first claim, then found it leased
    assert await _claim(db, queued) is None  # leased now: a third job finds it taken
    assert await _mark(db, 10) == []  # and no sweep sends its job again
    async with db.session() as session:
        leased = await session.get(Delivery, queued)
    assert leased is not None and leased.status == "pending" and leased.job_sent_at is None


async def test_a_job_claiming_a_delivery_an_admin_is_resending_waits_and_sends_it(
    db: Database, other_process: Database
) -> None:
    [queued] = await _queue(db, 1)
    await _mark(db, 1)
    # An admin's request holds the row (a second "retry" click, answered 409); the job of
    # the delivery comes meanwhile. Skipping the row dropped the job: nothing was sent until
    # a sweep took the job for lost, after its lease.
    async with db.transaction() as session:
        held = await session.get(Delivery, queued, with_for_update=True)
        assert held is not None and held.status == "pending"
        job = asyncio.create_task(_claim(other_process, queued))
        await wait_behind(db, session, job)
        waited = not job.done()
    assert await job == queued
    assert waited
