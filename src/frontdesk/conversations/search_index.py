"""Where conversations are found by their words: one implementation per database.

Both look in the same rows: visitor and team messages (private notes included) and the fields
of lead cards, a phone number also as its digits alone, so "2185550142" finds
"(218) 555-0142". Every group of alternatives must match, any alternative of a group will do.
SQLite's FTS5 trigram tables (migration 0014) find any part of a word; PostgreSQL's tsvector
columns behind GIN indexes (migration 0018) find words by their beginning, and mark what
matched with ``ts_headline``. The engine's dialect chooses (``conversation_index``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import FrontdeskError


class SearchUnavailable(FrontdeskError):
    status = 501
    code = "search_unavailable"


@dataclass(frozen=True)
class MessageMatch:
    conversation_id: str
    seq: int
    author: str
    private: bool
    text: str
    # [start, end) ranges of ``text`` the database's own highlighter marked, if it has one.
    marks: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Matches:
    messages: list[MessageMatch]
    leads: list[str]  # conversation ids whose lead card matched


class ConversationIndex(ABC):
    @abstractmethod
    async def match(
        self,
        session: AsyncSession,
        workspace_id: str,
        alternatives: Sequence[Sequence[str]],
        limit: int,
    ) -> Matches:
        """Messages (newest first) and lead cards of the workspace containing every group."""


def conversation_index(session: AsyncSession) -> ConversationIndex:
    """The index of the database ``session`` is bound to."""
    return _for_dialect(session.get_bind().dialect.name)


@cache
def _for_dialect(dialect: str) -> ConversationIndex:
    # Imported here: both implementations import this module's base class.
    from frontdesk.conversations.search_postgres import PostgresConversationIndex
    from frontdesk.conversations.search_sqlite import SqliteConversationIndex

    indexes: dict[str, type[ConversationIndex]] = {
        "sqlite": SqliteConversationIndex,
        "postgresql": PostgresConversationIndex,
    }
    if dialect not in indexes:
        raise SearchUnavailable(f"Searching conversations is not available on {dialect}.")
    return indexes[dialect]()


async def match(
    session: AsyncSession, workspace_id: str, alternatives: Sequence[Sequence[str]], limit: int
) -> Matches:
    return await conversation_index(session).match(session, workspace_id, alternatives, limit)
