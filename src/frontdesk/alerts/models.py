"""Webhook endpoints, the delivery outbox with its attempt log, the positions, preferences."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db.base import Base, Timestamped, UtcDateTime, new_id, utcnow

Channel = Literal["webhook", "email"]
DeliveryStatus = Literal["pending", "delivered", "failed"]


class Webhook(Timestamped, Base):
    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("wh"))
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # "whsec_..." sealed with the server key, bound to this webhook's id.
    secret_ciphertext: Mapped[str] = mapped_column(Text)


class Delivery(Base):
    """One message to one destination; its id is the webhook-id header, stable on retry."""

    __tablename__ = "alert_deliveries"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("dlv"))
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    webhook_id: Mapped[str | None] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=True, index=True
    )
    member_id: Mapped[str | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), nullable=True
    )
    recipient: Mapped[str | None] = mapped_column(String(320), nullable=True)
    event_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    event_type: Mapped[str] = mapped_column(String(40))
    # Unique per (event, destination): a second dispatcher cannot queue the same one twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True, nullable=True)
    # The exact bytes that are signed and sent (webhook), or the email as JSON.
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Retries used in the current round; a manual resend starts a new round.
    retries: Mapped[int] = mapped_column(Integer, default=0)
    # When the next attempt is due; while an attempt is being made, when its lease ends.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)
    # When the job of the due attempt was sent; None when none is waiting in the queue.
    job_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class DeliveryAttempt(Base):
    __tablename__ = "alert_attempts"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("alert_deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    response_excerpt: Mapped[str | None] = mapped_column(Text, nullable=True)
    duration_ms: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AlertPosition(Base):
    """How far a workspace's event stream was turned into deliveries: the last ``seq`` read.

    No row means 0: the workspace's events all come after the alerts began (migration 0012
    gave every workspace that had older events a row).
    """

    __tablename__ = "alert_positions"

    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer)


class AlertPreference(Base):
    """A member's own alert choices; no row means the defaults (email on)."""

    __tablename__ = "alert_preferences"

    member_id: Mapped[str] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    email_alerts: Mapped[bool] = mapped_column(Boolean, default=True)
