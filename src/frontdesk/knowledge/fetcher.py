"""One GET for knowledge: every hop through the egress check, the checked address connected to.

Redirects are followed here, one hop at a time, so that each Location is checked like the URL
it came from (a public page must not be able to bounce a fetch onto 127.0.0.1). A refused,
reset or unanswered connection reads the same, so a failed source does not tell open ports
from closed ones. A re-sync sends what the page was last time (its ETag, its Last-Modified) on
every hop, and a 304 comes back as ``Fetched.not_modified`` without a body.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

from frontdesk.errors import InvalidInput, SourceFailed
from frontdesk.knowledge.limits import DEFAULT_LIMITS, Limits
from frontdesk.net.bodies import InvalidRedirect, UnreadableBody, read_capped, stream
from frontdesk.net.egress import DestinationBlocked, Route, route


class SiteUnavailable(SourceFailed):
    """The site did not answer, or answered that it cannot now: worth trying again later."""


USER_AGENT = "Frontdesk/0.1 (+knowledge-sync)"
HEADERS = {"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml,*/*"}
MAX_REDIRECTS = 5
CONCURRENCY = 4  # polite to small business sites, still several times faster than serial
# timeout_s bounds each network wait; this multiple of it bounds a whole download, so a
# server dripping one byte at a time cannot hold a sync forever.
DEADLINE_FACTOR = 4


@dataclass(frozen=True)
class Validators:
    """What the server said a page was when it was last fetched, to ask whether it changed."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        asked = {"If-None-Match": self.etag, "If-Modified-Since": self.last_modified}
        return {name: value for name, value in asked.items() if value}


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    content_type: str
    charset: str | None
    data: bytes
    validators: Validators = Validators()
    not_modified: bool = False  # a 304 to the validators sent: no body, the page is as it was


def new_client(timeout_s: float) -> httpx.AsyncClient:
    # No redirects: each hop is checked by Fetcher. No trust_env: a proxy from the environment
    # would connect somewhere other than the checked address, and .netrc would add credentials.
    return httpx.AsyncClient(follow_redirects=False, trust_env=False, timeout=timeout_s)


class Fetcher:
    """One HTTP client, the hosts the workspace allows, and the limits every request obeys."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        timeout_s: float,
        max_bytes: int,
        allowed_hosts: Sequence[str],
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.client = client
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.allowed_hosts = list(allowed_hosts)
        self.limits = limits  # for the files fetched, as for uploads
        self.limit = asyncio.Semaphore(CONCURRENCY)

    async def fetch(self, url: str, since: Validators | None = None) -> Fetched:
        """GET a URL within the size limit; every failure is a readable SourceFailed.

        ``since``: what the page was last time; a 304 to it is ``not_modified``.
        """
        try:
            async with self.limit, asyncio.timeout(self.timeout_s * DEADLINE_FACTOR):
                return await self._follow(url, since.headers() if since else {})
        except TimeoutError as exc:
            raise SiteUnavailable(self._timed_out(url)) from exc

    async def _follow(self, url: str, conditions: dict[str, str]) -> Fetched:
        hop = url
        for _ in range(MAX_REDIRECTS + 1):
            target = await self._route(url, hop)
            answer = await self._get(hop, target, conditions)
            if isinstance(answer, Fetched):
                return answer
            hop = answer
        raise SourceFailed(f"Could not fetch {url}: more than {MAX_REDIRECTS} redirects.")

    async def _route(self, url: str, hop: str) -> Route:
        """Check one hop; checked again on every fetch, since a name may resolve elsewhere."""
        redirected = hop != url
        try:
            return await route(hop, self.allowed_hosts)
        except DestinationBlocked as exc:
            via = f"{url} redirects to {hop}: " if redirected else ""
            raise SourceFailed(f"blocked: {via}{exc.message}") from None
        except InvalidInput as exc:
            via = f" (redirected to {hop})" if redirected else ""
            raise SourceFailed(f"Could not fetch {url}{via}: {exc.message}") from None

    async def _get(self, hop: str, target: Route, conditions: dict[str, str]) -> Fetched | str:
        """The page at ``hop``, or the URL it redirects to."""
        connected = False
        try:
            async with stream(
                self.client,
                "GET",
                target.url,
                headers={**HEADERS, **conditions, **target.headers},
                extensions=target.extensions,
                timeout=self.timeout_s,
            ) as response:
                connected = True
                return await self._read(hop, response, bool(conditions))
        except (InvalidRedirect, UnreadableBody) as exc:
            raise SourceFailed(f"Could not fetch {hop}: {exc.message}.") from exc
        except httpx.ConnectTimeout as exc:
            raise SiteUnavailable(_unreachable(hop)) from exc
        except httpx.TimeoutException as exc:
            raise SiteUnavailable(self._timed_out(hop)) from exc
        except httpx.TransportError as exc:
            if not connected:  # refused, reset, closed: one text for all (see module doc)
                raise SiteUnavailable(_unreachable(hop)) from exc
            raise SiteUnavailable(f"Could not fetch {hop}: the connection broke off.") from exc
        except httpx.HTTPError as exc:
            raise SourceFailed(f"Could not fetch {hop}: {str(exc) or type(exc).__name__}.") from exc

    async def _read(self, hop: str, response: httpx.Response, conditional: bool) -> Fetched | str:
        if response.has_redirect_location:
            try:
                return urldefrag(urljoin(hop, response.headers["location"].strip())).url
            except ValueError:  # e.g. an unclosed IPv6 bracket that httpx let through
                raise InvalidRedirect(
                    "the server redirects to an address that is not a valid URL"
                ) from None
        validators = Validators(response.headers.get("etag"), response.headers.get("last-modified"))
        if conditional and response.status_code == 304:
            return Fetched(hop, "", None, b"", validators, not_modified=True)
        if response.status_code >= 300:
            phrase = f" {response.reason_phrase}" if response.reason_phrase else ""
            passing = response.status_code >= 500 or response.status_code == 429
            raise (SiteUnavailable if passing else SourceFailed)(
                f"Could not fetch {hop}: HTTP {response.status_code}{phrase}."
            )
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise SourceFailed(self._too_large(hop))
        body = await read_capped(response, self.max_bytes + 1)
        if len(body) > self.max_bytes:
            raise SourceFailed(self._too_large(hop))
        content_type, _, _ = response.headers.get("content-type", "").partition(";")
        return Fetched(
            url=hop,
            content_type=content_type.strip().lower(),
            charset=response.charset_encoding,
            data=body,
            validators=validators,
        )

    def _timed_out(self, url: str) -> str:
        return f"Timed out fetching {url} after {self.timeout_s:g} s."

    def _too_large(self, url: str) -> str:
        return f"{url} is larger than the {_size(self.max_bytes)} limit for one page or file."


def _unreachable(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return (
        f"Could not connect to {host}:{parts.port}."
        if parts.port
        else f"Could not connect to {host}."
    )


def _size(limit: int) -> str:
    return f"{limit / 1024 / 1024:g} MB" if limit >= 1024 * 1024 else f"{limit:,} bytes"
