"""The answer object returned by the API, `frontdesk ask --json` and (later) the widget."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from frontdesk.answering.citations import citation_label
from frontdesk.inputs import Input

HandoffTrigger = Literal[
    "explicit_request",
    "keyword",
    "topic",
    "low_confidence",
    "failed_attempts",
    "max_messages",
    "sentiment",
    "button",
]


class AskIn(Input):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=2000)


class Citation(BaseModel):
    source: str = Field(description="The source's name: file name, page title or Q&A set.")
    source_id: str
    title: str = Field(description="Document title and heading of the cited passage.")
    location: str = Field(description="Page, row, heading or Q&A number inside the source.")
    url: str | None = None
    snippet: str = Field(description="The passage text the answer was drawn from.")
    score: float

    @computed_field(  # type: ignore[prop-decorator]  # pydantic's documented form
        description="What the widget shows the visitor: document title and section or page."
    )
    @property
    def label(self) -> str:
        # Derived, not stored: citations saved before labels existed get one when read.
        return citation_label(self.title, self.location, self.snippet, self.source)


class Handoff(BaseModel):
    triggered: bool
    trigger: HandoffTrigger | None = None
    reason: str | None = None
    priority: Literal["low", "normal", "high", "urgent"] | None = Field(
        None, description="Priority the rule that fired sets on the conversation."
    )
    tags: list[str] = Field(default_factory=list, description="Tags the rules add.")
    collect: str | None = Field(None, description="Form to collect before the handoff.")
    team: str | None = Field(None, description="Team the rule routes the conversation to.")


class AnswerOut(BaseModel):
    answer: str
    citations: list[Citation]
    confidence: float = Field(ge=0, le=1)
    threshold: float | None = Field(
        None, ge=0, le=1, description="The agent's threshold the confidence was judged against."
    )
    handoff: Handoff
    generator: str
    answered: bool = Field(
        True, description="False when the AI could not answer (counts toward failed_attempts)."
    )
    gap: bool = Field(
        False,
        description="True when the agent's knowledge had no answer (a knowledge gap in insights).",
    )
    prompt_tokens: int = Field(
        0, ge=0, description="Tokens the model read for this reply (0 when no model ran)."
    )
    completion_tokens: int = Field(
        0, ge=0, description="Tokens the model wrote for this reply (0 when no model ran)."
    )
    model: str = Field(
        "",
        description="The model the generator ran, as the agent's settings name it (the GGUF "
        "file's name for a local one); empty when no model ran.",
    )

    form: str | None = Field(None, description="A form the model offered, shown after the reply.")

    @computed_field(  # type: ignore[prop-decorator]  # pydantic's documented form
        description="prompt_tokens + completion_tokens."
    )
    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens
