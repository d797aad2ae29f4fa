"""Counting usage in the transaction of the thing counted, so a count is never lost or doubled.

What counts:
- a conversation: every conversation started;
- a visitor message: every message the visitor wrote (a resend with the same ``client_id`` is
  not stored again, so it is not counted again; a form's answers are not a message);
- an AI answer: every reply of the answering pipeline to a visitor message (answered or not,
  a rule's handoff reply included); canned texts (the handoff button's message, the
  closed-hours message, a form) are not;
- tokens: what the generator of an AI answer reports using (0 for the extractive one);
- per generator and model (UsageModel): each AI answer, and the prompt and completion tokens
  its model used; these rows add up to the month's ``ai_answers`` and ``tokens``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import and_, bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db.base import Base, as_utc, dialect_insert, utcnow
from frontdesk.db.base import table as db_table
from frontdesk.usage.models import MODEL_CHARS, UsageModel, UsageMonth

COUNTERS = ("conversations", "visitor_messages", "ai_answers", "tokens")
MODEL_COUNTERS = ("answers", "prompt_tokens", "completion_tokens")


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
    month = month_of(at or utcnow())
    await _add(session, UsageMonth, {"workspace_id": workspace_id, "month": month}, counts)


async def count_answer(
    session: AsyncSession,
    workspace_id: str,
    at: datetime | None,
    generator: str,
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
) -> None:
    """An AI answer: in the month's ``ai_answers`` and ``tokens``, and in its generator and
    model's row with the tokens split as the model reported them."""
    await count(session, workspace_id, at, ai_answers=1)
    await count_model_use(
        session, workspace_id, at, generator, model, prompt_tokens, completion_tokens, answers=1
    )


async def count_model_use(
    session: AsyncSession,
    workspace_id: str,
    at: datetime | None,
    generator: str,
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    answers: int = 0,
) -> None:
    """Tokens a model spent for the workspace — an answer's, or a handoff summary's or a gap
    title's (``answers`` 0) — in the month's ``tokens`` and in the model's row."""
    at = at or utcnow()
    await count(session, workspace_id, at, tokens=prompt_tokens + completion_tokens)
    key = {
        "workspace_id": workspace_id,
        "month": month_of(at),
        "generator": generator,
        "model": model[:MODEL_CHARS],
    }
    counts = {
        "answers": answers,
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
    }
    await _add(session, UsageModel, key, counts)


class Spent(Protocol):
    """What a model reports of one piece of work (an answering generator's Generation)."""

    @property
    def model(self) -> str: ...
    @property
    def prompt_tokens(self) -> int: ...
    @property
    def completion_tokens(self) -> int: ...


async def count_spent(
    session: AsyncSession, workspace_id: str, generator: str, spent: Spent
) -> None:
    """A model's work that is not an answer (a handoff summary, a gap title), now."""
    await count_model_use(
        session,
        workspace_id,
        None,
        generator,
        spent.model,
        spent.prompt_tokens,
        spent.completion_tokens,
    )


@lru_cache(maxsize=32)
def _upsert(dialect: str, table: type[Base], key: tuple[str, ...], counted: tuple[str, ...]) -> Any:
    """The statement adding the ``counted`` columns to ``table``'s row of ``key``, made with
    the values given if there is none. Built once per shape, its values bound at each
    execution: building it for every count cost 0.45 ms of CPU, a count now 0.05 ms."""
    core = db_table(table)
    upsert = dialect_insert(dialect)(core)
    upsert = upsert.values({column.name: bindparam(column.name) for column in core.columns})
    return upsert.on_conflict_do_update(
        index_elements=[core.c[name] for name in key],
        set_={name: core.c[name] + upsert.excluded[name] for name in counted},
    )


async def _add(
    session: AsyncSession, table: type[Base], key: dict[str, str], counts: dict[str, int]
) -> None:
    """Add ``counts`` to ``table``'s row of ``key``, made with zeros if there is none."""
    counts = {name: amount for name, amount in counts.items() if amount}
    if not counts:
        return
    columns = table.__table__.columns
    zeros = {column.name: 0 for column in columns if column.name not in key}
    row: dict[str, Any] = {**key, **zeros, **counts}
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        await session.execute(_upsert(dialect, table, tuple(key), tuple(counts)), row)
        return
    # Other databases: a racing first insert fails on the primary key and rolls the whole
    # transaction back, the counted thing with it (an error, never a wrong count).
    where = and_(*(getattr(table, name) == value for name, value in key.items()))
    added = {name: getattr(table, name) + amount for name, amount in counts.items()}
    changed = await session.execute(update(table).where(where).values(added))
    if not getattr(changed, "rowcount", 0):
        await session.execute(insert(table).values(row))
