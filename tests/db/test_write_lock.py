"""SQLite's one write lock is held for as short a time as the transaction's own work.

Counted in turns of the event loop, not in time: a ticker task counts how often the loop
ran it while a write transaction held the lock. Each turn is one chance for the rest of the
server (sockets, other requests) to run while every other writer waits.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from frontdesk.db.engine import Database

pytestmark = pytest.mark.sqlite  # SQLite's one writer; PostgreSQL has no such lock

STATEMENTS = 30


class Ticker:
    """Counts the event loop's turns: one tick per turn while it runs."""

    def __init__(self) -> None:
        self.ticks = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            self.ticks += 1
            await asyncio.sleep(0)

    def __enter__(self) -> Ticker:
        self._task = asyncio.create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


@pytest.fixture
async def db(sqlite_file: Database) -> Database:
    async with sqlite_file.transaction() as session:
        await session.execute(text("CREATE TABLE notes (n INTEGER)"))
    return sqlite_file


async def turns_while_writing(db: Database, *, bulk: bool = False) -> int:
    """Loop turns from the first to the last statement of ``STATEMENTS`` writes."""
    with Ticker() as ticker:
        await asyncio.sleep(0)
        async with db.transaction(bulk=bulk) as session:
            first = ticker.ticks
            for n in range(STATEMENTS):
                await session.execute(text("INSERT INTO notes VALUES (:n)"), {"n": n})
            statements = ticker.ticks - first
    return statements


async def test_a_write_transaction_does_not_wait_for_the_loop_between_statements(
    db: Database,
) -> None:
    # The statements run one after another without letting the loop turn.
    assert await turns_while_writing(db) == 0
    async with db.session() as session:
        assert await session.scalar(text("SELECT count(*) FROM notes")) == STATEMENTS


async def test_a_free_write_lock_is_taken_without_waiting_for_the_loop(db: Database) -> None:
    """Nobody else holds it (the common case): BEGIN IMMEDIATE runs at once, like the
    statements after it, instead of a hand-off to the connection's thread and back."""
    async with db.session() as session:
        await session.execute(text("SELECT 1"))  # connected, back in the pool
    with Ticker() as ticker:
        await asyncio.sleep(0)
        before = ticker.ticks
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO notes VALUES (1)"))
            assert ticker.ticks == before


async def test_a_bulk_transaction_lets_the_loop_run_between_statements(db: Database) -> None:
    assert await turns_while_writing(db, bulk=True) >= STATEMENTS


async def assert_reads_let_the_loop_run(db: Database) -> None:
    async with db.session() as session:
        await session.execute(text("SELECT 1"))  # connected
        with Ticker() as ticker:
            await asyncio.sleep(0)
            before = ticker.ticks
            await session.execute(text("SELECT count(*) FROM notes"))
            assert ticker.ticks > before


async def test_reads_run_on_the_connection_thread(db: Database) -> None:
    """A read is not run on the loop: the loop turns while it runs (a long report must not
    stop the sockets)."""
    await assert_reads_let_the_loop_run(db)


async def test_an_error_inside_leaves_the_connection_as_it_found_it(db: Database) -> None:
    """A failed write transaction rolls back, and the connection's next users (reads) run on
    its thread again."""
    with pytest.raises(OperationalError):
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO notes VALUES (1)"))
            await session.execute(text("INSERT INTO missing VALUES (1)"))
    async with db.session() as session:
        assert await session.scalar(text("SELECT count(*) FROM notes")) == 0
    await assert_reads_let_the_loop_run(db)


async def test_waiting_for_another_process_s_write_lock_keeps_the_loop_running(
    db: Database, tmp_path: Path
) -> None:
    """Taking the lock may wait (another program writes the file): that wait is on the
    connection's thread, so the server keeps serving meanwhile."""
    other = sqlite3.connect(tmp_path / "lock.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with Ticker() as ticker:

            async def write() -> None:
                async with db.transaction() as session:
                    await session.execute(text("INSERT INTO notes VALUES (7)"))

            writing = asyncio.create_task(write())
            while ticker.ticks < 1000:
                await asyncio.sleep(0)
            assert not writing.done()  # still waiting for the other program's lock
            other.execute("COMMIT")
            await asyncio.wait_for(writing, 30)
    finally:
        other.close()
    async with db.session() as session:
        assert await session.scalar(text("SELECT n FROM notes")) == 7


async def test_lookups_run_on_the_loop_and_leave_the_connection_threaded(db: Database) -> None:
    """A request's checks (a token, an id) read without handing each statement to the
    connection's thread; the connection goes back to the pool running on its thread."""
    with Ticker() as ticker:
        await asyncio.sleep(0)
        async with db.snapshot(lookups=True) as session:
            first = ticker.ticks
            for _ in range(STATEMENTS):
                assert await session.scalar(text("SELECT count(*) FROM notes")) == 0
            assert ticker.ticks == first
    await assert_reads_let_the_loop_run(db)


async def test_lookups_do_not_wait_for_a_writer(db: Database, tmp_path: Path) -> None:
    """On the loop's thread a read must never wait: in WAL mode it sees the last commit while
    another program holds the write lock with rows not yet committed."""
    other = sqlite3.connect(tmp_path / "lock.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO notes VALUES (1)")
    try:
        async with db.snapshot(lookups=True) as session:
            assert await session.scalar(text("SELECT count(*) FROM notes")) == 0
    finally:
        other.execute("COMMIT")
        other.close()
    async with db.snapshot(lookups=True) as session:
        assert await session.scalar(text("SELECT count(*) FROM notes")) == 1


async def test_a_commit_only_appends_to_the_wal_and_a_checkpoint_follows(
    db: Database, tmp_path: Path
) -> None:
    """From taking the lock to COMMIT the loop never waits: a COMMIT appends to the WAL and
    never copies it into the database file (that waits for the disk). A checkpoint on a
    connection's thread does, a moment later."""
    file = tmp_path / "lock.db"
    async with db.transaction() as session:
        await session.execute(text("CREATE TABLE pages (body TEXT)"))
    before = file.stat().st_size
    async with db.sessions() as session:  # (closing a session lets the loop run: after)
        with Ticker() as ticker:
            await asyncio.sleep(0)
            start = ticker.ticks
            async with db.transaction_of(session):
                for _ in range(200):
                    row = {"b": "x" * 4000}
                    await session.execute(text("INSERT INTO pages VALUES (:b)"), row)
            assert ticker.ticks == start  # committed
    assert file.stat().st_size == before  # all of it in the WAL
    deadline = asyncio.get_running_loop().time() + 10
    while file.stat().st_size < before + 200 * 4000:
        assert asyncio.get_running_loop().time() < deadline, "no checkpoint"
        await asyncio.sleep(0.05)
    for n in range(3):  # the connections the checkpoint used write and commit as before
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO pages VALUES (:b)"), {"b": str(n)})
    async with db.session() as session:
        assert await session.scalar(text("SELECT count(*) FROM pages")) == 203
