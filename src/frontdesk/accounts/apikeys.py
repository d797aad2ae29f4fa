"""Workspace API keys: shown once, stored as a SHA-256 digest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts.caller import Caller
from frontdesk.accounts.credentials import digest, new_token
from frontdesk.accounts.models import ApiKey
from frontdesk.db.base import utcnow
from frontdesk.db.tenancy import get_in_workspace
from frontdesk.errors import InvalidInput

PREFIX = "fd"
# Recording every use would turn each API read into a write; once a minute is enough.
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass
class IssuedKey:
    api_key: ApiKey
    key: str


async def create_api_key(session: AsyncSession, workspace_id: str, name: str) -> IssuedKey:
    name = name.strip()
    if not name or len(name) > 120:
        raise InvalidInput("Give the key a name of 1 to 120 characters.", field="name")
    key = new_token(PREFIX)
    api_key = ApiKey(workspace_id=workspace_id, name=name, prefix=key[:10], key_hash=digest(key))
    session.add(api_key)
    await session.flush()
    return IssuedKey(api_key, key)


async def list_api_keys(session: AsyncSession, workspace_id: str) -> list[ApiKey]:
    rows = await session.scalars(
        select(ApiKey).where(ApiKey.workspace_id == workspace_id).order_by(ApiKey.created_at)
    )
    return list(rows)


async def revoke_api_key(session: AsyncSession, caller: Caller, key_id: str) -> None:
    caller.require("admin")
    api_key = await get_in_workspace(session, ApiKey, caller.workspace_id, key_id, "API key")
    await session.delete(api_key)


async def find_api_key(session: AsyncSession, key: str) -> ApiKey | None:
    found: ApiKey | None = await session.scalar(
        select(ApiKey).where(ApiKey.key_hash == digest(key))
    )
    return found


def caller_for_key(api_key: ApiKey) -> Caller:
    return Caller(workspace_id=api_key.workspace_id, role="admin", via="api_key", name="API")


def needs_touch(api_key: ApiKey) -> bool:
    last = api_key.last_used_at
    return last is None or utcnow() - last > _TOUCH_EVERY


async def touch(session: AsyncSession, key_id: str) -> None:
    await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=utcnow()))
