"""Shared pytest fixtures; helpers live in tests/factories.py and tests/httpserver.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from httpserver import LocalSite


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that serves the app on a real uvicorn thread is `live` (`-m "not live"`)."""
    for item in items:
        if "server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.live)
        # schemathesis gives each operation's item the bare function's node id; pytest-xdist
        # schedules by node id, so all but one operation would silently never run.
        if item.name != getattr(item, "originalname", item.name) and "[" not in item.nodeid:
            # (pytest 9 keeps the id parsed, in a private attribute.)
            item._id = type(item._id).parse(item.nodeid + item.name.removeprefix(item.originalname))


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots and reports go: $FRONTDESK_ARTIFACTS, else <repo>/test-artifacts/."""
    repo = Path(__file__).resolve().parent.parent
    folder = Path(os.environ.get("FRONTDESK_ARTIFACTS") or repo / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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

from app_fixtures import (  # noqa: E402
    accounts,
    client,
    embedder,
    migrated_database,
    server,
    settings,
    started,
)
from chat_fixtures import agent, member, visitors  # noqa: E402
from databases import database, postgres_server, pytest_generate_tests  # noqa: E402
from llm_fixtures import local_generator, model_file, packaged_model  # noqa: E402
from openai_server import openai_server, openai_server_thread  # noqa: E402
from redis_server import own_redis_server, redis_server, redis_session  # noqa: E402

__all__ = [
    "accounts",
    "agent",
    "client",
    "database",
    "embedder",
    "local_generator",
    "local_site",
    "member",
    "migrated_database",
    "model_file",
    "openai_server",
    "openai_server_thread",
    "own_redis_server",
    "packaged_model",
    "postgres_server",
    "pytest_generate_tests",
    "redis_server",
    "redis_session",
    "server",
    "settings",
    "started",
    "visitors",
]
