"""Reading usage: a workspace's months, the current one, and totals."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db.base import utcnow
from frontdesk.errors import InvalidInput
from frontdesk.usage.meter import COUNTERS, MODEL_COUNTERS, month_of
from frontdesk.usage.models import UsageModel, UsageMonth
from frontdesk.usage.queries import stored_models, stored_months
from frontdesk.usage.schemas import (
    MONTH_PATTERN,
    UsageByModel,
    UsageMonthOut,
    UsageReport,
    UsageTotals,
)

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


def _by_model(rows: Iterable[UsageByModel]) -> list[UsageByModel]:
    """Rows of one generator and model added up, the most tokens first."""
    summed: dict[tuple[str, str], UsageByModel] = {}
    for row in rows:
        key = (row.generator, row.model)
        if (seen := summed.get(key)) is None:
            summed[key] = row.model_copy()
            continue
        for name in MODEL_COUNTERS:
            setattr(seen, name, getattr(seen, name) + getattr(row, name))
    return sorted(summed.values(), key=lambda m: (-m.tokens, -m.answers, m.generator, m.model))


def _out(month: str, row: UsageMonth | None, models: list[UsageModel]) -> UsageMonthOut:
    counts = {name: getattr(row, name) or 0 for name in COUNTERS} if row else {}
    by_model = [
        UsageByModel(
            generator=m.generator,
            model=m.model,
            **{name: getattr(m, name) or 0 for name in MODEL_COUNTERS},
        )
        for m in models
    ]
    return UsageMonthOut(month=month, models=_by_model(by_model), **counts)


async def usage_report(
    session: AsyncSession, workspace_id: str, first: str | None = None, last: str | None = None
) -> UsageReport:
    """Every month from ``first`` to ``last`` (newest first, months without usage as zeros),
    each with its AI answers by generator and model."""
    current = month_of(utcnow())
    first, last = check_range(first, last, current)
    stored = await stored_months(session, workspace_id, first, last, current)
    models = await stored_models(session, workspace_id, first, last, current)
    listed = [shift(last, -n) for n in range(span(first, last))]
    months = [_out(month, stored.get(month), models.get(month, [])) for month in listed]
    totals = UsageTotals(
        models=_by_model(m for month in months for m in month.models),
        **{name: sum(getattr(m, name) for m in months) for name in COUNTERS},
    )
    return UsageReport(
        workspace_id=workspace_id,
        first=first,
        last=last,
        current=_out(current, stored.get(current), models.get(current, [])),
        months=months,
        totals=totals,
    )
