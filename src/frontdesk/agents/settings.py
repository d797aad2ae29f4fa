"""An agent's settings as the API, the CLI and agent files accept and return them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, field_validator

from frontdesk.actions.config import Action, FormAction, HttpAction, check_actions
from frontdesk.agents.models import Agent
from frontdesk.inputs import Input
from frontdesk.net.origins import normalize_origin
from frontdesk.rules.config import RulesConfig
from frontdesk.rules.hours import BusinessHours

Origin = Annotated[str, StringConstraints(max_length=300)]
_ACTIONS: TypeAdapter[list[Action]] = TypeAdapter(list[Action])


def agent_actions(agent: Agent) -> dict[str, FormAction | HttpAction]:
    """The agent's actions by name, as its settings declare them."""
    return {action.name: action for action in _ACTIONS.validate_python(agent.actions or [])}


class AgentSettings(Input):
    model_config = ConfigDict(extra="forbid")

    greeting: str | None = Field(None, max_length=2000)
    instructions: str | None = Field(None, max_length=8000)
    handoff_message: str | None = Field(None, max_length=2000)
    handoff_wait_s: int | None = Field(
        None,
        ge=5,
        le=86400,
        description="Seconds a visitor waits for a person before being offered the offline "
        "form (rules.collect, else the business hours' form) instead of silence; 180 by "
        "default, 5 to 86400.",
    )
    language: str | None = Field(None, min_length=2, max_length=16)
    confidence_threshold: float | None = Field(None, ge=0, le=1)
    generator: Literal["extractive", "local", "openai", "anthropic"] | None = Field(
        None,
        description="extractive (the default), local (a GGUF model on this server), openai "
        "(an OpenAI-compatible chat-completions endpoint) or anthropic (Claude through the "
        "Messages API).",
    )
    generator_config: dict[str, Any] | None = Field(
        None,
        description="The generator's settings; local takes model_path (a .gguf file on the "
        "server), threads (2), max_tokens (256) and temperature (0); openai takes base_url, "
        "model, api_key_secret (the name of a workspace secret), timeout_s (30), max_tokens "
        "(256), temperature (0), retries (2) and max_retry_wait_s (10); anthropic takes model, "
        "api_key_secret, base_url, timeout_s (30) and max_tokens (512).",
    )
    theme_color: str | None = Field(
        None, pattern=r"^#[0-9a-fA-F]{6}$", description="Widget colour as #rrggbb."
    )
    position: Literal["right", "left"] | None = None
    rules: RulesConfig | None = Field(None, description="Escalation rules (see README).")
    business_hours: BusinessHours | None = Field(
        None,
        description="When a person can answer; outside them a handoff gets the closed message.",
    )
    actions: list[Action] | None = Field(
        None, max_length=50, description="Forms and HTTP actions (see README)."
    )
    allowed_origins: list[Origin] | None = Field(
        None,
        max_length=50,
        description="Sites allowed to embed the widget, e.g. https://example.com or "
        "https://*.example.com; empty allows any site.",
    )

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [normalize_origin(v) for v in value]

    @field_validator("actions")
    @classmethod
    def _actions(cls, value: list[Action] | None) -> list[Action] | None:
        if value is not None:
            check_actions(value)
        return value


class AgentIn(AgentSettings):
    name: str = Field(min_length=1, max_length=120)


class AgentPatch(AgentSettings):
    name: str | None = Field(None, min_length=1, max_length=120)


class AgentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    workspace_id: str
    name: str
    public_key: str
    greeting: str
    instructions: str
    handoff_message: str
    handoff_wait_s: int
    language: str
    confidence_threshold: float
    generator: str
    generator_config: dict[str, Any]
    theme_color: str
    position: str
    allowed_origins: list[str]
    rules: RulesConfig
    business_hours: BusinessHours | None
    actions: list[Action]
    created_at: datetime
    updated_at: datetime
