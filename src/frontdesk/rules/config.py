"""An agent's escalation rules as stored on the agent and edited through the API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from frontdesk.rules.topics import DEFAULT_THRESHOLD

PriorityName = Literal["low", "normal", "high", "urgent"]


class KeywordRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phrase: str = Field(min_length=1, max_length=200)
    priority: PriorityName | None = None


class TopicRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    examples: list[str] = Field(min_length=1, max_length=50)
    priority: PriorityName | None = None
    handoff: bool = Field(True, description="Hand off when a message is about this topic.")


class RulesConfig(BaseModel):
    """Checked on every visitor message while the AI owns the conversation, in this order:
    explicit request, keyword, topic, message count, frustration; then low confidence."""

    model_config = ConfigDict(extra="forbid")

    explicit_request: bool = True
    keywords: list[KeywordRule] = Field(default_factory=list, max_length=200)
    topics: list[TopicRule] = Field(default_factory=list, max_length=300)
    topic_threshold: float = Field(DEFAULT_THRESHOLD, ge=0, le=1)
    max_visitor_messages: int | None = Field(None, ge=1, le=1000)
    negative_sentiment: bool = True

    @field_validator("keywords", mode="before")
    @classmethod
    def _plain_keywords(cls, value: object) -> object:
        if isinstance(value, list):
            return [{"phrase": v} if isinstance(v, str) else v for v in value]
        return value
