"""One row per workspace and calendar month (UTC), counted as things happen."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db.base import Base


class UsageMonth(Base):
    __tablename__ = "usage_months"

    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-11"
    conversations: Mapped[int] = mapped_column(Integer, default=0)
    visitor_messages: Mapped[int] = mapped_column(Integer, default=0)
    ai_answers: Mapped[int] = mapped_column(Integer, default=0)
    tokens: Mapped[int] = mapped_column(Integer, default=0)
