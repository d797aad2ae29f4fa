"""The embedding cache (knowledge/repository.py), written by ingestions that may overlap."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from app_fixtures import Started
from databases import DatabaseUnderTest
from frontdesk.db.engine import Database
from frontdesk.knowledge import repository

MODEL = "test-model"


async def _store(db: Database, vectors: dict[str, bytes]) -> None:
    async with db.transaction(bulk=True) as session:
        await repository.store_vectors(session, MODEL, vectors)


async def _cached(db: Database, hashes: list[str]) -> dict[str, bytes]:
    async with db.session() as session:
        return await repository.cached_vectors(session, MODEL, hashes)


async def _waiting_on_a_lock(db: Database) -> bool:
    async with db.session() as session:
        waiting = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"
            )
        )
    return bool(waiting)


async def test_storing_vectors_already_cached_keeps_the_first_and_adds_the_rest(
    started: Started,
) -> None:
    db = started.runtime.db
    await _store(db, {"a": b"first"})
    await _store(db, {"a": b"second", "b": b"other"})
    await _store(db, {})
    assert await _cached(db, ["a", "b"]) == {"a": b"first", "b": b"other"}


async def test_two_ingestions_caching_the_same_text_at_once_both_succeed(
    started: Started, database: DatabaseUnderTest
) -> None:
    if database.backend != "postgres":
        pytest.skip("SQLite's writers take the write lock before they read: they never overlap")
    db = started.runtime.db
    async with db.transaction(bulk=True) as first:
        await repository.store_vectors(first, MODEL, {"same": b"first"})
        await first.flush()
        # The second looks up the cache, misses (the first has not committed) and inserts:
        # its row waits on the first's lock until the first commits.
        second = asyncio.create_task(_store(db, {"same": b"second", "new": b"more"}))
        async with asyncio.timeout(30):
            while not await _waiting_on_a_lock(db):
                assert not second.done(), second.exception()
                await asyncio.sleep(0.02)
    async with asyncio.timeout(30):
        await second
    assert await _cached(db, ["same", "new"]) == {"same": b"first", "new": b"more"}
