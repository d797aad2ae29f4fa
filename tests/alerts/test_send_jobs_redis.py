"""Deliveries as jobs through Redis: two processes consume them, and every job is sent twice
(once by each). Each delivery still reaches its receiver once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select, update

from app_fixtures import with_database
from frontdesk.accounts.models import Workspace
from frontdesk.alerts import dispatcher, outbox
from frontdesk.alerts.models import Delivery
from frontdesk.alerts.webhooks import create_webhook
from frontdesk.jobs.queue import GROUP, OUTBOUND
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from receiver import Receiver, Reply
from redis_server import RedisServer

DELIVERIES = 24


@pytest.fixture
async def processes(
    settings: Settings, migrated_database: Path, redis_server: RedisServer
) -> AsyncIterator[list[Runtime]]:
    """Two servers with run_jobs on one database and one Redis (two runtimes, as two
    processes have: pools, brokers and consumers of their own)."""
    shared = with_database(
        settings.model_copy(update={"redis_url": SecretStr(redis_server.url)}), migrated_database
    )
    runtimes = [Runtime(shared), Runtime(shared)]
    try:
        for runtime in runtimes:
            await runtime.start()
            await runtime.broker.start()
            await runtime.start_jobs(consume=True)
        yield runtimes
    finally:
        for runtime in runtimes:
            await runtime.close()


async def _queue(runtime: Runtime, receiver: Receiver) -> list[str]:
    workspace = await runtime.start()
    async with runtime.db.transaction() as session:
        await session.execute(
            update(Workspace)
            .where(Workspace.id == workspace.id)
            .values(allowed_hosts=[receiver.host])
        )
        issued = await create_webhook(
            session, runtime.cipher, workspace.id, receiver.url("/in"), ["message.created"]
        )
        deliveries = [
            outbox.queue(
                session,
                workspace_id=workspace.id,
                channel="webhook",
                event_type="webhook.test",
                body=f'{{"n": {n}}}',
                webhook_id=issued.webhook.id,
            )
            for n in range(DELIVERIES)
        ]
        await session.flush()
        return [d.id for d in deliveries]


async def test_two_consumers_send_each_delivery_once(
    processes: list[Runtime],
    receivers: Callable[..., Receiver],
    redis_server: RedisServer,
) -> None:
    first, second = processes
    receiver = receivers(Reply(200, delay_s=0.02))
    queued = await _queue(first, receiver)
    async with first.db.transaction() as session:  # as a dispatcher does before it sends
        assert sorted(await outbox.mark_due(session, DELIVERIES)) == sorted(queued)
    for delivery_id in queued:  # each job from both processes: a job delivered twice
        await first.outbound.send(dispatcher.JOB, delivery_id)
        await second.outbound.send(dispatcher.JOB, delivery_id)

    while not _settled(redis_server):
        await asyncio.sleep(0.05)  # polls the stream; the work happens elsewhere
    # Two jobs for each, all read and acknowledged (none more: the dispatchers saw them sent).
    assert redis_server.client().xlen(OUTBOUND) == DELIVERIES * 2
    async with first.db.session() as session:
        rows = (await session.execute(select(Delivery.status, Delivery.attempts))).all()
    assert [tuple(row) for row in rows] == [("delivered", 1)] * DELIVERIES
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert sorted(ids) == sorted(queued)


def _settled(redis: RedisServer) -> bool:
    """Every job sent so far was read by a consumer and acknowledged."""
    client = redis.client()
    groups = client.xinfo_groups(OUTBOUND) if client.exists(OUTBOUND) else []
    group = next((g for g in groups if g["name"].decode() == GROUP), None)
    if group is None:
        return False
    return bool(group["entries-read"] == client.xlen(OUTBOUND) and group["pending"] == 0)
