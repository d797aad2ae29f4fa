"""Member presence: online or away while an inbox is open, offline when none is.

Inbox sockets are counted per member (teams/sockets.py: in this process, or across every
process sharing Redis); the first one to open makes the member what they chose (online or
away), the last one to close anywhere makes them offline. Every change is a
``member.presence`` event, so every inbox shows it live. A member coming online picks up the
waiting conversations of their auto-assigning teams.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts.models import Member
from frontdesk.db.base import utcnow
from frontdesk.db.engine import Database
from frontdesk.events.store import record
from frontdesk.teams.sockets import Sockets

Changes = Callable[[], AbstractAsyncContextManager[AsyncSession]]
# A member came online (workspace, member): their teams' queues may move (routing.fill_teams_of).
CameOnline = Callable[[AsyncSession, str, str], Awaitable[None]]
log = logging.getLogger(__name__)


class Presence:
    def __init__(self, db: Database, changes: Changes, came_online: CameOnline, sockets: Sockets):
        self._db = db
        self._changes = changes
        self._came_online = came_online
        self._sockets = sockets

    async def start(self) -> None:
        """At start-up: nobody is online through this process's sockets, none being open."""
        if self._sockets.shared:
            # Other processes may hold sockets: only who is shown present but is not changes.
            await self.sweep()
        else:
            async with self._db.transaction() as session:
                await session.execute(
                    update(Member).where(Member.presence != "offline").values(presence="offline")
                )
        await self._sockets.start(self.sweep)

    async def close(self) -> None:
        await self._sockets.close()

    async def sweep(self) -> None:
        """Make offline whoever is shown present with no socket open any more (a server that
        was killed with their inbox open)."""
        async with self._db.session() as session:
            present = select(Member.id).where(Member.presence != "offline")
            shown = list(await session.scalars(present))
        for member_id in shown:
            if not await self._sockets.any_open(member_id):
                await self.refresh(member_id)

    @asynccontextmanager
    async def connected(self, member_id: str) -> AsyncIterator[None]:
        """Hold while a member's inbox socket is open."""
        first = await self._sockets.opened(member_id)
        try:
            if first:
                await self.refresh(member_id)
            yield
        finally:
            if await self._sockets.closed(member_id):
                try:
                    await self.refresh(member_id)
                except Exception:
                    # Retried once: a member left "online" would keep getting chats.
                    log.warning("presence of %s not updated; retrying", member_id, exc_info=True)
                    await self.refresh(member_id)

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
        connected = await self._sockets.any_open(member.id)
        presence = member.presence_choice if connected else "offline"
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
