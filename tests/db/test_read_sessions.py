"""A read session (Database.snapshot, runtime.reads) never writes, whatever it is asked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from frontdesk.accounts.models import Workspace
from frontdesk.db.engine import Database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'read.db'}")
    async with database.transaction() as session:
        await session.execute(text("CREATE TABLE workspaces (id TEXT PRIMARY KEY, name TEXT)"))
    yield database
    await database.dispose()


@pytest.mark.parametrize("lookups", [False, True])
async def test_a_read_session_refuses_entities_and_statements_that_write(
    db: Database, lookups: bool
) -> None:
    async with db.snapshot(lookups=lookups) as session:
        session.add(Workspace(id="w1", name="Acme", slug="acme"))
        with pytest.raises(RuntimeError, match="does not write"):
            await session.flush()
    async with db.snapshot(lookups=lookups) as session:
        with pytest.raises(RuntimeError, match="does not write"):
            await session.execute(Workspace.__table__.insert().values(id="w2", name="Other"))
    async with db.snapshot() as session:
        assert await session.scalar(text("SELECT count(*) FROM workspaces")) == 0
