"""Alerts API: webhook endpoints and their delivery log (admins); my email preference."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import APIRouter, Query, Response

from frontdesk.alerts import outbox, preferences, webhooks
from frontdesk.alerts.models import Delivery, DeliveryAttempt, DeliveryStatus, Webhook
from frontdesk.alerts.schemas import (
    AttemptOut,
    DeliveryList,
    DeliveryOut,
    IssuedWebhookOut,
    PreferencesIn,
    PreferencesOut,
    WebhookIn,
    WebhookList,
    WebhookOut,
    WebhookPatch,
)
from frontdesk.web.deps import AdminWorkspaceDep, CallerDep, RuntimeDep

router = APIRouter(prefix="/api/v1", tags=["alerts"])


def _webhook_out(webhook: Webhook) -> WebhookOut:
    return WebhookOut(
        id=webhook.id,
        url=webhook.url,
        events=list(webhook.events),
        description=webhook.description,
        active=webhook.active,
        created_at=webhook.created_at,
        updated_at=webhook.updated_at,
    )


def _attempt_out(attempt: DeliveryAttempt) -> AttemptOut:
    return AttemptOut(
        number=attempt.number,
        ok=attempt.ok,
        status_code=attempt.status_code,
        error=attempt.error,
        response_excerpt=attempt.response_excerpt,
        duration_ms=attempt.duration_ms,
        created_at=attempt.created_at,
    )


def _delivery_out(delivery: Delivery, attempts: list[DeliveryAttempt]) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id,
        event_type=delivery.event_type,
        event_id=delivery.event_id,
        status=cast(DeliveryStatus, delivery.status),
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        created_at=delivery.created_at,
        finished_at=delivery.finished_at,
        attempt_log=[_attempt_out(a) for a in attempts],
    )


@router.post("/webhooks", status_code=201)
async def create_webhook(
    body: WebhookIn, workspace_id: AdminWorkspaceDep, runtime: RuntimeDep
) -> IssuedWebhookOut:
    """Add an endpoint; the signing secret is in this answer only, store it now."""
    cipher = runtime.cipher
    async with runtime.changes() as session:
        issued = await webhooks.create_webhook(
            session, cipher, workspace_id, body.url, body.events, body.description
        )
        out = _webhook_out(issued.webhook)
    return IssuedWebhookOut(**out.model_dump(), secret=issued.secret)


@router.get("/webhooks")
async def list_webhooks(workspace_id: AdminWorkspaceDep, runtime: RuntimeDep) -> WebhookList:
    async with runtime.reads() as session:
        rows = await webhooks.list_webhooks(session, workspace_id)
    return WebhookList(webhooks=[_webhook_out(w) for w in rows])


@router.get("/webhooks/{webhook_id}")
async def get_webhook(
    webhook_id: str, workspace_id: AdminWorkspaceDep, runtime: RuntimeDep
) -> WebhookOut:
    async with runtime.reads() as session:
        return _webhook_out(await webhooks.get_webhook(session, workspace_id, webhook_id))


@router.patch("/webhooks/{webhook_id}")
async def update_webhook(
    webhook_id: str, body: WebhookPatch, workspace_id: AdminWorkspaceDep, runtime: RuntimeDep
) -> WebhookOut:
    """Change the URL, events, description, or pause it (``active: false``)."""
    changes = body.model_dump(exclude_unset=True)
    async with runtime.changes() as session:
        webhook = await webhooks.update_webhook(session, workspace_id, webhook_id, changes)
        return _webhook_out(webhook)


@router.delete("/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(
    webhook_id: str, workspace_id: AdminWorkspaceDep, runtime: RuntimeDep
) -> Response:
    async with runtime.changes() as session:
        await webhooks.delete_webhook(session, workspace_id, webhook_id)
    return Response(status_code=204)


@router.get("/webhooks/{webhook_id}/deliveries")
async def deliveries(
    webhook_id: str,
    workspace_id: AdminWorkspaceDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> DeliveryList:
    """The newest deliveries first, each with every attempt's status, error and duration."""
    async with runtime.reads() as session:
        webhook = await webhooks.get_webhook(session, workspace_id, webhook_id)
        log = await outbox.log_of(session, webhook.id, limit)
    return DeliveryList(deliveries=[_delivery_out(d, a) for d, a in log])


@router.post("/webhooks/{webhook_id}/deliveries/{delivery_id}/resend", status_code=202)
async def resend(
    webhook_id: str, delivery_id: str, workspace_id: AdminWorkspaceDep, runtime: RuntimeDep
) -> DeliveryOut:
    """Send a delivered or failed message again: same webhook-id, same body."""
    async with runtime.changes() as session:
        delivery = await webhooks.resend(session, workspace_id, webhook_id, delivery_id)
    runtime.alerts.wake()
    return _delivery_out(delivery, [])


@router.post("/webhooks/{webhook_id}/test", status_code=202)
async def send_test(
    webhook_id: str, workspace_id: AdminWorkspaceDep, runtime: RuntimeDep
) -> DeliveryOut:
    """Queue a ``webhook.test`` ping; follow it in the delivery log."""
    async with runtime.changes() as session:
        delivery = await webhooks.send_test(session, workspace_id, webhook_id)
    runtime.alerts.wake()
    return _delivery_out(delivery, [])


@router.get("/alerts/preferences")
async def my_preferences(caller: CallerDep, runtime: RuntimeDep) -> PreferencesOut:
    """Whether I get an email when a conversation starts waiting."""
    async with runtime.reads() as session:
        enabled = await preferences.email_alerts(session, caller)
    return PreferencesOut(email_alerts=enabled, email_configured=bool(runtime.settings.smtp_host))


@router.patch("/alerts/preferences")
async def set_my_preferences(
    body: PreferencesIn, caller: CallerDep, runtime: RuntimeDep
) -> PreferencesOut:
    preferences.member_of(caller)  # an API key has none: refused before the write lock
    async with runtime.changes() as session:
        enabled = await preferences.set_email_alerts(session, caller, body.email_alerts)
    return PreferencesOut(email_alerts=enabled, email_configured=bool(runtime.settings.smtp_host))
