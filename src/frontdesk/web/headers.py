"""Headers every HTTP response carries, whoever produced it: routes, static files, errors."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Browsers must not second-guess a declared type: an uploaded or static file served as text
# must never run as script or render as HTML.
DEFAULTS: Mapping[str, str] = {"X-Content-Type-Options": "nosniff"}


class SecurityHeaders:
    """Adds each default header to every HTTP response that does not set it itself."""

    def __init__(self, app: ASGIApp, headers: Mapping[str, str] = DEFAULTS):
        self.app = app
        self.headers = dict(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    if name not in out:
                        out[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
