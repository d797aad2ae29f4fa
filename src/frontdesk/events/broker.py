"""Fan events out to subscribers; backends differ only in how ``publish`` travels."""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import Sequence

from frontdesk.events.types import Event

QUEUE_SIZE = 2000
# The topic that receives every event, whatever its workspace (background dispatchers).
ALL_EVENTS = "*"


class Subscription:
    """One listener's queue; a listener that falls too far behind is cut off and resumes."""

    def __init__(self, broker: Broker, topic: str, size: int = QUEUE_SIZE, own_only: bool = False):
        self._broker = broker
        self.topic = topic
        # Hears only what this process publishes (work that one process does per event).
        self.own_only = own_only
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(size)
        self.overflowed = False

    def stop(self) -> None:
        """Wake the reader with None, as when it overflowed."""
        self.overflowed = True
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(None)

    def offer(self, event: Event) -> None:
        if self.overflowed:
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            # Nothing queued is dropped: the reader gets every event up to here, then None,
            # and resumes from the last id it saw (the event log has the rest).
            self.overflowed = True

    async def get(self) -> Event | None:
        """The next event, or None once this subscription overflowed and is drained."""
        if self.overflowed and self._queue.empty():
            return None
        return await self._queue.get()

    def close(self) -> None:
        self._broker.unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Broker(ABC):
    """Subscribers listen to a topic: a workspace id (the inbox) or a conversation id (a
    visitor), so each event wakes only the sockets it concerns; ``ALL_EVENTS`` gets all."""

    def __init__(self) -> None:
        self._topics: dict[str, set[Subscription]] = {}
        # Held from commit to publish so this process publishes in commit order.
        self.ordering = asyncio.Lock()

    @abstractmethod
    async def publish(self, events: Sequence[Event]) -> None:
        """Deliver events to every subscriber of every process sharing this broker."""

    async def start(self) -> None:  # noqa: B027 (most brokers have nothing to start)
        """Begin hearing other processes (the server's lifespan; commands only publish)."""

    async def healthy(self) -> bool:
        """Whether events published elsewhere reach this process now (for /readyz)."""
        return True

    def subscribe(self, topic: str, *, own_only: bool = False) -> Subscription:
        subscription = Subscription(self, topic, own_only=own_only)
        self._topics.setdefault(topic, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        listeners = self._topics.get(subscription.topic)
        if listeners is not None:
            listeners.discard(subscription)
            if not listeners:
                del self._topics[subscription.topic]

    def resume_everyone(self) -> None:
        """Cut off every subscription to other processes' events, as when it falls behind:
        each resumes from the log."""
        for listeners in list(self._topics.values()):
            for subscription in list(listeners):
                if not subscription.own_only:
                    subscription.stop()

    def deliver_locally(self, events: Sequence[Event], *, remote: bool = False) -> None:
        """Hand events to this process's subscribers; ``remote``: another process's."""
        for event in events:
            for topic in (event.workspace_id, event.conversation_id, ALL_EVENTS):
                for subscription in list(self._topics.get(topic or "", ())):
                    if not (remote and subscription.own_only):
                        subscription.offer(event)

    async def close(self) -> None:
        self._topics.clear()


class InProcessBroker(Broker):
    """The default: one server process, events go straight to its subscribers."""

    async def publish(self, events: Sequence[Event]) -> None:
        self.deliver_locally(events)
