"""Who is ingesting a source: a claim with a lease, taken and given up in write transactions.

Invariant: a source is processed under one claim at a time. Taking a claim turns the row to
'processing' with a fresh token and a lease in one write transaction (SQLite's single writer;
on PostgreSQL the workspace's pending rows are locked first), and what the claimant writes
afterwards (chunks, status) is written only while the row still carries its token. A person
queuing the source again, or a sweep taking it back from a claimant that stopped renewing its
lease (killed), changes the token, so a late result is dropped instead of overwriting newer
work. A job claims only a queued, due source, and only while no other source of its
workspace is processing: one workspace's long queue holds at most one slot.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db.base import utcnow
from frontdesk.db.engine import Database
from frontdesk.errors import Conflict, NotFound
from frontdesk.knowledge import repository
from frontdesk.knowledge.models import Source

# A queued source nobody took this long after its job was sent gets its job sent again
# (the job was lost: Redis was down when it was sent, or its process died holding it).
RESEND_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class Claim:
    source_id: str
    token: str
    attempt: int


def queue(source: Source) -> None:
    """Put a source in line for ingestion as if new: its earlier claim and attempts are void."""
    source.status = "queued"
    source.error = None
    source.claim = None
    source.attempts = 0
    source.not_before = None
    source.lease_until = utcnow() + RESEND_AFTER


def settle(source: Source, status: str, error: str | None = None) -> None:
    source.status = status
    source.error = error
    source.claim = None
    source.lease_until = None
    source.not_before = None
    source.attempts = 0


def retry_later(source: Source, delay_s: float, error: str) -> None:
    source.status = "queued"
    source.error = error
    source.claim = None
    source.not_before = source.lease_until = utcnow() + timedelta(seconds=delay_s)


async def take(db: Database, source_id: str, lease_s: float, *, job: bool) -> Claim | None:
    """Claim a source for ingestion; None when there is nothing for this claimant to do.

    ``job``: only a queued source that is due, in a workspace with nothing processing (a
    repeated job finds the source taken or done). Otherwise a person asked for it now: any
    source no live claimant holds (Conflict when one does).
    """
    async with db.transaction() as session:
        workspace_id = await repository.source_workspace(session, source_id)
        if workspace_id is None:
            raise NotFound(f"No source with id '{source_id}'.")
        await repository.lock_pending(session, workspace_id)
        source = await repository.source_for_update(session, source_id)
        if source is None:
            raise NotFound(f"No source with id '{source_id}'.")
        now = utcnow()
        held = source.status == "processing" and source.lease_until and source.lease_until > now
        if job:
            due = source.not_before is None or source.not_before <= now
            if source.status != "queued" or not due:
                return None
            if await repository.workspace_busy(session, workspace_id, source_id, now):
                return None
        elif held:
            raise Conflict(f"'{source.title}' is being processed right now; try again later.")
        source.status = "processing"
        source.claim = secrets.token_hex(16)
        source.lease_until = now + timedelta(seconds=lease_s)
        source.attempts = (source.attempts or 0) + 1
        return Claim(source.id, source.claim, source.attempts)


async def holding(session: AsyncSession, claim: Claim) -> Source | None:
    """The source, locked, if ``claim`` still holds it; None if it was taken back or deleted."""
    source = await repository.source_for_update(session, claim.source_id)
    if source is None or source.claim != claim.token or source.status != "processing":
        return None
    return source


async def renew(db: Database, claim: Claim, lease_s: float) -> bool:
    async with db.transaction() as session:
        until = utcnow() + timedelta(seconds=lease_s)
        return await repository.renew_lease(session, claim.source_id, claim.token, until)


async def give_back(db: Database, claim: Claim) -> None:
    """Stopping before finishing (shutdown): queue the source again for whoever runs next."""
    async with db.transaction() as session:
        source = await holding(session, claim)
        if source is not None:
            source.status = "queued"
            source.claim = None
            source.attempts = max(0, claim.attempt - 1)  # not its fault
            source.lease_until = utcnow()  # due at once


async def sweep(
    db: Database, retries: int, *, everything: bool = False, resync_before: datetime | None = None
) -> list[str]:
    """Take back sources from dead claimants; the ids of queued sources whose job is due.

    A source whose claimant died more than ``retries`` times fails instead (it may be what
    kills them). ``everything``: every queued source (the jobs were held in a process that
    is gone). ``resync_before``: also queue web sources last settled before then.
    """
    now = utcnow()
    async with db.transaction() as session:
        for source in await repository.expired_claims(session, now):
            if source.attempts > retries:
                settle(
                    source,
                    "failed",
                    f"Processing stopped {source.attempts} times before it finished (the "
                    "worker was stopped or ran out of memory); fix the cause and re-sync.",
                )
            else:
                source.status = "queued"
                source.claim = None
                source.lease_until = None
        if resync_before is not None:
            for source in await repository.stale_web_sources(session, resync_before):
                queue(source)
                source.lease_until = None
        await session.flush()
        due = await repository.due_sources(session, now, everything=everything)
        for source in due:
            source.lease_until = now + RESEND_AFTER
        return [source.id for source in due]


async def next_in_line(db: Database, workspace_id: str) -> str | None:
    """The workspace's next due source, marked as sent, once its previous one is done."""
    now = utcnow()
    async with db.transaction() as session:
        due = await repository.due_sources(session, now, workspace_id, everything=True)
        if not due:
            return None
        due[0].lease_until = now + RESEND_AFTER
        return due[0].id
