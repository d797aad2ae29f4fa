"""Tagging conversations: by the rules (silently) and by members (with a note in the thread)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts.caller import Caller
from frontdesk.conversations.lifecycle import actor
from frontdesk.conversations.models import Conversation
from frontdesk.conversations.thread import announce_changes, system_note
from frontdesk.db.base import insert_for, utcnow
from frontdesk.errors import NotFound
from frontdesk.tags.catalog import ensure_tags, find_tag
from frontdesk.tags.models import AddedBy, ConversationTag, Tag
from frontdesk.tags.names import check_name


async def add_rule_tags(
    session: AsyncSession, conversation: Conversation, names: Iterable[str]
) -> None:
    """The tags a rule names, created in the catalog on first use."""
    tags = await ensure_tags(session, conversation.workspace_id, (check_name(n) for n in names))
    if await _attach(session, conversation, tags, "rule"):
        await announce_changes(session, conversation, ["tags"])


async def add_member_tag(
    session: AsyncSession, caller: Caller, conversation: Conversation, raw_name: str
) -> None:
    """Tag by hand; tagging with a tag the conversation already has changes nothing."""
    [tag] = await ensure_tags(session, conversation.workspace_id, [check_name(raw_name, "tag")])
    if await _attach(session, conversation, [tag], "member"):
        await system_note(session, conversation, "tagged", f"{actor(caller)} added tag {tag.name}")
        await announce_changes(session, conversation, ["tags"])


async def remove_member_tag(
    session: AsyncSession, caller: Caller, conversation: Conversation, name: str
) -> None:
    tag = await find_tag(session, conversation.workspace_id, name.strip().lower())
    link = await session.get(ConversationTag, (conversation.id, tag.id)) if tag else None
    if tag is None or link is None:
        raise NotFound(f"This conversation has no tag '{name}'.")
    await session.delete(link)
    conversation.updated_at = utcnow()
    await session.flush()
    await system_note(session, conversation, "untagged", f"{actor(caller)} removed tag {tag.name}")
    await announce_changes(session, conversation, ["tags"])


async def _attach(
    session: AsyncSession, conversation: Conversation, tags: list[Tag], added_by: AddedBy
) -> bool:
    """Add the tags the conversation does not carry yet; True when any was added. A tag
    another writer adds at the same moment is added once: the second insert waits for the
    first and then does nothing."""
    if not tags:
        return False
    rows = [
        {"conversation_id": conversation.id, "tag_id": tag.id, "added_by": added_by} for tag in tags
    ]
    added = await session.scalars(
        insert_for(session, ConversationTag)
        .values(rows)
        .on_conflict_do_nothing()
        .returning(ConversationTag.tag_id)
    )
    if not added.all():
        return False
    conversation.updated_at = utcnow()
    await session.flush()
    return True
