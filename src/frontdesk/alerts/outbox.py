"""The delivery outbox: queue, claim what is due, record each attempt, read the log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
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
    # Only pending deliveries have a next attempt, so a bare min() reads just the index.
    return await session.scalar(select(func.min(Delivery.next_attempt_at)))


async def prune(session: AsyncSession, before: datetime) -> int:
    """Forget finished deliveries (and their attempts) older than ``before``."""
    result = await session.execute(
        delete(Delivery).where(Delivery.finished_at.is_not(None), Delivery.finished_at < before)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def claim_due(session: AsyncSession, lease_s: float, limit: int) -> list[Delivery]:
    """Pending deliveries that are due, leased so no other sender takes them meanwhile.

    A sender that dies mid-attempt leaves the lease to run out; the delivery is then due
    again and is sent with the same id (receivers de-duplicate on webhook-id). Senders in
    other processes pass over the rows this one is claiming (``SKIP LOCKED``) and, once it
    committed, see them leased.
    """
    now = utcnow()
    rows = list(
        await session.scalars(
            select(Delivery)
            .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for delivery in rows:
        delivery.next_attempt_at = now + timedelta(seconds=lease_s)
    await session.flush()
    return rows


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
