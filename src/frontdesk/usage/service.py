"""Reading usage: a workspace's months, the current one, and totals."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db.base import utcnow
from frontdesk.errors import InvalidInput
from frontdesk.usage.meter import COUNTERS, month_of
from frontdesk.usage.models import UsageMonth
from frontdesk.usage.queries import stored_months
from frontdesk.usage.schemas import MONTH_PATTERN, UsageCounts, UsageMonthOut, UsageReport

DEFAULT_MONTHS = 12
MAX_MONTHS = 120
_MONTH = re.compile(MONTH_PATTERN)


def check_month(value: str, field: str) -> str:
    if not _MONTH.fullmatch(value) or int(value[:4]) < 1970:
        raise InvalidInput(
            f"{field!r} must be a month from 1970 on, written YYYY-MM, such as 2026-01; "
            f"got {value!r}.",
            field=field,
        )
    return value


def shift(month: str, months: int) -> str:
    """``month`` moved by ``months`` (negative: back): shift("2026-01", -1) == "2025-12"."""
    year, number = divmod(int(month[:4]) * 12 + int(month[5:]) - 1 + months, 12)
    return f"{year:04d}-{number + 1:02d}"


def span(first: str, last: str) -> int:
    """How many months ``first`` to ``last`` covers, both included."""
    return (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) + 1


def check_range(first: str | None, last: str | None, current: str) -> tuple[str, str]:
    """Defaults: ``to`` the current month, ``from`` the eleven months before ``to``."""
    last = check_month(last, "to") if last else current
    first = check_month(first, "from") if first else shift(last, 1 - DEFAULT_MONTHS)
    if first > last:
        raise InvalidInput(f"'from' ({first}) is after 'to' ({last}).", field="from")
    if span(first, last) > MAX_MONTHS:
        raise InvalidInput(
            f"Ask for at most {MAX_MONTHS} months at a time; {first} to {last} is "
            f"{span(first, last)}.",
            field="from",
        )
    return first, last


def _out(month: str, row: UsageMonth | None) -> UsageMonthOut:
    counts = {name: getattr(row, name) or 0 for name in COUNTERS} if row else {}
    return UsageMonthOut(month=month, **counts)


async def usage_report(
    session: AsyncSession, workspace_id: str, first: str | None = None, last: str | None = None
) -> UsageReport:
    """Every month from ``first`` to ``last`` (newest first, months without usage as zeros)."""
    current = month_of(utcnow())
    first, last = check_range(first, last, current)
    stored = await stored_months(session, workspace_id, first, last, current)
    months = [_out(shift(last, -n), stored.get(shift(last, -n))) for n in range(span(first, last))]
    totals = UsageCounts(**{name: sum(getattr(m, name) for m in months) for name in COUNTERS})
    return UsageReport(
        workspace_id=workspace_id,
        first=first,
        last=last,
        current=_out(current, stored.get(current)),
        months=months,
        totals=totals,
    )
