"""Engine and session factory; SQLite gets WAL, foreign keys and a busy timeout.

PostgreSQL is reached through asyncpg (the ``postgres`` extra), by TCP
(``postgresql+asyncpg://user:password@host/db``) or a Unix socket
(``postgresql+asyncpg://user@/db?host=/run/postgresql``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib.util import find_spec
from typing import Any

from sqlalchemy import URL, event, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

_IMMEDIATE = "frontdesk_immediate"

# Work a write transaction does last, before it commits (see Database.before_commit).
BeforeCommit = Callable[[AsyncSession], Awaitable[None]]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own implicit BEGIN is turned off so that _sqlite_begin decides.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # A writing transaction takes the write lock up front: a deferred one that read first
    # cannot upgrade once another writer committed (SQLITE_BUSY without waiting).
    immediate = connection.get_execution_options().get(_IMMEDIATE)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def async_url(url: str) -> URL:
    """``url`` with the async driver named: ``postgresql://`` (as many tools print it) means
    asyncpg here, SQLAlchemy would pick a synchronous driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed


def create_engine(url: str) -> AsyncEngine:
    parsed = async_url(url)
    if parsed.drivername == "postgresql+asyncpg" and find_spec("asyncpg") is None:
        raise RuntimeError("A PostgreSQL database needs asyncpg: pip install 'frontdesk[postgres]'")
    engine = create_async_engine(parsed, pool_pre_ping=parsed.get_backend_name() != "sqlite")
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


class Database:
    """Owns the engine and hands out sessions; one per application or CLI run."""

    def __init__(self, url: str):
        self.url = url
        self.engine = create_engine(url)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer; waiting here is first-come-first-served, while waiting in
        # SQLite's busy handler means sleeping in growing steps (long tails under load).
        self._writer = asyncio.Lock() if self.dialect == "sqlite" else None
        # Run at the end of every write transaction, in order, inside it (e.g. describing
        # the conversations it changed, once each); wired by the runtime.
        self.before_commit: list[BeforeCommit] = []

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncSession]:
        """A session whose reads all see one moment, as SQLite's read transaction does:
        PostgreSQL's READ COMMITTED would show each commit as it lands (REPEATABLE READ)."""
        async with self.sessions() as session:
            if self.dialect != "sqlite":
                await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session, self.transaction_of(session):
            yield session

    @asynccontextmanager
    async def transaction_of(self, session: AsyncSession) -> AsyncIterator[None]:
        """A write transaction on ``session``: commits on success, rolls back on error."""
        async with self._exclusive(), session.begin():
            await session.connection(execution_options={_IMMEDIATE: True})
            yield
            await self.finish(session)

    async def finish(self, session: AsyncSession) -> None:
        """Run the before-commit work now (again at commit: each step consumes its marks)."""
        for step in self.before_commit:
            await step(session)

    @asynccontextmanager
    async def _exclusive(self) -> AsyncIterator[None]:
        if self._writer is None:
            yield
            return
        async with self._writer:
            yield

    async def dispose(self) -> None:
        await self.engine.dispose()
