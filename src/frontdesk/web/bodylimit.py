"""Request body limits per route class, enforced while the body streams in.

A declared Content-Length over the limit is refused before a byte of the body is read. A
body without one (chunked) is counted as the app reads it; the moment the count passes the
limit the client gets a 413 with ``Connection: close`` and the app is told the client left,
so no more than the limit is ever buffered. WebSocket messages are bounded by uvicorn
(``ws_max_size``, set from ``ws_max_message_kb`` in cli/serve.py), not here.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk.errors import FrontdeskError, PayloadTooLarge, RequestTimeout
from frontdesk.settings import Settings

KB = 1024
MB = 1024 * KB
# Multipart framing (boundaries, part headers) on top of the files themselves.
UPLOAD_OVERHEAD = MB
# A visitor message of max_message_chars characters, 4 UTF-8 bytes each, plus its JSON.
MESSAGE_OVERHEAD = 4 * KB

_UPLOAD = re.compile(r"/api/v1/agents/[^/]+/sources/files/?")
_QA = re.compile(r"/api/v1/agents/[^/]+/sources/qa/?")
_PUBLIC = ("/api/v1/widget/", "/api/v1/auth/")


@dataclass(frozen=True)
class BodyLimits:
    """Largest body in bytes for each route class."""

    public: int  # the widget API and sign-in: anyone on the internet may call them
    api: int  # every other route
    qa: int  # Q&A sources: a document in all but form, so the upload limit of one file
    upload: int  # multipart file uploads, all files of one request together

    @classmethod
    def from_settings(cls, settings: Settings) -> BodyLimits:
        message = 4 * settings.max_message_chars + MESSAGE_OVERHEAD
        files_mb = settings.max_upload_request_mb or 4 * settings.max_upload_mb
        return cls(
            public=max(settings.max_public_body_kb * KB, message),
            api=settings.max_body_kb * KB,
            qa=max(settings.max_upload_bytes, settings.max_body_kb * KB),
            upload=max(files_mb, settings.max_upload_mb) * MB + UPLOAD_OVERHEAD,
        )

    def for_path(self, path: str) -> tuple[int, str]:
        """The limit for a request to ``path`` and what to call that class in the message."""
        if _UPLOAD.fullmatch(path):
            return self.upload, "file uploads"
        if _QA.fullmatch(path):
            return self.qa, "Q&A sources"
        if path.startswith(_PUBLIC):
            return self.public, "widget and sign-in requests"
        return self.api, "API requests"


def readable_size(size: int) -> str:
    if size >= MB:
        return f"{size / MB:.4g} MB"
    return f"{size / KB:.4g} KB"


class BodyLimit:
    """Refuses a request body over its route class's limit (413) or sent too slowly (408)."""

    def __init__(self, app: ASGIApp, limits: BodyLimits, idle_timeout_s: float = 30.0):
        self.app = app
        self.limits = limits
        # A client trickling its body a byte at a time would hold the request (and whatever
        # the route holds while reading) for hours; each pause is bounded instead.
        self.idle_timeout_s = idle_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, what = self.limits.for_path(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, limit, what)
            return

        received = 0
        refused = False
        started = False
        complete = False

        async def counted_receive() -> Message:
            nonlocal received, refused, complete
            if refused:
                return {"type": "http.disconnect"}
            if complete:  # after the body, receive() only waits for a disconnect
                return await receive()
            try:
                async with asyncio.timeout(self.idle_timeout_s):
                    message = await receive()
            except TimeoutError:
                refused = True
                if not started:
                    await _send_error(send, _too_slow(self.idle_timeout_s))
                return {"type": "http.disconnect"}
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                complete = not message.get("more_body", False)
                if received > limit:
                    refused = True
                    if not started:
                        await _refuse(send, limit, what)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused and not started:
                return  # the app's answer to a body it never got whole; the 413 went out
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            # The app stumbles over the "disconnect" we handed it; the client has its 413.
            if not (refused and not started):
                raise


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # uvicorn refuses a malformed length before we get here
    return None


def _too_slow(idle_timeout_s: float) -> RequestTimeout:
    return RequestTimeout(
        f"The request body stalled for more than {idle_timeout_s:g} s; send it again."
    )


async def _refuse(send: Send, limit: int, what: str) -> None:
    await _send_error(
        send,
        PayloadTooLarge(
            f"The request body is larger than the {readable_size(limit)} limit for {what}."
        ),
    )


async def _send_error(send: Send, error: FrontdeskError) -> None:
    body = json.dumps(error.as_dict()).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is never read: the connection cannot carry another request.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
