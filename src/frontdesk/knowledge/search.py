"""Hybrid retrieval: BM25 and dense vectors, fused by normalised-score combination.

Plain reciprocal-rank fusion throws the scores away: a passage that is first by a mile and
one that is first by a hair count the same. Here both retrievers propose candidates, each
candidate gets *both* scores (its exact cosine and its BM25, from the database's chunk index:
knowledge/index.py), scores are normalised per query, and a weighted sum ranks the union.
The best of the union are then re-scored by the re-ranker (knowledge/rerank.py) on exact
names, headings, phrases and the meaning of their single sentences.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import Literal

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.embedder.model import Embedder
from frontdesk.knowledge import repository
from frontdesk.knowledge.hits import Hit
from frontdesk.knowledge.index import ChunkIndex, chunk_index
from frontdesk.knowledge.rerank import Reranker
from frontdesk.knowledge.text import query_terms
from frontdesk.knowledge.units import unpack
from frontdesk.knowledge.vectors import Snapshot, VectorCache

Mode = Literal["hybrid", "lexical", "vector", "rrf"]
RRF_K = 60
LEXICAL_POOL = 1000


class HybridSearcher:
    """Searches one agent's chunks; term statistics (and on SQLite vectors) cached per agent."""

    def __init__(
        self,
        embedder: Callable[[], Embedder],
        *,
        vector_weight: float = 0.5,
        candidates: int = 50,
    ):
        self._embedder = embedder
        self.vector_weight = vector_weight
        self.candidates = candidates
        self.vectors = VectorCache()
        self.reranker = Reranker()

    async def search(
        self,
        session: AsyncSession,
        agent_id: str,
        query: str,
        *,
        k: int = 5,
        mode: Mode = "hybrid",
        query_vector: np.ndarray | None = None,
        snapshot: Snapshot | None = None,
        rerank: bool = True,
    ) -> list[Hit]:
        """The ``k`` best chunks; ``rerank`` (hybrid mode) re-scores the best fused ones."""
        n = max(self.candidates, k)
        all_lexical: dict[int, float] = {}
        lexical: dict[int, float] = {}
        vector: dict[int, float] = {}
        qv = query_vector
        index = chunk_index(session)
        terms = query_terms(query)
        if mode != "vector" and terms:
            all_lexical = await index.keyword(session, agent_id, terms, limit=LEXICAL_POOL)
            lexical = dict(sorted(all_lexical.items(), key=lambda kv: -kv[1])[:n])
        if mode != "lexical":
            snapshot = snapshot or await self.vectors.snapshot(session, agent_id)
            if qv is None:  # off the event loop: live sockets keep flowing meanwhile
                qv = await asyncio.to_thread(self._embedder().embed_query, query)
            vector = await index.nearest(session, agent_id, snapshot, qv, n)
        if mode == "lexical":
            ranked = sorted(lexical.items(), key=lambda kv: -kv[1])
        elif mode == "vector":
            ranked = sorted(vector.items(), key=lambda kv: -kv[1])
        elif mode == "rrf":
            ranked = _rrf(lexical, vector)
        else:
            assert qv is not None and snapshot is not None
            ranked = await self._fuse(session, index, snapshot, all_lexical, lexical, vector, qv)
        rerank = rerank and mode == "hybrid"
        top = ranked[: max(k, self.reranker.depth) if rerank else k]
        if not top:
            return []
        rows = await repository.chunks_by_id(session, [cid for cid, _ in top])
        hits = []
        for cid, score in top:
            row = rows.get(cid)
            if row is None:
                continue
            hits.append(
                replace(
                    row,
                    score=float(score),
                    lexical_score=lexical.get(cid, 0.0),
                    vector_score=vector.get(cid, 0.0),
                )
            )
        if mode == "hybrid" and qv is not None:
            # What the re-ranker reads (every hit when asked for them un-ranked: a fit).
            n = self.reranker.depth if rerank else len(hits)
            hits = await _with_unit_scores(session, hits[:n], qv) + hits[n:]
        if rerank:
            assert snapshot is not None
            hits = self.reranker.rerank(query, hits, snapshot.terms)
        return hits[:k]

    async def _fuse(
        self,
        session: AsyncSession,
        index: ChunkIndex,
        snapshot: Snapshot,
        all_lexical: dict[int, float],
        lexical: dict[int, float],
        vector: dict[int, float],
        query_vector: np.ndarray,
    ) -> list[tuple[int, float]]:
        union = set(lexical) | set(vector)
        if not union:
            return []
        # A candidate absent from the full BM25 list shares no term with the query: 0.
        lexical = {cid: all_lexical.get(cid, 0.0) for cid in union}
        missing_vector = [cid for cid in union if cid not in vector]
        if missing_vector:
            found = await index.similarity(session, snapshot, query_vector, missing_vector)
            vector = {**vector, **found}
        ids = list(union)
        lex = np.array([lexical.get(cid, 0.0) for cid in ids], dtype=np.float64)
        vec = np.array([vector.get(cid, 0.0) for cid in ids], dtype=np.float64)
        fused = self.vector_weight * _minmax(vec) + (1 - self.vector_weight) * _maxnorm(lex)
        order = np.argsort(-fused)
        return [(ids[i], float(fused[i])) for i in order]


async def _with_unit_scores(
    session: AsyncSession, hits: list[Hit], query_vector: np.ndarray
) -> list[Hit]:
    """Each hit with the best cosine between the question and one of its units (the
    vectors stored at ingestion); a chunk without them keeps its own cosine."""
    if not hits:
        return hits
    blobs = await repository.unit_vectors_by_chunk(session, [hit.chunk_id for hit in hits])
    scored = []
    for hit in hits:
        blob = blobs.get(hit.chunk_id)
        units = unpack(blob) if blob else {}
        vectors = [v for v in units.values() if v.shape == query_vector.shape]  # this model's
        best = float(np.max(np.stack(vectors) @ query_vector)) if vectors else hit.vector_score
        scored.append(replace(hit, unit_score=max(best, hit.vector_score), units=units))
    return scored


def _minmax(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-9:
        return np.ones_like(values) if high > 0 else np.zeros_like(values)
    return (values - low) / (high - low)


def _maxnorm(values: np.ndarray) -> np.ndarray:
    # BM25 is zero for a passage with no query term, so zero stays the floor.
    high = float(values.max())
    return values / high if high > 0 else np.zeros_like(values)


def _rrf(lexical: dict[int, float], vector: dict[int, float]) -> list[tuple[int, float]]:
    fused: dict[int, float] = {}
    for scores in (lexical, vector):
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        for rank, (cid, _) in enumerate(ranked, start=1):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(fused.items(), key=lambda kv: -kv[1])
