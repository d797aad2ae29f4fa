"""Migration 0012 numbers the events of an existing database per workspace and turns the
global alert cursor into per-workspace positions, and goes back down."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import inspect, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app_fixtures import database_file
from frontdesk.alerts.models import Delivery, Webhook
from frontdesk.alerts.webhooks import create_webhook
from frontdesk.db.engine import Database
from frontdesk.db.migrate import alembic_config
from frontdesk.events import store
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings

BEFORE = "0011_tool_calls"
# Two workspaces whose events interleave; the alert cursor stood at event 4.
EVENTS = ["ws_a", "ws_b", "ws_a", "ws_a", "ws_b", "ws_a", "ws_b"]
CURSOR = 4
HOOK = "https://hooks.example.com/"


async def _migrate(connection: AsyncConnection, revision: str, down: bool = False) -> None:
    step = command.downgrade if down else command.upgrade
    await connection.run_sync(lambda c: step(alembic_config(c), revision))


async def old_database(path: Path, events: list[str], cursor: int | None) -> Database:
    """A database as the release before 0012 left it: workspaces, events, the alert cursor."""
    db = Database(f"sqlite+aiosqlite:///{path}")
    async with db.engine.begin() as connection:
        await _migrate(connection, BEFORE)
        for workspace in sorted(set(events)):
            await connection.execute(
                text(
                    "INSERT INTO workspaces (id, name, slug, created_at, updated_at) "
                    "VALUES (:id, :id, :id, '2026-01-01', '2026-01-01')"
                ),
                {"id": workspace},
            )
        for n, workspace in enumerate(events, start=1):
            await connection.execute(
                text(
                    "INSERT INTO events (workspace_id, type, data, created_at) "
                    "VALUES (:workspace, 'message.created', :data, '2026-01-02')"
                ),
                {"workspace": workspace, "data": f'{{"n": {n}}}'},
            )
        if cursor is None:
            await connection.execute(text("DELETE FROM alert_cursors"))
        else:
            await connection.execute(
                text("UPDATE alert_cursors SET event_id = :cursor"), {"cursor": cursor}
            )
    return db


async def _rows(db: Database, sql: str) -> list[tuple[object, ...]]:
    async with db.engine.connect() as connection:
        return [tuple(row) for row in await connection.execute(text(sql))]


async def test_existing_events_are_numbered_and_the_alert_cursor_split(tmp_path: Path) -> None:
    db = await old_database(tmp_path / "old.db", EVENTS, CURSOR)
    try:
        async with db.engine.begin() as connection:
            await _migrate(connection, "head")
        # Each event keeps its id as its number: resume points handed out before still hold.
        assert await _rows(db, "SELECT workspace_id, id, seq FROM events ORDER BY id") == [
            (workspace, n, n) for n, workspace in enumerate(EVENTS, start=1)
        ]
        counters = "SELECT workspace_id, last_seq FROM event_counters ORDER BY workspace_id"
        assert await _rows(db, counters) == [("ws_a", 6), ("ws_b", 7)]
        # Events 1-4 were turned into deliveries, 5-7 not yet.
        positions = "SELECT workspace_id, seq FROM alert_positions ORDER BY workspace_id"
        assert await _rows(db, positions) == [("ws_a", 4), ("ws_b", 2)]
        async with db.engine.connect() as connection:
            tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
            indexes = await connection.run_sync(lambda c: inspect(c).get_indexes("events"))
        assert "alert_cursors" not in tables
        assert {i["name"] for i in indexes} == {
            "ix_events_workspace_id_seq",
            "ix_events_conversation_id",
        }

        # New events continue each workspace's stream from its largest number, one by one.
        async with db.transaction() as session:
            added = await store.record_many(
                session,
                [("conversation.updated", w, None, {}) for w in ("ws_a", "ws_b", "ws_a")],
            )
        assert [(e.workspace_id, e.seq) for e in added] == [
            ("ws_a", 7),
            ("ws_b", 8),
            ("ws_a", 8),
        ]
        async with db.session() as session:
            missed = await store.since(session, "ws_a", 4, limit=10)
        assert [(e.id, e.seq) for e in missed or ()] == [(6, 6), (8, 7), (10, 8)]

        async with db.engine.begin() as connection:
            await _migrate(connection, BEFORE, down=True)
        # Back down, the global cursor stands after the newest event already handled.
        assert await _rows(db, "SELECT name, event_id FROM alert_cursors") == [("alerts", 4)]
        async with db.engine.connect() as connection:
            columns = await connection.run_sync(lambda c: inspect(c).get_columns("events"))
        assert "seq" not in {c["name"] for c in columns}
    finally:
        await db.dispose()


async def test_a_cursor_never_created_starts_after_the_newest_event(tmp_path: Path) -> None:
    db = await old_database(tmp_path / "old.db", EVENTS, cursor=None)
    try:
        async with db.engine.begin() as connection:
            await _migrate(connection, "head")
        positions = "SELECT workspace_id, seq FROM alert_positions ORDER BY workspace_id"
        assert await _rows(db, positions) == [("ws_a", 6), ("ws_b", 7)]
    finally:
        await db.dispose()


async def test_the_alert_dispatcher_handles_each_event_once_across_the_upgrade(
    tmp_path: Path,
) -> None:
    # The upgrade of an SQLite file, whichever database the other tests run on.
    data = tmp_path / "data"
    settings = Settings(data_dir=data, database_url=f"sqlite+aiosqlite:///{data / 'frontdesk.db'}")
    file = database_file(settings)
    assert file is not None
    file.parent.mkdir(parents=True)
    await (await old_database(file, EVENTS, CURSOR)).dispose()

    runtime = Runtime(settings)
    await runtime.start()  # migrates
    try:
        async with runtime.db.transaction() as session:
            for workspace in ("ws_a", "ws_b"):
                await create_webhook(session, runtime.cipher, workspace, HOOK, ["message.created"])
            # Listening since before the old events: only the cursor decides what is sent.
            await session.execute(
                update(Webhook).values(created_at=datetime(2000, 1, 1, tzinfo=UTC))
            )
        assert await runtime.alerts.fan_out() == 3
        assert await runtime.alerts.fan_out() == 0
        assert await _deliveries(runtime) == [("ws_b", 5), ("ws_a", 6), ("ws_b", 7)]

        async with runtime.changes() as session:
            await store.record_many(
                session, [("message.created", w, None, {}) for w in ("ws_b", "ws_a")]
            )
        assert await runtime.alerts.fan_out() == 2
    finally:
        await runtime.close()

    again = Runtime(settings)
    await again.start()
    try:
        assert await again.alerts.fan_out() == 0
        assert await _deliveries(again) == [
            ("ws_b", 5),
            ("ws_a", 6),
            ("ws_b", 7),
            ("ws_b", 8),
            ("ws_a", 9),
        ]
    finally:
        await again.close()


async def _deliveries(runtime: Runtime) -> list[tuple[str, int]]:
    """(workspace, event id) of every queued delivery, by event."""
    async with runtime.db.session() as session:
        rows = await session.execute(
            select(Delivery.workspace_id, Delivery.event_id).order_by(Delivery.event_id)
        )
        return [(workspace, int(event_id)) for workspace, event_id in rows.all()]
