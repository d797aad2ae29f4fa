"""One webhook attempt over HTTP, classified: delivered, retry later, or give up."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence

import httpx

from frontdesk import __version__
from frontdesk.alerts.outbox import Outcome
from frontdesk.net.bodies import InvalidRedirect, UnreadableBody, read_capped, stream
from frontdesk.net.egress import DestinationBlocked, route

EXCERPT_BYTES = 1000
LOCATION_CHARS = 500
USER_AGENT = f"Frontdesk-Webhooks/{__version__}"
# A 4xx means the receiver understood and refused; retrying will not change its mind,
# except for these (timeout, conflict, too early, rate limited).
RETRYABLE_4XX = frozenset({408, 409, 425, 429})


def new_client() -> httpx.AsyncClient:
    # No redirects: a 3xx could point at an address the egress check never saw.
    # No environment proxies: the destination checked is the one connected to.
    return httpx.AsyncClient(follow_redirects=False, trust_env=False)


async def _excerpt(response: httpx.Response) -> str:
    try:
        data = await read_capped(response, EXCERPT_BYTES)
    except UnreadableBody as exc:
        # Only the excerpt is lost: the status still says whether the receiver took it.
        return f"({exc.message})"
    return data.decode(errors="replace")


async def post(
    client: httpx.AsyncClient,
    url: str,
    allowed_hosts: Sequence[str],
    headers: Mapping[str, str],
    body: str,
    timeout_s: float,
) -> Outcome:
    started = time.monotonic()

    def took() -> int:
        return round((time.monotonic() - started) * 1000)

    try:
        # The whole attempt, reading included, has one deadline: a receiver that trickles
        # its answer cannot hold a sender for longer.
        async with asyncio.timeout(timeout_s):
            target = await route(url, allowed_hosts)
            request_headers = {
                "content-type": "application/json",
                "user-agent": USER_AGENT,
                **headers,
                **target.headers,
            }
            async with stream(
                client,
                "POST",
                target.url,
                content=body.encode(),
                headers=request_headers,
                timeout=timeout_s,
                extensions=target.extensions,
            ) as response:
                excerpt = await _excerpt(response)
    except DestinationBlocked as exc:
        return Outcome(ok=False, duration_ms=took(), error=exc.message)
    except InvalidRedirect:
        # Like any redirect (see below): not followed, so asking again changes nothing.
        error = "HTTP redirect to an address that is not a valid URL (not retried)"
        return Outcome(ok=False, duration_ms=took(), error=error, permanent=True)
    except (TimeoutError, httpx.TimeoutException):
        return Outcome(ok=False, duration_ms=took(), error=f"No answer within {timeout_s:g} s.")
    except httpx.HTTPError as exc:
        detail = str(exc) or type(exc).__name__
        return Outcome(ok=False, duration_ms=took(), error=f"Could not connect: {detail}")
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(ok=True, duration_ms=took(), status_code=code, response_excerpt=excerpt)
    if 300 <= code < 400:
        # Redirects are never followed (see new_client), so asking again changes nothing.
        location = response.headers.get("location", "")[:LOCATION_CHARS]
        to = f" to {location}" if location else ""
        permanent = True
        error = f"HTTP {code} redirect{to} (redirects are not followed; not retried)"
    else:
        permanent = 400 <= code < 500 and code not in RETRYABLE_4XX
        error = f"HTTP {code}" + (" (refused; not retried)" if permanent else "")
    return Outcome(
        ok=False,
        duration_ms=took(),
        status_code=code,
        error=error,
        response_excerpt=excerpt,
        permanent=permanent,
    )
