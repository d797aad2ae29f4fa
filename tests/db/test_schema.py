"""The migrations build exactly the schema the models describe, and go back down cleanly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text

from databases import DatabaseUnderTest
from frontdesk.accounts.service import create_workspace
from frontdesk.agents.service import create_agent
from frontdesk.db.engine import Database
from frontdesk.db.migrate import alembic_config
from frontdesk.knowledge.index import chunk_index
from frontdesk.knowledge.models import Chunk, Source
from frontdesk.schema import Base


async def test_migrations_match_the_models(tmp_path: Path, database: DatabaseUnderTest) -> None:
    db = Database(database.blank(tmp_path))
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "head"))
            diff = await connection.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
            )
        # Type affinity and server defaults differ harmlessly on SQLite (and pgvector's type
        # is unknown to reflection); tables, columns, indexes and foreign keys must not.
        assert [d for d in diff if not _harmless(d)] == []
    finally:
        await db.dispose()


async def test_downgrade_to_the_start_and_up_again(
    tmp_path: Path, database: DatabaseUnderTest
) -> None:
    db = Database(database.blank(tmp_path))
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


async def test_chunk_vectors_and_search_survive_the_search_migration_both_ways(
    tmp_path: Path, database: DatabaseUnderTest
) -> None:
    vector = np.linspace(-1, 1, 384, dtype=np.float32)
    db = Database(database.blank(tmp_path))
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "head"))
        async with db.transaction() as session:
            workspace = await create_workspace(session, "Garage")
            agent = await create_agent(session, workspace.id, "Service")
            source = Source(
                workspace_id=workspace.id, agent_id=agent.id, kind="qa", title="Q", uri="q"
            )
            session.add(source)
            await session.flush()
            session.add(
                Chunk(
                    workspace_id=workspace.id,
                    agent_id=agent.id,
                    source_id=source.id,
                    ordinal=0,
                    title="Brakes",
                    text="Squealing brakes are checked for free.",
                    content_hash="h",
                    embedding=vector.tobytes(),
                )
            )
        async with db.engine.begin() as connection:
            await connection.run_sync(
                lambda c: command.downgrade(alembic_config(c), "0016_postgres_search-1")
            )
            stored = (await connection.execute(text("SELECT embedding FROM chunks"))).scalar()
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "head"))
        async with db.session() as session:
            chunk = (await session.scalars(select(Chunk))).one()
            found = await chunk_index(session).keyword(session, agent.id, ["squealing"], 5)
    finally:
        await db.dispose()
    assert bytes(stored) == vector.tobytes()  # a BLOB again below this revision
    assert chunk.embedding == vector.tobytes()
    assert list(found) == [chunk.id]


# Search structures the models do not describe: SQLite's full-text virtual tables, and
# PostgreSQL's generated tsvector and length columns and their indexes (GIN, HNSW, btree).
UNDESCRIBED_TABLES = ("chunks_fts", "message_search", "lead_search")
UNDESCRIBED_COLUMNS = {("chunks", "search"), ("chunks", "words")}
UNDESCRIBED_COLUMNS |= {("messages", "search"), ("conversations", "lead_search")}
UNDESCRIBED_INDEXES = {"ix_chunks_search", "ix_chunks_embedding_hnsw", "ix_chunks_agent_words"}
UNDESCRIBED_INDEXES |= {"ix_messages_search", "ix_conversations_lead_search"}


def _harmless(difference: object) -> bool:
    if isinstance(difference, tuple):
        kind, subject = difference[0], difference[1]
        if kind == "remove_table":
            return str(subject.name).startswith(UNDESCRIBED_TABLES)
        if kind == "remove_column":
            return (difference[2], difference[3].name) in UNDESCRIBED_COLUMNS
        if kind == "remove_index":
            return subject.name in UNDESCRIBED_INDEXES
        return False
    kind = difference[0][0]  # type: ignore[index]
    return kind in ("modify_type", "modify_default", "modify_nullable")
