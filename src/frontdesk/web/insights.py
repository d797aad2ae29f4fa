"""Insights for owners and admins: the report, its tables as CSV, and answering a gap."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from frontdesk.db.base import utcnow
from frontdesk.insights import export, service
from frontdesk.insights.export import Table
from frontdesk.insights.period import Period, parse_period
from frontdesk.insights.schemas import GapAnswerIn, GapAnswerOut, InsightsOut
from frontdesk.web.deps import AdminWorkspaceDep, RuntimeDep

router = APIRouter(prefix="/api/v1", tags=["insights"])

AgentParam = Annotated[
    str | None, Query(description="One agent's conversations; every agent when left out.")
]
FromParam = Annotated[
    str | None,
    Query(
        alias="from",
        description="A date (local midnight in tz) or an ISO datetime; default 29 days before "
        "'to'.",
    ),
]
ToParam = Annotated[
    str | None,
    Query(
        description="A date (inclusive: to the end of that local day) or an ISO datetime "
        "(exclusive); default today in tz."
    ),
]
TzParam = Annotated[str, Query(description="IANA time zone, such as Europe/Paris.")]


def _period(start: str | None, end: str | None, tz: str) -> Period:
    return parse_period(start, end, tz, utcnow())


@router.get("/insights")
async def get_insights(
    workspace: AdminWorkspaceDep,
    runtime: RuntimeDep,
    agent_id: AgentParam = None,
    start: FromParam = None,
    to: ToParam = None,
    tz: TzParam = "UTC",
) -> InsightsOut:
    """Conversations, deflection, handoffs, reply times, feedback, CSAT and knowledge gaps.

    A conversation counts when it was created in the range and has a visitor message.
    Numbers over an empty range are 0, and rates and times null.
    """
    period = _period(start, to, tz)
    return await service.build_report(
        runtime.db,
        runtime.get_embedder,
        workspace,
        agent_id or None,
        period,
        titles=runtime.gap_titles,
    )


@router.get(
    "/insights.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "One table as CSV."}},
)
async def export_insights(
    workspace: AdminWorkspaceDep,
    runtime: RuntimeDep,
    table: Table = "summary",
    agent_id: AgentParam = None,
    start: FromParam = None,
    to: ToParam = None,
    tz: TzParam = "UTC",
) -> Response:
    """One table of the report as a CSV download (cells a spreadsheet would run are quoted)."""
    period = _period(start, to, tz)
    report = await service.build_report(
        runtime.db,
        runtime.get_embedder,
        workspace,
        agent_id or None,
        period,
        with_gaps=table == "knowledge_gaps",
    )
    name = export.filename(period, table)
    return Response(
        export.to_csv(report, table),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/insights/gaps/answer", status_code=202)
async def answer_gap(
    body: GapAnswerIn, workspace: AdminWorkspaceDep, runtime: RuntimeDep
) -> GapAnswerOut:
    """Answer a knowledge gap: the question and answer become a Q&A source of the agent."""
    source, agent = await service.answer_gap(
        runtime.db, runtime.knowledge, workspace, body.agent_id, body.question, body.answer
    )
    await runtime.ingestion.enqueue(source.id)
    return GapAnswerOut(
        source_id=source.id,
        status=source.status,
        title=source.title,
        agent_id=agent.id,
        agent_name=agent.name,
        question=body.question,
    )
