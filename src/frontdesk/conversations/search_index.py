"""SQL for searching conversations: the full-text index over messages and lead cards.

SQLite only for now (FTS5 tables of migration 0014); another database gets its own branch in
``match`` (PostgreSQL: a tsvector or pg_trgm index over the same rows)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
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


@dataclass(frozen=True)
class Matches:
    messages: list[MessageMatch]
    leads: list[str]  # conversation ids whose lead card matched


def match_expression(alternatives: Sequence[Sequence[str]]) -> str:
    """An FTS5 expression: every group must match, any string of a group will do."""
    groups = []
    for group in alternatives:
        quoted = " OR ".join('"' + term.replace('"', '""') + '"' for term in group)
        groups.append(f"({quoted})")
    return " AND ".join(groups)


async def match(
    session: AsyncSession, workspace_id: str, alternatives: Sequence[Sequence[str]], limit: int
) -> Matches:
    """Messages (newest first) and lead cards of the workspace containing every group."""
    if session.get_bind().dialect.name != "sqlite":
        raise SearchUnavailable("Searching conversations needs the SQLite store for now.")
    expression = match_expression(alternatives)
    messages = await session.execute(
        text(
            "SELECT m.conversation_id, m.seq, m.author, m.private, m.text "
            "FROM message_search AS s JOIN messages AS m ON m.rowid = s.rowid "
            "WHERE message_search MATCH :match AND m.workspace_id = :workspace "
            "ORDER BY m.created_at DESC, m.seq DESC LIMIT :limit"
        ),
        {"match": expression, "workspace": workspace_id, "limit": limit},
    )
    leads = await session.execute(
        text(
            "SELECT c.id FROM lead_search AS s JOIN conversations AS c ON c.rowid = s.rowid "
            "WHERE lead_search MATCH :match AND c.workspace_id = :workspace "
            "ORDER BY c.last_message_at DESC LIMIT :limit"
        ),
        {"match": expression, "workspace": workspace_id, "limit": limit},
    )
    return Matches(
        messages=[MessageMatch(c, int(s), a, bool(p), t) for c, s, a, p, t in messages],
        leads=[cid for (cid,) in leads],
    )
