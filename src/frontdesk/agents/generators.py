"""Which generator writes an agent's answers, and the checked settings it needs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from pydantic import ConfigDict, Field, ValidationError, field_validator

from frontdesk.agents.models import Agent
from frontdesk.errors import InvalidInput
from frontdesk.inputs import Input

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


def llama_cpp_installed() -> bool:
    try:
        return importlib.util.find_spec("cyllama") is not None
    except ValueError:  # sys.modules holds None for it: its import is blocked
        return False


def check_generator(agent: Agent) -> None:
    """The agent's generator can run here; its settings are stored checked, defaults filled."""
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
