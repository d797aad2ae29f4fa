"""Which generator writes an agent's answers, and the checked settings it needs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from pydantic import ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.agents.models import Agent
from frontdesk.errors import InvalidInput
from frontdesk.inputs import Input
from frontdesk.net.egress import split_destination
from frontdesk.vault.service import NAME, secret_exists

INSTALL_LOCAL = "pip install 'frontdesk[local]'"


class LocalModelConfig(Input):
    """``generator_config`` of an agent whose generator is ``local``."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model_path: str = Field(
        min_length=1, max_length=4096, description="A GGUF model file on the server."
    )
    threads: int = Field(2, ge=1, le=64, description="CPU threads llama.cpp uses.")
    max_tokens: int = Field(256, ge=16, le=4096, description="The longest reply, in tokens.")
    temperature: float = Field(0.0, ge=0, le=2, description="0 always picks the likeliest word.")

    @field_validator("model_path")
    @classmethod
    def _gguf_file(cls, value: str) -> str:
        path = Path(value).expanduser()
        if path.suffix.lower() != ".gguf":
            raise ValueError(f"{value} is not a .gguf file (the local generator runs GGUF models)")
        if not path.is_file():
            raise ValueError(f"there is no file {value} on the server")
        return str(path.resolve())


class OpenAIConfig(Input):
    """``generator_config`` of an agent whose generator is ``openai``."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    base_url: str = Field(
        min_length=1,
        max_length=2048,
        description="The endpoint's API root, e.g. https://api.openai.com/v1 or "
        "http://10.0.0.5:11434/v1 (a private host must be allowed by an admin).",
    )
    model: str = Field(min_length=1, max_length=200, description="The model's name there.")
    api_key_secret: str | None = Field(
        None,
        description="The NAME of the workspace secret holding the API key (none for an "
        "endpoint that needs no key).",
    )
    timeout_s: float = Field(30.0, gt=0, le=600, description="The longest one reply may take.")
    max_tokens: int = Field(256, ge=16, le=4096, description="The longest reply, in tokens.")
    temperature: float = Field(0.0, ge=0, le=2, description="0 always picks the likeliest word.")
    retries: int = Field(2, ge=0, le=5, description="Retries after HTTP 429 or 5xx.")
    max_retry_wait_s: float = Field(
        10.0, ge=0, le=120, description="The longest all retries may wait together."
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        try:
            split_destination(value)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None
        return value.rstrip("/")

    @field_validator("api_key_secret")
    @classmethod
    def _secret_name(cls, value: str | None) -> str | None:
        if value is not None and not NAME.match(value):
            raise ValueError(
                "a secret name is upper-case letters, digits and _, starting with a letter"
            )
        return value


class AnthropicConfig(Input):
    """``generator_config`` of an agent whose generator is ``anthropic``."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model: str = Field(min_length=1, max_length=200, description="A Claude model name.")
    api_key_secret: str = Field(
        pattern=NAME.pattern,
        description="The name of the workspace secret holding the API key (not the key).",
    )
    base_url: str = Field(
        "https://api.anthropic.com",
        max_length=2000,
        description="The Messages API's address; a proxy's, if calls go through one.",
    )
    timeout_s: float = Field(30.0, gt=0, le=300, description="The longest wait for an answer.")
    max_tokens: int = Field(512, ge=16, le=8192, description="The longest reply, in tokens.")
    temperature: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Not sent unless set: the Messages API version the SDK speaks refuses it; "
        "for an older endpoint behind a proxy.",
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        try:
            split_destination(value)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None
        return value


CONFIGS: dict[str, type[Input]] = {
    "local": LocalModelConfig,
    "openai": OpenAIConfig,
    "anthropic": AnthropicConfig,
}


def llama_cpp_installed() -> bool:
    try:
        return importlib.util.find_spec("cyllama") is not None
    except ValueError:  # sys.modules holds None for it: its import is blocked
        return False


def check_generator(agent: Agent) -> None:
    """The agent's generator can run here; its settings are stored checked, defaults filled."""
    schema = CONFIGS.get(agent.generator)
    if schema is None:
        return
    if agent.generator == "local" and not llama_cpp_installed():
        raise InvalidInput(
            f"The local generator needs llama.cpp, not installed on this server: {INSTALL_LOCAL}",
            field="generator",
        )
    try:
        config = schema.model_validate(agent.generator_config or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(["generator_config", *(str(part) for part in first["loc"])])
        message = "is required" if first["type"] == "missing" else first["msg"]
        raise InvalidInput(
            f"{where}: {message.removeprefix('Value error, ')}", field=where
        ) from exc
    agent.generator_config = config.model_dump()


async def check_generator_secret(session: AsyncSession, agent: Agent) -> None:
    """The API key an ``openai`` or ``anthropic`` agent names is in its workspace's store."""
    if agent.generator not in ("openai", "anthropic"):
        return
    name = (agent.generator_config or {}).get("api_key_secret")
    if name and not await secret_exists(session, agent.workspace_id, name):
        raise InvalidInput(
            f"generator_config.api_key_secret: the workspace has no secret {name}; "
            f"add it first with `frontdesk secrets set {name}`.",
            field="generator_config.api_key_secret",
        )
