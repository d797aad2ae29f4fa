"""Invite links: an owner or admin invites an email address; the link sets the password."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts.caller import Caller
from frontdesk.accounts.credentials import check_email, digest, new_token
from frontdesk.accounts.models import Invite, Member, Workspace
from frontdesk.accounts.service import account_exists, check_role, create_member
from frontdesk.db.base import utcnow
from frontdesk.db.tenancy import get_in_workspace
from frontdesk.db.unique import unique_or
from frontdesk.errors import Conflict, Forbidden, NotFound


@dataclass
class IssuedInvite:
    invite: Invite
    token: str


async def create_invite(
    session: AsyncSession, caller: Caller, email: str, role: str, days: int
) -> IssuedInvite:
    caller.require("admin")
    email = check_email(email)
    role = check_role(role)
    if role == "owner" and not caller.at_least("owner"):
        raise Forbidden("Only an owner can invite another owner.")
    if await session.scalar(select(Member.id).where(Member.email == email)):
        raise account_exists(email)
    await session.execute(
        delete(Invite).where(Invite.workspace_id == caller.workspace_id, Invite.email == email)
    )
    token = new_token("inv")
    invite = Invite(
        workspace_id=caller.workspace_id,
        email=email,
        role=role,
        token_hash=digest(token),
        invited_by=caller.member_id,
        expires_at=utcnow() + timedelta(days=days),
    )
    taken = Conflict(f"{email} was invited by someone else at the same moment.", field="email")
    async with unique_or(session, taken):
        session.add(invite)
    return IssuedInvite(invite, token)


async def list_invites(session: AsyncSession, workspace_id: str) -> list[Invite]:
    rows = await session.scalars(
        select(Invite)
        .where(Invite.workspace_id == workspace_id, Invite.expires_at > utcnow())
        .order_by(Invite.created_at)
    )
    return list(rows)


async def revoke_invite(session: AsyncSession, caller: Caller, invite_id: str) -> None:
    caller.require("admin")
    invite = await get_in_workspace(session, Invite, caller.workspace_id, invite_id, "invite")
    await session.delete(invite)


async def find_invite(session: AsyncSession, token: str) -> tuple[Invite, Workspace]:
    row = (
        await session.execute(
            select(Invite, Workspace)
            .join(Workspace, Workspace.id == Invite.workspace_id)
            .where(Invite.token_hash == digest(token))
        )
    ).first()
    if row is None or row[0].expires_at <= utcnow():
        raise NotFound("This invite link is not valid any more; ask for a new one.")
    return row[0], row[1]


async def accept_invite(session: AsyncSession, token: str, name: str, password: str) -> Member:
    invite, _ = await find_invite(session, token)
    member = await create_member(
        session, invite.workspace_id, invite.email, password, role=invite.role, name=name
    )
    await session.delete(invite)
    await session.flush()
    return member
