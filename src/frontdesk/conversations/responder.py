"""The AI's side of a conversation: answer each visitor message while the AI owns the chat."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy import select

from frontdesk.agents.models import Agent
from frontdesk.answering.generators.tools import ToolRunner
from frontdesk.answering.pipeline import Thread
from frontdesk.answering.replies import Replies
from frontdesk.answering.schemas import AnswerOut, Handoff
from frontdesk.conversations.messages import post_ai_answer
from frontdesk.conversations.models import Conversation, Message
from frontdesk.conversations.repository import count_visitor_messages, thread_before
from frontdesk.db.engine import Database
from frontdesk.events.broker import Broker
from frontdesk.events.store import changes
from frontdesk.events.types import Event
from frontdesk.tasks import BackgroundTasks

log = logging.getLogger(__name__)

MAX_QUESTION = 2000
FAILED = "Sorry, something went wrong on our side while looking that up."


class Responder:
    """Runs AI replies as background tasks, one at a time per conversation, in order."""

    def __init__(
        self,
        db: Database,
        broker: Broker,
        replies: Replies,
        tools: Callable[[Agent, str], ToolRunner] | None = None,
    ):
        self.db = db
        self.broker = broker
        self.replies = replies
        # The agent's tools in a conversation (conversations/tools.py), for its model to call.
        self.tools = tools
        self._tasks = BackgroundTasks(log)
        # A conversation's lock lives while a reply holds it or waits for it (the count).
        self._turns: dict[str, tuple[asyncio.Lock, int]] = {}

    def schedule(self, conversation_id: str, seq: int) -> None:
        """Answer the visitor message ``seq`` (already committed) of a conversation."""
        self._tasks.spawn(self.reply(conversation_id, seq), name=f"reply-{conversation_id}")

    async def recover(self) -> int:
        """After a restart: answer visitor messages the AI had not replied to yet."""
        async with self.db.session() as session:
            rows = await session.execute(
                select(Conversation.id, Conversation.last_seq)
                .join(
                    Message,
                    (Message.conversation_id == Conversation.id)
                    & (Message.seq == Conversation.last_seq),
                )
                .where(Conversation.status == "bot", Message.author == "visitor")
            )
            pending = rows.all()
        for conversation_id, seq in pending:
            self.schedule(conversation_id, seq)
        return len(pending)

    async def drain(self) -> None:
        await self._tasks.drain()

    async def close(self) -> None:
        await self._tasks.close()

    async def reply(self, conversation_id: str, seq: int) -> None:
        """Answer now (the API waits for it); in turn with the conversation's other replies."""
        # Replies take the lock in the order they were scheduled (asyncio.Lock is fair).
        lock, waiting = self._turns.get(conversation_id, (asyncio.Lock(), 0))
        self._turns[conversation_id] = (lock, waiting + 1)
        try:
            async with lock:
                await self._answer(conversation_id, seq)
        finally:
            lock, waiting = self._turns.pop(conversation_id)
            if waiting > 1:
                self._turns[conversation_id] = (lock, waiting - 1)

    async def _answer(self, conversation_id: str, seq: int) -> None:
        async with self.db.session() as session:
            conversation = await session.get(Conversation, conversation_id)
            message = await session.scalar(
                select(Message).where(
                    Message.conversation_id == conversation_id, Message.seq == seq
                )
            )
            if conversation is None or message is None or conversation.status != "bot":
                return
            agent = await session.get(Agent, conversation.agent_id)
            visitor_messages = await count_visitor_messages(session, conversation_id, seq)
            thread = await thread_before(session, conversation_id, seq)
        if agent is None:
            return
        await self._typing(conversation, agent, True)
        try:
            answer = await self._ask(
                agent,
                message.text[:MAX_QUESTION],
                visitor_messages,
                conversation.failed_attempts,
                thread,
                self.tools(agent, conversation_id) if self.tools else None,
            )
            async with changes(self.db, self.broker) as session:
                current = await session.get(Conversation, conversation_id)
                if current is not None:
                    await post_ai_answer(session, agent, current, answer)
        finally:
            await self._typing(conversation, agent, False)

    async def _ask(
        self,
        agent: Agent,
        question: str,
        visitor_messages: int,
        failed_before: int,
        thread: Thread,
        tools: ToolRunner | None,
    ) -> AnswerOut:
        try:
            return await self.replies.respond(
                agent, question, visitor_messages, failed_before, thread, tools=tools
            )
        except Exception:
            log.exception("answering failed for agent %s", agent.id)
            return AnswerOut(
                answer=f"{FAILED} {agent.handoff_message}",
                citations=[],
                confidence=0.0,
                handoff=Handoff(
                    triggered=True,
                    trigger="low_confidence",
                    reason="The AI could not answer because of an internal error.",
                ),
                generator="none",
                answered=False,
            )

    async def _typing(self, conversation: Conversation, agent: Agent, typing: bool) -> None:
        await self.broker.publish(
            [
                Event(
                    type="typing",
                    workspace_id=conversation.workspace_id,
                    conversation_id=conversation.id,
                    data={"author": "ai", "member_id": None, "name": agent.name, "typing": typing},
                )
            ]
        )
