"""A read session (Database.snapshot, runtime.reads) never writes, whatever it is asked."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from frontdesk.accounts.models import Workspace
from frontdesk.db.engine import Database


@pytest.fixture
async def db(sqlite_file: Database) -> Database:
    async with sqlite_file.transaction() as session:
        await session.execute(text("CREATE TABLE workspaces (id TEXT PRIMARY KEY, name TEXT)"))
    return sqlite_file


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
