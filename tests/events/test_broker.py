"""The in-process broker: who hears an event, and what happens to a listener that falls behind."""

from __future__ import annotations

import asyncio

from frontdesk.events.broker import (
    ALL_EVENTS,
    QUEUE_SIZE,
    REORDER_WAIT_S,
    InProcessBroker,
    Subscription,
)
from frontdesk.events.types import Event

WAIT_S = 5  # a get() that should return at once; a hang would otherwise stall the run


def _event(n: int, conversation_id: str | None = "cv_1") -> Event:
    return Event(
        type="conversation.updated",
        workspace_id="ws_ridgeline",
        conversation_id=conversation_id,
        data={"n": n},
        id=n,
    )


async def _next(subscription: Subscription) -> Event | None:
    return await asyncio.wait_for(subscription.get(), WAIT_S)


async def _nothing_queued(subscription: Subscription) -> bool:
    """Whether the queue is empty: stop() queues the end marker behind anything waiting."""
    subscription.stop()
    return await _next(subscription) is None


async def test_an_event_reaches_its_workspace_its_conversation_and_every_dispatcher() -> None:
    broker = InProcessBroker()
    with (
        broker.subscribe("ws_ridgeline") as inbox,
        broker.subscribe("cv_1") as visitor,
        broker.subscribe("cv_2") as other_visitor,
        broker.subscribe("ws_harbor") as other_inbox,
        broker.subscribe(ALL_EVENTS) as dispatcher,
    ):
        left = broker.subscribe("ws_ridgeline")
        left.close()
        await broker.publish([_event(1), _event(2, conversation_id=None)])

        assert [(await _next(inbox)).id for _ in range(2)] == [1, 2]  # type: ignore[union-attr]
        assert (await _next(visitor)).id == 1  # type: ignore[union-attr]
        assert [(await _next(dispatcher)).id for _ in range(2)] == [1, 2]  # type: ignore[union-attr]
        for subscription in (inbox, visitor, other_visitor, other_inbox, dispatcher, left):
            assert await _nothing_queued(subscription)


async def test_a_listener_that_falls_behind_is_cut_off_and_holds_up_no_one() -> None:
    broker = InProcessBroker()
    total = QUEUE_SIZE + 10
    with broker.subscribe("ws_ridgeline") as slow, broker.subscribe("ws_ridgeline") as keeping_up:
        heard = []
        for n in range(1, total + 1):
            await broker.publish([_event(n)])  # never waits for the slow listener
            heard.append((await _next(keeping_up)).id)  # type: ignore[union-attr]
        assert heard == list(range(1, total + 1))
        assert slow.overflowed

        kept = []
        while (event := await _next(slow)) is not None:
            kept.append(event.id)
        # An unbroken run that stops where the queue was full, then the end: the socket closes
        # and the client resumes from the event store after the last id it saw.
        assert kept == list(range(kept[0], QUEUE_SIZE + 1))
        assert len(kept) >= QUEUE_SIZE - 1

        await broker.publish([_event(total + 1)])
        assert await _nothing_queued(slow)  # nothing is queued once it was cut off
        assert (await _next(keeping_up)).id == total + 1  # type: ignore[union-attr]


async def test_a_listener_cut_off_gets_every_event_before_the_point_it_resumes_from() -> None:
    broker = InProcessBroker()
    with broker.subscribe("ws_ridgeline") as slow:
        await broker.publish([_event(n) for n in range(1, QUEUE_SIZE + 2)])
        kept = []
        while (event := await _next(slow)) is not None:
            kept.append(event.id)
        assert kept == list(range(1, QUEUE_SIZE + 1))


def _logged(seq: int) -> Event:
    """An event of the workspace's stream, numbered as the log numbers it."""
    return Event("message.created", "ws_ridgeline", "cv_1", {"n": seq}, id=seq, seq=seq)


async def test_another_process_s_event_is_handed_on_before_the_later_one_that_overtook_it() -> None:
    broker = InProcessBroker()
    with broker.subscribe("ws_ridgeline") as inbox, broker.subscribe("cv_1") as visitor:
        broker.deliver_locally([_logged(1)])
        # Event 3 is this process's own; event 2, written first elsewhere, is still on its
        # way through Redis. Every socket here gets 2 before 3: none reads the gap.
        broker.deliver_locally([_logged(3)])
        broker.deliver_locally([_logged(2)], remote=True)
        for subscription in (inbox, visitor):
            assert [(await _next(subscription)).seq for _ in range(3)] == [1, 2, 3]  # type: ignore[union-attr]
            assert await _nothing_queued(subscription)


async def test_an_event_whose_predecessor_never_comes_is_handed_on_after_a_short_wait() -> None:
    broker = InProcessBroker()
    with broker.subscribe("ws_ridgeline") as inbox:
        broker.deliver_locally([_logged(1)])
        assert (await _next(inbox)).seq == 1  # type: ignore[union-attr]
        started = asyncio.get_running_loop().time()
        broker.deliver_locally([_logged(3)])  # 2 was never published (its writer died)
        assert (await _next(inbox)).seq == 3  # type: ignore[union-attr]
        waited = asyncio.get_running_loop().time() - started
        # Held for its predecessor, then delivered: the socket reads 2 from the log.
        assert waited >= REORDER_WAIT_S * 0.9
        broker.deliver_locally([_logged(2)], remote=True)  # late after all: handed on too
        broker.deliver_locally([_logged(4)])  # 3 was delivered: 4 is next, at once
        assert [(await _next(inbox)).seq for _ in range(2)] == [2, 4]  # type: ignore[union-attr]
        assert await _nothing_queued(inbox)
    await broker.close()
