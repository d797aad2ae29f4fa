"""Outbound requests go to public addresses only, unless the workspace allows a host.

Checked on every request (actions, webhooks): the host name is resolved and every address it
resolves to must be public, so a name pointing at 127.0.0.1 or 10.0.0.0/8 is refused too.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

from frontdesk.errors import FrontdeskError, InvalidInput

MAX_ALLOWED = 50


class DestinationBlocked(FrontdeskError):
    status = 422
    code = "destination_blocked"


def split_destination(url: str) -> tuple[str, int]:
    """(host, port) of an http(s) URL, or InvalidInput saying what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise InvalidInput(f"Only http and https URLs can be called, not {url[:80]!r}.")
    if not parts.hostname:
        raise InvalidInput(f"The URL {url[:80]!r} has no host.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InvalidInput(f"The URL {url[:80]!r} has an invalid port.") from None
    return parts.hostname.lower(), port


def normalize_allowed_host(entry: str) -> str:
    """``host`` or ``host:port`` (IPv6 in brackets), lower-cased."""
    value = entry.strip().lower()
    probe = urlsplit(f"http://{value}")
    try:
        port = probe.port
    except ValueError:
        raise InvalidInput(f"{entry!r} has an invalid port.", field="allowed_hosts") from None
    if not probe.hostname or probe.path or probe.query or probe.username:
        raise InvalidInput(
            f"{entry!r} is not a host name or host:port (for example 10.0.0.5:8080).",
            field="allowed_hosts",
        )
    host = f"[{probe.hostname}]" if ":" in probe.hostname else probe.hostname
    return f"{host}:{port}" if port else host


def is_allowed(host: str, port: int, allowed_hosts: Sequence[str]) -> bool:
    bare = f"[{host}]" if ":" in host else host
    return bare in allowed_hosts or f"{bare}:{port}" in allowed_hosts


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def check_destination(url: str, allowed_hosts: Sequence[str]) -> None:
    """Refuse a URL whose host resolves to a private, loopback or link-local address."""
    host, port = split_destination(url)
    if is_allowed(host, port, allowed_hosts):
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise DestinationBlocked(f"The host {host} could not be resolved.") from None
    private = sorted({str(info[4][0]) for info in infos if not _public(str(info[4][0]))})
    if private:
        raise DestinationBlocked(
            f"{host} resolves to a private or loopback address ({private[0]}); calls there are "
            f"blocked unless the workspace allows the host ({host}:{port})."
        )
