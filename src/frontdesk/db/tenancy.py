"""The one tenancy check: a row by id, only if it belongs to the caller's workspace."""

from __future__ import annotations

from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import NotFound


class InWorkspace(Protocol):
    @property
    def workspace_id(self) -> str: ...


Row = TypeVar("Row", bound=InWorkspace)


async def get_in_workspace(
    session: AsyncSession, model: type[Row], workspace_id: str, row_id: str, what: str
) -> Row:
    """The ``model`` row ``row_id`` of ``workspace_id``; 404 "There is no {what} '{id}'".

    A row of another workspace is answered exactly like a missing one, so ids of other
    workspaces can't be probed.
    """
    row = await session.get(model, row_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFound(f"There is no {what} '{row_id}'.")
    return row
