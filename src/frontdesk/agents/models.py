"""Agent: a configured assistant with its own sources, settings and public widget key."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db.base import Base, Timestamped, new_id
from frontdesk.settings import DEFAULT_CONFIDENCE_THRESHOLD

DEFAULT_HANDOFF = "Let me connect you with a specialist who can help further."
DEFAULT_THEME = "#1f6feb"
DEFAULT_GREETING = "Hi! Ask me anything about our products and services."
# Seconds a visitor waits for a person before the offline form is offered instead of silence.
DEFAULT_HANDOFF_WAIT_S = 180


def new_public_key() -> str:
    return "pk_" + secrets.token_urlsafe(18)


class Agent(Timestamped, Base):
    __tablename__ = "agents"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("agt"))
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    public_key: Mapped[str] = mapped_column(String(64), unique=True, default=new_public_key)
    greeting: Mapped[str] = mapped_column(Text, default=DEFAULT_GREETING)
    instructions: Mapped[str] = mapped_column(Text, default="")
    handoff_message: Mapped[str] = mapped_column(Text, default=DEFAULT_HANDOFF)
    handoff_wait_s: Mapped[int] = mapped_column(Integer, default=DEFAULT_HANDOFF_WAIT_S)
    language: Mapped[str] = mapped_column(String(16), default="en")
    confidence_threshold: Mapped[float] = mapped_column(Float, default=DEFAULT_CONFIDENCE_THRESHOLD)
    generator: Mapped[str] = mapped_column(String(32), default="extractive")
    generator_config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    theme_color: Mapped[str] = mapped_column(String(7), default=DEFAULT_THEME)
    position: Mapped[str] = mapped_column(String(8), default="right")
    allowed_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    business_hours: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
