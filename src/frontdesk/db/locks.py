"""Row locks for code that reads a row, decides, and writes.

SQLite has one writer (db/engine.py: ``BEGIN IMMEDIATE`` behind a first-come lock), so what a
write transaction reads stays current until it commits: nothing to do there. On PostgreSQL
writers run side by side (READ COMMITTED), so a decision made on a row read without a lock may
rest on a state another transaction is changing: :func:`lock` the row first, which waits for
that transaction and reads the row as it committed it. Claims of work (deliveries, runs) lock
with ``SKIP LOCKED`` instead, so claimers never wait for each other.

Locks are taken in one order so that two transactions never wait for each other:
conversations (several at once in the order of their ids), then the workspace's event counter
(events/store.py: with the first event recorded, or earlier with ``hold``), then a team. A
transaction that holds the counter and wants more conversations takes them with
``SKIP LOCKED``; one that will lock a team after changing something that records an event at
commit holds the counter first (a handoff, round-robin, editing or deleting a team). Member
rows are not locked for decisions: round-robin decisions of a workspace take turns on its
counter instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

_HELD = "frontdesk.locked_rows"


def locks_rows(session: AsyncSession) -> bool:
    """Whether this database needs row locks (not SQLite: its one writer excludes the rest)."""
    return session.get_bind().dialect.name != "sqlite"


async def lock(session: AsyncSession, row: Any) -> None:
    """Hold ``row`` until the transaction ends, reloaded as last committed (what this
    transaction changed in it is written first and kept). Once per row and transaction."""
    if not locks_rows(session):
        return
    held = _held(session)
    key = inspect(row).identity_key
    if key is not None and key in held:
        return
    await session.flush()
    await session.refresh(row, with_for_update=True)
    held.add(inspect(row).identity_key)


async def lock_if_present(session: AsyncSession, row: Any) -> bool:
    """:func:`lock` for a row another transaction may delete meanwhile (a team): False when
    it is gone once that transaction committed."""
    if not locks_rows(session):
        return True
    held = _held(session)
    state = inspect(row)
    if state.identity_key in held:
        return True
    await session.flush()
    mapper = state.mapper
    key = mapper.primary_key_from_instance(row)
    query = (
        select(mapper)
        .where(*(column == value for column, value in zip(mapper.primary_key, key, strict=True)))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if await session.scalar(query) is None:
        return False
    held.add(state.identity_key)
    return True


def locked(session: AsyncSession, rows: Iterable[Any]) -> None:
    """Note rows this transaction loaded ``FOR UPDATE`` itself: :func:`lock` skips them."""
    if locks_rows(session):
        _held(session).update(inspect(row).identity_key for row in rows)


def _held(session: AsyncSession) -> set[Any]:
    """The rows the session's current transaction holds locked."""
    transaction = session.sync_session.get_transaction()
    owner, held = session.info.get(_HELD, (None, set()))
    if owner is not transaction:
        held = set()
        session.info[_HELD] = (transaction, held)
    return held
