"""Engine and session factory; SQLite gets WAL, foreign keys and a busy timeout.

PostgreSQL is reached through asyncpg (the ``postgres`` extra), by TCP
(``postgresql+asyncpg://user:password@host/db``) or a Unix socket
(``postgresql+asyncpg://user@/db?host=/run/postgresql``).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from importlib.util import find_spec
from typing import Any

import aiosqlite
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


class _InlineWhileWriting(aiosqlite.Connection):
    """aiosqlite's connection, except that while ``inline`` is set its statements run at once
    on the calling thread (the event loop's) instead of its own thread.

    Set by a write transaction between taking SQLite's write lock and committing
    (:meth:`Database.transaction_of`). Its statements are short, and every other writer
    waits for all of them: handed to a thread, each one waited for the event loop's next
    turn to return, so on a busy server a transaction of ten statements held the lock for
    ten turns of the loop (seconds per send in the soak). Reads, taking the lock (which may
    wait for another process) and COMMIT (which may checkpoint the WAL to disk) still run
    on the connection's thread."""

    inline = False

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self.inline:
            return await super()._execute(fn, *args, **kwargs)
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


def _connect_sqlite(database: str, **kwargs: Any) -> _InlineWhileWriting:
    # The sqlite3 connection is made on the connection's thread and used on the loop's.
    connection = _InlineWhileWriting(
        partial(sqlite3.connect, database, **{**kwargs, "check_same_thread": False}),
        iter_chunk_size=64,
    )
    connection._thread.daemon = True
    return connection


def _threaded(dbapi_connection: Any, _record: Any) -> None:
    """Back in the pool: the connection's statements run on its thread again."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    if isinstance(driver, _InlineWhileWriting):
        driver.inline = False


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
    sqlite = parsed.get_backend_name() == "sqlite"
    engine = create_async_engine(
        parsed,
        pool_pre_ping=not sqlite,
        connect_args={"async_creator_fn": _connect_sqlite} if sqlite else {},
    )
    if sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        event.listen(engine.sync_engine, "checkin", _threaded)
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
    async def snapshot(self, *, lookups: bool = False) -> AsyncIterator[AsyncSession]:
        """A session whose reads all see one moment, as SQLite's read transaction does:
        PostgreSQL's READ COMMITTED would show each commit as it lands (REPEATABLE READ).

        ``lookups``: it only finds a few rows by index (a token, an id). On SQLite those run
        on the event loop's thread (``_InlineWhileWriting``): each is shorter than the hand-off
        to the connection's thread and back, and a WAL reader never waits for the writer."""
        async with self.sessions() as session:
            if self.dialect != "sqlite":
                await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            elif lookups:
                raw = await (await session.connection()).get_raw_connection()
                driver = raw.driver_connection
                assert isinstance(driver, _InlineWhileWriting)
                driver.inline = True
            yield session

    @asynccontextmanager
    async def transaction(self, *, bulk: bool = False) -> AsyncIterator[AsyncSession]:
        """A write transaction in a session of its own (see :meth:`transaction_of`)."""
        async with self.sessions() as session, self.transaction_of(session, bulk=bulk):
            yield session

    @asynccontextmanager
    async def transaction_of(
        self, session: AsyncSession, *, bulk: bool = False
    ) -> AsyncIterator[None]:
        """A write transaction on ``session``: commits on success, rolls back on error.

        On SQLite its statements run on the event loop's thread while it holds the write
        lock (``_InlineWhileWriting``), unless ``bulk``: a transaction that may write or
        delete thousands of rows (a source's chunks) runs them on the connection's thread,
        so that sockets and reads are served meanwhile."""
        async with self._exclusive(), session.begin():
            connection = await session.connection(execution_options={_IMMEDIATE: True})
            inline = None
            if self._writer is not None and not bulk:  # SQLite: the write lock is held
                raw = await connection.get_raw_connection()
                inline = raw.driver_connection
                assert isinstance(inline, _InlineWhileWriting)
                inline.inline = True
            try:
                yield
                await self.finish(session)
                await session.flush()
            finally:
                if inline is not None:
                    inline.inline = False

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
