"""An agent's escalation rules as stored on the agent and edited through the API."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from frontdesk.inputs import Input
from frontdesk.rules.topics import DEFAULT_THRESHOLD

PriorityName = Literal["low", "normal", "high", "urgent"]


Tag = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
TeamName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
# The name of one of the agent's form actions (an action name is at most 40 characters).
FormName = Annotated[str, StringConstraints(max_length=40)]
Example = Annotated[str, StringConstraints(max_length=300)]
Phrase = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class RuleEffects(Input):
    """What a matching keyword or topic does besides handing off."""

    model_config = ConfigDict(extra="forbid")

    priority: PriorityName | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=10)
    collect: FormName | None = Field(None, description="Form action collected before the handoff.")
    team: TeamName | None = Field(
        None, description="Team (by name) the conversation is handed to, e.g. 'Finance'."
    )


class KeywordRule(RuleEffects):
    phrase: Phrase


KeywordsIn = Annotated[list[KeywordRule | Phrase], Field(max_length=200)]


class TopicRule(RuleEffects):
    name: str = Field(min_length=1, max_length=100)
    examples: list[Example] = Field(min_length=1, max_length=50)
    handoff: bool = Field(True, description="Hand off when a message is about this topic.")


class RulesConfig(Input):
    """Checked on every visitor message while the AI owns the conversation, in this order:
    explicit request, keyword, topic, failed attempts, message count, frustration; then low
    confidence."""

    model_config = ConfigDict(extra="forbid")

    explicit_request: bool = True
    keywords: list[KeywordRule] = Field(default_factory=list, max_length=200)
    topics: list[TopicRule] = Field(default_factory=list, max_length=300)
    topic_threshold: float = Field(DEFAULT_THRESHOLD, ge=0, le=1)
    failed_attempts: int | None = Field(
        None,
        ge=1,
        le=20,
        description="Hand off after this many unanswered questions or 'that didn't help' "
        "replies in a row (unset: the first unanswered question hands off).",
    )
    max_visitor_messages: int | None = Field(None, ge=1, le=1000)
    negative_sentiment: bool = True
    collect: FormName | None = Field(None, description="Form collected before any other handoff.")

    def forms_named(self) -> list[tuple[str, str]]:
        """(where, form name) for every form these rules collect."""
        named = [("rules.collect", self.collect)]
        named += [(f"rules.keywords.{i}.collect", k.collect) for i, k in enumerate(self.keywords)]
        named += [(f"rules.topics.{i}.collect", t.collect) for i, t in enumerate(self.topics)]
        return [(where, name) for where, name in named if name]

    # A bare phrase is short for {"phrase": ...}; the document says so too.
    @field_validator("keywords", mode="before", json_schema_input_type=KeywordsIn)
    @classmethod
    def _plain_keywords(cls, value: object) -> object:
        if isinstance(value, list):
            return [{"phrase": v} if isinstance(v, str) else v for v in value]
        return value
