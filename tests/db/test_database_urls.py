"""Engines from the URLs people write: PostgreSQL over asyncpg by TCP or a Unix socket."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from databases import DatabaseUnderTest
from frontdesk.db.engine import Database, async_url


def test_a_plain_postgresql_url_means_asyncpg() -> None:
    for plain in ("postgresql://ann@/desk?host=/run/postgresql", "postgres://ann@/desk?host=/x"):
        url = async_url(plain)
        assert url.drivername == "postgresql+asyncpg"
        assert url.database == "desk" and url.username == "ann" and "host" in url.query
    assert async_url("sqlite+aiosqlite:///data/frontdesk.db").drivername == "sqlite+aiosqlite"


async def test_postgres_is_reached_by_its_socket_with_the_plain_scheme(
    database: DatabaseUnderTest,
) -> None:
    if database.url is None:
        pytest.skip("SQLite has no server to reach")
    plain = database.url.replace("postgresql+asyncpg://", "postgresql://")
    assert "@/" in plain and "?host=/" in plain  # no host name: the socket's folder
    db = Database(plain)
    try:
        async with db.session() as session:
            version = await session.scalar(text("SHOW server_version"))
            extension = await session.scalar(
                text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            )
    finally:
        await db.dispose()
    assert db.dialect == "postgresql"
    assert str(version).split(".")[0] == "18" and extension is not None
