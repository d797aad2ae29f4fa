"""Appending to a conversation's thread and announcing changes.

Changes are marked (:mod:`frontdesk.events.touched`) and described once per conversation when
the transaction commits (:func:`record_touched`): a visitor message that the AI answers and
hands off changes status, team, summary and assignee, yet its conversation is described and
announced once, not once per step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import Author, Conversation, Message
from frontdesk.conversations.repository import describe, message_out, next_seq
from frontdesk.db.base import utcnow
from frontdesk.events import touched
from frontdesk.events.store import record_many
from frontdesk.usage import meter


async def add_message(
    session: AsyncSession,
    conversation: Conversation,
    author: Author,
    text: str,
    *,
    author_id: str | None = None,
    author_name: str | None = None,
    private: bool = False,
    citations: Sequence[dict[str, Any]] = (),
    confidence: float | None = None,
    client_id: str | None = None,
    event: str | None = None,
    payload: dict[str, Any] | None = None,
) -> Message:
    message = Message(
        workspace_id=conversation.workspace_id,
        conversation_id=conversation.id,
        seq=await next_seq(session, conversation),
        author=author,
        author_id=author_id,
        author_name=author_name,
        text=text,
        private=private,
        citations=list(citations),
        confidence=confidence,
        client_id=client_id,
        event=event,
        payload=payload,
    )
    session.add(message)
    await session.flush()
    await _count(session, message)
    _touch(session, conversation, event=("message.created", _message_json(message)))
    return message


async def _count(session: AsyncSession, message: Message) -> None:
    """Meter what the visitor wrote and what the answering pipeline replied (usage/meter.py)."""
    if message.author == "visitor" and message.event is None:
        await meter.count(session, message.workspace_id, message.created_at, visitor_messages=1)
    elif (answer := message.answer) is not None:
        await meter.count_answer(
            session,
            message.workspace_id,
            message.created_at,
            answer.generator or "",
            answer.model or "",
            answer.prompt_tokens,
            answer.completion_tokens,
        )


async def announce_message_updated(
    session: AsyncSession, conversation: Conversation, message: Message
) -> None:
    _touch(session, conversation, event=("message.updated", _message_json(message)))


async def announce_action(
    session: AsyncSession, conversation: Conversation, action: dict[str, Any]
) -> None:
    """A visitor answered one of the agent's actions (a form): ``action.submitted``."""
    _touch(session, conversation, event=("action.submitted", {"action": action}))


async def system_note(
    session: AsyncSession,
    conversation: Conversation,
    event: str,
    text: str,
    payload: dict[str, Any] | None = None,
) -> Message:
    return await add_message(session, conversation, "system", text, event=event, payload=payload)


async def announce_created(session: AsyncSession, conversation: Conversation) -> None:
    await session.flush()
    await meter.count(session, conversation.workspace_id, conversation.created_at, conversations=1)
    _touch(session, conversation, created=True)


async def announce_changes(
    session: AsyncSession, conversation: Conversation, changes: Sequence[str]
) -> None:
    _touch(session, conversation, changes)


async def announce_many(
    session: AsyncSession, conversations: Sequence[Conversation], changes: Sequence[str]
) -> None:
    """The same change to many conversations (a tag renamed, merged or deleted)."""
    for conversation in conversations:
        _touch(session, conversation, changes)


def _touch(
    session: AsyncSession,
    conversation: Conversation,
    changes: Sequence[str] = (),
    *,
    created: bool = False,
    event: tuple[Any, dict[str, Any]] | None = None,
) -> None:
    touched.touch(
        session, conversation.workspace_id, conversation.id, changes, created=created, event=event
    )


async def record_touched(session: AsyncSession) -> None:
    """Describe each conversation this transaction changed once and record its events.

    Wired to run before every write transaction commits (Runtime). Per conversation:
    ``conversation.created`` first if it is new, otherwise one ``conversation.updated`` with
    every change, placed among the events of its messages and actions where the first change
    happened; all carry the snapshot as it commits.
    """
    marked = touched.take(session)
    if not marked:
        return
    found = {c.id: c for c in await _conversations(session, [m.conversation_id for m in marked])}
    marked = [m for m in marked if m.conversation_id in found]
    now = utcnow()
    for mark in marked:
        if mark.changes:
            # Changes kept in other tables (tags) move the conversation up the inbox too.
            found[mark.conversation_id].updated_at = now
    await session.flush()
    views = await describe(session, [found[m.conversation_id] for m in marked])
    items: list[tuple[Any, str, str | None, dict[str, Any]]] = []
    for mark, view in zip(marked, views, strict=True):
        snapshot = _json(view)
        at = (mark.workspace_id, mark.conversation_id)
        events = [(type_, *at, {**data, "conversation": snapshot}) for type_, data in mark.events]
        if mark.created:
            events.insert(
                0, ("conversation.created", *at, {"conversation": snapshot, "changes": []})
            )
        elif mark.changes:
            update = {"conversation": snapshot, "changes": list(mark.changes)}
            events.insert(mark.changed_after or 0, ("conversation.updated", *at, update))
        items.extend(events)
    await record_many(session, items)


async def _conversations(session: AsyncSession, ids: Sequence[str]) -> list[Conversation]:
    """The conversations, from the session's identity map when loaded (no query then)."""
    loaded = [session.identity_map.get(session.identity_key(Conversation, i)) for i in ids]
    known = [c for c in loaded if isinstance(c, Conversation)]
    missing = {i for i in ids} - {c.id for c in known}
    if missing:
        query = select(Conversation).where(Conversation.id.in_(missing))
        known.extend(await session.scalars(query))
    return known


def _message_json(message: Message) -> dict[str, Any]:
    return {"message": message_out(message).model_dump(mode="json")}


def _json(model: Any) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(mode="json")
    return data
