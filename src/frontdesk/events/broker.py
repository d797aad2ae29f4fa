"""Fan events out to subscribers; backends differ only in how ``publish`` travels."""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

from frontdesk.events.types import Event

QUEUE_SIZE = 2000
# The topic that receives every event, whatever its workspace (background dispatchers).
ALL_EVENTS = "*"
# An event of a workspace's stream that arrives before the one ahead of it (written by
# another process, still on its way through Redis) waits this long for it here, so that
# this process's sockets get both in order without each reading the gap from the log. Past
# that it is delivered anyway, and the sockets read what they lack from the log.
REORDER_WAIT_S = 0.05


@dataclass
class _Stream:
    """Where a workspace's stream stands in this process: the ``seq`` expected next and
    the events that came before their turn, with whether each came from another process."""

    expected: int
    held: dict[int, tuple[Event, bool]] = field(default_factory=dict)
    timer: asyncio.TimerHandle | None = None


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
        self._streams: dict[str, _Stream] = {}
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
        # What was missed meanwhile is in the log only: nothing waits for it.
        for workspace_id in list(self._streams):
            self._release(workspace_id)
        self._streams.clear()

    def deliver_locally(self, events: Sequence[Event], *, remote: bool = False) -> None:
        """Hand events to this process's subscribers, each workspace's in ``seq`` order (an
        early one waits up to REORDER_WAIT_S for those before it); ``remote``: another
        process's."""
        for event in events:
            if event.seq is None:  # not in the log (typing): nothing to keep in order
                self._fan_out(event, remote)
                continue
            stream = self._streams.setdefault(event.workspace_id, _Stream(event.seq))
            if event.seq > stream.expected:
                stream.held[event.seq] = (event, remote)
                if stream.timer is None:
                    stream.timer = asyncio.get_running_loop().call_later(
                        REORDER_WAIT_S, self._release, event.workspace_id
                    )
                continue
            self._fan_out(event, remote)  # its turn, or late: sockets drop what they had
            if event.seq == stream.expected:
                stream.expected += 1
                while stream.expected in stream.held:
                    self._fan_out(*stream.held.pop(stream.expected))
                    stream.expected += 1
                if not stream.held and stream.timer is not None:
                    stream.timer.cancel()
                    stream.timer = None

    def _release(self, workspace_id: str) -> None:
        """Deliver what waited for an event that did not come: sockets read it from the log."""
        stream = self._streams.get(workspace_id)
        if stream is None:
            return
        if stream.timer is not None:
            stream.timer.cancel()
            stream.timer = None
        for seq in sorted(stream.held):
            self._fan_out(*stream.held.pop(seq))
            stream.expected = seq + 1

    def _fan_out(self, event: Event, remote: bool) -> None:
        for topic in (event.workspace_id, event.conversation_id, ALL_EVENTS):
            for subscription in list(self._topics.get(topic or "", ())):
                if not (remote and subscription.own_only):
                    subscription.offer(event)

    async def close(self) -> None:
        for stream in self._streams.values():
            if stream.timer is not None:
                stream.timer.cancel()
        self._streams.clear()
        self._topics.clear()


class InProcessBroker(Broker):
    """The default: one server process, events go straight to its subscribers."""

    async def publish(self, events: Sequence[Event]) -> None:
        self.deliver_locally(events)
