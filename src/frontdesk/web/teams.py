"""Teams (admins edit them, everyone reads them), member presence, moving a conversation."""

from __future__ import annotations

from fastapi import APIRouter, Response

from frontdesk.conversations import lifecycle, repository, routing, team_changes
from frontdesk.conversations.schemas import ConversationOut
from frontdesk.errors import Forbidden
from frontdesk.teams import service
from frontdesk.teams.schemas import (
    PresenceIn,
    PresenceOut,
    TeamIn,
    TeamList,
    TeamOut,
    TeamPatch,
    TeamRefIn,
)
from frontdesk.web.deps import AdminWorkspaceDep, CallerDep, RuntimeDep, WorkspaceDep

router = APIRouter(prefix="/api/v1", tags=["teams"])


@router.get("/teams")
async def list_teams(workspace: WorkspaceDep, runtime: RuntimeDep) -> TeamList:
    """Every team with its members, their presence and open conversations."""
    async with runtime.reads() as session:
        teams = await service.list_teams(session, workspace)
        return TeamList(teams=await service.describe_teams(session, teams, routing.open_counts))


@router.post("/teams", status_code=201)
async def create_team(body: TeamIn, workspace: AdminWorkspaceDep, runtime: RuntimeDep) -> TeamOut:
    async with runtime.changes() as session:
        team = await service.create_team(session, workspace, body)
        await lifecycle.fill(session, team)
        [out] = await service.describe_teams(session, [team], routing.open_counts)
    return out


@router.patch("/teams/{team_id}")
async def update_team(
    team_id: str, body: TeamPatch, workspace: AdminWorkspaceDep, runtime: RuntimeDep
) -> TeamOut:
    """Only the fields sent change; ``members`` replaces the whole list."""
    async with runtime.changes() as session:
        team = await service.get_team(session, workspace, team_id)
        # Auto-assignment turned on, a member added or a limit raised: the queue may move.
        await team_changes.update_team(session, team, body.model_dump(exclude_unset=True))
        [out] = await service.describe_teams(session, [team], routing.open_counts)
    return out


@router.delete("/teams/{team_id}", status_code=204)
async def delete_team(team_id: str, workspace: AdminWorkspaceDep, runtime: RuntimeDep) -> Response:
    async with runtime.changes() as session:
        await team_changes.delete_team(session, await service.get_team(session, workspace, team_id))
    return Response(status_code=204)


@router.put("/me/presence")
async def set_presence(body: PresenceIn, caller: CallerDep, runtime: RuntimeDep) -> PresenceOut:
    """Online or away. Away keeps the inbox live but takes no new auto-assigned chats;
    offline is not a choice: it is what a member is with no inbox open."""
    if caller.member_id is None:
        raise Forbidden("Presence belongs to a signed-in member, not to an API key.")
    member = await runtime.presence.choose(caller.member_id, body.status)
    return PresenceOut(
        member_id=member.id,
        presence=member.presence,
        choice=member.presence_choice,
    )


@router.post("/conversations/{conversation_id}/team")
async def move_to_team(
    conversation_id: str, body: TeamRefIn, caller: CallerDep, runtime: RuntimeDep
) -> ConversationOut:
    """Send a conversation to another team (``team_id`` null: to nobody in particular)."""
    async with runtime.changes() as session:
        conversation = await repository.get_conversation(
            session, caller.workspace_id, conversation_id
        )
        team = (
            await service.get_team(session, caller.workspace_id, body.team_id)
            if body.team_id
            else None
        )
        await lifecycle.move_to_team(session, caller, conversation, team)
        [view] = await repository.describe(session, [conversation], caller.member_id)
    return view
