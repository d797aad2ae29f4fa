"""Two senders claiming due deliveries at once on PostgreSQL (two processes' dispatchers):
each delivery is claimed by one of them, the other passes over it without waiting."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from frontdesk.accounts.service import create_workspace
from frontdesk.alerts import outbox
from frontdesk.alerts.models import Delivery
from frontdesk.db.engine import Database
from frontdesk.settings import Settings
from row_locks import wait_behind

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


async def _claim(db: Database, limit: int) -> list[str]:
    async with db.transaction() as session:
        return [d.id for d in await outbox.claim_due(session, LEASE_S, limit)]


async def test_a_due_delivery_is_claimed_by_one_sender_only(
    db: Database, other_process: Database
) -> None:
    queued = await _queue(db, 3)
    # One sender claims two; before it commits, another process asks for all that is due.
    async with db.transaction() as session:
        first = [d.id for d in await outbox.claim_due(session, LEASE_S, 2)]
        other = asyncio.create_task(_claim(other_process, 10))
        await wait_behind(db, session, other)
        waited = not other.done()
    second = await other

    assert first == queued[:2]
    assert second == queued[2:]
    assert not waited  # it passed over the rows being claimed instead of waiting for them
    assert await _claim(db, 10) == []  # all leased now
    async with db.session() as session:
        leased = [await session.get(Delivery, i) for i in queued]
    assert all(d is not None and d.status == "pending" for d in leased)
