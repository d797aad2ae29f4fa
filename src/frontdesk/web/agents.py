"""/api/v1/agents: create, list, read, update, delete; ask; search."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Query, Request, Response

from frontdesk.agents import configfile, safeyaml, service
from frontdesk.agents.settings import AgentIn, AgentOut, AgentPatch
from frontdesk.answering.schemas import AnswerOut, AskIn
from frontdesk.errors import InvalidInput
from frontdesk.knowledge.schemas import SearchHitOut
from frontdesk.web.deps import AdminWorkspaceDep, RuntimeDep, WorkspaceDep

router = APIRouter(prefix="/api/v1/agents", tags=["agents"])


@router.post("", status_code=201, response_model=AgentOut)
async def create_agent(
    body: AgentIn, workspace: AdminWorkspaceDep, runtime: RuntimeDep
) -> AgentOut:
    async with runtime.changes() as session:
        agent = await service.create_agent(
            session,
            workspace,
            default_threshold=runtime.settings.default_confidence_threshold,
            **body.model_dump(mode="json", exclude_none=True),
        )
        return AgentOut.model_validate(agent)


async def _read_agent_file(request: Request) -> bytes:
    """The body, refused as soon as it passes the agent-file limit (never read in full)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit():
        safeyaml.check_size(int(declared))
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        safeyaml.check_size(len(body))
    return bytes(body)


@router.post(
    "/import",
    response_model=AgentOut,
    responses={201: {"description": "Created"}, 200: {"description": "Updated (same name)"}},
    openapi_extra={
        "requestBody": {"content": {"application/yaml": {"schema": {"type": "string"}}}}
    },
)
async def import_agent(
    request: Request, response: Response, workspace: AdminWorkspaceDep, runtime: RuntimeDep
) -> AgentOut:
    """Create or update an agent from a YAML agent file (keys left out keep their values)."""
    body = await _read_agent_file(request)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput("The agent file is not UTF-8 text.") from exc
    # Parsing a file at the size limit takes seconds of pure Python: off the event loop.
    spec = await asyncio.to_thread(configfile.parse_agent_file, text)
    async with runtime.changes() as session:
        agent, created = await configfile.import_agent(
            session, workspace, spec, runtime.settings.default_confidence_threshold
        )
        response.status_code = 201 if created else 200
        return AgentOut.model_validate(agent)


AGENT_FILE = {
    "description": "The agent file: the keys POST /api/v1/agents takes, in YAML.",
    "content": {"application/yaml": {"schema": {"type": "object"}}},
}


@router.get("/{agent_id}/export", response_class=Response, responses={200: AGENT_FILE})
async def export_agent(agent_id: str, workspace: WorkspaceDep, runtime: RuntimeDep) -> Response:
    """The agent as a YAML file, ready for `frontdesk agents import`."""
    async with runtime.reads() as session:
        agent = await service.get_agent(session, workspace, agent_id)
    return Response(configfile.export_agent(agent), media_type="application/yaml")


@router.get("", response_model=list[AgentOut])
async def list_agents(workspace: WorkspaceDep, runtime: RuntimeDep) -> list[AgentOut]:
    async with runtime.reads() as session:
        return [AgentOut.model_validate(a) for a in await service.list_agents(session, workspace)]


@router.get("/{agent_id}", response_model=AgentOut)
async def get_agent(agent_id: str, workspace: WorkspaceDep, runtime: RuntimeDep) -> AgentOut:
    async with runtime.reads() as session:
        return AgentOut.model_validate(await service.get_agent(session, workspace, agent_id))


@router.patch("/{agent_id}", response_model=AgentOut)
async def update_agent(
    agent_id: str, body: AgentPatch, workspace: AdminWorkspaceDep, runtime: RuntimeDep
) -> AgentOut:
    async with runtime.changes() as session:
        agent = await service.get_agent(session, workspace, agent_id)
        agent = await service.update_agent(
            session, agent, body.model_dump(mode="json", exclude_unset=True)
        )
        await session.refresh(agent)
        return AgentOut.model_validate(agent)


@router.delete("/{agent_id}", status_code=204)
async def delete_agent(
    agent_id: str, workspace: AdminWorkspaceDep, runtime: RuntimeDep
) -> Response:
    async with runtime.changes(bulk=True) as session:  # its sources' chunks go with it
        agent = await service.get_agent(session, workspace, agent_id)
        await service.delete_agent(session, agent, runtime.settings.uploads_dir)
    return Response(status_code=204)


@router.post("/{agent_id}/ask", response_model=AnswerOut)
async def ask(
    agent_id: str, body: AskIn, workspace: WorkspaceDep, runtime: RuntimeDep
) -> AnswerOut:
    async with runtime.reads() as session:
        agent = await service.get_agent(session, workspace, agent_id)
    return await runtime.replies.respond(agent, body.question)


@router.get("/{agent_id}/search", response_model=list[SearchHitOut])
async def search(
    agent_id: str,
    workspace: WorkspaceDep,
    runtime: RuntimeDep,
    q: str = Query(min_length=1, max_length=2000),
    k: int = Query(5, ge=1, le=50),
    mode: Literal["hybrid", "lexical", "vector"] = "hybrid",
) -> list[SearchHitOut]:
    async with runtime.reads() as session:
        agent = await service.get_agent(session, workspace, agent_id)
        hits = await runtime.searcher.search(session, agent.id, q, k=k, mode=mode)
    return [SearchHitOut.model_validate(hit, from_attributes=True) for hit in hits]
