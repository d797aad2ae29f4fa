"""Fan events out to subscribers; backends differ only in how ``publish`` travels."""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import Sequence

from frontdesk.events.types import Event

QUEUE_SIZE = 2000


class Subscription:
    """One listener's queue; a listener that falls too far behind is cut off and resumes."""

    def __init__(self, broker: Broker, size: int = QUEUE_SIZE):
        self._broker = broker
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
            self.overflowed = True
            self._queue.get_nowait()
            self._queue.put_nowait(None)

    async def get(self) -> Event | None:
        """The next event, or None once this subscription overflowed."""
        return await self._queue.get()

    def close(self) -> None:
        self._broker.unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Broker(ABC):
    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()
        # Held from commit to publish so this process publishes in commit order.
        self.ordering = asyncio.Lock()

    @abstractmethod
    async def publish(self, events: Sequence[Event]) -> None:
        """Deliver events to every subscriber of every process sharing this broker."""

    def subscribe(self) -> Subscription:
        subscription = Subscription(self)
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    def deliver_locally(self, events: Sequence[Event]) -> None:
        for event in events:
            for subscription in list(self._subscriptions):
                subscription.offer(event)

    async def close(self) -> None:
        self._subscriptions.clear()


class InProcessBroker(Broker):
    """The default: one server process, events go straight to its subscribers."""

    async def publish(self, events: Sequence[Event]) -> None:
        self.deliver_locally(events)
