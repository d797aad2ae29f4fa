"""Workspaces, members and sign-in sessions."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts.caller import Caller
from frontdesk.accounts.credentials import (
    check_email,
    digest,
    hash_password,
    new_token,
    verify_password,
)
from frontdesk.accounts.models import AuthSession, Member, Workspace
from frontdesk.accounts.roles import ROLES, Role
from frontdesk.db.base import insert_for, utcnow
from frontdesk.db.tenancy import get_in_workspace
from frontdesk.db.unique import unique_or
from frontdesk.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized

DEFAULT_SLUG = "default"


async def get_or_create_workspace(
    session: AsyncSession, slug: str = DEFAULT_SLUG, name: str = "Default workspace"
) -> Workspace:
    """The workspace of ``slug``, made if there is none. Two processes starting on a new
    database at once both get the one made first: the second's insert waits for the first
    to commit and then does nothing (a plain insert failed on the slug, and its server with
    it)."""
    found = await session.scalar(select(Workspace).where(Workspace.slug == slug))
    if found is not None:
        return found
    await session.execute(
        insert_for(session, Workspace)
        .values(slug=slug, name=name)
        .on_conflict_do_nothing(index_elements=["slug"])
    )
    return (await session.scalars(select(Workspace).where(Workspace.slug == slug))).one()


async def create_workspace(session: AsyncSession, name: str) -> Workspace:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "workspace"
    slug, n = base, 1
    while await session.scalar(select(Workspace.id).where(Workspace.slug == slug)):
        n += 1
        slug = f"{base}-{n}"
    workspace = Workspace(name=name, slug=slug)
    taken = Conflict(f"A workspace called '{name}' was made at the same moment; try again.")
    async with unique_or(session, taken):
        session.add(workspace)
    return workspace


async def get_workspace(session: AsyncSession, workspace_id: str) -> Workspace:
    workspace = await session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound("Unknown workspace.")
    return workspace


def check_role(role: str) -> Role:
    if role not in ROLES:
        raise InvalidInput(f"Role must be one of {', '.join(ROLES)}.", field="role")
    return role


async def create_member(
    session: AsyncSession,
    workspace_id: str,
    email: str,
    password: str,
    *,
    role: str = "agent",
    name: str | None = None,
) -> Member:
    email = check_email(email)
    if await session.scalar(select(Member.id).where(Member.email == email)):
        raise account_exists(email)
    member = Member(
        workspace_id=workspace_id,
        email=email,
        name=(name or "").strip() or email.split("@")[0],
        role=check_role(role),
        password_hash=await hash_password(password),
    )
    async with unique_or(session, account_exists(email)):
        session.add(member)
    return member


def account_exists(email: str) -> Conflict:
    return Conflict(f"There is already an account for {email}.", field="email")


async def list_members(session: AsyncSession, workspace_id: str) -> list[Member]:
    rows = await session.scalars(
        select(Member).where(Member.workspace_id == workspace_id).order_by(Member.created_at)
    )
    return list(rows)


async def get_member(session: AsyncSession, workspace_id: str, member_id: str) -> Member:
    return await get_in_workspace(session, Member, workspace_id, member_id, "member")


async def _owners(session: AsyncSession, workspace_id: str) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Member)
        .where(Member.workspace_id == workspace_id, Member.role == "owner")
    )
    return int(count or 0)


def _check_manage(caller: Caller, member: Member, new_role: str | None = None) -> None:
    caller.require("admin")
    touches_owner = member.role == "owner" or new_role == "owner"
    if touches_owner and not caller.at_least("owner"):
        raise Forbidden("Only an owner can change or remove an owner.")


async def change_role(session: AsyncSession, caller: Caller, member_id: str, role: str) -> Member:
    member = await get_member(session, caller.workspace_id, member_id)
    role = check_role(role)
    _check_manage(caller, member, role)
    if (
        member.role == "owner"
        and role != "owner"
        and await _owners(session, member.workspace_id) == 1
    ):
        raise Conflict("A workspace needs at least one owner.")
    member.role = role
    await session.flush()
    return member


async def remove_member(session: AsyncSession, caller: Caller, member_id: str) -> None:
    member = await get_member(session, caller.workspace_id, member_id)
    _check_manage(caller, member)
    if member.role == "owner" and await _owners(session, member.workspace_id) == 1:
        raise Conflict("A workspace needs at least one owner.")
    # Explicit, not left to ON DELETE CASCADE: no engine may keep a removed member signed in.
    await end_sessions(session, member.id)
    await session.delete(member)
    await session.flush()


async def authenticate(session: AsyncSession, email: str, password: str) -> Member:
    member = await session.scalar(select(Member).where(Member.email == email.strip().lower()))
    if not await verify_password(member.password_hash if member else None, password):
        raise Unauthorized("Wrong email or password.", code="invalid_credentials")
    assert member is not None
    return member


async def start_session(
    session: AsyncSession, member: Member, days: int
) -> tuple[str, AuthSession]:
    """A new sign-in; returns the cookie token (shown once) and the stored session."""
    token = new_token("ses")
    auth = AuthSession(
        member_id=member.id,
        token_hash=digest(token),
        csrf_token=secrets.token_urlsafe(24),
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(auth)
    await session.flush()
    return token, auth


async def end_session(session: AsyncSession, token: str) -> None:
    await session.execute(delete(AuthSession).where(AuthSession.token_hash == digest(token)))


async def end_sessions(session: AsyncSession, member_id: str, keep: str | None = None) -> None:
    """Sign the member out everywhere, except the session ``keep`` (an id) if given."""
    query = delete(AuthSession).where(AuthSession.member_id == member_id)
    if keep is not None:
        query = query.where(AuthSession.id != keep)
    await session.execute(query)


class WrongPassword(InvalidInput):
    code = "wrong_password"


@dataclass(frozen=True)
class PasswordChange:
    """A checked request to change a password, with the new one already hashed."""

    member_id: str
    checked_hash: str
    new_hash: str


async def check_password_change(member: Member, current: str, new: str) -> PasswordChange:
    """Verify the current password and hash the new one: the slow part, done before writing."""
    if not await verify_password(member.password_hash, current):
        raise WrongPassword("The current password is not right.", field="current_password")
    try:
        new_hash = await hash_password(new)
    except InvalidInput as error:
        raise InvalidInput(error.message, field="new_password") from None
    return PasswordChange(member.id, member.password_hash, new_hash)


async def change_password(session: AsyncSession, caller: Caller, change: PasswordChange) -> Member:
    """Store the new password and end the member's other sessions.

    Refused when the password changed since it was checked: the current one was not right.
    """
    if caller.member_id != change.member_id:
        raise Unauthorized("An API key is not a signed-in member.")
    member = await get_member(session, caller.workspace_id, change.member_id)
    if member.password_hash != change.checked_hash:
        raise WrongPassword("The current password is not right.", field="current_password")
    member.password_hash = change.new_hash
    await session.flush()
    await end_sessions(session, member.id, keep=caller.session_id)
    return member


async def reset_password(session: AsyncSession, email: str, new: str) -> Member:
    """Set a member's password from the server shell; every session of theirs ends."""
    member = await session.scalar(select(Member).where(Member.email == check_email(email)))
    if member is None:
        raise NotFound(f"There is no member {email.strip()}.", field="email")
    await _set_password(session, member, new, field="password")
    await end_sessions(session, member.id)
    return member


async def _set_password(session: AsyncSession, member: Member, new: str, field: str) -> None:
    try:
        member.password_hash = await hash_password(new)
    except InvalidInput as error:
        raise InvalidInput(error.message, field=field) from None
    await session.flush()


async def caller_for_session(session: AsyncSession, token: str) -> Caller | None:
    row = (
        await session.execute(
            select(AuthSession, Member)
            .join(Member, Member.id == AuthSession.member_id)
            .where(AuthSession.token_hash == digest(token), AuthSession.expires_at > utcnow())
        )
    ).first()
    if row is None:
        return None
    auth, member = row
    return Caller(
        workspace_id=member.workspace_id,
        role=check_role(member.role),
        via="session",
        member_id=member.id,
        name=member.name,
        csrf_token=auth.csrf_token,
        session_id=auth.id,
    )


async def workspace_id_by_slug(session: AsyncSession, slug: str) -> str:
    found = await session.scalar(select(Workspace.id).where(Workspace.slug == slug))
    if found is None:
        known = ", ".join(await session.scalars(select(Workspace.slug).order_by(Workspace.slug)))
        raise NotFound(f"No workspace {slug!r} (workspaces: {known or 'none'}).", field="workspace")
    return found
