"""Keys people choose (an agent's name, a reply's shortcut, an email), taken twice at once.

A service looks for the key before it writes and raises a Conflict that says what is taken.
On PostgreSQL two writers starting at the same moment both look before either commits: both
find it free, and the second one's write waits for the first and then fails on the unique
index. :func:`unique_or` turns that failure into the same Conflict (a 409 that says what is
taken, never a 500). The write runs in a savepoint, so nothing else of the transaction is
touched before the Conflict ends it. SQLite's one writer never gets here: its look is current.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Conflict

_UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE


def unique_violation(exc: IntegrityError) -> bool:
    """Whether ``exc`` is a unique key taken (not a missing parent, a NULL, a check)."""
    code = getattr(exc.orig, "sqlstate", None)
    if code is not None:
        return bool(code == _UNIQUE_VIOLATION)
    return "UNIQUE constraint failed" in str(exc.orig)  # SQLite's message


@asynccontextmanager
async def unique_or(session: AsyncSession, taken: Conflict) -> AsyncIterator[None]:
    """Write the rows added or changed in the block (or just before it: the savepoint
    writes those first); raise ``taken`` when another transaction took one of their unique
    keys first."""
    try:
        async with session.begin_nested():
            yield
    except IntegrityError as exc:
        if not unique_violation(exc):
            raise
        raise taken from exc
