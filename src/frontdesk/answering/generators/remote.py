"""What a generator that calls a model over the network needs from the workspace.

Its API key is a workspace secret read when an answer is written (never kept on the agent),
and its connections go through the same egress check as actions and webhooks, to the
checked address. Whatever goes wrong on the way (down, slow, refused, a garbled reply) is a
``GeneratorFailed``: the pipeline then answers without the model.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import httpx2

from frontdesk.answering.generators.base import GeneratorFailed
from frontdesk.db.engine import Database
from frontdesk.errors import NotFound
from frontdesk.net.egress import route
from frontdesk.vault.cipher import Cipher
from frontdesk.vault.hosts import allowed_hosts
from frontdesk.vault.service import resolve


@dataclass(frozen=True)
class Access:
    api_key: str
    allowed_hosts: tuple[str, ...]


# The workspace's access for a secret name, read when a generation starts.
AccessLoader = Callable[[str], Awaitable[Access]]


def workspace_access(db: Database, cipher: Callable[[], Cipher], workspace_id: str) -> AccessLoader:
    async def load(secret_name: str) -> Access:
        async with db.session() as session:
            hosts = await allowed_hosts(session, workspace_id)
            try:
                found = await resolve(session, cipher(), workspace_id, [secret_name])
            except NotFound as exc:
                raise GeneratorFailed(exc.message) from None
        return Access(found[secret_name], tuple(hosts))

    return load


class EgressTransport(httpx2.AsyncBaseTransport):
    """Each request's destination is checked, then the checked address is connected to."""

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


def egress_client(allowed: Sequence[str], timeout_s: float) -> httpx2.AsyncClient:
    # No redirects and no environment proxies: the destination checked is the one reached.
    return httpx2.AsyncClient(
        transport=EgressTransport(allowed),
        follow_redirects=False,
        trust_env=False,
        timeout=timeout_s,
    )
