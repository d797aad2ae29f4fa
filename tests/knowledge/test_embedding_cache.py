"""The embedding cache (knowledge/repository.py); tests/db/test_overlapping_writes.py has two
ingestions writing it at once."""

from __future__ import annotations

from app_fixtures import Started
from frontdesk.db.engine import Database
from frontdesk.knowledge import repository

MODEL = "test-model"


async def _store(db: Database, vectors: dict[str, bytes]) -> None:
    async with db.transaction(bulk=True) as session:
        await repository.store_vectors(session, MODEL, vectors)


async def _cached(db: Database, hashes: list[str]) -> dict[str, bytes]:
    async with db.session() as session:
        return await repository.cached_vectors(session, MODEL, hashes)


async def test_storing_vectors_already_cached_keeps_the_first_and_adds_the_rest(
    started: Started,
) -> None:
    db = started.runtime.db
    await _store(db, {"a": b"first"})
    await _store(db, {"a": b"second", "b": b"other"})
    await _store(db, {})
    assert await _cached(db, ["a", "b"]) == {"a": b"first", "b": b"other"}
