"""The runtime's two ways to the database: reads() takes no write lock and refuses to write."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, update

from app_fixtures import Started
from frontdesk.accounts.models import Workspace


@pytest.mark.sqlite  # SQLite's one write lock
async def test_a_read_session_refuses_to_write_and_takes_no_write_lock(started: Started) -> None:
    runtime = started.runtime
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(runtime.db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with runtime.reads() as session:
            workspace = await session.get(Workspace, started.workspace_id)
            assert workspace is not None
            workspace.name = "Renamed"
            with pytest.raises(RuntimeError, match=r"runtime\.changes"):
                await session.flush()
        async with runtime.reads() as session:
            query = update(Workspace).values(name="Renamed")
            with pytest.raises(RuntimeError, match=r"runtime\.changes"):
                await session.execute(query)
        assert "BEGIN IMMEDIATE" not in statements
        async with runtime.reads() as session:
            workspace = await session.get(Workspace, started.workspace_id)
            assert workspace is not None and workspace.name != "Renamed"
        async with runtime.changes() as session:
            await session.execute(query)
        assert statements.count("BEGIN IMMEDIATE") == 1
    finally:
        event.remove(runtime.db.engine.sync_engine, "before_cursor_execute", seen)
