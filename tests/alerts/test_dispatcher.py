"""The dispatcher on a real database, without a server: cursor, filtering, no double queueing."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, select, text

from frontdesk.accounts.service import create_member, create_workspace
from frontdesk.agents import service as agents
from frontdesk.alerts import outbox
from frontdesk.alerts.events import public_type
from frontdesk.alerts.models import Delivery
from frontdesk.alerts.webhooks import create_webhook
from frontdesk.conversations import lifecycle
from frontdesk.db.base import utcnow
from frontdesk.db.engine import Database
from frontdesk.db.migrate import alembic_config
from frontdesk.events import store
from frontdesk.events.types import Event
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings

HOOK = "https://hooks.example.com/"


def _event(type_: str, **data: object) -> Event:
    return Event(type=type_, workspace_id="ws_1", conversation_id="cv_1", data=data)  # type: ignore[arg-type]


def test_internal_events_map_to_public_ones() -> None:
    def updated(status: str, changes: list[str]) -> Event:
        return _event("conversation.updated", conversation={"status": status}, changes=changes)

    assert public_type(updated("waiting", ["status"])) == "conversation.waiting"
    assert public_type(updated("closed", ["status"])) == "conversation.closed"
    assert public_type(updated("waiting", ["priority"])) is None
    assert public_type(updated("human", ["status", "assignee"])) is None
    assert public_type(_event("message.created")) == "message.created"
    assert public_type(_event("action.submitted")) == "action.submitted"
    assert public_type(_event("conversation.created", conversation={"status": "bot"})) is None
    # Created and handed off in one transaction: one event, and it is news.
    born_waiting = _event("conversation.created", conversation={"status": "waiting"}, changes=[])
    assert public_type(born_waiting) == "conversation.waiting"
    assert public_type(_event("typing")) is None


async def _handoff(runtime: Runtime, workspace_id: str, agent_id: str) -> str:
    async with runtime.changes() as session:
        agent = await agents.get_agent(session, workspace_id, agent_id)
        started = await lifecycle.start_conversation(session, agent)
        await lifecycle.hand_off(session, started.conversation, "button", "Visitor asked")
        return started.conversation.id


async def _queued(runtime: Runtime) -> list[tuple[str, str]]:
    async with runtime.db.session() as session:
        rows = await session.execute(
            select(Delivery.channel, Delivery.event_type).order_by(Delivery.created_at)
        )
        return [(channel, kind) for channel, kind in rows.all()]


@pytest.mark.usefixtures("database")
async def test_events_are_queued_once_and_a_new_process_resumes_after_them(
    tmp_path: Path,
) -> None:
    # No SMTP host: email is off, only the webhook gets anything.
    settings = Settings(data_dir=tmp_path / "data")
    runtime = Runtime(settings)
    workspace = await runtime.start()
    try:
        async with runtime.db.transaction() as session:
            agent = await agents.create_agent(session, workspace.id, "Ridgeline")
            await create_member(session, workspace.id, "sam@ridgeline.test", "pw-long-enough-1")
            await create_webhook(
                session,
                runtime.cipher,
                workspace.id,
                "https://hooks.example.com/",
                ["conversation.waiting"],
            )
        await _handoff(runtime, workspace.id, agent.id)
        assert await runtime.alerts.fan_out() == 1
        assert await runtime.alerts.fan_out() == 0
        assert await _queued(runtime) == [("webhook", "conversation.waiting")]
    finally:
        await runtime.close()  # never started: stopping is still safe (the CLI does this)

    again = Runtime(settings)
    await again.start()
    try:
        assert await again.alerts.fan_out() == 0
        await _handoff(again, workspace.id, agent.id)
        assert await again.alerts.fan_out() == 1
        assert len(await _queued(again)) == 2
    finally:
        await again.close()


@pytest.mark.usefixtures("database")
async def test_two_dispatchers_on_one_database_queue_each_event_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first, second = Runtime(settings), Runtime(settings)  # as two server processes
    workspaces = [(await first.start()).id]
    await second.start()
    try:
        async with first.db.transaction() as session:
            workspaces.append((await create_workspace(session, "Harbor")).id)
            for workspace_id in workspaces:
                await create_webhook(session, first.cipher, workspace_id, HOOK, ["message.created"])
        written: list[int] = []
        for _ in range(3):
            async with first.changes() as session:
                events = await store.record_many(
                    session,
                    [("message.created", workspaces[n % 2], None, {"n": n}) for n in range(7)],
                )
                written += [e.id for e in events if e.id is not None]
            # Both read the same new events; whichever stores its positions second skips them.
            queued = await asyncio.gather(first.alerts.fan_out(), second.alerts.fan_out())
            assert sum(queued) == 7
        async with first.db.session() as session:
            queued_for = await session.scalars(
                select(Delivery.event_id).order_by(Delivery.event_id)
            )
            assert list(queued_for) == written
    finally:
        await second.close()
        await first.close()


async def test_the_migration_starts_the_cursor_after_existing_events(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "0005_actions"))
            await connection.execute(
                text(
                    "INSERT INTO workspaces (id, name, slug, created_at, updated_at) "
                    "VALUES ('ws_1', 'Old', 'old', '2026-01-01', '2026-01-01')"
                )
            )
            for _ in range(3):
                await connection.execute(
                    text(
                        "INSERT INTO events (workspace_id, type, data, created_at) "
                        "VALUES ('ws_1', 'message.created', '{}', '2026-01-01')"
                    )
                )
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "0006_alerts"))
        async with db.session() as session:
            cursor = await session.scalar(text("SELECT event_id FROM alert_cursors"))
            assert cursor == 3
            assert await session.scalar(select(func.count()).select_from(Delivery)) == 0
        async with db.engine.begin() as connection:
            await connection.run_sync(
                lambda c: command.downgrade(alembic_config(c), "0005_actions")
            )
            tables = await connection.run_sync(
                lambda c: c.exec_driver_sql("SELECT name FROM sqlite_master").scalars().all()
            )
        assert "webhooks" not in tables and "alert_deliveries" not in tables
    finally:
        await db.dispose()


@pytest.mark.usefixtures("database")
async def test_old_finished_deliveries_are_pruned(tmp_path: Path) -> None:
    runtime = Runtime(Settings(data_dir=tmp_path / "data"))
    workspace = await runtime.start()
    try:
        async with runtime.db.transaction() as session:
            for status, age_days in (("delivered", 40), ("failed", 40), ("delivered", 1)):
                delivery = outbox.queue(
                    session,
                    workspace_id=workspace.id,
                    channel="webhook",
                    event_type="webhook.test",
                    body="{}",
                )
                delivery.status = status
                delivery.next_attempt_at = None
                delivery.finished_at = utcnow() - timedelta(days=age_days)
            outbox.queue(
                session,
                workspace_id=workspace.id,
                channel="webhook",
                event_type="webhook.test",
                body="{}",
            )
        async with runtime.db.transaction() as session:
            assert await outbox.prune(session, utcnow() - timedelta(days=30)) == 2
            statuses = await session.scalars(select(Delivery.status).order_by(Delivery.status))
            assert list(statuses) == ["delivered", "pending"]
    finally:
        await runtime.close()
