"""Shared pytest fixtures; helpers live in tests/factories.py and tests/httpserver.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from httpserver import LocalSite

# --- Web -------------------------------------------------------------------------------


@pytest.fixture
def local_site() -> Iterator[LocalSite]:
    """A real HTTP server on 127.0.0.1; add pages with ``local_site.add(path, body)``."""
    site = LocalSite().start()
    try:
        yield site
    finally:
        site.close()


# --- Application ------------------------------------------------------------------------

from app_fixtures import accounts, client, embedder, server, settings, started  # noqa: E402
from chat_fixtures import agent, member, visitors  # noqa: E402

__all__ = [
    "accounts",
    "agent",
    "client",
    "embedder",
    "local_site",
    "member",
    "server",
    "settings",
    "started",
    "visitors",
]
