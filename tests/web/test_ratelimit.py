"""The sliding window in memory and in Redis: the limit, the wait, refunds and resets; with
Redis unreachable the attempt goes through rather than every visitor being refused."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from frontdesk.errors import TooManyRequests
from frontdesk.events.redis_broker import connect
from frontdesk.web.ratelimit import MemoryWindow, RateLimiter, RedisWindow, Window
from redis_server import RedisServer


@pytest.fixture(params=["memory", "redis"])
async def window(request: pytest.FixtureRequest) -> AsyncIterator[Window]:
    if request.param == "memory":
        yield MemoryWindow()
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    client = connect(server.url)
    yield RedisWindow(client, "tests")
    await client.aclose()


async def test_the_limit_the_wait_refunds_and_resets(window: Window) -> None:
    limiter = RateLimiter(window, 3, 60, "messages from this visitor")
    for _ in range(3):
        await limiter.hit("cv_1")
    with pytest.raises(TooManyRequests) as refused:
        await limiter.hit("cv_1")
    assert refused.value.retry_after_s is not None and 59 <= refused.value.retry_after_s <= 61
    await limiter.hit("cv_2")  # each key has its own budget
    await limiter.refund("cv_1")
    await limiter.hit("cv_1")  # the refunded attempt is free again
    with pytest.raises(TooManyRequests):
        await limiter.hit("cv_1")
    await limiter.reset("cv_1")
    await limiter.hit("cv_1")


async def test_two_limiters_on_one_redis_share_the_budget(redis_server: RedisServer) -> None:
    one, other = connect(redis_server.url), connect(redis_server.url)
    try:
        first = RateLimiter(RedisWindow(one, "shared"), 2, 60, "attempts")
        second = RateLimiter(RedisWindow(other, "shared"), 2, 60, "attempts")
        await first.hit("10.0.0.1")
        await second.hit("10.0.0.1")
        for limiter in (first, second):
            with pytest.raises(TooManyRequests):
                await limiter.hit("10.0.0.1")
    finally:
        await one.aclose()
        await other.aclose()


async def test_redis_unreachable_lets_attempts_through(own_redis_server: RedisServer) -> None:
    client = connect(own_redis_server.url)
    limiter = RateLimiter(RedisWindow(client, "down"), 1, 60, "attempts")
    try:
        await limiter.hit("k")
        with pytest.raises(TooManyRequests):
            await limiter.hit("k")
        own_redis_server.kill()
        await limiter.hit("k")
        await limiter.hit("k")
    finally:
        await client.aclose()
