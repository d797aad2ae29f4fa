"""SQL for the knowledge domain: sources, chunks, embedding cache (searches: knowledge/index.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from frontdesk.accounts.models import Workspace
from frontdesk.db.base import insert_for
from frontdesk.knowledge.hits import Hit
from frontdesk.knowledge.models import Chunk, EmbeddingCache, Source, SourcePage


@dataclass(frozen=True)
class StoredChunk:
    id: int
    title: str
    location: str
    text: str
    unit_vectors: bytes | None


async def vector_signature(session: AsyncSession, agent_id: str) -> tuple[int, int, str]:
    """What changes when an agent's chunks do: their count, the highest id, the last sync.

    The last sync too: SQLite gives a new row the highest id deleted, so a re-sync that
    replaces the newest chunks by as many others leaves count and highest id as they were.
    """
    row = (
        await session.execute(
            select(func.count(Chunk.id), func.coalesce(func.max(Chunk.id), 0)).where(
                Chunk.agent_id == agent_id
            )
        )
    ).one()
    synced = await session.scalar(
        select(func.max(Source.synced_at)).where(Source.agent_id == agent_id)
    )
    return int(row[0]), int(row[1]), str(synced)


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


PENDING = ("queued", "processing")
WEB_KINDS = ("url", "sitemap", "crawl")


async def lock_pending(session: AsyncSession, workspace_id: str) -> None:
    """Lock the workspace's pending sources (PostgreSQL): its claims then take turns.

    In id order, so two claimants never hold each other's rows. SQLite has nothing to lock:
    its one writer already runs write transactions one at a time.
    """
    await session.execute(
        select(Source.id)
        .where(Source.workspace_id == workspace_id, Source.status.in_(PENDING))
        .order_by(Source.id)
        .with_for_update()
    )


async def source_for_update(session: AsyncSession, source_id: str) -> Source | None:
    return await session.scalar(
        select(Source)
        .where(Source.id == source_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _live(now: datetime) -> ColumnElement[bool]:
    return (Source.status == "processing") & (Source.lease_until > now)


async def workspace_busy(
    session: AsyncSession, workspace_id: str, source_id: str, now: datetime
) -> bool:
    """Whether another source of the workspace is being ingested under a live lease."""
    found = await session.scalar(
        select(Source.id)
        .where(Source.workspace_id == workspace_id, Source.id != source_id, _live(now))
        .limit(1)
    )
    return found is not None


async def renew_lease(session: AsyncSession, source_id: str, claim: str, until: datetime) -> bool:
    result = await session.execute(
        update(Source)
        .where(Source.id == source_id, Source.claim == claim, Source.status == "processing")
        .values(lease_until=until)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def expired_claims(session: AsyncSession, now: datetime) -> list[Source]:
    """Sources whose claimant stopped renewing its lease (it died), locked for the sweeper."""
    result = await session.scalars(
        select(Source)
        .where(
            Source.status == "processing",
            or_(Source.lease_until.is_(None), Source.lease_until <= now),
        )
        .with_for_update(skip_locked=True)
    )
    return list(result)


async def due_sources(
    session: AsyncSession, now: datetime, workspace_id: str | None = None, everything: bool = False
) -> list[Source]:
    """Queued sources whose job is due (a retry's time, or a job presumed lost), oldest first.

    Only in workspaces with nothing being ingested: a busy workspace's next source is sent
    when its current one finishes. ``everything``: whether due or not (jobs held in a
    process that is gone).
    """
    other = aliased(Source)
    busy = select(other.workspace_id).where(other.status == "processing", other.lease_until > now)
    query = select(Source).where(
        Source.status == "queued",
        or_(Source.not_before.is_(None), Source.not_before <= now),
        Source.workspace_id.not_in(busy),
    )
    if not everything:
        query = query.where(or_(Source.lease_until.is_(None), Source.lease_until <= now))
    if workspace_id is not None:
        query = query.where(Source.workspace_id == workspace_id)
    result = await session.scalars(
        query.order_by(Source.created_at, Source.id).with_for_update(skip_locked=True, of=Source)
    )
    return list(result)


async def stale_web_sources(session: AsyncSession, before: datetime) -> list[Source]:
    """Web sources last settled before ``before`` (ready or failed), due a scheduled re-sync."""
    result = await session.scalars(
        select(Source)
        .where(
            Source.kind.in_(WEB_KINDS),
            Source.status.in_(("ready", "failed")),
            Source.updated_at < before,
        )
        .with_for_update(skip_locked=True)
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


async def source_pages(session: AsyncSession, source_id: str) -> list[SourcePage]:
    """The pages of a web source as its last sync stored them, in their order."""
    rows = await session.scalars(
        select(SourcePage).where(SourcePage.source_id == source_id).order_by(SourcePage.id)
    )
    return list(rows)


async def chunk_places(session: AsyncSession, source_id: str) -> list[tuple[int, str | None, int]]:
    """(id, URL, ordinal) of a source's chunks, in order."""
    rows = await session.execute(
        select(Chunk.id, Chunk.url, Chunk.ordinal)
        .where(Chunk.source_id == source_id)
        .order_by(Chunk.ordinal, Chunk.id)
    )
    return [(int(cid), url, int(ordinal)) for cid, url, ordinal in rows]


async def resync_chunks(
    session: AsyncSession,
    source: Source,
    dropped: Sequence[int],
    moved: dict[int, int],
    chunks: list[Chunk],
    pages: list[SourcePage],
) -> None:
    """Change a source's chunks in place and store its pages, in the caller's transaction.

    ``dropped`` chunk ids are deleted, ``moved`` ones get a new ordinal, ``chunks`` are added
    and the other rows are left as they are (their ids stay the same).
    """
    for start in range(0, len(dropped), 500):
        batch = dropped[start : start + 500]
        await session.execute(
            delete(Chunk).where(Chunk.source_id == source.id, Chunk.id.in_(batch))
        )
    if moved:
        await session.execute(
            update(Chunk), [{"id": cid, "ordinal": ordinal} for cid, ordinal in moved.items()]
        )
    await session.execute(delete(SourcePage).where(SourcePage.source_id == source.id))
    for page in pages:
        page.workspace_id = source.workspace_id
        page.source_id = source.id
    session.add_all([*chunks, *pages])


async def delete_source(session: AsyncSession, source: Source) -> None:
    await session.execute(delete(Chunk).where(Chunk.source_id == source.id))
    await session.execute(delete(SourcePage).where(SourcePage.source_id == source.id))
    await session.delete(source)


async def unit_vectors_by_chunk(
    session: AsyncSession, chunk_ids: Sequence[int]
) -> dict[int, bytes | None]:
    """The packed unit vectors of these chunks by chunk id (knowledge/units.py)."""
    rows = await session.execute(
        select(Chunk.id, Chunk.unit_vectors).where(Chunk.id.in_(list(chunk_ids)))
    )
    return {int(chunk_id): blob for chunk_id, blob in rows}


async def source_unit_vectors(session: AsyncSession, source_id: str) -> list[bytes | None]:
    rows = await session.scalars(select(Chunk.unit_vectors).where(Chunk.source_id == source_id))
    return list(rows)


async def stored_chunks(session: AsyncSession, source_id: str, *, every: bool) -> list[StoredChunk]:
    """The source's chunks with their unit vectors: ``every`` one, else those stored before
    unit vectors were."""
    query = select(Chunk.id, Chunk.title, Chunk.location, Chunk.text, Chunk.unit_vectors).where(
        Chunk.source_id == source_id
    )
    if not every:
        query = query.where(Chunk.unit_vectors.is_(None))
    rows = await session.execute(query.order_by(Chunk.id))
    return [
        StoredChunk(int(cid), title, location, body, units)
        for cid, title, location, body, units in rows
    ]


async def set_vectors(session: AsyncSession, vectors: dict[int, tuple[bytes, bytes]]) -> None:
    """A chunk's vector and its units' vectors, by chunk id."""
    for chunk_id, (embedding, units) in vectors.items():
        await session.execute(
            update(Chunk)
            .where(Chunk.id == chunk_id)
            .values(embedding=embedding, unit_vectors=units)
        )


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
    """Cache the vectors of these contents. Two ingestions of the same text at once both
    miss the cache and both store it: the second's rows wait for the first to commit and then
    do nothing (a plain insert failed on the key, and its ingestion with it). The cache is
    keyed by the content's hash, so either vector is the one for that text."""
    if not vectors_by_hash:
        return
    rows = [
        {"model_id": model_id, "content_hash": h, "vector": v} for h, v in vectors_by_hash.items()
    ]
    # Many rows as executemany: SQLAlchemy batches them within each driver's parameter limit.
    await session.execute(insert_for(session, EmbeddingCache).on_conflict_do_nothing(), rows)


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
