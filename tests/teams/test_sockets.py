"""Inbox sockets counted across processes in Redis: one process's socket shows in another;
a process that dies without closing its sockets stops counting once its entry expires."""

from __future__ import annotations

import asyncio

from frontdesk.events.redis_broker import connect
from frontdesk.teams.sockets import SharedSockets, Sockets
from redis_server import RedisServer

EXPIRY_S = 0.6


async def test_a_socket_counts_everywhere_until_it_closes_or_its_process_dies(
    redis_server: RedisServer,
) -> None:
    clients = [connect(redis_server.url) for _ in range(3)]
    a, b, killed = (SharedSockets(client, EXPIRY_S) for client in clients)
    swept = asyncio.Event()

    async def sweep() -> None:
        swept.set()

    try:
        assert await a.opened("mb_sam") and not await a.opened("mb_sam")  # first here, then not
        assert await b.any_open("mb_sam")
        assert not await a.closed("mb_sam")  # one of two closed: still open
        assert await a.closed("mb_sam")
        assert not await b.any_open("mb_sam")

        # A process that holds a socket and renews it keeps it counted past the expiry...
        await a.start(sweep)
        await a.opened("mb_sam")
        await killed.opened("mb_ana")  # ...one that stops renewing (killed) does not.
        await asyncio.wait_for(swept.wait(), 5)  # one process sweeps each round
        await asyncio.sleep(EXPIRY_S * 2)
        assert await b.any_open("mb_sam")
        assert not await b.any_open("mb_ana")
        await a.close()
        assert not await b.any_open("mb_sam")  # a process that stops withdraws its sockets
        assert await b.opened("mb_zoe") and await killed.any_open("mb_zoe")  # Redis answers
    finally:
        await a.close()
        for client in clients:
            await client.aclose()


async def test_one_process_counts_alone() -> None:
    sockets = Sockets()
    assert await sockets.opened("mb_sam")
    assert await sockets.any_open("mb_sam")
    assert await sockets.closed("mb_sam")
    assert not await sockets.any_open("mb_sam")
