"""Running an HTTP action: render it, check where it goes, send it with retries, keep results.

Retried (``action.retries`` extra attempts, backoff doubling from ``action.backoff_s``):
network errors, timeouts, 408, 429 and 5xx. Not retried: other 4xx, a blocked destination,
a missing secret. Redirects are not followed and a 3xx counts as a failure: a call that was
redirected did not reach the system it was meant for (often the URL wants https or a slash),
and following it could carry the action's secrets to another host.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote, quote_plus, urlsplit

import httpx

from frontdesk import __version__
from frontdesk.actions.config import HttpAction
from frontdesk.actions.templates import (
    Variables,
    missing_secret,
    redacted,
    render,
    render_body,
    secret_names,
)
from frontdesk.errors import InvalidInput
from frontdesk.net.bodies import InvalidRedirect, UnreadableBody, read_capped, stream
from frontdesk.net.egress import DestinationBlocked, Route, route
from frontdesk.vault.redact import redacting_logs, scrub, scrub_json

log = logging.getLogger(__name__)

MAX_RESPONSE = 1024 * 1024
SNIPPET = 200


@dataclass
class Outcome:
    status: Literal["succeeded", "failed"]
    attempts: int
    request: dict[str, Any]
    response_status: int | None = None
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    duration_ms: int = 0


@dataclass
class _Prepared:
    method: str
    url: str
    headers: dict[str, str]
    content: bytes | None

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "the server"


class _Failure(Exception):
    def __init__(self, reason: str, *, retry: bool, status: int | None = None, detail: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.retry = retry
        self.status = status
        self.detail = detail


def _header_safe(value: str) -> str:
    # A lead typed by a visitor must not be able to start a new header line.
    return " ".join(value.splitlines())


def _url_safe(value: str) -> str:
    return quote(value, safe="")


def describe(action: HttpAction, variables: Variables) -> dict[str, Any]:
    """The request as stored and logged: no secret values, no header values."""
    described: dict[str, Any] = {
        "method": action.method,
        "url": redacted(action.url, variables, escape=_url_safe),
        "headers": sorted(redacted(name, variables) for name in action.headers),
    }
    if action.body is not None:
        described["body"] = render_body(action.body, variables, None)
    return described


def prepare(action: HttpAction, variables: Variables, secrets: Mapping[str, str]) -> _Prepared:
    headers = {
        render(name, variables, secrets, escape=_header_safe): render(
            value, variables, secrets, escape=_header_safe
        )
        for name, value in action.headers.items()
    }
    names = {name.lower() for name in headers}
    content: bytes | None = None
    if isinstance(action.body, str):
        # A visitor's answers must not change the body's structure: escape them for its type.
        kind = next((v for k, v in headers.items() if k.lower() == "content-type"), "").lower()
        content = render(action.body, variables, secrets, escape=_body_escape(kind)).encode()
        default_type = "text/plain; charset=utf-8"
    elif action.body is not None:
        content = json.dumps(render_body(action.body, variables, secrets)).encode()
        default_type = "application/json"
    if content is not None and "content-type" not in names:
        headers["Content-Type"] = default_type
    if "user-agent" not in names:
        headers["User-Agent"] = f"Frontdesk/{__version__}"
    return _Prepared(
        method=action.method,
        url=render(action.url, variables, secrets, escape=_url_safe),
        headers=headers,
        content=content,
    )


def _json_string_safe(value: str) -> str:
    return json.dumps(value)[1:-1]


def _form_safe(value: str) -> str:
    return quote_plus(value)


def _body_escape(content_type: str) -> Callable[[str], str] | None:
    if "json" in content_type:
        return _json_string_safe
    if "x-www-form-urlencoded" in content_type:
        return _form_safe
    return None


def _url_problem(url: str) -> str | None:
    # Checked here rather than by egress, whose messages quote the URL (and so its secrets).
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "only http and https URLs can be called"
    if not parts.hostname:
        return "the URL has no host"
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        return "the URL has an invalid port"
    return None


def pick(data: Any, path: str) -> tuple[bool, Any]:
    """(found, value) at a dotted path such as ``ticket.url`` or ``items.0.id``."""
    for part in path.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return False, None
    return True, data


def _result(action: HttpAction, body: bytes) -> dict[str, Any]:
    if not action.result_fields:
        return {}
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    result = {}
    for path in action.result_fields:
        found, value = pick(data, path)
        if found:
            result[path] = value
    return result


async def _attempt(
    client: httpx.AsyncClient, prepared: _Prepared, target: Route, timeout_s: float
) -> tuple[int, bytes]:
    """One request: (status, body) of a 2xx, else a _Failure saying whether to retry."""
    host = prepared.host
    unreadable = ""
    try:
        # asyncio.timeout bounds the whole attempt; httpx's timeout is per network phase.
        async with (
            asyncio.timeout(timeout_s),
            stream(
                client,
                prepared.method,
                target.url,
                headers={**prepared.headers, **target.headers},
                content=prepared.content,
                timeout=timeout_s,
                follow_redirects=False,
                extensions=target.extensions,
            ) as response,
        ):
            try:
                # One byte over MAX_RESPONSE: a longer body is cut and does not parse.
                body = await read_capped(response, MAX_RESPONSE + 1)
            except UnreadableBody as exc:
                body, unreadable = b"", exc.message
    except InvalidRedirect:
        raise _Failure(
            f"{host} redirects to an address that is not a valid URL", retry=False
        ) from None
    except (TimeoutError, httpx.TimeoutException):
        raise _Failure(f"timed out after {timeout_s:g} s", retry=True) from None
    except httpx.LocalProtocolError as exc:
        # The request itself cannot be sent (e.g. a control character in a header value).
        reason = str(exc) or type(exc).__name__
        raise _Failure(f"the request could not be sent ({reason})", retry=False) from None
    except httpx.ConnectError as exc:
        raise _Failure(f"could not connect to {host} ({exc})", retry=True) from None
    except httpx.TransportError as exc:
        reason = str(exc) or type(exc).__name__
        raise _Failure(f"the connection to {host} failed ({reason})", retry=True) from None
    except httpx.HTTPError as exc:
        reason = str(exc) or type(exc).__name__
        raise _Failure(f"the request could not be sent ({reason})", retry=False) from None
    status = response.status_code
    if 200 <= status < 300 and unreadable:
        # The call went through, but no result can be taken from an answer that is not read.
        raise _Failure(f"HTTP {status} from {host}", retry=False, status=status, detail=unreadable)
    if 200 <= status < 300:
        return status, body
    snippet = unreadable or body[:SNIPPET].decode(errors="replace").strip()
    if 300 <= status < 400:
        where = response.headers.get("location", "another address")
        raise _Failure(
            f"HTTP {status} from {host}",
            retry=False,
            status=status,
            detail=f"redirects are not followed; it points to {where[:SNIPPET]}",
        )
    retry = status in (408, 429) or status >= 500
    raise _Failure(f"HTTP {status} from {host}", retry=retry, status=status, detail=snippet)


def _attempts(count: int) -> str:
    return f"{count} attempt" if count == 1 else f"{count} attempts"


async def _run(
    action: HttpAction,
    variables: Variables,
    secrets: Mapping[str, str],
    allowed_hosts: Sequence[str],
    client: httpx.AsyncClient,
) -> Outcome:
    described = describe(action, variables)
    missing = secret_names(action) - secrets.keys()
    if missing:
        return Outcome("failed", 0, described, error=missing_secret(missing).message)
    prepared = prepare(action, variables, secrets)
    problem = _url_problem(prepared.url)
    if problem:
        return Outcome("failed", 0, described, error=f"invalid URL {described['url']}: {problem}")
    last: _Failure | None = None
    for attempt in range(1, action.retries + 2):
        try:
            # On every attempt: a name may resolve elsewhere by the time of a retry.
            target = await route(prepared.url, allowed_hosts)
        except (DestinationBlocked, InvalidInput) as exc:
            return Outcome("failed", attempt - 1, described, error=f"blocked: {exc.message}")
        log.debug(
            "http action %s: attempt %d, %s %s",
            action.name,
            attempt,
            described["method"],
            described["url"],
        )
        try:
            status, body = await _attempt(client, prepared, target, action.timeout_s)
        except _Failure as failure:
            last = failure
            if not failure.retry or attempt > action.retries:
                break
            await asyncio.sleep(action.backoff_s * 2 ** (attempt - 1))
            continue
        return Outcome("succeeded", attempt, described, status, _result(action, body))
    assert last is not None
    error = f"{last.reason} ({_attempts(attempt)})"
    if last.detail:
        error += f": {last.detail}"
    return Outcome("failed", attempt, described, last.status, error=error)


def longest_s(action: HttpAction) -> float:
    """How long :func:`run_http_action` may take at most: every attempt timing out, with the
    waits between them (name resolution aside)."""
    waits = action.backoff_s * (2**action.retries - 1)
    return (action.retries + 1) * action.timeout_s + waits


async def run_http_action(
    action: HttpAction,
    variables: Variables,
    secrets: Mapping[str, str],
    allowed_hosts: Sequence[str],
    client: httpx.AsyncClient | None = None,
) -> Outcome:
    """Call the action's endpoint; never raises for what the far side or the network does."""
    started = time.monotonic()
    with redacting_logs(secrets):
        if client is None:
            # trust_env=False: no proxy from the environment, no credentials from ~/.netrc.
            async with httpx.AsyncClient(trust_env=False, follow_redirects=False) as owned:
                outcome = await _run(action, variables, secrets, allowed_hosts, owned)
        else:
            outcome = await _run(action, variables, secrets, allowed_hosts, client)
    outcome.duration_ms = round((time.monotonic() - started) * 1000)
    # Whatever the far side echoed back, no secret value leaves this function.
    if outcome.error:
        outcome.error = scrub(outcome.error, secrets)
    outcome.result = scrub_json(outcome.result, secrets)
    outcome.request = scrub_json(outcome.request, secrets)
    log.info(
        "http action %s: %s %s -> %s after %s, %s %s",
        action.name,
        outcome.request["method"],
        outcome.request["url"],
        outcome.response_status,
        _attempts(outcome.attempts),
        outcome.status,
        outcome.error or "",
    )
    return outcome
