"""The visitor's verdict: thumbs on each AI answer, and a 1–5 CSAT once the chat is closed."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import Conversation, Message, Rating
from frontdesk.conversations.repository import message_by_seq
from frontdesk.conversations.thread import announce_changes, announce_message_updated
from frontdesk.conversations.visitor_view import is_rateable
from frontdesk.db.base import utcnow
from frontdesk.db.locks import lock
from frontdesk.errors import Conflict, NotFound


async def check_rateable(session: AsyncSession, conversation: Conversation, seq: int) -> Message:
    """An AI answer the visitor can see; anything else is not there for them to rate."""
    message = await message_by_seq(session, conversation.id, seq)
    if message is None or not is_rateable(message):
        raise NotFound(f"There is no AI answer {seq} in this conversation.")
    return message


async def do_rate_message(
    session: AsyncSession, conversation: Conversation, seq: int, rating: Rating | None
) -> Message:
    """Set, change or (with None) clear the visitor's thumbs on an AI answer."""
    message = await check_rateable(session, conversation, seq)
    if message.feedback == rating:
        return message
    message.feedback = rating
    message.feedback_at = utcnow() if rating else None
    await announce_message_updated(session, conversation, message)
    return message


async def do_rate_conversation(
    session: AsyncSession, conversation: Conversation, score: int, comment: str | None
) -> None:
    """Store the CSAT of a closed conversation; a second answer replaces the first."""
    await lock(session, conversation)
    if conversation.status != "closed":
        raise Conflict("Satisfaction can be rated once the conversation is closed.")
    conversation.csat_score = score
    conversation.csat_comment = comment
    conversation.csat_at = utcnow()
    await announce_changes(session, conversation, ["csat"])
