"""The chunk index on SQLite: FTS5's BM25 for keywords, each agent's vectors in memory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.knowledge.index import BM25_WEIGHTS, ChunkIndex
from frontdesk.knowledge.models import Chunk

if TYPE_CHECKING:
    from frontdesk.knowledge.vectors import Snapshot


class SqliteIndex(ChunkIndex):
    async def keyword(
        self, session: AsyncSession, agent_id: str, terms: Sequence[str], limit: int
    ) -> dict[int, float]:
        if not terms:
            return {}
        rows = await session.execute(
            text(
                "SELECT c.id, -bm25(chunks_fts, :wt, :wb) AS score FROM chunks_fts "
                "JOIN chunks c ON c.id = chunks_fts.rowid "
                "WHERE chunks_fts MATCH :match AND c.agent_id = :agent "
                "ORDER BY score DESC LIMIT :limit"
            ),
            {
                "match": fts_match(terms),
                "agent": agent_id,
                "limit": limit,
                "wt": BM25_WEIGHTS[0],
                "wb": BM25_WEIGHTS[1],
            },
        )
        return {int(cid): float(score) for cid, score in rows}

    async def vectors(self, session: AsyncSession, agent_id: str) -> list[tuple[int, bytes]]:
        rows = await session.execute(
            select(Chunk.id, Chunk.embedding)
            .where(Chunk.agent_id == agent_id, Chunk.embedding.is_not(None))
            .order_by(Chunk.id)
        )
        return [(int(cid), blob) for cid, blob in rows if blob is not None]

    async def nearest(
        self,
        session: AsyncSession,
        agent_id: str,
        snapshot: Snapshot,
        query: np.ndarray,
        n: int,
    ) -> dict[int, float]:
        return snapshot.vectors.top(query, n)

    async def similarity(
        self,
        session: AsyncSession,
        snapshot: Snapshot,
        query: np.ndarray,
        chunk_ids: Sequence[int],
    ) -> dict[int, float]:
        return snapshot.vectors.scores_for(query, list(chunk_ids))


def fts_match(terms: Sequence[str]) -> str:
    """An FTS5 MATCH expression: every term quoted and OR-ed (bm25 ranks the rest)."""
    return " OR ".join(f'"{term}"' for term in terms)
