"""Agent configuration as a YAML file: import (create or update by name) and export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.agents import safeyaml, service
from frontdesk.agents.models import Agent
from frontdesk.agents.settings import AgentIn
from frontdesk.errors import InvalidInput, NotFound

# An agent file holds exactly what the API lets an owner edit.
EXPORTED = service.EDITABLE


def _line_of(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the YAML node at ``loc`` (or of its nearest existing parent)."""
    node, line = root, None
    for part in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        else:
            node = None
    return node.start_mark.line + 1 if node is not None else line


def _path(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The error's location in the file: without validator names and action kind tags."""
    path: list[Any] = []
    for part in loc:
        if isinstance(part, str) and part.startswith("function"):
            continue
        if part in ("form", "http") and len(path) >= 2 and path[-2] == "actions":
            continue
        path.append(part)
    return tuple(path)


def read_agent_file(path: Path) -> AgentIn:
    """Validate the agent file at ``path``, refusing an oversized one before reading it all."""
    with path.open("rb") as file:
        raw = file.read(safeyaml.MAX_FILE_BYTES + 1)
    safeyaml.check_size(len(raw))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput("The agent file is not UTF-8 text.") from exc
    return parse_agent_file(text)


def parse_agent_file(text: str) -> AgentIn:
    """Validate an agent file; errors name the line and the field."""
    root, data = safeyaml.load(text)
    if not isinstance(data, dict):
        raise InvalidInput("An agent file is a mapping with at least a `name`.")
    try:
        return AgentIn.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = _path(first["loc"])
        field = ".".join(str(p) for p in loc)
        line = _line_of(root, loc)
        where = f"line {line}: " if line else ""
        message = "is required" if first["type"] == "missing" else first["msg"]
        raise InvalidInput(f"{where}{field}: {message}", field=field or None) from exc


async def import_agent(
    session: AsyncSession, workspace_id: str, spec: AgentIn, default_threshold: float | None = None
) -> tuple[Agent, bool]:
    """Create the agent, or update the one with the same name (keys left out keep values);
    a new agent's threshold is ``default_threshold`` when the file sets none."""
    values = spec.model_dump(mode="json", exclude_unset=True, exclude={"name"})
    if "rules" in values and spec.rules is not None:
        values["rules"] = spec.rules.model_dump(mode="json", exclude_defaults=True)
    try:
        agent = await service.find_agent(session, workspace_id, spec.name)
    except NotFound:
        created = await service.create_agent(
            session, workspace_id, spec.name, default_threshold, **values
        )
        return created, True
    return await service.update_agent(session, agent, values), False


def export_agent(agent: Agent) -> str:
    data: dict[str, Any] = {key: getattr(agent, key) for key in EXPORTED}
    data["generator_config"] = dict(agent.generator_config or {})
    data["allowed_origins"] = list(agent.allowed_origins or [])
    data["rules"] = dict(agent.rules or {})
    data["actions"] = [dict(action) for action in agent.actions or []]
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
