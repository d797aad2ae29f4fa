"""Two server processes starting at once on a new PostgreSQL database: both get the one
default workspace (the second's insert used to fail on the slug and stop its server)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from frontdesk.accounts.models import Workspace
from frontdesk.accounts.service import get_or_create_workspace
from frontdesk.db.engine import Database
from frontdesk.settings import Settings
from row_locks import wait_behind

pytestmark = pytest.mark.postgres


@pytest.fixture
async def processes(settings: Settings) -> AsyncIterator[tuple[Database, Database]]:
    """The same database as two server processes reach it: a pool each."""
    first, second = Database(settings.sqlalchemy_url), Database(settings.sqlalchemy_url)
    try:
        yield first, second
    finally:
        await first.dispose()
        await second.dispose()


async def _start(db: Database) -> str:
    async with db.transaction() as session:
        return (await get_or_create_workspace(session, "acme", "Acme")).id


async def test_two_processes_starting_at_once_share_one_workspace(
    processes: tuple[Database, Database],
) -> None:
    first, second = processes
    async with first.transaction() as session:
        made = await get_or_create_workspace(session, "acme", "Acme")
        # The other process looks before this one commits: it finds nothing yet.
        starting = asyncio.create_task(_start(second))
        await wait_behind(first, session, starting)
    assert await starting == made.id
    async with first.session() as session:
        slugs = select(func.count()).where(Workspace.slug == "acme")
        assert await session.scalar(slugs) == 1
