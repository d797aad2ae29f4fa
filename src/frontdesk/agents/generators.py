"""Which generator writes an agent's answers, and the checked settings it needs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.agents.models import Agent
from frontdesk.errors import InvalidInput
from frontdesk.inputs import Input
from frontdesk.net.egress import split_destination
from frontdesk.vault.service import NAME as SECRET_NAME
from frontdesk.vault.service import list_secrets

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


class AnthropicConfig(Input):
    """``generator_config`` of an agent whose generator is ``anthropic``."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model: str = Field(min_length=1, max_length=200, description="A Claude model name.")
    api_key_secret: str = Field(
        pattern=SECRET_NAME.pattern,
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


def _checked(schema: type[BaseModel], config: dict[str, object] | None) -> dict[str, object]:
    try:
        return schema.model_validate(config or {}).model_dump()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(["generator_config", *(str(part) for part in first["loc"])])
        message = "is required" if first["type"] == "missing" else first["msg"]
        raise InvalidInput(
            f"{where}: {message.removeprefix('Value error, ')}", field=where
        ) from exc


async def check_generator_secret(session: AsyncSession, agent: Agent) -> None:
    """The secret an agent's generator takes its API key from exists in the workspace."""
    name = (agent.generator_config or {}).get("api_key_secret")
    if agent.generator != "anthropic" or not name:
        return
    if name not in {s.name for s in await list_secrets(session, agent.workspace_id)}:
        raise InvalidInput(
            f"generator_config.api_key_secret: the workspace has no secret {name}; "
            f"add it with `frontdesk secrets set {name}` first.",
            field="generator_config.api_key_secret",
        )


def llama_cpp_installed() -> bool:
    try:
        return importlib.util.find_spec("cyllama") is not None
    except ValueError:  # sys.modules holds None for it: its import is blocked
        return False


def check_generator(agent: Agent) -> None:
    """The agent's generator can run here; its settings are stored checked, defaults filled."""
    if agent.generator == "anthropic":
        agent.generator_config = _checked(AnthropicConfig, agent.generator_config)
        return
    if agent.generator != "local":
        return
    if not llama_cpp_installed():
        raise InvalidInput(
            f"The local generator needs llama.cpp, not installed on this server: {INSTALL_LOCAL}",
            field="generator",
        )
    try:
        config = LocalModelConfig.model_validate(agent.generator_config or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(["generator_config", *(str(part) for part in first["loc"])])
        message = "is required" if first["type"] == "missing" else first["msg"]
        raise InvalidInput(
            f"{where}: {message.removeprefix('Value error, ')}", field=where
        ) from exc
    agent.generator_config = config.model_dump()
