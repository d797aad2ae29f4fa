"""One run of an action on a conversation: a form answered or skipped, an HTTP call made,
a tool the model called."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db.base import Base, UtcDateTime, new_id, utcnow


class ActionRun(Base):
    __tablename__ = "action_runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("run"))
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(64))
    # form | http (a form's follow-up) | tool (called by the model while it answered)
    kind: Mapped[str] = mapped_column(String(16))
    # submitted | skipped (forms); running | succeeded | failed (HTTP, tools)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    request: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # How long the call took, retries included (HTTP and tools).
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # A running HTTP run is being sent by whoever claimed it until then (then it is free).
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # When the job of a running HTTP run was sent: as the row is written, since its writer
    # sends the job once that commits; None once a sender took it.
    job_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, default=utcnow)
