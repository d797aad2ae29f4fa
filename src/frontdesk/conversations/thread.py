"""Appending to a conversation's thread and announcing changes (events after commit)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import Author, Conversation, Message
from frontdesk.conversations.repository import describe, message_out, next_seq
from frontdesk.events.store import record
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
    [view] = await describe(session, [conversation])
    await record(
        session,
        "message.created",
        conversation.workspace_id,
        conversation.id,
        {"message": message_out(message).model_dump(mode="json"), "conversation": _json(view)},
    )
    return message


async def _count(session: AsyncSession, message: Message) -> None:
    """Meter what the visitor wrote and what the answering pipeline replied (usage/meter.py)."""
    if message.author == "visitor" and message.event is None:
        await meter.count(session, message.workspace_id, message.created_at, visitor_messages=1)
    elif (answer := message.answer) is not None:
        await meter.count(
            session, message.workspace_id, message.created_at, ai_answers=1, tokens=answer.tokens
        )


async def announce_message_updated(
    session: AsyncSession, conversation: Conversation, message: Message
) -> None:
    await session.flush()
    [view] = await describe(session, [conversation])
    await record(
        session,
        "message.updated",
        conversation.workspace_id,
        conversation.id,
        {"message": message_out(message).model_dump(mode="json"), "conversation": _json(view)},
    )


async def announce_action(
    session: AsyncSession, conversation: Conversation, action: dict[str, Any]
) -> None:
    """A visitor answered one of the agent's actions (a form): ``action.submitted``."""
    await session.flush()
    [view] = await describe(session, [conversation])
    await record(
        session,
        "action.submitted",
        conversation.workspace_id,
        conversation.id,
        {"conversation": _json(view), "action": action},
    )


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
    [view] = await describe(session, [conversation])
    await record(
        session,
        "conversation.created",
        conversation.workspace_id,
        conversation.id,
        {"conversation": _json(view), "changes": []},
    )


async def announce_changes(
    session: AsyncSession, conversation: Conversation, changes: Sequence[str]
) -> None:
    await announce_many(session, [conversation], changes)


async def announce_many(
    session: AsyncSession, conversations: Sequence[Conversation], changes: Sequence[str]
) -> None:
    """The same change to many conversations (a tag renamed, merged or deleted)."""
    await session.flush()
    for conversation, view in zip(
        conversations, await describe(session, conversations), strict=True
    ):
        await record(
            session,
            "conversation.updated",
            conversation.workspace_id,
            conversation.id,
            {"conversation": _json(view), "changes": list(changes)},
        )


def _json(model: Any) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(mode="json")
    return data
