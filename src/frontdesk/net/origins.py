"""Which sites may embed an agent's widget."""

from __future__ import annotations

from urllib.parse import urlsplit


def normalize_origin(value: str) -> str:
    """``https://Example.com/`` -> ``https://example.com``; ``*.`` wildcards stay."""
    raw = value.strip()
    parts = urlsplit(raw if "://" in raw else f"https://{raw}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"'{value}' is not an origin like https://example.com")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"'{value}' is not an origin: leave out the path")
    host = parts.hostname.lower()
    if "*" in host and not (host.startswith("*.") and "*" not in host[2:]):
        raise ValueError(f"'{value}': a wildcard may only start the host, as in *.example.com")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def origin_allowed(origin: str | None, allowed: list[str], own_origin: str) -> bool:
    """True for non-browser callers, the server's own pages, and the agent's listed sites."""
    if origin is None or not allowed or origin == own_origin:
        return True
    try:
        origin = normalize_origin(origin)
    except ValueError:
        return False
    scheme, _, host = origin.partition("://")
    for pattern in allowed:
        p_scheme, _, p_host = pattern.partition("://")
        if p_scheme != scheme:
            continue
        if p_host == host or (p_host.startswith("*.") and host.endswith(p_host[1:])):
            return True
    return False
