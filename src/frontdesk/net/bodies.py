"""Response bodies read within a limit, however the server compressed them.

httpx inflates each network chunk whole, every layer of a stacked ``Content-Encoding`` too,
before a caller can count a byte: a 1 KB answer sent as ``gzip, gzip`` becomes gigabytes on
the event loop. So outbound requests ask for an uncompressed body, read the raw bytes, and
inflate at most one gzip or deflate layer here, in steps, never past the caller's limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from frontdesk.errors import FrontdeskError

# Inflated per step: the event loop gets a turn between steps however dense the input.
STEP = 64 * 1024
GZIP = ("gzip", "x-gzip")
NAME_CHARS = 60


class UnreadableBody(FrontdeskError):
    """The server compressed its answer in a way that is not read (unknown, stacked, corrupt)."""

    status = 502
    code = "unreadable_body"


class InvalidRedirect(FrontdeskError):
    """The answer's Location is no URL: httpx fails on it even when redirects are not followed."""

    status = 502
    code = "invalid_redirect"


@contextlib.asynccontextmanager
async def stream(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    **options: Any,
) -> AsyncIterator[httpx.Response]:
    """``client.stream`` asking for an uncompressed body (unless ``headers`` say otherwise)."""
    wanted = httpx.Headers({"Accept-Encoding": "identity"})
    wanted.update(headers)  # case-insensitive: a caller's own Accept-Encoding wins
    try:
        async with client.stream(method, url, headers=wanted, **options) as response:
            yield response
    except (httpx.InvalidURL, httpx.RemoteProtocolError) as exc:
        # httpx builds the next request from a 3xx's Location even when not following it.
        if isinstance(exc, httpx.RemoteProtocolError) and "location header" not in str(exc):
            raise
        raise InvalidRedirect("the server redirects to an address that is not a valid URL") from exc


async def read_capped(response: httpx.Response, limit: int) -> bytes:
    """The decoded body, stopping at ``limit`` bytes (ask for one more to learn if it is longer)."""
    inflater = _Inflater.for_encoding(response.headers.get_list("content-encoding", True))
    body = bytearray()
    async for raw in response.aiter_raw():
        if inflater is None:
            body += raw[: limit - len(body)]
        elif raw:
            await inflater.feed(raw, body, limit)
        if len(body) >= limit:
            break
    return bytes(body)


class _Inflater:
    """One layer of gzip or deflate, inflated into a buffer no further than a limit."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        gzip = encoding in GZIP
        self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16 if gzip else zlib.MAX_WBITS)
        self._first = not gzip  # "deflate" may come without its zlib wrapper

    @classmethod
    def for_encoding(cls, encodings: list[str]) -> _Inflater | None:
        layers = [e.strip().lower() for e in encodings if e.strip().lower() not in ("", "identity")]
        if not layers:
            return None
        if len(layers) == 1 and (layers[0] in GZIP or layers[0] == "deflate"):
            return cls(layers[0])
        named = ", ".join(layers)
        named = "".join(c if c.isprintable() else "?" for c in named[:NAME_CHARS])
        more = " (more than one layer)" if len(layers) > 1 else ""
        raise UnreadableBody(
            f"the server sent a compressed body in an encoding Frontdesk does not read: "
            f"{named}{more}"
        )

    async def feed(self, data: bytes, body: bytearray, limit: int) -> None:
        while len(body) < limit:
            want = min(STEP, limit - len(body))
            piece = self._inflate(data, want)
            body += piece
            data = self._zlib.unconsumed_tail
            # Short of what was asked with no input left: nothing is pending in zlib either.
            if not data and len(piece) < want:
                return
            await asyncio.sleep(0)

    def _inflate(self, data: bytes, want: int) -> bytes:
        first, self._first = self._first, False
        try:
            return self._zlib.decompress(data, want)
        except zlib.error:
            if first:  # some servers send "deflate" raw, as httpx also accepts
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                return self._inflate(data, want)
            raise UnreadableBody(
                f"the server sent a {self.encoding} body that does not decompress"
            ) from None
