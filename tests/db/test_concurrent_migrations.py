"""Several processes starting at once on a new database: one migrates, the others wait for it
and then find the schema at head (each with an engine of its own, as processes have)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import inspect

from databases import DatabaseUnderTest
from frontdesk.db.engine import Database
from frontdesk.db.migrate import current_revision, head_revision, upgrade
from frontdesk.schema import Base

# A bound on a deadlock, not a wait for a race: the three upgrades take a few seconds.
DEADLOCK_BOUND_S = 120


async def test_three_starts_at_once_migrate_a_new_database_once(
    tmp_path: Path, database: DatabaseUnderTest
) -> None:
    url = database.blank(tmp_path)
    starts = [Database(url) for _ in range(3)]
    try:
        await asyncio.wait_for(
            asyncio.gather(*(upgrade(db) for db in starts)), timeout=DEADLOCK_BOUND_S
        )
        revisions = {await current_revision(db) for db in starts}
        assert revisions == {head_revision()}
        async with starts[0].engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert set(Base.metadata.tables) <= tables
    finally:
        for db in starts:
            await db.dispose()
