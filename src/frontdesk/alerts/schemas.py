"""What the alerts API accepts and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from frontdesk.alerts.events import PublicEvent
from frontdesk.inputs import Input


def _unique(events: list[PublicEvent]) -> list[PublicEvent]:
    return list(dict.fromkeys(events))


class WebhookIn(Input):
    url: str = Field(max_length=2000, description="An http or https URL that accepts POST.")
    events: list[PublicEvent] = Field(min_length=1, description="Event types to send.")
    description: str | None = Field(None, max_length=500)

    @field_validator("events")
    @classmethod
    def _dedupe(cls, events: list[PublicEvent]) -> list[PublicEvent]:
        return _unique(events)


class WebhookPatch(Input):
    url: str | None = Field(None, max_length=2000)
    events: list[PublicEvent] | None = Field(None, min_length=1)
    description: str | None = Field(None, max_length=500)
    active: bool | None = None

    @field_validator("events")
    @classmethod
    def _dedupe(cls, events: list[PublicEvent] | None) -> list[PublicEvent] | None:
        return _unique(events) if events is not None else None


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str | None
    active: bool
    created_at: datetime
    updated_at: datetime


class IssuedWebhookOut(WebhookOut):
    secret: str = Field(
        description="The signing secret (whsec_...); shown only this once, store it now."
    )


class WebhookList(BaseModel):
    webhooks: list[WebhookOut]


class AttemptOut(BaseModel):
    number: int
    ok: bool
    status_code: int | None
    error: str | None
    response_excerpt: str | None
    duration_ms: int
    created_at: datetime


class DeliveryOut(BaseModel):
    id: str = Field(description="Sent as the webhook-id header; the same on every retry.")
    event_type: str
    event_id: int | None
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None
    attempt_log: list[AttemptOut]


class DeliveryList(BaseModel):
    deliveries: list[DeliveryOut]


class PreferencesOut(BaseModel):
    email_alerts: bool = Field(description="Email me when a conversation starts waiting.")
    email_configured: bool = Field(description="Whether the server has SMTP set up.")


class PreferencesIn(Input):
    email_alerts: bool


class DeadLetterOut(BaseModel):
    kind: Literal["webhook", "email", "action"] = Field(
        description="A webhook delivery, an alert email, or a form's HTTP action run."
    )
    id: str
    what: str = Field(description="The event type, or the action's name.")
    destination: str = Field(
        description="The webhook's URL, the email's recipient, or the request (no secrets)."
    )
    attempts: int
    last_error: str | None
    last_status_code: int | None
    failed_at: datetime | None
    conversation_id: str | None = Field(description="The conversation of an action run.")


class DeadLetterList(BaseModel):
    dead_letters: list[DeadLetterOut]


class RetriedOut(BaseModel):
    id: str
    status: Literal["pending", "running"] = Field(
        description="pending (a delivery, due now) or running (an action run)."
    )
