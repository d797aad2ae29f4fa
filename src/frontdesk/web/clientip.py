"""The client's address: the socket's peer, or what a trusted reverse proxy says it is.

uvicorn runs with proxy_headers=False (``frontdesk serve`` and the test server alike), so this
middleware is the only place X-Forwarded-For and X-Forwarded-Proto are honoured, and only
from the addresses in FRONTDESK_TRUSTED_PROXIES. Otherwise anyone could name any address
and slip past the per-address budgets.
"""

from __future__ import annotations

import logging

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

log = logging.getLogger(__name__)


def client_ip(connection: HTTPConnection) -> str:
    """The address budgets and limits are kept per (already resolved by ClientAddress)."""
    client = connection.client
    return client.host if client and client.host else "unknown"


class ClientAddress:
    """Rewrites the client (and scheme) from proxy headers sent by a trusted proxy only."""

    def __init__(self, app: ASGIApp, trusted_proxies: list[str]):
        self.app = app
        # uvicorn types ASGI more narrowly than Starlette; the calls are the same protocol.
        self.proxied = (
            ProxyHeadersMiddleware(app, trusted_hosts=trusted_proxies)  # type: ignore[arg-type]
            if trusted_proxies
            else None
        )
        self.warned = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.proxied is not None:
            await self.proxied(scope, receive, send)  # type: ignore[arg-type]
            return
        if not self.warned and _forwarded(scope):
            # Behind a proxy that is not configured, every client shares the proxy's address.
            self.warned = True
            log.warning(
                "ignoring X-Forwarded-For: FRONTDESK_TRUSTED_PROXIES is empty; set it "
                "to your reverse proxy's address if Frontdesk runs behind one"
            )
        await self.app(scope, receive, send)


def _forwarded(scope: Scope) -> bool:
    if scope["type"] not in ("http", "websocket"):
        return False
    return any(name == b"x-forwarded-for" for name, _ in scope["headers"])
