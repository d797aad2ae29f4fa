"""Response bodies are read within a limit however they are compressed; bad Locations are named.

A real server on loopback answers with gzip bombs, stacked and unknown encodings; memory is
measured with tracemalloc around the read, so an inflation past the limit would show.
"""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import Mapping

import httpx
import pytest

from encoding_bombs import MB, deflate, gzip_bomb
from frontdesk.net.bodies import STEP, InvalidRedirect, UnreadableBody, read_capped, stream
from receiver import Receiver, Reply

LIMIT = MB


async def read(url: str, limit: int = LIMIT, headers: Mapping[str, str] = {}) -> bytes:
    async with (
        httpx.AsyncClient(trust_env=False) as client,
        stream(client, "GET", url, headers=headers) as response,
    ):
        return await read_capped(response, limit)


async def read_measured(url: str, limit: int = LIMIT) -> tuple[bytes, int]:
    """The body and the most memory allocated at once while fetching it."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        body = await read(url, limit)
        return body, tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def serving(body: bytes, encoding: str = "", status: int = 200, **headers: str) -> Receiver:
    if encoding:
        headers["Content-Encoding"] = encoding
    return Receiver(Reply(status=status, body=body, headers=headers))


async def test_a_gzip_bomb_inflates_no_further_than_the_limit() -> None:
    bomb = gzip_bomb(200 * MB)
    assert len(bomb) < MB
    with serving(bomb, "gzip") as site:
        body, peak = await read_measured(site.url())
    assert body == bytes(LIMIT)
    assert peak < LIMIT + 4 * MB, peak  # the body, its copy and httpx: not 200 MB


async def test_stacked_encodings_are_refused_before_anything_is_inflated() -> None:
    with serving(gzip_bomb(100 * MB, layers=2), "gzip, gzip") as site:
        tracemalloc.start()
        try:
            with pytest.raises(UnreadableBody) as caught:
                await read(site.url())
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert caught.value.message == (
        "the server sent a compressed body in an encoding Frontdesk does not read: "
        "gzip, gzip (more than one layer)"
    )
    assert peak < 4 * MB, peak


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress", "gzip\x01"])
async def test_unknown_encodings_are_refused_by_name(encoding: str) -> None:
    with serving(b"\x1b\x00\x00", encoding) as site, pytest.raises(UnreadableBody) as caught:
        await read(site.url())
    shown = encoding.replace("\x01", "?")
    assert caught.value.message.endswith(f"an encoding Frontdesk does not read: {shown}")


async def test_one_layer_of_gzip_or_deflate_is_read_whole_within_the_limit() -> None:
    text = b"Open 9 to 5, Monday to Saturday. " * 1000
    for encoding, body in (
        ("gzip", gzip_bomb(3 * MB)),
        ("deflate", deflate(text)),
        ("deflate", deflate(text, raw=True)),  # sent without the zlib wrapper
        ("identity", text),
        ("", text),
    ):
        with serving(body, encoding) as site:
            expected = bytes(3 * MB) if encoding == "gzip" else text
            assert await read(site.url(), limit=4 * MB) == expected, encoding


async def test_an_uncompressed_body_stops_at_the_limit() -> None:
    with serving(b"x" * (3 * MB)) as site:
        assert await read(site.url(), limit=1000) == b"x" * 1000


async def test_a_corrupt_gzip_body_is_refused() -> None:
    corrupt = serving(b"\x1f\x8b\x08\x00not gzip at all", "gzip")
    with corrupt as site, pytest.raises(UnreadableBody, match="gzip body that does not decompress"):
        await read(site.url())


async def test_an_uncompressed_body_is_asked_for_unless_the_caller_says_otherwise() -> None:
    with serving(b"{}") as site:
        await read(site.url())
        await read(site.url(), headers={"accept-encoding": "gzip"})
        first, second = site.wait_for(2)
    assert first.headers["accept-encoding"] == "identity"
    assert second.headers["accept-encoding"] == "gzip"


async def test_inflating_gives_the_event_loop_turns() -> None:
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    limit = 16 * MB
    with serving(gzip_bomb(200 * MB), "gzip") as site:
        ticker = asyncio.create_task(tick())
        try:
            body = await read(site.url(), limit=limit)
        finally:
            ticker.cancel()
    assert len(body) == limit
    assert ticks >= limit // STEP // 2, ticks  # a turn per step, not one per network chunk


@pytest.mark.parametrize("location", ["http:foo", "data:text/html,x", "http://[::1"])
async def test_a_location_that_is_no_url_is_an_invalid_redirect(location: str) -> None:
    moved = serving(b"", status=302, Location=location)
    with moved as site, pytest.raises(InvalidRedirect, match="to an address that is not a valid"):
        await read(site.url())
