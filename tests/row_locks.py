"""Interleaving transactions on PostgreSQL: hold one open until another waits for its locks.

A race test opens a transaction, makes its change, starts the competing work as a task and
calls :func:`wait_behind`; once the task waits for a lock the transaction holds (or finished
without needing one), the test commits and lets the task go on. Nothing depends on timing.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db.engine import Database

WAITING_FOR = text(
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE datname = current_database() AND :holder = ANY(pg_blocking_pids(pid))"
)


async def wait_behind(
    db: Database, holder: AsyncSession, task: asyncio.Task[Any], timeout: float = 30.0
) -> None:
    """Return once ``task`` is done or a connection waits for a lock that ``holder``'s
    transaction holds."""
    pid = await holder.scalar(text("SELECT pg_backend_pid()"))
    deadline = time.monotonic() + timeout
    while not task.done():
        async with db.session() as session:
            if await session.scalar(WAITING_FOR, {"holder": pid}):
                return
        if time.monotonic() > deadline:
            raise AssertionError("the competing work neither waited for a lock nor finished")
        await asyncio.sleep(0.01)  # a poll of the condition above, not a wait for timing
