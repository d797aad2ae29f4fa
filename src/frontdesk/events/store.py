"""The event log: rows written in the same transaction as the change, replayed on resume."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, ForeignKey, Integer, String, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db.base import Base, UtcDateTime, utcnow
from frontdesk.db.engine import Database
from frontdesk.events.broker import Broker
from frontdesk.events.types import Event, EventType

_PENDING = "frontdesk.pending_events"


class EventRecord(Base):
    __tablename__ = "events"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
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
            created_at=self.created_at,
        )


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
    """Store several events (type, workspace, conversation, data) in one flush, in order."""
    rows = [
        EventRecord(workspace_id=workspace, conversation_id=conversation, type=type_, data=data)
        for type_, workspace, conversation, data in items
    ]
    session.add_all(rows)
    await session.flush()
    events = [row.event() for row in rows]
    session.info.setdefault(_PENDING, []).extend(events)
    return events


@asynccontextmanager
async def changes(db: Database, broker: Broker) -> AsyncIterator[AsyncSession]:
    """A transaction whose recorded events are published after it commits (never before).

    Commits and publishes happen under one lock, so subscribers see events in id order.
    """
    async with db.sessions() as session:
        locked = False
        try:
            async with db.transaction_of(session):
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


async def latest_id(session: AsyncSession, workspace_id: str) -> int:
    value = await session.scalar(
        select(func.max(EventRecord.id)).where(EventRecord.workspace_id == workspace_id)
    )
    return int(value or 0)


async def since(
    session: AsyncSession, workspace_id: str, after: int, limit: int
) -> Sequence[Event] | None:
    """Events after ``after`` in order, or None when more than ``limit`` were missed."""
    rows = await session.scalars(
        select(EventRecord)
        .where(EventRecord.workspace_id == workspace_id, EventRecord.id > after)
        .order_by(EventRecord.id)
        .limit(limit + 1)
    )
    events = [row.event() for row in rows]
    return None if len(events) > limit else events
