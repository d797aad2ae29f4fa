"""An HTTP client for code we do not write (an SDK): every request it sends is checked first.

The transport asks egress.route about each request's URL — redirects and retries included,
since each is a request of its own — and connects to the address that was checked. A blocked
destination raises DestinationBlocked before any connection is opened.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import httpx2

from frontdesk.net.egress import route


class CheckedTransport(httpx.AsyncBaseTransport):
    def __init__(self, allowed_hosts: Sequence[str], inner: httpx.AsyncBaseTransport | None = None):
        self.allowed_hosts = list(allowed_hosts)
        # trust_env=False: no proxy from the environment, no credentials from ~/.netrc.
        self.inner = inner or httpx.AsyncHTTPTransport(trust_env=False)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        target = await route(str(request.url), self.allowed_hosts)
        if target.url != str(request.url):
            headers = httpx.Headers(request.headers)
            headers.update(target.headers)
            request = httpx.Request(
                request.method,
                target.url,
                headers=headers,
                stream=request.stream,
                extensions={**request.extensions, **target.extensions},
            )
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def checked_client(allowed_hosts: Sequence[str], timeout_s: float) -> httpx.AsyncClient:
    """A client that reaches only public hosts and the ones the workspace allows."""
    return httpx.AsyncClient(
        transport=CheckedTransport(allowed_hosts),
        timeout=timeout_s,
        follow_redirects=False,
        trust_env=False,
    )


class CheckedTransport2(httpx2.AsyncBaseTransport):
    """The same for httpx2, the httpx fork the Anthropic SDK runs on."""

    def __init__(self, allowed: Sequence[str]):
        self.allowed = list(allowed)
        self._inner = httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        url = str(request.url)
        target = await route(url, self.allowed)
        if target.url != url:
            request.url = httpx2.URL(target.url)
            request.headers.update(target.headers)
            request.extensions = {**request.extensions, **target.extensions}
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def checked_client2(allowed: Sequence[str], timeout_s: float) -> httpx2.AsyncClient:
    # No redirects and no environment proxies: the destination checked is the one reached.
    return httpx2.AsyncClient(
        transport=CheckedTransport2(allowed),
        follow_redirects=False,
        trust_env=False,
        timeout=timeout_s,
    )
