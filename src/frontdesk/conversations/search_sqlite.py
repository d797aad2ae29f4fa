"""Conversation search on SQLite: FTS5 trigram tables kept in step by triggers (0014)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.search_index import ConversationIndex, Matches, MessageMatch


def match_expression(alternatives: Sequence[Sequence[str]]) -> str:
    """An FTS5 expression: every group must match, any string of a group will do."""
    groups = []
    for group in alternatives:
        quoted = " OR ".join('"' + term.replace('"', '""') + '"' for term in group)
        groups.append(f"({quoted})")
    return " AND ".join(groups)


class SqliteConversationIndex(ConversationIndex):
    async def match(
        self,
        session: AsyncSession,
        workspace_id: str,
        alternatives: Sequence[Sequence[str]],
        limit: int,
    ) -> Matches:
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
