"""Offers the offline form when a wait for a person runs out (see waiting.py).

There is no timer per conversation to lose: each round reads every pending wait from the
database, acts on the ones due and sleeps until the next one is due. It wakes early when a
conversation starts waiting in this process, and every ``poll_s`` anyway (a handoff in
another process, an agent's wait changed). A restarted server finds the waits where they
stand, including any that ran out while it was down. Each offer re-checks inside its write,
with the conversation's row locked on PostgreSQL, so two servers never offer it twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.agents.models import Agent
from frontdesk.conversations.models import Conversation
from frontdesk.conversations.waiting import offer_offline, pending_waits
from frontdesk.db.base import utcnow
from frontdesk.events.broker import ALL_EVENTS, Broker, Subscription
from frontdesk.events.types import Event
from frontdesk.tasks import BackgroundTasks

log = logging.getLogger(__name__)

POLL_S = 30.0


def started_waiting(event: Event) -> bool:
    if event.type not in ("conversation.updated", "conversation.created"):
        return False
    return (event.data.get("conversation") or {}).get("status") == "waiting"


class WaitWatcher:
    def __init__(
        self,
        reads: Callable[[], AbstractAsyncContextManager[AsyncSession]],
        changes: Callable[[], AbstractAsyncContextManager[AsyncSession]],
        broker: Broker,
        poll_s: float = POLL_S,
    ):
        self._reads = reads
        self._changes = changes
        self.broker = broker
        self.poll_s = poll_s
        self._wake = asyncio.Event()
        self._loops = BackgroundTasks(log)
        self._subscription: Subscription | None = None

    async def start(self) -> None:
        """The server only: CLI commands leave waits alone."""
        self._subscription = self.broker.subscribe(ALL_EVENTS)
        self._loops.spawn(self._listen(), name="waits-listen")
        self._loops.spawn(self._run(), name="waits-watch")

    async def stop(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None
        await self._loops.close()

    async def check(self) -> float:
        """Offer the forms that are due; seconds until the next one is (at most ``poll_s``)."""
        async with self._reads() as session:
            waits = await pending_waits(session)
        now = utcnow()
        later = [(w.due_at - now).total_seconds() for w in waits if w.due_at > now]
        for wait in waits:
            if wait.due_at > now:
                continue
            try:
                await self._offer(wait.conversation_id)
            except Exception:  # one conversation's failure must not hold up the others
                log.exception("offering the offline form in %s failed", wait.conversation_id)
        return min([self.poll_s, *later])

    async def _offer(self, conversation_id: str) -> None:
        async with self._changes() as session:
            conversation = await session.scalar(
                select(Conversation).where(Conversation.id == conversation_id).with_for_update()
            )
            if conversation is None:
                return
            agent = await session.get(Agent, conversation.agent_id)
            if agent is not None:
                await offer_offline(session, agent, conversation, utcnow())

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                delay = await self.check()
            except Exception:
                delay = self.poll_s
                log.exception("checking waits failed; trying again in %ss", delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def _listen(self) -> None:
        while self._subscription is not None:
            event = await self._subscription.get()
            if event is None:  # fell behind: listen afresh, and look now
                self._subscription.close()
                self._subscription = self.broker.subscribe(ALL_EVENTS)
                self._wake.set()
            elif started_waiting(event):
                self._wake.set()
