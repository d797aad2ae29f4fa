"""Dead-letter API (admins): deliveries and HTTP action runs that failed for good; retry one."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query

from frontdesk.alerts import dead_letters
from frontdesk.alerts.schemas import DeadLetterList, DeadLetterOut, RetriedOut
from frontdesk.web.deps import AdminWorkspaceDep, RuntimeDep

router = APIRouter(prefix="/api/v1/dead-letters", tags=["alerts"])


@router.get("")
async def list_dead_letters(
    workspace_id: AdminWorkspaceDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> DeadLetterList:
    """Webhooks, emails and HTTP action runs whose retries ran out, newest first."""
    async with runtime.reads() as session:
        letters = await dead_letters.list_dead(session, workspace_id, limit)
    return DeadLetterList(dead_letters=[DeadLetterOut(**asdict(letter)) for letter in letters])


@router.post("/deliveries/{delivery_id}/retry", status_code=202)
async def retry_delivery(
    delivery_id: str, workspace_id: AdminWorkspaceDep, runtime: RuntimeDep
) -> RetriedOut:
    """Send a failed webhook or email again, with the same id and a fresh round of retries."""
    async with runtime.changes() as session:
        retried = await dead_letters.retry_delivery(session, workspace_id, delivery_id)
    runtime.alerts.wake()
    return RetriedOut(id=retried, status="pending")


@router.post("/runs/{run_id}/retry", status_code=202)
async def retry_run(
    run_id: str, workspace_id: AdminWorkspaceDep, runtime: RuntimeDep
) -> RetriedOut:
    """Run a failed HTTP action again (a note in its conversation tells how it went)."""
    async with runtime.changes() as session:
        retried = await dead_letters.retry_run(session, workspace_id, run_id)
    await runtime.actions.enqueue([retried])
    return RetriedOut(id=retried, status="running")
