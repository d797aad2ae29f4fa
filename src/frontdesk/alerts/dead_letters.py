"""Dead letters: what could not be sent out, kept with its last error until an admin retries it.

A delivery (webhook or email) is a dead letter once it failed for good: its retries ran out,
or the receiver refused it. So is an HTTP action run (a form's follow-up) whose attempts did.
Retrying a delivery starts a fresh round of retries with the same id (receivers de-duplicate
on it); retrying a run sends it again as when the form was submitted. Either way the caller
sends the job once this commits; until then, and if that fails, the row says what is due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.actions.models import ActionRun
from frontdesk.alerts import outbox
from frontdesk.alerts.models import Delivery, Webhook
from frontdesk.conversations.models import Conversation
from frontdesk.conversations.thread import announce_changes
from frontdesk.db.base import utcnow
from frontdesk.db.locks import lock
from frontdesk.errors import Conflict, NotFound

Kind = Literal["webhook", "email", "action"]


@dataclass(frozen=True)
class DeadLetter:
    kind: Kind
    id: str
    what: str  # the event type, or the action's name
    destination: str  # the webhook's URL, the email's recipient, or the request made
    attempts: int
    last_error: str | None
    last_status_code: int | None
    failed_at: datetime | None
    conversation_id: str | None


async def list_dead(session: AsyncSession, workspace_id: str, limit: int) -> list[DeadLetter]:
    """The workspace's newest dead letters of every kind, newest first."""
    deliveries = await session.execute(
        select(Delivery, Webhook.url)
        .outerjoin(Webhook, Webhook.id == Delivery.webhook_id)
        .where(Delivery.workspace_id == workspace_id, Delivery.status == "failed")
        .order_by(Delivery.finished_at.desc(), Delivery.id.desc())
        .limit(limit)
    )
    runs = await session.scalars(
        select(ActionRun)
        .where(
            ActionRun.workspace_id == workspace_id,
            ActionRun.kind == "http",
            ActionRun.status == "failed",
        )
        .order_by(ActionRun.finished_at.desc(), ActionRun.id.desc())
        .limit(limit)
    )
    letters = [_of_delivery(d, url) for d, url in deliveries.all()] + [_of_run(r) for r in runs]
    letters.sort(key=lambda letter: (letter.failed_at or utcnow(), letter.id), reverse=True)
    return letters[:limit]


def _of_delivery(delivery: Delivery, url: str | None) -> DeadLetter:
    email = delivery.channel == "email"
    return DeadLetter(
        kind="email" if email else "webhook",
        id=delivery.id,
        what=delivery.event_type,
        destination=(delivery.recipient if email else url) or "",
        attempts=delivery.attempts,
        last_error=delivery.last_error,
        last_status_code=delivery.last_status_code,
        failed_at=delivery.finished_at,
        conversation_id=None,
    )


def _of_run(run: ActionRun) -> DeadLetter:
    request = run.request or {}
    described = f"{request.get('method', '')} {request.get('url', '')}".strip()
    return DeadLetter(
        kind="action",
        id=run.id,
        what=run.action,
        destination=described or run.action,
        attempts=run.attempts,
        last_error=run.error,
        last_status_code=run.response_status,
        failed_at=run.finished_at,
        conversation_id=run.conversation_id,
    )


async def retry_delivery(session: AsyncSession, workspace_id: str, delivery_id: str) -> str:
    """Make a failed delivery due again, with a fresh round of retries; its id."""
    delivery = await session.get(Delivery, delivery_id)
    if delivery is None or delivery.workspace_id != workspace_id:
        raise NotFound(f"There is no delivery '{delivery_id}'.")
    await lock(session, delivery)  # a sender may be recording an attempt
    if delivery.status != "failed":
        raise Conflict("Only a delivery that failed can be retried; this one did not.")
    outbox.start_round(delivery)
    return delivery.id


async def retry_run(session: AsyncSession, workspace_id: str, run_id: str) -> str:
    """Make a failed HTTP action run running again, its job marked as sent; its id."""
    run = await session.get(ActionRun, run_id)
    if run is None or run.workspace_id != workspace_id or run.kind != "http":
        raise NotFound(f"There is no HTTP action run '{run_id}'.")
    await lock(session, run)
    if run.status != "failed":
        raise Conflict("Only an action run that failed can be retried; this one did not.")
    run.status = "running"
    run.error = None
    run.finished_at = None
    run.lease_until = None
    run.job_sent_at = utcnow()
    conversation = await session.get(Conversation, run.conversation_id)
    if conversation is not None:  # its actions list shows it running again
        await announce_changes(session, conversation, ["actions"])
    return run.id
