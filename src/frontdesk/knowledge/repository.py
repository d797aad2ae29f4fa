"""SQL for the knowledge domain: sources, chunks, embedding cache (searches: knowledge/index.py)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts.models import Workspace
from frontdesk.knowledge.hits import Hit
from frontdesk.knowledge.models import Chunk, EmbeddingCache, Source


async def vector_signature(session: AsyncSession, agent_id: str) -> tuple[int, int]:
    row = (
        await session.execute(
            select(func.count(Chunk.id), func.coalesce(func.max(Chunk.id), 0)).where(
                Chunk.agent_id == agent_id
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def chunk_texts(session: AsyncSession, agent_id: str) -> list[str]:
    rows = await session.execute(
        select(Chunk.title, Chunk.text).where(Chunk.agent_id == agent_id).order_by(Chunk.id)
    )
    return [f"{title} {body}" for title, body in rows]


async def chunks_by_id(session: AsyncSession, chunk_ids: Sequence[int]) -> dict[int, Hit]:
    rows = await session.execute(
        select(
            Chunk.id,
            Chunk.source_id,
            Source.title,
            Chunk.title,
            Chunk.location,
            Chunk.url,
            Chunk.text,
        )
        .join(Source, Source.id == Chunk.source_id)
        .where(Chunk.id.in_(list(chunk_ids)))
    )
    return {
        int(r[0]): Hit(
            chunk_id=int(r[0]),
            source_id=r[1],
            source=r[2],
            title=r[3],
            location=r[4],
            url=r[5],
            text=r[6],
        )
        for r in rows
    }


async def get_source(session: AsyncSession, workspace_id: str, source_id: str) -> Source | None:
    return await session.scalar(
        select(Source).where(Source.id == source_id, Source.workspace_id == workspace_id)
    )


async def find_source(session: AsyncSession, agent_id: str, kind: str, uri: str) -> Source | None:
    return await session.scalar(
        select(Source).where(Source.agent_id == agent_id, Source.kind == kind, Source.uri == uri)
    )


async def list_sources(session: AsyncSession, agent_id: str) -> list[Source]:
    result = await session.scalars(
        select(Source).where(Source.agent_id == agent_id).order_by(Source.created_at, Source.id)
    )
    return list(result)


async def pending_source_ids(session: AsyncSession) -> list[str]:
    result = await session.scalars(
        select(Source.id).where(Source.status.in_(("queued", "processing"))).order_by(Source.id)
    )
    return list(result)


async def source_workspace(session: AsyncSession, source_id: str) -> str | None:
    """The workspace a source belongs to; None once it has been deleted."""
    workspace_id: str | None = await session.scalar(
        select(Source.workspace_id).where(Source.id == source_id)
    )
    return workspace_id


async def replace_chunks(session: AsyncSession, source: Source, chunks: list[Chunk]) -> None:
    """Swap a source's chunks in the caller's transaction, so readers see old or new, never half."""
    await session.execute(delete(Chunk).where(Chunk.source_id == source.id))
    session.add_all(chunks)


async def delete_source(session: AsyncSession, source: Source) -> None:
    await session.execute(delete(Chunk).where(Chunk.source_id == source.id))
    await session.delete(source)


async def count_chunks(session: AsyncSession, source_id: str) -> int:
    return int(
        await session.scalar(select(func.count(Chunk.id)).where(Chunk.source_id == source_id)) or 0
    )


async def cached_vectors(
    session: AsyncSession, model_id: str, hashes: Sequence[str]
) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    unique = list(dict.fromkeys(hashes))
    for start in range(0, len(unique), 500):
        rows = await session.execute(
            select(EmbeddingCache.content_hash, EmbeddingCache.vector).where(
                EmbeddingCache.model_id == model_id,
                EmbeddingCache.content_hash.in_(unique[start : start + 500]),
            )
        )
        found.update({h: v for h, v in rows})
    return found


async def store_vectors(
    session: AsyncSession, model_id: str, vectors_by_hash: dict[str, bytes]
) -> None:
    existing = await cached_vectors(session, model_id, list(vectors_by_hash))
    session.add_all(
        EmbeddingCache(model_id=model_id, content_hash=h, vector=v)
        for h, v in vectors_by_hash.items()
        if h not in existing
    )


async def set_status(
    session: AsyncSession, source_id: str, status: str, error: str | None = None
) -> None:
    await session.execute(
        update(Source).where(Source.id == source_id).values(status=status, error=error)
    )


async def allowed_hosts(session: AsyncSession, workspace_id: str) -> list[str]:
    """The private hosts the workspace lets outbound fetches reach (see net/egress.py)."""
    hosts = await session.scalar(
        select(Workspace.allowed_hosts).where(Workspace.id == workspace_id)
    )
    return list(hosts or [])
