"""uvicorn's httptools protocol with a bound on the request line and headers.

httptools parses fast but buffers a header of any size until it ends, so a client could grow
a connection's memory with one endless header. This protocol counts the bytes of reads that
end with a request's head still unfinished, and answers 400 and closes the connection once
they pass the limit (a request whose head ends within the limit is untouched). h11, the
other parser, bounds the head by itself (``h11_max_incomplete_event_size``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class _BoundedHttpTools(HttpToolsProtocol):
    max_head_bytes = 32 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True  # before a request's headers are complete
        self._head_bytes = 0

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


def bounded_httptools(max_head_bytes: int) -> type[asyncio.Protocol]:
    """The httptools protocol class refusing request heads larger than ``max_head_bytes``."""
    return type("BoundedHttpTools", (_BoundedHttpTools,), {"max_head_bytes": max_head_bytes})
