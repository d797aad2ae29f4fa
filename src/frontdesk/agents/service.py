"""Agent use-cases: create, list, find by id or name, update, delete."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.agents.generators import check_generator, check_generator_secret
from frontdesk.agents.models import Agent
from frontdesk.db.tenancy import get_in_workspace
from frontdesk.db.unique import unique_or
from frontdesk.errors import Conflict, InvalidInput, NotFound
from frontdesk.knowledge.models import Source
from frontdesk.rules.config import RulesConfig

EDITABLE = (
    "name",
    "greeting",
    "instructions",
    "handoff_message",
    "handoff_wait_s",
    "language",
    "confidence_threshold",
    "generator",
    "generator_config",
    "theme_color",
    "position",
    "allowed_origins",
    "rules",
    "business_hours",
    "actions",
)
# Settings a null clears (an update leaves other keys it sets to null untouched).
CLEARABLE = ("business_hours",)
# The last guard behind each field's own limits: an agent's settings are read on every visitor
# message and listed with every agent, so they stay small (the demo agent's are 2 KB).
MAX_SETTINGS_BYTES = 256 * 1024


def _check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput("An agent needs a name.", field="name")
    if len(name) > 120:
        raise InvalidInput("An agent name can be at most 120 characters.", field="name")
    return name


def _name_taken(name: str) -> Conflict:
    return Conflict(f"An agent named '{name}' already exists.", field="name")


async def create_agent(
    session: AsyncSession,
    workspace_id: str,
    name: str,
    default_threshold: float | None = None,
    **settings: Any,
) -> Agent:
    """``default_threshold``: the confidence threshold when ``settings`` set none (the
    server's FRONTDESK_DEFAULT_CONFIDENCE_THRESHOLD); the fitted default when None too."""
    name = _check_name(name)
    if await _by_name(session, workspace_id, name) is not None:
        raise _name_taken(name)
    agent = Agent(workspace_id=workspace_id, name=name)
    if default_threshold is not None:
        agent.confidence_threshold = default_threshold
    for key, value in settings.items():
        if key in EDITABLE and value is not None:
            setattr(agent, key, value)
    check_forms_named(agent)
    check_generator(agent)
    await check_generator_secret(session, agent)
    check_settings_size(agent)
    async with unique_or(session, _name_taken(name)):
        session.add(agent)
    return agent


async def list_agents(session: AsyncSession, workspace_id: str) -> list[Agent]:
    result = await session.scalars(
        select(Agent).where(Agent.workspace_id == workspace_id).order_by(Agent.created_at)
    )
    return list(result)


async def _by_name(session: AsyncSession, workspace_id: str, name: str) -> Agent | None:
    return await session.scalar(
        select(Agent).where(Agent.workspace_id == workspace_id, Agent.name == name)
    )


async def get_agent(session: AsyncSession, workspace_id: str, agent_id: str) -> Agent:
    return await get_in_workspace(session, Agent, workspace_id, agent_id, "agent")


async def find_agent(session: AsyncSession, workspace_id: str, name_or_id: str) -> Agent:
    """An agent by exact name or by id (the CLI accepts either)."""
    agent = await _by_name(session, workspace_id, name_or_id)
    if agent is None:
        agent = await session.scalar(
            select(Agent).where(Agent.workspace_id == workspace_id, Agent.id == name_or_id)
        )
    if agent is None:
        raise NotFound(f"No agent named '{name_or_id}'. Create it with: frontdesk agents create")
    return agent


async def update_agent(session: AsyncSession, agent: Agent, changes: dict[str, Any]) -> Agent:
    if "name" in changes and changes["name"] is not None:
        name = _check_name(changes["name"])
        other = await _by_name(session, agent.workspace_id, name)
        if other is not None and other.id != agent.id:
            raise _name_taken(name)
        changes = {**changes, "name": name}
    for key, value in changes.items():
        if key in EDITABLE and (value is not None or key in CLEARABLE):
            setattr(agent, key, value)
    check_forms_named(agent)
    check_generator(agent)
    await check_generator_secret(session, agent)
    check_settings_size(agent)
    async with unique_or(session, _name_taken(agent.name)):
        await session.flush()
    return agent


async def delete_agent(session: AsyncSession, agent: Agent, uploads_dir: Path) -> None:
    """Delete the agent with its sources, chunks and uploaded files."""
    source_ids = list(await session.scalars(select(Source.id).where(Source.agent_id == agent.id)))
    await session.delete(agent)
    await session.flush()
    for source_id in source_ids:
        shutil.rmtree(uploads_dir / agent.workspace_id / source_id, ignore_errors=True)


def check_forms_named(agent: Agent) -> None:
    """Every form the rules or business hours collect is one of the agent's form actions."""
    forms = {a["name"] for a in agent.actions or [] if a.get("kind") == "form"}
    named = RulesConfig.model_validate(agent.rules or {}).forms_named()
    if agent.business_hours and agent.business_hours.get("collect"):
        named.append(("business_hours.collect", agent.business_hours["collect"]))
    for where, name in named:
        if name not in forms:
            known = ", ".join(sorted(forms)) or "none"
            raise InvalidInput(
                f"{where}: {name!r} is not a form action of this agent (forms: {known}).",
                field=where,
            )


def check_settings_size(agent: Agent) -> None:
    """The settings as stored stay under MAX_SETTINGS_BYTES; the error names the largest."""
    sizes = {
        key: len(json.dumps(getattr(agent, key), ensure_ascii=False, default=str).encode())
        for key in EDITABLE
    }
    total = sum(sizes.values())
    if total > MAX_SETTINGS_BYTES:
        largest = max(sizes, key=lambda key: sizes[key])
        raise InvalidInput(
            f"The agent's settings take {total // 1024} KB, over the "
            f"{MAX_SETTINGS_BYTES // 1024} KB limit ({largest} alone takes "
            f"{sizes[largest] // 1024} KB).",
            field=largest,
        )
