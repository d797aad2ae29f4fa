"""Knowledge-gap titles the agents' models wrote, kept so a report does not ask again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db.base import Base, UtcDateTime, utcnow


class GapTitle(Base):
    __tablename__ = "gap_titles"

    agent_id: Mapped[str] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    # sha256 of the group's distinct questions (insights/titles.py): a group that gains a
    # question is titled again.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))  # "": the model wrote nothing usable
    generator: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
