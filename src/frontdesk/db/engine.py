"""Engine and session factory; SQLite gets WAL, foreign keys and a busy timeout.

PostgreSQL is reached through asyncpg (the ``postgres`` extra), by TCP
(``postgresql+asyncpg://user:password@host/db``) or a Unix socket
(``postgresql+asyncpg://user@/db?host=/run/postgresql``).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from functools import partial
from importlib.util import find_spec
from typing import Any

import aiosqlite
from sqlalchemy import URL, event, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session

log = logging.getLogger(__name__)

_IMMEDIATE = "frontdesk_immediate"
_LOOKUPS = "frontdesk_lookups"
# How long a connection waits for another one's write lock before SQLITE_BUSY.
BUSY_TIMEOUT_MS = 15_000
# The WAL is copied back into the database file this long after a write, at most once in it.
CHECKPOINT_AFTER_S = 1.0

# Work a write transaction does last, before it commits (see Database.before_commit).
BeforeCommit = Callable[[AsyncSession], Awaitable[None]]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own implicit BEGIN is turned off so that _sqlite_begin decides.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # A COMMIT never copies the WAL back into the database file (which waits for the disk):
    # commits run on the event loop's thread, and Database checkpoints on a connection's
    # thread instead, within a second of a write. The last connection to close does it too.
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # A writing transaction takes the write lock up front: a deferred one that read first
    # cannot upgrade once another writer committed (SQLITE_BUSY without waiting).
    options = connection.get_execution_options()
    driver = connection.connection.driver_connection
    assert isinstance(driver, _InlineWhileWriting)
    if options.get(_IMMEDIATE):
        # Free in the common case (this process's writers queue in Database._writer before
        # they get here): taken at once. Held by another program: waited for on the
        # connection's thread, so the server keeps serving meanwhile.
        with driver.at_once():
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as error:
                if not _busy(error):
                    raise
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        return
    if options.get(_LOOKUPS):  # see Database.snapshot: its BEGIN is run inline too
        driver.inline = True
    connection.exec_driver_sql("BEGIN")


def write_lock_options() -> dict[str, bool]:
    """Execution options for a connection whose transactions take SQLite's write lock at
    BEGIN (``BEGIN IMMEDIATE``), as :meth:`Database.transaction_of` does."""
    return {_IMMEDIATE: True}


def _busy(error: OperationalError) -> bool:
    code = getattr(error.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


class ReadOnlySession(Session):
    """The session of Database.snapshot: it refuses to write (it never commits either)."""


def _refuse_write(*_: Any) -> None:
    raise RuntimeError("A read session does not write: open runtime.changes() for that.")


def _refuse_dml(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        _refuse_write()


# Listening on the class, once: listening on each session cost more than its lookups.
event.listen(ReadOnlySession, "before_flush", _refuse_write)
event.listen(ReadOnlySession, "do_orm_execute", _refuse_dml)


class _InlineWhileWriting(aiosqlite.Connection):
    """aiosqlite's connection, except that while ``inline`` is set its statements run at once
    on the calling thread (the event loop's) instead of its own thread.

    Set by a write transaction between taking SQLite's write lock and committing
    (:meth:`Database.transaction_of`). Its statements are short, and every other writer
    waits for all of them: handed to a thread, each one waited for the event loop's next
    turn to return, so on a busy server a transaction of ten statements held the lock for
    ten turns of the loop (seconds per send in the soak). Taking a free lock and COMMIT run
    inline too (a COMMIT only appends to the WAL: see _sqlite_pragmas). Reads (but a
    request's lookups, see Database.snapshot), waiting for the lock while another program
    holds it, and checkpoints still run on the connection's thread."""

    inline = False

    @contextmanager
    def at_once(self) -> Iterator[None]:
        """Statements run on the calling thread and never wait for a lock (no busy timeout):
        one that would gets SQLITE_BUSY at once."""
        connection = self._connection
        assert connection is not None
        connection.execute("PRAGMA busy_timeout=0")
        self.inline = True
        try:
            yield
        finally:
            self.inline = False
            connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    async def rollback(self) -> None:
        # The pool rolls back every connection it gets back, most of them after a COMMIT
        # (or a read's own ROLLBACK): with no transaction open there is nothing to do, and no
        # reason to hand that nothing to the connection's thread and wait for it.
        if self._connection is not None and not self._connection.in_transaction:
            return
        await super().rollback()

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
        self._readers = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=ReadOnlySession
        )
        # SQLite has one writer; waiting here is first-come-first-served, while waiting in
        # SQLite's busy handler means sleeping in growing steps (long tails under load).
        self._writer = asyncio.Lock() if self.dialect == "sqlite" else None
        # Run at the end of every write transaction, in order, inside it (e.g. describing
        # the conversations it changed, once each); wired by the runtime.
        self.before_commit: list[BeforeCommit] = []
        self._checkpoint: asyncio.Task[None] | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def snapshot(self, *, lookups: bool = False) -> AsyncIterator[AsyncSession]:
        """A session that only reads, all of it seeing one moment, as SQLite's read
        transaction does: PostgreSQL's READ COMMITTED would show each commit as it lands
        (REPEATABLE READ).

        ``lookups``: it only reads a few rows by index (a token, an id) or a bounded batch
        (the alert dispatcher's). On SQLite those run on the event loop's thread
        (``_InlineWhileWriting``): each is shorter than the hand-off to the connection's
        thread and back, and a WAL reader never waits for the writer."""
        async with self._readers() as session:
            if self.dialect != "sqlite":
                await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            elif lookups:
                await session.connection(execution_options={_LOOKUPS: True})
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

        On SQLite its statements, COMMIT included, run on the event loop's thread while it
        holds the write lock (``_InlineWhileWriting``), unless ``bulk``: a transaction that
        may write or delete thousands of rows (a source's chunks) runs them on the
        connection's thread, so that sockets and reads are served meanwhile. A checkpoint
        follows within a second, on a connection's thread."""
        inline = None
        try:
            async with self._exclusive(), session.begin():
                connection = await session.connection(execution_options=write_lock_options())
                if self._writer is not None and not bulk:  # SQLite: the write lock is held
                    raw = await connection.get_raw_connection()
                    inline = raw.driver_connection
                    assert isinstance(inline, _InlineWhileWriting)
                    inline.inline = True
                yield
                await self.finish(session)
                # Committed on leaving: COMMIT only appends to the WAL (no checkpoint).
        finally:
            if inline is not None:
                inline.inline = False
        if self._writer is not None:
            self._checkpoint_soon()

    def _checkpoint_soon(self) -> None:
        """Copy the WAL back into the database file a moment after this write, with the
        writes that follow it (see _sqlite_pragmas); one checkpoint waits at a time."""
        if self._checkpoint is None or self._checkpoint.done():
            self._checkpoint = asyncio.get_running_loop().create_task(self._checkpoint_later())

    async def _checkpoint_later(self) -> None:
        await asyncio.sleep(CHECKPOINT_AFTER_S)
        try:
            async with self.engine.connect() as connection:
                raw = await connection.get_raw_connection()
                driver = raw.driver_connection
                assert isinstance(driver, _InlineWhileWriting)
                # On the connection's thread; PASSIVE: readers and the writer never wait.
                # Its row is read and its cursor closed: a statement left unfinished would
                # stop the next transaction on this connection from committing.
                async with driver.execute("PRAGMA wal_checkpoint(PASSIVE)") as cursor:
                    await cursor.fetchall()
        except Exception:  # the next write tries again; the data is safe in the WAL
            log.warning("SQLite checkpoint failed", exc_info=True)

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
        checkpoint = self._checkpoint
        if checkpoint is not None and checkpoint.get_loop() is asyncio.get_running_loop():
            checkpoint.cancel()  # closing the last connection checkpoints anyway
            with suppress(asyncio.CancelledError):
                await checkpoint
        await self.engine.dispose()
