"""The event log: rows written in the same transaction as the change, replayed on resume.

Each workspace's events form one stream numbered by ``seq``: every new event gets the number
after the last one, in the transaction that writes it, from the workspace's row in
``event_counters``. On PostgreSQL that row stays locked until the transaction ends, so the
next writer of the workspace takes its number only once this one has committed (or rolled
back, giving its numbers back); on SQLite there is one writer anyway. The numbers that are
committed are therefore always 1..n with no hole, whichever process wrote them: a reader that
saw ``seq`` n has seen every event before it and later finds exactly the ones after it.

The row ``id`` is unique across workspaces but not in commit order on PostgreSQL (id 1 can
commit after id 2): never resume from it. Rows from before migration 0012 kept their id as
their ``seq``, so resume points handed out before the upgrade stay valid.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db.base import Base, UtcDateTime, dialect_insert, table, utcnow
from frontdesk.db.engine import Database
from frontdesk.db.locks import locks_rows
from frontdesk.events.broker import Broker
from frontdesk.events.types import Event, EventType

_PENDING = "frontdesk.pending_events"


class EventRecord(Base):
    __tablename__ = "events"
    __table_args__ = (
        # Also serves lookups by workspace (and the cascade when one is deleted).
        Index("ix_events_workspace_id_seq", "workspace_id", "seq", unique=True),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    conversation_id: Mapped[str | None] = mapped_column(String(40), index=True)
    type: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    def event(self) -> Event:
        return Event(
            type=cast(EventType, self.type),
            workspace_id=self.workspace_id,
            conversation_id=self.conversation_id,
            data=self.data,
            id=self.id,
            seq=self.seq,
            created_at=self.created_at,
        )


class EventCounter(Base):
    """The last ``seq`` given out in a workspace's stream; locked by the transaction that
    takes a number until it ends."""

    __tablename__ = "event_counters"

    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    last_seq: Mapped[int] = mapped_column(Integer)


_INSERT_EVENTS = insert(table(EventRecord)).returning(
    table(EventRecord).c.id, sort_by_parameter_order=True
)


@lru_cache(maxsize=2)
def _taking(dialect: str) -> Any:
    """The statement that takes numbers from a workspace's stream, built once per dialect
    (the workspace and the count are bound at each call: no statement is built per event)."""
    counters = table(EventCounter)
    upsert = dialect_insert(dialect)(counters).values(
        workspace_id=bindparam("workspace_id"), last_seq=bindparam("count")
    )
    upsert = upsert.on_conflict_do_update(
        index_elements=[counters.c.workspace_id],
        set_={"last_seq": counters.c.last_seq + upsert.excluded.last_seq},
    )
    return upsert.returning(counters.c.last_seq)


async def _take(session: AsyncSession, workspace_id: str, count: int) -> int:
    """Take the next ``count`` numbers of a workspace's stream; returns the last of them."""
    taking = _taking(session.get_bind().dialect.name)
    return int(await session.scalar(taking, {"workspace_id": workspace_id, "count": count}) or 0)


async def hold(session: AsyncSession, workspace_id: str) -> None:
    """Take the workspace's stream now rather than with the first event: until this
    transaction ends, no other records an event in the workspace (nothing to do on SQLite,
    whose one writer excludes the rest).

    A decision that other writers of the workspace must not make at the same time (who is
    next in round-robin, across every team) holds it, and so takes it before the team it
    reads: the order of db/locks.py."""
    if locks_rows(session):
        await _take(session, workspace_id, 0)


async def record(
    session: AsyncSession,
    type_: EventType,
    workspace_id: str,
    conversation_id: str | None,
    data: dict[str, Any],
) -> Event:
    """Store an event with the current transaction; it is published once that commits."""
    [event] = await record_many(session, [(type_, workspace_id, conversation_id, data)])
    return event


async def record_many(
    session: AsyncSession, items: Sequence[tuple[EventType, str, str | None, dict[str, Any]]]
) -> list[Event]:
    """Store several events (type, workspace, conversation, data) in one statement, in order."""
    counts = Counter(workspace for _, workspace, _, _ in items)
    # One number range per workspace, taken in a fixed order so two transactions writing to
    # the same workspaces cannot wait on each other's counters (a deadlock on PostgreSQL).
    after = {
        workspace: await _take(session, workspace, count) - count
        for workspace, count in sorted(counts.items())
    }
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for type_, workspace, conversation, data in items:
        after[workspace] += 1
        rows.append(
            {
                "workspace_id": workspace,
                "seq": after[workspace],
                "conversation_id": conversation,
                "type": type_,
                "data": data,
                "created_at": now,
            }
        )
    # A Core insert of all of them, in order: the rows are not wanted as entities, and the
    # ORM's flush of them cost more than the statement itself.
    ids = (await session.execute(_INSERT_EVENTS, rows)).scalars().all()
    events = [
        Event(
            type=cast(EventType, row["type"]),
            workspace_id=row["workspace_id"],
            conversation_id=row["conversation_id"],
            data=row["data"],
            id=id_,
            seq=row["seq"],
            created_at=now,
        )
        for row, id_ in zip(rows, ids, strict=True)
    ]
    session.info.setdefault(_PENDING, []).extend(events)
    return events


@asynccontextmanager
async def changes(
    db: Database, broker: Broker, *, bulk: bool = False
) -> AsyncIterator[AsyncSession]:
    """A transaction whose recorded events are published after it commits (never before).

    Commits and publishes happen under one lock, so this process publishes in commit order.
    ``bulk``: see Database.transaction_of.
    """
    async with db.sessions() as session:
        locked = False
        try:
            async with db.transaction_of(session, bulk=bulk):
                yield session
                await db.finish(session)  # what it records is published with the rest
                pending: list[Event] = session.info.pop(_PENDING, [])
                if pending:
                    await broker.ordering.acquire()
                    locked = True
            if pending:
                await broker.publish(pending)
        finally:
            if locked:
                broker.ordering.release()


async def latest_seq(session: AsyncSession, workspace_id: str) -> int:
    """The last committed ``seq`` of the workspace's stream (0 before its first event)."""
    value = await session.scalar(
        select(EventCounter.last_seq).where(EventCounter.workspace_id == workspace_id)
    )
    return int(value or 0)


async def since(
    session: AsyncSession, workspace_id: str, after: int, limit: int
) -> Sequence[Event] | None:
    """The workspace's events after ``seq`` ``after`` in order, or None when more than
    ``limit`` were missed."""
    rows = await session.scalars(
        select(EventRecord)
        .where(EventRecord.workspace_id == workspace_id, EventRecord.seq > after)
        .order_by(EventRecord.seq)
        .limit(limit + 1)
    )
    events = [row.event() for row in rows]
    return None if len(events) > limit else events
