"""Reading the usage tables."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.usage.models import UsageModel, UsageMonth


async def stored_months(
    session: AsyncSession, workspace_id: str, first: str, last: str, also: str
) -> dict[str, UsageMonth]:
    """The stored rows from ``first`` to ``last`` and of the month ``also``, by month."""
    rows = await session.scalars(
        select(UsageMonth).where(
            UsageMonth.workspace_id == workspace_id,
            # YYYY-MM strings sort like the months they name.
            or_(UsageMonth.month.between(first, last), UsageMonth.month == also),
        )
    )
    return {row.month: row for row in rows}


async def stored_models(
    session: AsyncSession, workspace_id: str, first: str, last: str, also: str
) -> dict[str, list[UsageModel]]:
    """The per-model rows of the same months, by month."""
    rows = await session.scalars(
        select(UsageModel).where(
            UsageModel.workspace_id == workspace_id,
            or_(UsageModel.month.between(first, last), UsageModel.month == also),
        )
    )
    by_month: dict[str, list[UsageModel]] = defaultdict(list)
    for row in rows:
        by_month[row.month].append(row)
    return by_month
