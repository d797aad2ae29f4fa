"""Reading the usage table."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.usage.models import UsageMonth


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
