"""Conversation, Message and each member's read position."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, model_validator
from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db.base import Base, Timestamped, UtcDateTime, new_id, utcnow


class Status(StrEnum):
    """Who owns the conversation: the AI, nobody yet, a person, or nobody any more."""

    BOT = "bot"
    WAITING = "waiting"
    HUMAN = "human"
    CLOSED = "closed"


Priority = Literal["low", "normal", "high", "urgent"]
Author = Literal["visitor", "ai", "member", "system"]
Rating = Literal["up", "down"]
PRIORITIES: tuple[Priority, ...] = ("low", "normal", "high", "urgent")
OPEN_STATUSES: tuple[Status, ...] = (Status.BOT, Status.WAITING, Status.HUMAN)


def _values(kind: type[StrEnum]) -> list[str]:
    return [member.value for member in kind]


class Conversation(Timestamped, Base):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_workspace_status", "workspace_id", "status"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("cv"))
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    status: Mapped[Status] = mapped_column(
        Enum(Status, native_enum=False, length=16, values_callable=_values, validate_strings=True),
        default=Status.BOT,
    )
    assignee_id: Mapped[str | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True, index=True
    )
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    visitor_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    page_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    # What the widget reported when the conversation started (the visitor panel shows them).
    referrer: Mapped[str | None] = mapped_column(Text, nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(512), nullable=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    # The last visitor message the AI replied to: a second process (or a recovery after a
    # restart) that answered the same message too never posts its reply.
    ai_answered_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    handoff_trigger: Mapped[str | None] = mapped_column(String(40), nullable=True)
    handoff_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    waiting_since: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_message_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The lead card: {"action", "title", "fields": [{"name", "label", "value"}], "submitted_at"}.
    lead: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # A form offered and not yet answered: {"action", "seq", "handoff": {...} | None}; a
    # handoff waits here for the form unless the visitor skips it or writes instead.
    pending_form: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    csat_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    csat_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    csat_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The team a handoff is routed to (by a rule's ``team`` or a team's route tags). No
    # foreign key (see migration 0009): deleting a team clears it.
    team_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    # Written when the conversation starts waiting: {"text", "wants", "answered", "unanswered",
    # "by", "at"}; shown at the top of the conversation in the inbox.
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    def drop_held_handoff(self) -> None:
        """A person decided what happens next: a form no longer holds back a handoff."""
        pending = self.pending_form
        if pending and pending.get("handoff"):
            self.pending_form = {**pending, "handoff": None}


class AnswerRecord(BaseModel):
    """What the answering pipeline said of an AI answer, kept in the message's ``payload``.

    Every field has a default: answers stored before a field existed read as that default."""

    answered: bool = True  # False counts toward the conversation's failed attempts
    gap: bool = False  # the knowledge had no answer: a knowledge gap in insights
    tokens: int = 0  # used by an LLM generator, metered: prompt_tokens + completion_tokens
    prompt_tokens: int = 0  # 0 in answers stored before the split was kept
    completion_tokens: int = 0
    generator: str | None = None
    model: str | None = None  # "" when no model ran; None: stored before models were kept
    threshold: float | None = None  # the agent's, the confidence was judged against
    handoff_trigger: str | None = None  # when the answer handed the conversation off

    @model_validator(mode="before")
    @classmethod
    def _null_is_default(cls, data: Any) -> Any:
        return {k: v for k, v in data.items() if v is not None} if isinstance(data, dict) else data

    @classmethod
    def key(cls, name: str) -> str:
        """The payload key of field ``name``, for JSON paths in SQL; KeyError if none."""
        if name not in cls.model_fields:
            raise KeyError(f"AnswerRecord has no field {name!r}")
        return name


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
        UniqueConstraint("conversation_id", "client_id", name="uq_messages_conversation_client"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("msg"))
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    author_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    client_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    event: Mapped[str | None] = mapped_column(String(40), nullable=True)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The visitor's thumbs up or down on an AI answer.
    feedback: Mapped[str | None] = mapped_column(String(8), nullable=True)
    feedback_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    @property
    def answer(self) -> AnswerRecord | None:
        """The record of an answer from the pipeline; None for every other message (a
        visitor's, a form, the handoff or closed-hours text, a note)."""
        if self.author != "ai" or self.event is not None or not self.payload:
            return None
        return AnswerRecord.model_validate(self.payload)


class ReadMark(Base):
    """How far a member has read a conversation (for unread counts)."""

    __tablename__ = "read_marks"

    member_id: Mapped[str] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, default=0)
