"""Request-scoped dependencies: the runtime, the caller's workspace, a session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def current_workspace(request: Request) -> str:
    """The caller's workspace id (the default workspace until accounts and API keys land)."""
    workspace_id: str = request.app.state.workspace_id
    return workspace_id


async def get_session(
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> AsyncIterator[AsyncSession]:
    async with runtime.db.transaction() as session:
        yield session


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
WorkspaceDep = Annotated[str, Depends(current_workspace)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
