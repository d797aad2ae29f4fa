"""The chunk index on PostgreSQL: BM25 over a weighted tsvector, pgvector's HNSW for vectors.

PostgreSQL ranks text with ``ts_rank``, which knows no term rarity; the keyword side here
computes FTS5's BM25 instead (k1 1.2, b 0.75, the same column weights), over the chunks the
GIN index finds. A query term's document frequency is counted among those chunks: every
chunk holding the term matches the OR-ed query, so the count is exact. Both sides are
per agent, as the rest of the search is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.knowledge.index import BM25_WEIGHTS, ChunkIndex
from frontdesk.knowledge.models import vector_text

if TYPE_CHECKING:
    from frontdesk.knowledge.vectors import Snapshot

TITLE, BODY, K1, B = (f"{value}::float8" for value in (*BM25_WEIGHTS, 1.2, 0.75))

# Each matching chunk's tsvector is cut down to the query's lexemes (setweight marks them D,
# ts_filter keeps D) before it is unnested: a few rows per chunk, not one per word. The same
# cut of the title's part (A) gives the title's share of each term frequency.
_KEYWORD = text(
    f"""
    WITH query AS (
        SELECT websearch_to_tsquery('english', :match) AS q,
               tsvector_to_array(to_tsvector('english', :words)) AS lexemes
    ),
    stats AS (
        SELECT count(*) AS n, coalesce(avg(words), 1)::float8 AS avgdl
        FROM chunks WHERE agent_id = :agent
    ),
    found AS (
        SELECT c.id, c.words,
               ts_filter(setweight(c.search, 'D', query.lexemes), '{{d}}') AS every,
               ts_filter(setweight(ts_filter(c.search, '{{a}}'), 'D', query.lexemes), '{{d}}')
                   AS title
        FROM query, chunks c
        WHERE c.agent_id = :agent AND c.search @@ query.q
    ),
    matched AS (
        SELECT f.id, f.words, e.lexeme,
               {BODY} * cardinality(e.positions)
             + ({TITLE} - {BODY}) * coalesce(cardinality(t.positions), 0) AS tf
        FROM found f
        CROSS JOIN LATERAL unnest(f.every) AS e
        LEFT JOIN LATERAL unnest(f.title) AS t ON t.lexeme = e.lexeme
    ),
    df AS (SELECT lexeme, count(*) AS df FROM matched GROUP BY lexeme)
    SELECT m.id, sum(
        greatest(ln((s.n - d.df + 0.5)::float8 / (d.df + 0.5)), 1e-6)
        * m.tf * ({K1} + 1) / (m.tf + {K1} * (1 - {B} + {B} * m.words / s.avgdl))
    ) AS score
    FROM matched m JOIN df d USING (lexeme) CROSS JOIN stats s
    GROUP BY m.id ORDER BY score DESC LIMIT :limit
    """
)


@asynccontextmanager
async def _settings(session: AsyncSession, **settings: str) -> AsyncIterator[None]:
    """These planner settings for the statements inside, the previous ones again after."""
    names = list(settings)
    params = {f"n{i}": name for i, name in enumerate(names)}
    reads = ", ".join(f"current_setting(:n{i}, true)" for i in range(len(names)))
    previous = (await session.execute(text(f"SELECT {reads}"), params)).one()
    await _set(session, settings)
    try:
        yield
    finally:
        await _set(session, {n: v or "" for n, v in zip(names, previous, strict=True)})


async def _set(session: AsyncSession, settings: dict[str, str]) -> None:
    calls = ", ".join(f"set_config(:n{i}, :v{i}, true)" for i in range(len(settings)))
    values: dict[str, str] = {}
    for i, (name, value) in enumerate(settings.items()):
        values |= {f"n{i}": name, f"v{i}": value}
    await session.execute(text(f"SELECT {calls}"), values)


def nearest_statement(dimension: int) -> TextClause:
    """The ``n`` nearest chunks of an agent, their cosines; ``:query``, ``:agent``, ``:n``.

    The dimension is written into the statement so that it matches the partial HNSW index's
    expression (migration 0011); it also keeps vectors of two models from being compared.
    """
    vector = f"CAST(:query AS vector({dimension}))"
    column = f"embedding::vector({dimension})"
    return text(
        f"WITH nearest AS MATERIALIZED (SELECT id, {column} <#> {vector} AS distance "
        f"FROM chunks WHERE agent_id = :agent AND vector_dims(embedding) = {dimension} "
        f"ORDER BY {column} <#> {vector} LIMIT :n) "
        "SELECT id, -distance FROM nearest"
    )


class PostgresIndex(ChunkIndex):
    """Statements here are planned for their values every time (``plan_cache_mode``): the
    generic plan a prepared statement falls back to after five runs parses the query's words
    again for every row it reads, ten times slower on a small knowledge base."""

    # HNSW explores this many candidates per query at least (pgvector's default is 40; it
    # takes at most 1000).
    ef_search = 100

    async def keyword(
        self, session: AsyncSession, agent_id: str, terms: Sequence[str], limit: int
    ) -> dict[int, float]:
        if not terms:
            return {}
        # The planner counts checking a chunk's tsvector against the query as nearly free and
        # reads the whole table instead of the GIN index once the words match a few per cent
        # of the chunks: three times slower on SciFact.
        async with _settings(session, plan_cache_mode="force_custom_plan", enable_seqscan="off"):
            rows = await session.execute(
                _KEYWORD,
                {
                    # Terms hold letters, digits and inner . , ' only: nothing websearch
                    # reads as an operator but the "or" joining them.
                    "match": " or ".join(terms),
                    "words": " ".join(terms),
                    "agent": agent_id,
                    "limit": limit,
                },
            )
        return {int(cid): float(score) for cid, score in rows}

    async def vectors(self, session: AsyncSession, agent_id: str) -> list[tuple[int, bytes]]:
        return []  # searched in the database

    async def nearest(
        self,
        session: AsyncSession,
        agent_id: str,
        snapshot: Snapshot,
        query: np.ndarray,
        n: int,
    ) -> dict[int, float]:
        hnsw = {
            # Iterative scans read on through the graph until enough of this agent's chunks
            # are found, however many chunks of other agents lie closer.
            "hnsw.iterative_scan": "relaxed_order",
            "hnsw.ef_search": str(min(max(self.ef_search, n), 1000)),
        }
        async with _settings(session, plan_cache_mode="force_custom_plan", **hnsw):
            rows = await session.execute(
                nearest_statement(int(query.shape[0])),
                {"query": vector_text(query), "agent": agent_id, "n": n},
            )
        return {int(cid): float(score) for cid, score in rows}

    async def similarity(
        self,
        session: AsyncSession,
        snapshot: Snapshot,
        query: np.ndarray,
        chunk_ids: Sequence[int],
    ) -> dict[int, float]:
        if not chunk_ids:
            return {}
        dimension = int(query.shape[0])
        rows = await session.execute(
            text(
                f"SELECT id, -(embedding::vector({dimension}) <#> "
                f"CAST(:query AS vector({dimension}))) FROM chunks "
                f"WHERE id = ANY(:ids) AND vector_dims(embedding) = {dimension}"
            ),
            {"query": vector_text(query), "ids": list(chunk_ids)},
        )
        return {int(cid): float(score) for cid, score in rows}
