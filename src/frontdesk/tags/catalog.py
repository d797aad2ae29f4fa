"""The workspace's tag catalog: names, colours, rename, merge, delete.

A tag is created on first use (by a rule or a member). Changing the catalog changes what
every conversation carrying the tag shows, so each of them gets a ``conversation.updated``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db.tenancy import get_in_workspace
from frontdesk.db.unique import unique_or
from frontdesk.errors import Conflict, InvalidInput
from frontdesk.events import touched
from frontdesk.tags import queries
from frontdesk.tags.models import ConversationTag, Tag
from frontdesk.tags.names import check_name
from frontdesk.teams.models import Team

COLOR = re.compile(r"^#[0-9a-f]{6}$")
PALETTE = (
    "#f4a3a3",
    "#f6c48f",
    "#f2dc7d",
    "#b5e08c",
    "#8fd6b4",
    "#8fd0e6",
    "#a3b8f4",
    "#c3a6ef",
    "#eba6d8",
    "#c9ced6",
)


def check_color(raw: str) -> str:
    color = raw.strip().lower()
    if not COLOR.fullmatch(color):
        raise InvalidInput(
            f"'{raw.strip()[:20]}' is not a colour: use #rrggbb (e.g. #1f6feb).", field="color"
        )
    return color


def default_color(name: str) -> str:
    """The same name always gets the same colour from the palette."""
    return PALETTE[int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % len(PALETTE)]


async def get_tag(session: AsyncSession, workspace_id: str, tag_id: str) -> Tag:
    return await get_in_workspace(session, Tag, workspace_id, tag_id, "tag")


async def find_tag(session: AsyncSession, workspace_id: str, name: str) -> Tag | None:
    found: Tag | None = await session.scalar(
        select(Tag).where(Tag.workspace_id == workspace_id, Tag.name == name)
    )
    return found


async def ensure_tags(session: AsyncSession, workspace_id: str, names: Iterable[str]) -> list[Tag]:
    """The tags of these (valid) names, created in the catalog when new."""
    wanted = sorted(set(names))
    existing = {
        tag.name: tag
        for tag in await session.scalars(
            select(Tag).where(Tag.workspace_id == workspace_id, Tag.name.in_(wanted))
        )
    }
    for name in wanted:
        if name not in existing:
            existing[name] = await _create(session, workspace_id, name)
    return [existing[name] for name in wanted]


async def _create(session: AsyncSession, workspace_id: str, name: str) -> Tag:
    tag = Tag(workspace_id=workspace_id, name=name, color=default_color(name))
    try:
        # A savepoint: another writer may create the same name first (PostgreSQL).
        async with session.begin_nested():
            session.add(tag)
    except IntegrityError:
        again = await find_tag(session, workspace_id, name)
        if again is None:
            raise
        return again
    return tag


async def update_tag(
    session: AsyncSession,
    workspace_id: str,
    tag_id: str,
    name: str | None = None,
    color: str | None = None,
) -> Tag:
    tag = await get_tag(session, workspace_id, tag_id)
    changed = False
    if name is not None:
        name = check_name(name)
        if name != tag.name:
            other = await find_tag(session, workspace_id, name)
            if other is not None:
                raise Conflict(
                    f"There is already a tag '{name}'. To combine them, merge this tag into "
                    f'it: POST /api/v1/tags/{tag.id}/merge {{"into": "{other.id}"}}.',
                    field="name",
                )
            await _reroute(session, workspace_id, tag.name, name)
            async with unique_or(
                session, Conflict(f"There is already a tag '{name}'.", field="name")
            ):
                tag.name = name
            changed = True
    if color is not None:
        color = check_color(color)
        changed = changed or color != tag.color
        tag.color = color
    if changed:
        await _announce(session, workspace_id, tag.id)
    return tag


async def merge_tags(session: AsyncSession, workspace_id: str, tag_id: str, into_id: str) -> Tag:
    """Move every conversation from one tag to another (once each) and drop the first."""
    source = await get_tag(session, workspace_id, tag_id)
    target = await get_tag(session, workspace_id, into_id)
    if source.id == target.id:
        raise InvalidInput("A tag cannot be merged into itself.", field="into")
    affected = await _carrying(session, source.id)
    await session.execute(
        delete(ConversationTag).where(
            ConversationTag.tag_id == source.id,
            ConversationTag.conversation_id.in_(queries.carrying(target.id)),
        )
    )
    await session.execute(
        update(ConversationTag)
        .where(ConversationTag.tag_id == source.id)
        .values(tag_id=target.id)
        .execution_options(synchronize_session=False)
    )
    await session.delete(source)
    await _reroute(session, workspace_id, source.name, target.name)
    _touch(workspace_id, session, affected)
    return target


async def delete_tag(session: AsyncSession, workspace_id: str, tag_id: str) -> None:
    """Remove the tag from the catalog and from every conversation that carries it."""
    tag = await get_tag(session, workspace_id, tag_id)
    affected = await _carrying(session, tag.id)
    await session.execute(delete(ConversationTag).where(ConversationTag.tag_id == tag.id))
    await session.delete(tag)
    await _reroute(session, workspace_id, tag.name, None)
    _touch(workspace_id, session, affected)


async def _reroute(session: AsyncSession, workspace_id: str, old: str, new: str | None) -> None:
    """Teams route by tag name: a renamed or merged tag keeps routing, a deleted one stops."""
    teams = await session.scalars(select(Team).where(Team.workspace_id == workspace_id))
    for team in teams:
        if old in (team.route_tags or ()):
            kept = {t for t in team.route_tags if t != old}
            team.route_tags = sorted(kept | ({new} if new else set()))


async def _carrying(session: AsyncSession, tag_id: str) -> list[str]:
    """Ids of the conversations that carry the tag."""
    return list(await session.scalars(queries.carrying(tag_id)))


async def _announce(session: AsyncSession, workspace_id: str, tag_id: str) -> None:
    _touch(workspace_id, session, await _carrying(session, tag_id))


def _touch(workspace_id: str, session: AsyncSession, conversation_ids: list[str]) -> None:
    """Each conversation shows its tags: open inboxes hear of it (one update each)."""
    for conversation_id in conversation_ids:
        touched.touch(session, workspace_id, conversation_id, ["tags"])
