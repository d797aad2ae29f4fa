"""Workspace lookups and the default workspace the CLI and API fall back to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts.models import Workspace

DEFAULT_SLUG = "default"


async def get_or_create_workspace(
    session: AsyncSession, slug: str = DEFAULT_SLUG, name: str = "Default workspace"
) -> Workspace:
    found = await session.scalar(select(Workspace).where(Workspace.slug == slug))
    if found is not None:
        return found
    workspace = Workspace(slug=slug, name=name)
    session.add(workspace)
    await session.flush()
    return workspace
