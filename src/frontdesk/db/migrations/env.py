"""Alembic environment: uses the connection handed in by frontdesk.db.migrate."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from frontdesk.schema import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    # Stand-alone use (`alembic revision --autogenerate`): a sync URL from the environment.
    url = os.environ.get("FRONTDESK_DATABASE_URL", "sqlite:///frontdesk-data/frontdesk.db")
    url = url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg")
    with create_engine(url).connect() as conn:
        _run(conn)
