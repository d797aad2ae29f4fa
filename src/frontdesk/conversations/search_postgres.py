"""Conversation search on PostgreSQL: generated tsvector columns behind GIN indexes (0018).

Words are found by their beginning ("snowmob" finds "snowmobiles"), case-insensitively and
unstemmed (the ``simple`` configuration): names, part numbers and phone numbers are not
English. Hyphens and plus signs separate words on both sides, so "555-0142" is the words
"555" and "0142" in the index, in a query and in ``ts_headline``'s marks alike.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.search_index import ConversationIndex, Matches, MessageMatch

# What the migration's columns do to the text before making words of it (same length).
SEPARATORS = str.maketrans("-+", "  ")
START, STOP = "\x02", "\x03"
# The whole text, every match marked: search.py cuts the snippet itself, as on SQLite.
HEADLINE = f'StartSel="{START}", StopSel="{STOP}", HighlightAll=true'

MESSAGES = text(
    "SELECT m.conversation_id, m.seq, m.author, m.private, m.text, "
    "ts_headline('simple', translate(m.text, '-+', '  '), q.query, :options) "
    "FROM messages AS m, (SELECT to_tsquery('simple', :query) AS query) AS q "
    "WHERE m.search @@ q.query AND m.workspace_id = :workspace "
    "ORDER BY m.created_at DESC, m.seq DESC LIMIT :limit"
)
LEADS = text(
    "SELECT c.id FROM conversations AS c "
    "WHERE c.lead_search @@ to_tsquery('simple', :query) AND c.workspace_id = :workspace "
    "ORDER BY c.last_message_at DESC NULLS LAST LIMIT :limit"
)


def tsquery(alternatives: Sequence[Sequence[str]]) -> str:
    """A to_tsquery text: every group must match, any prefix of a group will do.

    Each alternative is one quoted operand, which PostgreSQL's own parser splits into words
    (a phrase when there are several): the query's words are cut as the index's were."""
    groups = []
    for group in alternatives:
        operands = []
        for term in group:
            quoted = term.translate(SEPARATORS).replace("\\", "\\\\").replace("'", "''")
            operands.append(f"'{quoted}':*")
        groups.append("(" + " | ".join(operands) + ")")
    return " & ".join(groups)


def headline_marks(original: str, headline: str | None) -> tuple[tuple[int, int], ...]:
    """Where ``ts_headline`` marked the text, as ranges of ``original``; none if it differs."""
    if not headline or START in original or STOP in original:
        return ()
    ranges: list[tuple[int, int]] = []
    plain: list[str] = []
    start = 0
    for char in headline:
        if char == START:
            start = len(plain)
        elif char == STOP:
            ranges.append((start, len(plain)))
        else:
            plain.append(char)
    if "".join(plain) != original.translate(SEPARATORS):
        return ()
    return tuple(r for r in ranges if r[1] > r[0])


class PostgresConversationIndex(ConversationIndex):
    async def match(
        self,
        session: AsyncSession,
        workspace_id: str,
        alternatives: Sequence[Sequence[str]],
        limit: int,
    ) -> Matches:
        values = {"query": tsquery(alternatives), "workspace": workspace_id, "limit": limit}
        messages = await session.execute(MESSAGES, {**values, "options": HEADLINE})
        leads = await session.execute(LEADS, values)
        return Matches(
            messages=[
                MessageMatch(c, int(s), a, bool(p), t, headline_marks(t, marked))
                for c, s, a, p, t, marked in messages
            ],
            leads=[cid for (cid,) in leads],
        )
