"""Deliveries as jobs through Redis: two processes consume them, and every job is sent twice
(once by each); each delivery still reaches its receiver once. A server that runs no jobs
leaves its deliveries, retries included, to `frontdesk worker`."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alert_support import create_webhook, finished, wait_for_log
from pydantic import SecretStr
from sqlalchemy import select, update

from app_fixtures import Accounts, api_client, with_database
from frontdesk.accounts.models import Workspace
from frontdesk.alerts import dispatcher, outbox, webhooks
from frontdesk.alerts.models import Delivery
from frontdesk.app import create_app
from frontdesk.jobs.queue import GROUP, OUTBOUND
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from receiver import Receiver, Reply
from redis_server import RedisServer
from support import ServerThread, wait_until

# Jobs sent before this are lost; none of the tests' are.
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)

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
        issued = await webhooks.create_webhook(
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
        assert sorted(await outbox.mark_due(session, DELIVERIES, LONG_AGO)) == sorted(queued)
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


@pytest.mark.slow
def test_a_server_that_runs_no_jobs_leaves_its_webhooks_to_a_worker(
    settings: Settings,
    migrated_database: Path,
    redis_server: RedisServer,
    receivers: Callable[..., Receiver],
    tmp_path: Path,
) -> None:
    receiver = receivers(Reply(503), Reply(200))
    served = with_database(
        settings.model_copy(update={"redis_url": SecretStr(redis_server.url), "run_jobs": False}),
        migrated_database,
    )
    env = {
        **os.environ,
        "FRONTDESK_DATA_DIR": str(served.data_dir),  # the same database and server key
        "FRONTDESK_REDIS_URL": redis_server.url,
        "FRONTDESK_WEBHOOK_RETRY_DELAYS_S": "[0.05]",
    }
    log = tmp_path / "worker.log"
    with ServerThread(create_app(served)) as server, log.open("wb") as out:
        accounts = Accounts(served)
        accounts.allow_hosts(receiver.host)
        with api_client(server, accounts) as http:
            hook = create_webhook(http, receiver.url("/in"), ["message.created"])
            assert http.post(f"/api/v1/webhooks/{hook['id']}/test").status_code == 202
            # The job waits in Redis: the server sends jobs and runs none.
            wait_until(lambda: redis_server.client().exists(OUTBOUND), what="the job sent")
            assert receiver.requests == []
            worker = subprocess.Popen(
                [str(Path(sys.executable).with_name("frontdesk")), "worker"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            try:
                # A worker imports the whole product before it listens: slow on a loaded machine.
                failed, delivered = receiver.wait_for(2, timeout=240)
                [logged] = wait_for_log(http, hook["id"], finished(1), "the delivery logged")
            finally:
                worker.send_signal(signal.SIGTERM)
                assert worker.wait(timeout=60) == 0, log.read_text(errors="replace")
    assert failed.headers["webhook-id"] == delivered.headers["webhook-id"] == logged["id"]
    assert (logged["status"], logged["attempts"]) == ("delivered", 2)
