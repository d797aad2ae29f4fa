"""The workspace's saved replies: list, add, change, delete. A shortcut names one reply of
its workspace (a second one with the same shortcut is a conflict)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db.tenancy import get_in_workspace
from frontdesk.db.unique import unique_or
from frontdesk.errors import Conflict
from frontdesk.replies.models import SavedReply

MAX_REPLIES = 500


async def list_replies(session: AsyncSession, workspace_id: str) -> list[SavedReply]:
    rows = await session.scalars(
        select(SavedReply)
        .where(SavedReply.workspace_id == workspace_id)
        .order_by(SavedReply.shortcut)
    )
    return list(rows)


async def get_reply(session: AsyncSession, workspace_id: str, reply_id: str) -> SavedReply:
    return await get_in_workspace(session, SavedReply, workspace_id, reply_id, "saved reply")


async def _check_free(
    session: AsyncSession, workspace_id: str, shortcut: str, reply_id: str | None = None
) -> None:
    taken = await session.scalar(
        select(SavedReply.id).where(
            SavedReply.workspace_id == workspace_id, SavedReply.shortcut == shortcut
        )
    )
    if taken and taken != reply_id:
        raise _shortcut_taken(shortcut)


def _shortcut_taken(shortcut: str) -> Conflict:
    return Conflict(f"Another saved reply already uses /{shortcut}.", field="shortcut")


async def add_reply(
    session: AsyncSession, workspace_id: str, shortcut: str, title: str, text: str
) -> SavedReply:
    await _check_free(session, workspace_id, shortcut)
    if len(await list_replies(session, workspace_id)) >= MAX_REPLIES:
        raise Conflict(f"A workspace keeps at most {MAX_REPLIES} saved replies.")
    reply = SavedReply(workspace_id=workspace_id, shortcut=shortcut, title=title, text=text)
    async with unique_or(session, _shortcut_taken(shortcut)):
        session.add(reply)
    return reply


async def change_reply(
    session: AsyncSession,
    workspace_id: str,
    reply_id: str,
    shortcut: str | None,
    title: str | None,
    text: str | None,
) -> SavedReply:
    reply = await get_reply(session, workspace_id, reply_id)
    if shortcut is not None and shortcut != reply.shortcut:
        await _check_free(session, workspace_id, shortcut, reply.id)
        reply.shortcut = shortcut
    if title is not None:
        reply.title = title
    if text is not None:
        reply.text = text
    async with unique_or(session, _shortcut_taken(reply.shortcut)):
        await session.flush()
    return reply


async def delete_reply(session: AsyncSession, workspace_id: str, reply_id: str) -> None:
    await session.delete(await get_reply(session, workspace_id, reply_id))
