"""Outbound requests go to public addresses only, unless the workspace allows a host.

Checked on every request (actions, webhooks, every hop of a knowledge fetch): the host name is
resolved and every address it resolves to must be public, so a name pointing at 127.0.0.1 or
10.0.0.0/8 is refused too, and so are the odd spellings of an address that the resolver accepts
(``127.1``, ``2130706433``, ``0x7f000001``): what is judged is what the resolver returns.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from frontdesk.errors import FrontdeskError, InvalidInput

MAX_ALLOWED = 50


class DestinationBlocked(FrontdeskError):
    status = 422
    code = "destination_blocked"


class HostNotFound(DestinationBlocked):
    """The name does not resolve (now): nothing can be judged, and nothing is connected to."""


HOST_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.?)+$")


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return bool(HOST_NAME.match(host)) and all(len(p) <= 63 for p in host.split("."))
    return True


def split_destination(url: str) -> tuple[str, int]:
    """(host, port) of an http(s) URL, or InvalidInput saying what is wrong."""
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:
        raise InvalidInput(f"The URL {url[:80]!r} is not valid.", field="url") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidInput(f"Only http and https URLs can be called, not {url[:80]!r}.")
    if not hostname or not _valid_host(hostname):
        raise InvalidInput(f"The URL {url[:80]!r} has no valid host.", field="url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InvalidInput(f"The URL {url[:80]!r} has an invalid port.", field="url") from None
    return hostname.lower(), port


def normalize_allowed_host(entry: str) -> str:
    """``host`` or ``host:port`` (IPv6 in brackets), lower-cased."""
    value = entry.strip().lower()
    try:
        probe = urlsplit(f"http://{value}")
    except ValueError:
        raise InvalidInput(
            f"{entry!r} is not a host name or host:port.", field="allowed_hosts"
        ) from None
    try:
        port = probe.port
    except ValueError:
        raise InvalidInput(f"{entry!r} has an invalid port.", field="allowed_hosts") from None
    if (
        not probe.hostname
        or not _valid_host(probe.hostname)
        or probe.path
        or probe.query
        or probe.fragment
        or probe.username
    ):
        raise InvalidInput(
            f"{entry!r} is not a host name or host:port (for example 10.0.0.5:8080).",
            field="allowed_hosts",
        )
    host = f"[{probe.hostname}]" if ":" in probe.hostname else probe.hostname
    return f"{host}:{port}" if port else host


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def is_allowed(host: str, port: int, allowed_hosts: Sequence[str]) -> bool:
    bare = _bracketed(host)
    return bare in allowed_hosts or f"{bare}:{port}" in allowed_hosts


NAT64 = ipaddress.ip_network("64:ff9b::/96")
# IPv4-compatible IPv6 (deprecated, RFC 4291): ``::a.b.c.d``; :: and ::1 are judged as IPv6.
COMPATIBLE = ipaddress.ip_network("::/96")


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address carried inside IPv6 is judged as that IPv4 address.
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is None and (ip in NAT64 or (ip in COMPATIBLE and int(ip) > 1)):
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None and not _public(str(inner)):
            return False
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True)
class Route:
    """Where a request really goes: the address that was checked, not a second lookup.

    Connecting to the checked address (with the name kept for the Host header and TLS)
    closes the gap in which a name could resolve to a public address for the check and to
    a private one for the connection (DNS rebinding).
    """

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)


def pinned(url: str, address: str) -> Route:
    """``url`` sent to ``address``, still naming its host for Host and TLS."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    ip = _bracketed(address)
    netloc = f"{ip}:{parts.port}" if parts.port else ip
    named = f"{_bracketed(host)}:{parts.port}" if parts.port else _bracketed(host)
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return Route(urlunsplit(parts._replace(netloc=netloc)), {"Host": named}, extensions)


async def route(url: str, allowed_hosts: Sequence[str]) -> Route:
    """Check a URL's destination and say how to reach it; DestinationBlocked if private."""
    host, port = split_destination(url)
    if _client_host(url) != host:
        # The check and the HTTP client must read the same host out of the URL.
        raise DestinationBlocked(
            f"The host {host} is written in a form the HTTP client reads differently or not at "
            "all; write it plainly."
        )
    if is_allowed(host, port, allowed_hosts):
        return Route(url)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise HostNotFound(f"The host {host} could not be resolved.") from None
    addresses = [str(info[4][0]) for info in infos]
    if any(not _public(a) for a in addresses):
        # Which address is not said: it would map a hostile admin's way through internal DNS.
        raise DestinationBlocked(
            f"{host} resolves to a private or loopback address; calls there are "
            f"blocked unless the workspace allows the host ({_bracketed(host)}:{port})."
        )
    if not addresses:
        raise HostNotFound(f"The host {host} could not be resolved.")
    if host in addresses:
        return Route(url)
    return pinned(url, addresses[0])


def _client_host(url: str) -> str | None:
    try:
        return httpx.URL(url).host.lower()
    except (httpx.InvalidURL, ValueError):
        return None


async def check_destination(url: str, allowed_hosts: Sequence[str]) -> None:
    """Refuse a URL whose host resolves to a private, loopback or link-local address."""
    await route(url, allowed_hosts)
