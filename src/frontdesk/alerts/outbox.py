"""The delivery outbox: queue, send the jobs of what is due, claim, record each attempt.

Invariant: an attempt is made under one claim. A delivery is pending until it is delivered or
fails for good; a pending one is due when ``next_attempt_at`` has passed. Its job (which names
only its id) is sent when it comes due and marked sent (``job_sent_at``); whoever runs the job
claims the delivery by moving ``next_attempt_at`` past the attempt (a lease), so a second job
for it finds it not due and does nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.alerts.models import Delivery, DeliveryAttempt
from frontdesk.db.base import utcnow
from frontdesk.db.locks import lock


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to; ``permanent`` failures are not retried."""

    ok: bool
    duration_ms: int = 0
    status_code: int | None = None
    error: str | None = None
    response_excerpt: str | None = None
    permanent: bool = False


def queue(
    session: AsyncSession,
    *,
    workspace_id: str,
    channel: str,
    event_type: str,
    body: str,
    event_id: int | None = None,
    webhook_id: str | None = None,
    member_id: str | None = None,
    recipient: str | None = None,
) -> Delivery:
    destination = webhook_id or f"email:{member_id}"
    delivery = Delivery(
        workspace_id=workspace_id,
        channel=channel,
        event_type=event_type,
        body=body,
        event_id=event_id,
        webhook_id=webhook_id,
        member_id=member_id,
        recipient=recipient,
        dedupe_key=f"{event_id}:{destination}" if event_id is not None else None,
        status="pending",
        attempts=0,
        retries=0,
        next_attempt_at=utcnow(),
    )
    session.add(delivery)
    return delivery


async def next_due(session: AsyncSession) -> datetime | None:
    """When the next delivery whose job is not sent yet comes due (or its lease runs out)."""
    return await session.scalar(
        select(func.min(Delivery.next_attempt_at)).where(Delivery.job_sent_at.is_(None))
    )


async def prune(session: AsyncSession, before: datetime) -> int:
    """Forget finished deliveries (and their attempts) older than ``before``."""
    result = await session.execute(
        delete(Delivery).where(Delivery.finished_at.is_not(None), Delivery.finished_at < before)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def mark_due(session: AsyncSession, limit: int, lost_before: datetime) -> list[str]:
    """Due deliveries whose job is to be sent now, marked as sent; their ids.

    A job sent before ``lost_before`` that nobody took is taken as lost (Redis was down, or
    the process that read it was killed) and is sent again; a duplicate finds the delivery
    taken and does nothing. Other processes marking at the same time pass over the rows this
    one is marking (``SKIP LOCKED``).
    """
    now = utcnow()
    lost = lost_before
    rows = list(
        await session.scalars(
            select(Delivery)
            .where(
                Delivery.status == "pending",
                Delivery.next_attempt_at <= now,
                or_(Delivery.job_sent_at.is_(None), Delivery.job_sent_at < lost),
            )
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for delivery in rows:
        delivery.job_sent_at = now
    return [delivery.id for delivery in rows]


async def unmark(session: AsyncSession, delivery_ids: Sequence[str]) -> None:
    """Their jobs could not be sent: the next round sends them again."""
    await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(list(delivery_ids)), Delivery.status == "pending")
        .values(job_sent_at=None)
    )


async def claim(session: AsyncSession, delivery_id: str, lease_s: float) -> Delivery | None:
    """Take a due delivery for one attempt, leased so nobody else makes it meanwhile.

    None when there is nothing to do: it was delivered or failed, its next attempt is not due,
    or another sender holds it (leased). A transaction holding its row (another claim, an
    admin's resend) is waited for, and the row read again as it committed it: a second claim
    then finds it leased, while skipping the row would drop this job (its delivery then
    waited for a sweep to find the job lost). So a job delivered twice, or sent again by a
    sweep, makes one attempt. A sender that dies
    mid-attempt leaves the lease to run out; the delivery is then due again and is sent with
    the same id (receivers de-duplicate on webhook-id).
    """
    now = utcnow()
    delivery = await session.scalar(
        select(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.status == "pending",
            Delivery.next_attempt_at <= now,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if delivery is None:
        return None
    delivery.next_attempt_at = now + timedelta(seconds=lease_s)
    delivery.job_sent_at = None
    await session.flush()
    return delivery


async def record(
    session: AsyncSession, delivery_id: str, outcome: Outcome, delays: Sequence[float]
) -> Delivery | None:
    """Log an attempt and decide: delivered, retry after the next delay, or failed."""
    delivery = await session.get(Delivery, delivery_id)
    if delivery is None:  # its webhook was deleted meanwhile
        return None
    await lock(session, delivery)  # a resend may be changing it
    now = utcnow()
    delivery.attempts += 1
    session.add(
        DeliveryAttempt(
            delivery_id=delivery.id,
            number=delivery.attempts,
            ok=outcome.ok,
            status_code=outcome.status_code,
            error=outcome.error,
            response_excerpt=outcome.response_excerpt,
            duration_ms=outcome.duration_ms,
            created_at=now,
        )
    )
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error
    if outcome.ok or outcome.permanent or delivery.retries >= len(delays):
        delivery.status = "delivered" if outcome.ok else "failed"
        delivery.finished_at = now
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = now + timedelta(seconds=delays[delivery.retries])
        delivery.retries += 1
    await session.flush()
    return delivery


async def release(session: AsyncSession, delivery_ids: Sequence[str]) -> None:
    """Give back the leases of attempts cut short (shutdown): they are due again now."""
    await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(list(delivery_ids)), Delivery.status == "pending")
        .values(next_attempt_at=utcnow())
    )


def start_round(delivery: Delivery) -> None:
    """Send again now, with a fresh set of retries (a manual resend)."""
    delivery.status = "pending"
    delivery.retries = 0
    delivery.finished_at = None
    delivery.next_attempt_at = utcnow()
    delivery.job_sent_at = None


async def log_of(
    session: AsyncSession, webhook_id: str, limit: int
) -> list[tuple[Delivery, list[DeliveryAttempt]]]:
    """A webhook's newest deliveries, each with its attempts in order."""
    deliveries = list(
        await session.scalars(
            select(Delivery)
            .where(Delivery.webhook_id == webhook_id)
            .order_by(Delivery.created_at.desc(), Delivery.id.desc())
            .limit(limit)
        )
    )
    attempts: dict[str, list[DeliveryAttempt]] = {d.id: [] for d in deliveries}
    if deliveries:
        rows = await session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id.in_(list(attempts)))
            .order_by(DeliveryAttempt.id)
        )
        for attempt in rows:
            attempts[attempt.delivery_id].append(attempt)
    return [(d, attempts[d.id]) for d in deliveries]
