"""The Redis broker between two processes' brokers: what one publishes reaches the other's
subscribers once, in order; when Redis goes away and comes back, every subscription resumes."""

from __future__ import annotations

import asyncio

from frontdesk.events.broker import ALL_EVENTS, Subscription
from frontdesk.events.redis_broker import RedisBroker, decode, encode
from frontdesk.events.types import Event
from redis_server import RedisServer

WAIT_S = 10


def _event(seq: int, conversation_id: str | None = "cv_1", type_: str = "message.created") -> Event:
    return Event(
        type=type_,  # type: ignore[arg-type]
        workspace_id="ws_ridgeline",
        conversation_id=conversation_id,
        data={"n": seq},
        id=seq + 100,
        seq=seq,
    )


async def _next(subscription: Subscription) -> Event | None:
    return await asyncio.wait_for(subscription.get(), WAIT_S)


async def _until(check: object, what: str) -> None:
    async def wait() -> None:
        while not check():  # type: ignore[operator]
            await asyncio.sleep(0.01)

    try:
        await asyncio.wait_for(wait(), WAIT_S)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


def test_an_event_survives_the_trip_through_json() -> None:
    event = _event(7)
    origin, [back] = decode(encode("me", [event]))
    assert origin == "me"
    assert back == event


async def test_events_published_on_one_process_reach_the_other_once_in_order(
    redis_server: RedisServer,
) -> None:
    a, b = RedisBroker(redis_server.url), RedisBroker(redis_server.url)
    await a.start()
    await b.start()
    try:
        assert a.connected and b.connected and await b.healthy()
        with (
            a.subscribe("ws_ridgeline") as on_a,
            b.subscribe("cv_1") as on_b,
            b.subscribe(ALL_EVENTS) as everything_b,
            b.subscribe(ALL_EVENTS, own_only=True) as b_own,
        ):
            await a.publish([_event(1), _event(2)])
            await a.publish([_event(3, conversation_id="cv_2")])
            # The publisher's own subscribers hear it at once, and once (not again from Redis).
            assert [(await _next(on_a)).seq for _ in range(3)] == [1, 2, 3]  # type: ignore[union-attr]
            assert [(await _next(on_b)).seq for _ in range(2)] == [1, 2]  # type: ignore[union-attr]
            heard = [(await _next(everything_b)).seq for _ in range(3)]  # type: ignore[union-attr]
            assert heard == [1, 2, 3]
            await b.publish([_event(4)])
            assert (await _next(on_a)).seq == 4  # type: ignore[union-attr]
            assert (await _next(on_b)).seq == 4  # type: ignore[union-attr]
            # Work done once per event by the process that wrote it hears only its own.
            assert (await _next(b_own)).seq == 4  # type: ignore[union-attr]
            for subscription in (on_a, on_b, b_own):
                subscription.stop()
                assert await _next(subscription) is None  # nothing more was queued
    finally:
        await a.close()
        await b.close()


async def test_after_redis_comes_back_every_subscription_resumes_and_delivery_goes_on(
    own_redis_server: RedisServer,
) -> None:
    a, b = RedisBroker(own_redis_server.url), RedisBroker(own_redis_server.url)
    await a.start()
    await b.start()
    try:
        with (
            b.subscribe("ws_ridgeline") as before,
            b.subscribe(ALL_EVENTS, own_only=True) as own,
        ):
            own_redis_server.kill()
            await _until(lambda: not b.connected, "the listener to notice")
            assert not await b.healthy()
            # Published while Redis is away: kept by A, sent once Redis is back.
            await a.publish([_event(1)])
            own_redis_server.start()
            await _until(lambda: a.connected and b.connected, "both to reconnect")
            # Cut off: whatever Redis dropped meanwhile is read from the log.
            assert await _next(before) is None
            assert not own.overflowed  # its events never travel through Redis
        with b.subscribe("ws_ridgeline") as after:
            await a.publish([_event(2)])
            got = [(await _next(after)).seq]  # type: ignore[union-attr]
            if got == [1]:  # the payload kept while Redis was away can arrive this late
                got.append((await _next(after)).seq)  # type: ignore[union-attr]
            assert got[-1] == 2
    finally:
        await a.close()
        await b.close()
