"""In-memory per-agent snapshots (term statistics, and the vector matrix where the database
keeps no vector index), reloaded on change."""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.knowledge import repository
from frontdesk.knowledge.index import chunk_index
from frontdesk.knowledge.text import stems


@dataclass
class VectorMatrix:
    ids: np.ndarray
    matrix: np.ndarray
    position: dict[int, int]

    @classmethod
    def build(cls, rows: list[tuple[int, bytes]]) -> VectorMatrix:
        """The matrix of ``rows`` (one or more, of one length; see ChunkVectors)."""
        ids = np.array([cid for cid, _ in rows], dtype=np.int64)
        matrix = np.vstack([np.frombuffer(blob, dtype=np.float32) for _, blob in rows])
        return cls(ids, matrix, {int(cid): i for i, cid in enumerate(ids)})

    def top(self, query: np.ndarray, n: int) -> dict[int, float]:
        scores = self.matrix @ query.astype(np.float32)
        n = min(n, len(scores))
        best = np.argpartition(-scores, n - 1)[:n]
        return {int(self.ids[i]): float(scores[i]) for i in best}

    def scores_for(self, query: np.ndarray, chunk_ids: list[int]) -> dict[int, float]:
        rows = [self.position[cid] for cid in chunk_ids if cid in self.position]
        if not rows:
            return {}
        scores = self.matrix[rows] @ query.astype(np.float32)
        return {int(self.ids[r]): float(s) for r, s in zip(rows, scores, strict=True)}


@dataclass
class ChunkVectors:
    """An agent's chunk vectors by their length (none where the database searches vectors
    itself).

    A question is compared with the vectors of its own length only, as PostgreSQL's search
    does (postgres_index.nearest_statement): after the operator switches to a model of
    another size, chunks embedded by the one before are found by their words alone until a
    sync embeds them again, instead of every question failing.
    """

    by_dimension: dict[int, VectorMatrix]

    @classmethod
    def build(cls, rows: list[tuple[int, bytes]]) -> ChunkVectors:
        groups: dict[int, list[tuple[int, bytes]]] = {}
        for cid, blob in rows:
            groups.setdefault(len(blob) // 4, []).append((cid, blob))
        return cls({dimension: VectorMatrix.build(group) for dimension, group in groups.items()})

    def of(self, query: np.ndarray) -> VectorMatrix | None:
        return self.by_dimension.get(int(query.shape[-1]))

    def top(self, query: np.ndarray, n: int) -> dict[int, float]:
        matrix = self.of(query)
        return matrix.top(query, n) if matrix else {}

    def scores_for(self, query: np.ndarray, chunk_ids: list[int]) -> dict[int, float]:
        matrix = self.of(query)
        return matrix.scores_for(query, chunk_ids) if matrix else {}


MIN_CHUNKS_FOR_IDF = 20


@dataclass
class TermStats:
    """Document frequencies of stems over one agent's chunks (title and text)."""

    chunks: int
    df: Counter[str]

    @classmethod
    def build(cls, texts: list[str]) -> TermStats:
        df: Counter[str] = Counter()
        for text in texts:
            df.update(set(stems(text)))
        return cls(len(texts), df)

    def idf(self, stem: str) -> float:
        """How rare the stem is; every stem weighs the same in a knowledge base too small to
        tell rare words from common ones (in one Q&A pair, each of its words is "common")."""
        if self.chunks < MIN_CHUNKS_FOR_IDF:
            return 1.0
        return math.log((self.chunks + 1) / (self.df.get(stem, 0) + 0.5))


def weighted_share(wanted: set[str], present: set[str], terms: TermStats | None) -> float:
    """The share of ``wanted`` stems found in ``present``, IDF-weighted when ``terms`` is known."""
    if not wanted:
        return 0.0
    if terms is None:
        return len(wanted & present) / len(wanted)
    total = sum(terms.idf(s) for s in wanted)
    return sum(terms.idf(s) for s in wanted & present) / total if total > 0 else 0.0


@dataclass
class Snapshot:
    vectors: ChunkVectors
    terms: TermStats


class VectorCache:
    """Keyed by agent; a cheap (count, max id, last sync) signature tells when to reload.

    The signature comes from the database, so several server processes sharing one
    database each notice a re-sync without any message between them.
    """

    def __init__(self) -> None:
        self._snapshots: dict[str, tuple[tuple[int, int, str], Snapshot]] = {}
        self._lock = asyncio.Lock()

    async def snapshot(self, session: AsyncSession, agent_id: str) -> Snapshot:
        signature = await repository.vector_signature(session, agent_id)
        cached = self._snapshots.get(agent_id)
        if cached and cached[0] == signature:
            return cached[1]
        async with self._lock:
            cached = self._snapshots.get(agent_id)
            if cached and cached[0] == signature:
                return cached[1]
            rows = await chunk_index(session).vectors(session, agent_id)
            texts = await repository.chunk_texts(session, agent_id)
            snapshot = Snapshot(
                ChunkVectors.build(rows), await asyncio.to_thread(TermStats.build, texts)
            )
            self._snapshots[agent_id] = (signature, snapshot)
            return snapshot
