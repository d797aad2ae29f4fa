"""Run Alembic migrations programmatically on the application's own engine."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from frontdesk.db.engine import Database, write_lock_options

MIGRATIONS = Path(__file__).parent / "migrations"
# PostgreSQL advisory lock key held while migrating: several processes starting at once on a
# new database take turns, and the ones after the first find it at head.
_MIGRATION_LOCK = 0x46_44_4D_47  # "FDMG"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
    command.upgrade(alembic_config(connection), "head")


async def upgrade(db: Database) -> None:
    """Bring the schema to the newest revision (safe to call on every start, by several
    processes at once: one migrates while the others wait, then finds nothing to do).

    The whole upgrade is one transaction that holds the database's write lock (SQLite) or
    an advisory lock (PostgreSQL) from its first statement."""
    async with db.engine.connect() as connection:
        connection = await connection.execution_options(**write_lock_options())
        async with connection.begin():
            await connection.run_sync(_upgrade)


def head_revision() -> str:
    """The newest revision this code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def current_revision(db: Database) -> str | None:
    """The revision the database is at (None: never migrated)."""
    async with db.engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
