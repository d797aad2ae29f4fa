"""Counting usage in the transaction of the thing counted, so a count is never lost or doubled.

What counts:
- a conversation: every conversation started;
- a visitor message: every message the visitor wrote (a resend with the same ``client_id`` is
  not stored again, so it is not counted again; a form's answers are not a message);
- an AI answer: every reply of the answering pipeline to a visitor message (answered or not,
  a rule's handoff reply included); canned texts (the handoff button's message, the
  closed-hours message, a form) are not;
- tokens: what the generator of an AI answer reports using (0 for the extractive one).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db.base import as_utc, utcnow
from frontdesk.usage.models import UsageMonth

COUNTERS = ("conversations", "visitor_messages", "ai_answers", "tokens")


def month_of(at: datetime) -> str:
    """The UTC calendar month of ``at``: ``2026-11``."""
    return as_utc(at).astimezone(UTC).strftime("%Y-%m")


async def count(
    session: AsyncSession, workspace_id: str, at: datetime | None = None, **counts: int
) -> None:
    """Add ``counts`` (counter name -> amount) to the workspace's month of ``at`` (now)."""
    unknown = set(counts) - set(COUNTERS)
    if unknown:
        raise ValueError(f"unknown usage counters: {sorted(unknown)}")
    counts = {name: amount for name, amount in counts.items() if amount}
    if not counts:
        return
    month = month_of(at or utcnow())
    row = {"workspace_id": workspace_id, "month": month, **dict.fromkeys(COUNTERS, 0), **counts}
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        upsert = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(UsageMonth)
        upsert = upsert.values(row)
        await session.execute(
            upsert.on_conflict_do_update(
                index_elements=[UsageMonth.workspace_id, UsageMonth.month],
                set_={name: getattr(UsageMonth, name) + upsert.excluded[name] for name in counts},
            )
        )
        return
    # Other databases: a racing first insert fails on the primary key and rolls the whole
    # transaction back, the counted thing with it (an error, never a wrong count).
    changed = await session.execute(
        update(UsageMonth)
        .where(UsageMonth.workspace_id == workspace_id, UsageMonth.month == month)
        .values({name: getattr(UsageMonth, name) + amount for name, amount in counts.items()})
    )
    if not getattr(changed, "rowcount", 0):
        await session.execute(insert(UsageMonth).values(row))
