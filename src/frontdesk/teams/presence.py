"""Member presence: online or away while an inbox is open, offline when none is.

Each process counts the inbox sockets of each member; the first one to open makes the member
what they chose (online or away), the last one to close makes them offline. Every change is a
``member.presence`` event, so every inbox shows it live. A member coming online picks up the
waiting conversations of their auto-assigning teams.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts.models import Member
from frontdesk.db.base import utcnow
from frontdesk.db.engine import Database
from frontdesk.events.store import record

Changes = Callable[[], AbstractAsyncContextManager[AsyncSession]]
# A member came online (workspace, member): their teams' queues may move (routing.fill_teams_of).
CameOnline = Callable[[AsyncSession, str, str], Awaitable[None]]
log = logging.getLogger(__name__)


class Presence:
    def __init__(self, db: Database, changes: Changes, came_online: CameOnline):
        self._db = db
        self._changes = changes
        self._came_online = came_online
        self._sockets: Counter[str] = Counter()

    async def reset(self) -> None:
        """At start-up no socket is open in this process: nobody is online through it."""
        async with self._db.transaction() as session:
            await session.execute(
                update(Member).where(Member.presence != "offline").values(presence="offline")
            )

    @asynccontextmanager
    async def connected(self, member_id: str) -> AsyncIterator[None]:
        """Hold while a member's inbox socket is open."""
        self._sockets[member_id] += 1
        try:
            if self._sockets[member_id] == 1:
                await self.refresh(member_id)
            yield
        finally:
            self._sockets[member_id] -= 1
            if self._sockets[member_id] <= 0:
                del self._sockets[member_id]
                try:
                    await self.refresh(member_id)
                except Exception:
                    # Retried once: a member left "online" would keep getting chats.
                    log.warning("presence of %s not updated; retrying", member_id, exc_info=True)
                    await self.refresh(member_id)

    def is_connected(self, member_id: str) -> bool:
        return self._sockets[member_id] > 0

    async def choose(self, member_id: str, choice: str) -> Member:
        async with self._changes() as session:
            member = await session.get(Member, member_id)
            assert member is not None
            member.presence_choice = choice
            await self._apply(session, member)
        return member

    async def refresh(self, member_id: str) -> None:
        async with self._changes() as session:
            member = await session.get(Member, member_id)
            if member is not None:
                await self._apply(session, member)

    async def _apply(self, session: AsyncSession, member: Member) -> None:
        presence = member.presence_choice if self.is_connected(member.id) else "offline"
        if presence == member.presence:
            return
        member.presence = presence
        member.presence_at = utcnow()
        await record(
            session,
            "member.presence",
            member.workspace_id,
            None,
            {"member": {"id": member.id, "name": member.name, "presence": presence}},
        )
        if presence == "online":
            await self._came_online(session, member.workspace_id, member.id)
