"""/api/v1/usage: the workspace's metered usage by month (any member or API key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from frontdesk.usage.schemas import UsageReport
from frontdesk.usage.service import usage_report
from frontdesk.web.deps import RuntimeDep, WorkspaceDep

router = APIRouter(prefix="/api/v1", tags=["usage"])


@router.get("/usage")
async def get_usage(
    workspace: WorkspaceDep,
    runtime: RuntimeDep,
    first: Annotated[str | None, Query(alias="from", description="Oldest month, YYYY-MM.")] = None,
    last: Annotated[str | None, Query(alias="to", description="Newest month, YYYY-MM.")] = None,
) -> UsageReport:
    """Conversations, visitor messages, AI answers and tokens per UTC month, newest first;
    ``to`` defaults to the current month and ``from`` to eleven months before ``to``."""
    async with runtime.reads() as session:
        return await usage_report(session, workspace, first, last)
