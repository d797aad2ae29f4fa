"""Webhook endpoints of a workspace: create (the secret is shown once), change, test, resend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.alerts import outbox
from frontdesk.alerts.events import TEST_EVENT, body
from frontdesk.alerts.models import Delivery, Webhook
from frontdesk.alerts.signing import new_secret
from frontdesk.db.base import new_id, utcnow
from frontdesk.db.locks import lock
from frontdesk.db.tenancy import get_in_workspace
from frontdesk.errors import Conflict, InvalidInput, NotFound
from frontdesk.net.egress import split_destination
from frontdesk.vault.cipher import Cipher

MAX_PER_WORKSPACE = 20


@dataclass
class Issued:
    webhook: Webhook
    secret: str


def check_url(url: str) -> str:
    url = url.strip()
    try:
        split_destination(url)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="url") from None
    return url


def secret_context(webhook_id: str) -> str:
    return f"webhook:{webhook_id}"


def secret_of(cipher: Cipher, webhook: Webhook) -> str:
    return cipher.decrypt(webhook.secret_ciphertext, secret_context(webhook.id))


async def create_webhook(
    session: AsyncSession,
    cipher: Cipher,
    workspace_id: str,
    url: str,
    events: Sequence[str],
    description: str | None = None,
) -> Issued:
    url = check_url(url)
    if len(await list_webhooks(session, workspace_id)) >= MAX_PER_WORKSPACE:
        raise Conflict(f"A workspace can have at most {MAX_PER_WORKSPACE} webhooks.")
    secret = new_secret()
    webhook_id = new_id("wh")
    webhook = Webhook(
        id=webhook_id,
        workspace_id=workspace_id,
        url=url,
        events=list(events),
        description=description,
        active=True,
        # Bound to the id: a sealed secret copied onto another webhook does not decrypt.
        secret_ciphertext=cipher.encrypt(secret, secret_context(webhook_id)),
    )
    session.add(webhook)
    await session.flush()
    return Issued(webhook, secret)


async def list_webhooks(session: AsyncSession, workspace_id: str) -> list[Webhook]:
    rows = await session.scalars(
        select(Webhook).where(Webhook.workspace_id == workspace_id).order_by(Webhook.created_at)
    )
    return list(rows)


async def get_webhook(session: AsyncSession, workspace_id: str, webhook_id: str) -> Webhook:
    return await get_in_workspace(session, Webhook, workspace_id, webhook_id, "webhook")


async def update_webhook(
    session: AsyncSession, workspace_id: str, webhook_id: str, changes: dict[str, Any]
) -> Webhook:
    """Apply the fields a PATCH named; a null description clears it."""
    webhook = await get_webhook(session, workspace_id, webhook_id)
    for name in ("url", "events", "active"):
        if changes.get(name) is None and name in changes:
            raise InvalidInput(f"'{name}' cannot be null.", field=name)
    if "url" in changes:
        webhook.url = check_url(changes["url"])
    if "events" in changes:
        webhook.events = list(changes["events"])
    if "active" in changes:
        webhook.active = bool(changes["active"])
    if "description" in changes:
        webhook.description = changes["description"]
    await session.flush()
    return webhook


async def delete_webhook(session: AsyncSession, workspace_id: str, webhook_id: str) -> None:
    """Remove the endpoint and its delivery log; pending deliveries are dropped."""
    webhook = await get_webhook(session, workspace_id, webhook_id)
    await session.delete(webhook)
    await session.flush()


async def send_test(session: AsyncSession, workspace_id: str, webhook_id: str) -> Delivery:
    """Queue a ``webhook.test`` ping, sent and logged like any other delivery."""
    webhook = await get_webhook(session, workspace_id, webhook_id)
    if not webhook.active:
        raise Conflict("This webhook is paused; activate it before sending a test.")
    data = {"webhook_id": webhook.id, "message": "A test from Frontdesk."}
    delivery = outbox.queue(
        session,
        workspace_id=workspace_id,
        channel="webhook",
        event_type=TEST_EVENT,
        body=body(TEST_EVENT, utcnow(), data),
        webhook_id=webhook.id,
    )
    await session.flush()
    return delivery


async def resend(
    session: AsyncSession, workspace_id: str, webhook_id: str, delivery_id: str
) -> Delivery:
    """Send a finished delivery again, with the same id and body."""
    webhook = await get_webhook(session, workspace_id, webhook_id)
    delivery = await session.get(Delivery, delivery_id)
    if delivery is None or delivery.webhook_id != webhook.id:
        raise NotFound(f"There is no delivery '{delivery_id}' for this webhook.")
    await lock(session, delivery)  # its sender may be recording an attempt
    if delivery.status == "pending":
        raise Conflict("This delivery is still being retried; wait for it to finish.")
    outbox.start_round(delivery)
    await session.flush()
    return delivery
