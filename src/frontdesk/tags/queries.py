"""Reads over the tag catalog: a conversation's tags, conversations with a tag, counts."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db.base import table
from frontdesk.tags.models import ConversationTag, Tag

_LINKS, _TAGS = table(ConversationTag), table(Tag)
# Run for every conversation snapshot: built once, over the tables (see db.base.table).
_TAGS_OF = (
    select(_LINKS.c.conversation_id, _TAGS.c.name, _TAGS.c.color)
    .join(_TAGS, _TAGS.c.id == _LINKS.c.tag_id)
    .where(_LINKS.c.conversation_id.in_(bindparam("ids", expanding=True)))
    .order_by(_TAGS.c.name)
)


async def tags_of(
    session: AsyncSession, conversation_ids: Iterable[str]
) -> dict[str, list[tuple[str, str]]]:
    """Conversation id -> its tags as (name, color), sorted by name."""
    ids = list(conversation_ids)
    if not ids:
        return {}
    rows = await session.execute(_TAGS_OF, {"ids": ids})
    found: dict[str, list[tuple[str, str]]] = {}
    for conversation_id, name, color in rows.all():
        found.setdefault(conversation_id, []).append((name, color))
    return found


async def tag_names(session: AsyncSession, conversation_id: str) -> list[str]:
    return [
        name for name, _ in (await tags_of(session, [conversation_id])).get(conversation_id, [])
    ]


def tagged(workspace_id: str, name: str) -> Select[str]:
    """The ids of the conversations that carry the tag ``name`` (for an IN filter)."""
    return (
        select(ConversationTag.conversation_id)
        .join(Tag, Tag.id == ConversationTag.tag_id)
        .where(Tag.workspace_id == workspace_id, Tag.name == name)
    )


def carrying(tag_id: str) -> Select[str]:
    return select(ConversationTag.conversation_id).where(ConversationTag.tag_id == tag_id)


async def catalog(session: AsyncSession, workspace_id: str) -> list[tuple[Tag, int]]:
    """Every tag of the workspace with how many conversations carry it, by name."""
    counts = (
        select(ConversationTag.tag_id, func.count().label("n"))
        .group_by(ConversationTag.tag_id)
        .subquery()
    )
    rows = await session.execute(
        select(Tag, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.tag_id == Tag.id)
        .where(Tag.workspace_id == workspace_id)
        .order_by(Tag.name)
    )
    return [(tag, int(n)) for tag, n in rows.all()]


async def usage(session: AsyncSession, tag_id: str) -> int:
    count = await session.scalar(
        select(func.count()).select_from(ConversationTag).where(ConversationTag.tag_id == tag_id)
    )
    return int(count or 0)
