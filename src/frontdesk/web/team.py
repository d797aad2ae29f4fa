"""Team management: members and roles, invite links, workspace API keys."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from frontdesk.accounts import apikeys, invites
from frontdesk.accounts.models import ApiKey, Invite
from frontdesk.accounts.schemas import (
    ApiKeyIn,
    ApiKeyList,
    ApiKeyOut,
    InviteIn,
    InviteList,
    InviteOut,
    IssuedApiKeyOut,
    IssuedInviteOut,
    MemberList,
    MemberOut,
    RoleIn,
)
from frontdesk.accounts.service import change_role, list_members
from frontdesk.conversations.lifecycle import remove_member
from frontdesk.web.auth import announce_signed_out
from frontdesk.web.deps import CallerDep, RuntimeDep

router = APIRouter(prefix="/api/v1", tags=["team"])


def _invite_out(invite: Invite) -> dict[str, object]:
    return {
        "id": invite.id,
        "email": invite.email,
        "role": invite.role,
        "expires_at": invite.expires_at,
        "created_at": invite.created_at,
    }


def _key_out(key: ApiKey) -> dict[str, object]:
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "created_at": key.created_at,
        "last_used_at": key.last_used_at,
    }


def base_url(request: Request, public_url: str | None) -> str:
    return (public_url or str(request.base_url)).rstrip("/")


@router.get("/members")
async def members(caller: CallerDep, runtime: RuntimeDep) -> MemberList:
    async with runtime.reads() as session:
        rows = await list_members(session, caller.workspace_id)
    return MemberList(members=[MemberOut.model_validate(m) for m in rows])


@router.patch("/members/{member_id}")
async def set_role(
    member_id: str, body: RoleIn, caller: CallerDep, runtime: RuntimeDep
) -> MemberOut:
    # Whether the caller may is checked inside: it depends on the member's role as it is now.
    async with runtime.changes() as session:
        return MemberOut.model_validate(await change_role(session, caller, member_id, body.role))


@router.delete("/members/{member_id}", status_code=204)
async def delete_member(member_id: str, caller: CallerDep, runtime: RuntimeDep) -> Response:
    """Remove a member; their sessions end, their open inboxes disconnect, and their
    conversations go back to their teams' queues."""
    async with runtime.changes() as session:
        await remove_member(session, caller, member_id)
    await announce_signed_out(runtime, caller.workspace_id, member_id)
    return Response(status_code=204)


@router.post("/invites", status_code=201)
async def invite(
    body: InviteIn, request: Request, caller: CallerDep, runtime: RuntimeDep
) -> IssuedInviteOut:
    """Invite someone by email; the returned link (shown once) lets them set a password."""
    caller.require("admin")
    async with runtime.changes() as session:
        issued = await invites.create_invite(
            session, caller, body.email, body.role, runtime.settings.invite_days
        )
    url = f"{base_url(request, runtime.settings.public_url)}/inbox/invite/{issued.token}"
    return IssuedInviteOut.model_validate({**_invite_out(issued.invite), "url": url})


@router.get("/invites")
async def pending_invites(caller: CallerDep, runtime: RuntimeDep) -> InviteList:
    caller.require("admin")
    async with runtime.reads() as session:
        rows = await invites.list_invites(session, caller.workspace_id)
    return InviteList(invites=[InviteOut.model_validate(_invite_out(i)) for i in rows])


@router.delete("/invites/{invite_id}", status_code=204)
async def revoke_invite(invite_id: str, caller: CallerDep, runtime: RuntimeDep) -> Response:
    caller.require("admin")
    async with runtime.changes() as session:
        await invites.revoke_invite(session, caller, invite_id)
    return Response(status_code=204)


@router.get("/apikeys")
async def api_keys(caller: CallerDep, runtime: RuntimeDep) -> ApiKeyList:
    caller.require("admin")
    async with runtime.reads() as session:
        rows = await apikeys.list_api_keys(session, caller.workspace_id)
    return ApiKeyList(api_keys=[ApiKeyOut.model_validate(_key_out(k)) for k in rows])


@router.post("/apikeys", status_code=201)
async def create_api_key(body: ApiKeyIn, caller: CallerDep, runtime: RuntimeDep) -> IssuedApiKeyOut:
    """A new workspace API key; the key itself is returned only this once."""
    caller.require("admin")
    async with runtime.changes() as session:
        issued = await apikeys.create_api_key(session, caller.workspace_id, body.name)
    return IssuedApiKeyOut.model_validate({**_key_out(issued.api_key), "key": issued.key})


@router.delete("/apikeys/{key_id}", status_code=204)
async def revoke_api_key(key_id: str, caller: CallerDep, runtime: RuntimeDep) -> Response:
    caller.require("admin")
    async with runtime.changes() as session:
        await apikeys.revoke_api_key(session, caller, key_id)
    return Response(status_code=204)
