"""Where an agent's chunks are found by keyword and by vector: one implementation per database.

Both rank keywords by the same BM25 (title matches weigh 1.5, body matches 1.0) and vectors by
the same cosine, so the hybrid fusion above them (knowledge/search.py) sees the same scores.
SQLite asks FTS5 and keeps each agent's vectors in memory (the snapshot); PostgreSQL reads a
weighted tsvector through its GIN index and searches pgvector's HNSW index, filtered by agent.
The engine's dialect chooses (``chunk_index``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from frontdesk.knowledge.vectors import Snapshot

# Title matches count more than body matches: a heading names what the passage is about.
BM25_WEIGHTS = (1.5, 1.0)


class ChunkIndex(ABC):
    @abstractmethod
    async def keyword(
        self, session: AsyncSession, agent_id: str, terms: Sequence[str], limit: int
    ) -> dict[int, float]:
        """The best chunks holding any of ``terms`` by BM25: positive, higher is better.

        Ask for a generous ``limit``: one ranking pass is cheaper than a second one later for
        the candidates the vector side brings in.
        """

    @abstractmethod
    async def vectors(self, session: AsyncSession, agent_id: str) -> list[tuple[int, bytes]]:
        """What an agent's snapshot keeps in memory: every vector, or none if searched here."""

    @abstractmethod
    async def nearest(
        self,
        session: AsyncSession,
        agent_id: str,
        snapshot: Snapshot,
        query: np.ndarray,
        n: int,
    ) -> dict[int, float]:
        """The ``n`` chunks closest to ``query`` (a normalised vector), with their cosines."""

    @abstractmethod
    async def similarity(
        self,
        session: AsyncSession,
        snapshot: Snapshot,
        query: np.ndarray,
        chunk_ids: Sequence[int],
    ) -> dict[int, float]:
        """The cosine to ``query`` of each of ``chunk_ids`` that has a vector."""


def chunk_index(session: AsyncSession) -> ChunkIndex:
    """The index of the database ``session`` is bound to."""
    return _for_dialect(session.get_bind().dialect.name)


@cache
def _for_dialect(dialect: str) -> ChunkIndex:
    # Imported here: both implementations import this module's base class.
    from frontdesk.knowledge.postgres_index import PostgresIndex
    from frontdesk.knowledge.sqlite_index import SqliteIndex

    indexes: dict[str, type[ChunkIndex]] = {"sqlite": SqliteIndex, "postgresql": PostgresIndex}
    if dialect not in indexes:
        raise RuntimeError(f"no knowledge index for a {dialect} database")
    return indexes[dialect]()
