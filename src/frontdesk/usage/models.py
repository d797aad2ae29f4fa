"""One row per workspace and calendar month (UTC), counted as things happen; and the AI
answers of that month per generator and model, with the tokens each model used."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db.base import Base

MODEL_CHARS = 255


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


class UsageModel(Base):
    """A month's AI answers by one generator and model: its rows add up to the month's
    ``ai_answers`` and ``tokens`` (from migration 0010 on; earlier answers have none)."""

    __tablename__ = "usage_models"

    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    generator: Mapped[str] = mapped_column(String(32), primary_key=True)
    model: Mapped[str] = mapped_column(String(MODEL_CHARS), primary_key=True)  # "": no model
    answers: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
