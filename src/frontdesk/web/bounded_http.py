"""The request line and headers a client may send: at most max_header_kb, however they come.

Two parts. The parsers bound what they hold of an unfinished head: h11 by itself
(``h11_max_incomplete_event_size``), httptools, which would buffer a header of any size,
through :class:`_BoundedHttpTools`, counting the bytes of reads that end inside a head and
answering 400 and closing past the limit. A head that arrives whole, in one read, is then
judged by :class:`HeadLimit` (431), for either parser.
"""

from __future__ import annotations

import asyncio
import functools
import json
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class _BoundedHttpTools(HttpToolsProtocol):
    max_head_bytes = 32 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True  # before a request's headers are complete
        self._head_bytes = 0  # bytes of reads that ended inside the head

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # Counted after parsing, so a body arriving with its head is not counted: what the
        # parser may hold of an unfinished head is at most the limit plus one read.
        if self._in_head and not self.transport.is_closing():
            self._head_bytes += len(data)
            if self._head_bytes > self.max_head_bytes:
                self._in_head = False
                self.send_400_response("Request line and headers are too large.")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()


_PREFIX = "BoundedHttpTools"


@functools.cache
def bounded_httptools(max_head_bytes: int) -> type[asyncio.Protocol]:
    """The httptools protocol class refusing request heads larger than ``max_head_bytes``.

    One class per limit, named after it and found by that name in this module (see
    ``__getattr__``), so it pickles: `frontdesk serve --workers N` hands it to each process."""
    name = f"{_PREFIX}{max_head_bytes}"
    made = type(name, (_BoundedHttpTools,), {"max_head_bytes": max_head_bytes})
    made.__module__ = __name__
    return made


def __getattr__(name: str) -> Any:
    """``BoundedHttpTools<bytes>``: the class :func:`bounded_httptools` makes for that limit."""
    size = name.removeprefix(_PREFIX)
    if name.startswith(_PREFIX) and size.isdigit():
        return bounded_httptools(int(size))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class HeadLimit:
    """431 for a request whose line and headers exceed the limit; 422 (as for any invalid
    parameter) for a path or query holding a NUL (``%00``), which no text here may hold and
    PostgreSQL cannot even compare. A socket is closed instead (1008)."""

    def __init__(self, app: ASGIApp, max_head_bytes: int):
        self.app = app
        self.max_head_bytes = max_head_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
        elif self._size(scope) > self.max_head_bytes:
            message = "The request line and headers are too large."
            await _refuse(scope, send, 431, "headers_too_large", message)
        elif "\x00" in scope.get("path", "") or b"%00" in (scope.get("query_string") or b""):
            message = "The URL contains a NUL character (%00)."
            await _refuse(scope, send, 422, "invalid", message)
        else:
            await self.app(scope, receive, send)

    @staticmethod
    def _size(scope: Scope) -> int:
        line = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"") + 16
        return line + sum(len(name) + len(value) + 4 for name, value in scope["headers"])


async def _refuse(scope: Scope, send: Send, status: int, code: str, message: str) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
