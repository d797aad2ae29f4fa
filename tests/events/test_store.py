"""The event log on a real database: each workspace's stream is numbered 1, 2, 3... in commit
order with no hole, and resuming from a number returns exactly the events after it.

Every test takes the ``database`` fixture only, so it runs unchanged on another backend.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from frontdesk.accounts.service import create_workspace
from frontdesk.db.engine import Database
from frontdesk.events import store
from frontdesk.events.broker import InProcessBroker
from frontdesk.events.store import EventRecord
from frontdesk.events.types import Event, EventType

UPDATED: EventType = "conversation.updated"


@dataclass
class Log:
    db: Database
    first: str  # two workspaces' ids
    second: str


@pytest.fixture
async def database(tmp_path: Path, migrated_database: Path) -> AsyncIterator[Log]:
    file = tmp_path / "events.db"
    shutil.copyfile(migrated_database, file)
    db = Database(f"sqlite+aiosqlite:///{file}")
    try:
        async with db.transaction() as session:
            first = (await create_workspace(session, "Ridgeline")).id
            second = (await create_workspace(session, "Harbor")).id
        yield Log(db, first, second)
    finally:
        await db.dispose()


async def _write(db: Database, *workspaces: str) -> list[Event]:
    """One transaction recording one event per workspace named, in that order."""
    async with db.transaction() as session:
        return await store.record_many(
            session,
            [(UPDATED, workspace, None, {"n": n}) for n, workspace in enumerate(workspaces)],
        )


async def _stored(db: Database, workspace_id: str) -> list[int]:
    async with db.session() as session:
        rows = await session.scalars(
            select(EventRecord.seq)
            .where(EventRecord.workspace_id == workspace_id)
            .order_by(EventRecord.id)
        )
        return list(rows)


async def test_each_workspace_numbers_its_own_events_without_holes(database: Log) -> None:
    db, a, b = database.db, database.first, database.second
    written = [
        *await _write(db, a),
        *await _write(db, b, a, a),  # several workspaces, several events each, one flush
        *await _write(db, a, b),
    ]
    assert [(e.workspace_id == a, e.seq) for e in written] == [
        (True, 1),
        (False, 1),
        (True, 2),
        (True, 3),
        (True, 4),
        (False, 2),
    ]
    assert await _stored(db, a) == [1, 2, 3, 4]
    assert await _stored(db, b) == [1, 2]
    async with db.session() as session:
        assert await store.latest_seq(session, a) == 4
        assert await store.latest_seq(session, b) == 2
        never = (await _write(db, a))[0]  # the row id is global, the seq is not
        assert never.seq == 5 and never.id is not None and never.id > 6


async def test_a_transaction_that_rolls_back_gives_its_numbers_back(database: Log) -> None:
    db, a = database.db, database.first
    await _write(db, a)
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await store.record_many(session, [(UPDATED, a, None, {}), (UPDATED, a, None, {})])
            raise RuntimeError("the change failed")
    assert [e.seq for e in await _write(db, a)] == [2]
    assert await _stored(db, a) == [1, 2]


async def test_concurrent_writers_take_consecutive_numbers_in_commit_order(
    database: Log,
) -> None:
    db, a = database.db, database.first
    broker = InProcessBroker()
    writers = 20

    async def writer(n: int) -> list[int]:
        async with store.changes(db, broker) as session:
            await asyncio.sleep(0)  # a yield: the transactions overlap where the backend lets them
            events = await store.record_many(
                session, [(UPDATED, a, None, {"writer": n})] * (1 + n % 3)
            )
            return [e.seq or 0 for e in events]

    with broker.subscribe(a) as inbox:
        taken = await asyncio.gather(*(writer(n) for n in range(writers)))
        total = sum(len(seqs) for seqs in taken)
        heard = [(await inbox.get()) for _ in range(total)]
    # Each writer got a run of consecutive numbers; together they are 1..total, each once.
    assert all(seqs == list(range(seqs[0], seqs[0] + len(seqs))) for seqs in taken)
    assert sorted(seq for seqs in taken for seq in seqs) == list(range(1, total + 1))
    # Published (after commit) in the order of their numbers: commit order.
    assert [e.seq for e in heard if e is not None] == list(range(1, total + 1))
    async with db.session() as session:
        replayed = await store.since(session, a, 0, limit=1000)
    assert replayed is not None
    assert [e.data["writer"] for e in replayed] == [e.data["writer"] for e in heard if e]


async def test_resuming_from_a_number_returns_exactly_the_events_after_it(database: Log) -> None:
    db, a, b = database.db, database.first, database.second
    for _ in range(5):
        await _write(db, a, b)
    async with db.session() as session:
        missed = await store.since(session, a, 2, limit=10)
        assert missed is not None
        assert [(e.workspace_id, e.seq) for e in missed] == [(a, 3), (a, 4), (a, 5)]
        assert [e.data for e in missed] == [{"n": 0}] * 3
        assert await store.since(session, a, 5, limit=10) == []
        assert await store.since(session, a, 2, limit=3) is not None
        assert await store.since(session, a, 1, limit=3) is None  # four missed: too many
        other = await store.since(session, b, 4, limit=10)
        assert [(e.workspace_id, e.seq, e.data) for e in other or ()] == [(b, 5, {"n": 1})]
        # The frame a client resumes from carries the seq as its id.
        assert missed[0].frame()["id"] == 3
