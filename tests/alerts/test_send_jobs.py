"""Deliveries and HTTP action runs as jobs in one process (taskiq's InMemoryBroker).

A job names a delivery or a run; the row decides. The dispatcher only sends jobs, the job
makes the attempt; the same job delivered again (or sent again by a sweep) finds the row
taken or done and sends nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from app_fixtures import Started, running_http_run
from frontdesk.accounts.models import Workspace
from frontdesk.actions.models import ActionRun
from frontdesk.alerts import dispatcher, outbox
from frontdesk.alerts.models import Delivery, DeliveryAttempt
from frontdesk.alerts.webhooks import create_webhook, send_test
from frontdesk.conversations import actions
from frontdesk.db.base import set_clock, utcnow
from receiver import Receiver, Reply

# Jobs sent before this are lost; none of the tests' are.
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)

Receivers = Callable[..., Receiver]


async def _allow(started: Started, *hosts: str) -> None:
    async with started.runtime.db.transaction() as session:
        await session.execute(
            update(Workspace)
            .where(Workspace.id == started.workspace_id)
            .values(allowed_hosts=list(hosts))
        )


async def _test_delivery(started: Started, receiver: Receiver) -> str:
    """A webhook to ``receiver`` and a ``webhook.test`` delivery queued for it."""
    await _allow(started, receiver.host)
    runtime = started.runtime
    async with runtime.db.transaction() as session:
        issued = await create_webhook(
            session, runtime.cipher, started.workspace_id, receiver.url("/in"), ["message.created"]
        )
        delivery = await send_test(session, started.workspace_id, issued.webhook.id)
        return delivery.id


async def _delivery(started: Started, delivery_id: str) -> tuple[Delivery, int]:
    async with started.runtime.db.session() as session:
        delivery = await session.get(Delivery, delivery_id)
        attempts = await session.scalar(
            select(func.count()).where(DeliveryAttempt.delivery_id == delivery_id)
        )
    assert delivery is not None
    return delivery, int(attempts or 0)


async def test_the_dispatcher_sends_a_job_and_the_job_delivers(
    started: Started, receivers: Receivers
) -> None:
    receiver = receivers(Reply(200))
    delivery_id = await _test_delivery(started, receiver)
    runtime = started.runtime
    assert runtime.outbound.in_process

    await runtime.alerts.send_due()  # marks the delivery's job sent and sends it
    await runtime.outbound.drain()  # the job, run in this process

    [request] = await asyncio.to_thread(receiver.wait_for, 1)
    assert request.headers["webhook-id"] == delivery_id
    delivered, attempts = await _delivery(started, delivery_id)
    assert (delivered.status, delivered.attempts, attempts) == ("delivered", 1, 1)
    assert delivered.job_sent_at is None and delivered.next_attempt_at is None
    # Sent once: a later round finds nothing due.
    await runtime.alerts.send_due()
    await runtime.outbound.drain()
    assert len(receiver.requests) == 1


async def test_a_delivery_job_delivered_three_times_sends_once(
    started: Started, receivers: Receivers
) -> None:
    receiver = receivers(Reply(200, delay_s=0.2))
    delivery_id = await _test_delivery(started, receiver)
    runtime = started.runtime

    # The dispatcher's job, and the same job twice more (a redelivery, a second sender).
    await runtime.alerts.send_due()
    await runtime.outbound.send(dispatcher.JOB, delivery_id)
    await runtime.outbound.send(dispatcher.JOB, delivery_id)
    await runtime.outbound.drain()

    delivered, attempts = await _delivery(started, delivery_id)
    assert (delivered.status, delivered.attempts, attempts) == ("delivered", 1, 1)
    assert len(receiver.requests) == 1
    # After it was delivered, the job once more still sends nothing.
    await runtime.outbound.send(dispatcher.JOB, delivery_id)
    await runtime.outbound.drain()
    assert len(receiver.requests) == 1


@pytest.fixture
def frozen() -> Iterator[list[datetime]]:
    """The product's clock, standing still until the test moves it (``frozen[0] = ...``)."""
    now = [utcnow()]
    set_clock(lambda: now[0])
    try:
        yield now
    finally:
        set_clock(None)


async def test_a_failed_attempt_is_retried_by_a_new_job_when_due(
    started: Started, receivers: Receivers, frozen: list[datetime]
) -> None:
    receiver = receivers(Reply(503), Reply(200))
    delivery_id = await _test_delivery(started, receiver)
    runtime = started.runtime
    await runtime.alerts.send_due()
    await runtime.outbound.drain()
    waiting, _ = await _delivery(started, delivery_id)
    assert (waiting.status, waiting.attempts, waiting.job_sent_at) == ("pending", 1, None)

    # The same job again before the retry is due: nothing is sent, and no job is due.
    await runtime.outbound.send(dispatcher.JOB, delivery_id)
    await runtime.alerts.send_due()
    await runtime.outbound.drain()
    assert len(receiver.requests) == 1
    frozen[0] += timedelta(seconds=1)  # the retry's time comes
    await runtime.alerts.send_due()
    await runtime.outbound.drain()
    delivered, attempts = await _delivery(started, delivery_id)
    assert (delivered.status, delivered.attempts, attempts) == ("delivered", 2, 2)
    assert len(receiver.requests) == 2


async def test_a_lost_job_is_sent_again_by_the_next_process(
    started: Started, receivers: Receivers
) -> None:
    """A job marked sent but never run (its process died) is not waited for after a restart:
    in-process jobs die with their process."""
    receiver = receivers(Reply(200))
    delivery_id = await _test_delivery(started, receiver)
    async with started.runtime.db.transaction() as session:
        # Marked by a process that then died, its in-process job with it.
        assert await outbox.mark_due(session, 10, LONG_AGO) == [delivery_id]

    await started.runtime.alerts.send_due()  # this process's first round
    await started.runtime.outbound.drain()
    assert [r.headers["webhook-id"] for r in receiver.requests] == [delivery_id]


async def test_a_job_nobody_took_within_a_lease_is_sent_again(
    started: Started, receivers: Receivers, frozen: list[datetime]
) -> None:
    """Through Redis, a job read by a process that was then killed is never taken."""
    runtime = started.runtime
    await runtime.alerts.send_due()  # this process's first round (nothing is due)
    receiver = receivers(Reply(200))
    delivery_id = await _test_delivery(started, receiver)
    async with runtime.db.transaction() as session:
        assert await outbox.mark_due(session, 10, LONG_AGO) == [delivery_id]  # and lost

    await runtime.alerts.send_due()
    await runtime.outbound.drain()
    assert receiver.requests == []  # the job may still be on its way
    frozen[0] += timedelta(seconds=runtime.alerts.lease_s + 1)
    await runtime.alerts.send_due()
    await runtime.outbound.drain()
    assert [r.headers["webhook-id"] for r in receiver.requests] == [delivery_id]


async def test_an_action_run_job_delivered_twice_calls_once(
    started: Started, receivers: Receivers
) -> None:
    helpdesk = receivers(Reply(201, {"id": "T-7"}, delay_s=0.2))
    run_id = await running_http_run(started, helpdesk)
    runtime = started.runtime

    await runtime.actions.enqueue([run_id, run_id])
    await runtime.outbound.send(actions.JOB, run_id)
    await runtime.outbound.drain()

    assert len(helpdesk.requests) == 1
    async with runtime.db.session() as session:
        run = await session.get(ActionRun, run_id)
    assert run is not None and (run.status, run.attempts) == ("succeeded", 1)
    assert run.job_sent_at is None
    # Its job was taken: a sweep sends nothing again.
    assert await runtime.actions.sweep() == 0
