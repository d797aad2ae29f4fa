"""The migrations build exactly the schema the models describe, and go back down cleanly."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from frontdesk.db.engine import Database
from frontdesk.db.migrate import alembic_config
from frontdesk.schema import Base


async def test_migrations_match_the_models(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'schema.db'}")
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "head"))
            diff = await connection.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
            )
        # Type affinity and server defaults differ harmlessly on SQLite; tables, columns,
        # indexes and foreign keys must not.
        assert [d for d in diff if not _harmless(d)] == []
    finally:
        await db.dispose()


async def test_downgrade_to_the_start_and_up_again(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'roundtrip.db'}")
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "head"))
            await connection.run_sync(lambda c: command.downgrade(alembic_config(c), "base"))
            left = await connection.run_sync(lambda c: inspect(c).get_table_names())
            assert set(left) <= {"alembic_version"}
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "head"))
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert set(Base.metadata.tables) <= tables
    finally:
        await db.dispose()


_FTS_TABLES = ("chunks_fts", "message_search", "lead_search")


def _harmless(difference: object) -> bool:
    if isinstance(difference, tuple):
        kind, subject = difference[0], difference[1]
        # The SQLite full-text indexes are virtual tables the models do not describe.
        return kind == "remove_table" and subject.name.startswith(_FTS_TABLES)
    kind = difference[0][0]  # type: ignore[index]
    return kind in ("modify_type", "modify_default", "modify_nullable")
