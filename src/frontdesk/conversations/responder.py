"""The AI's side of a conversation: answer each visitor message while the AI owns the chat.

A model's reply is shown while it is written: each piece goes out as an ephemeral ``draft``
event (not stored) to the visitor's widget and the team's inbox, and the reply is stored once,
as decided, when it is complete (which may be the refusal instead of the draft). A member who
takes the conversation over mid-reply stops it: the model is stopped, the draft is discarded
and a note says so. A reply cut by a restart ends as "please ask again" (``recover``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy import select

from frontdesk.agents.models import Agent
from frontdesk.answering.generators.base import Listener
from frontdesk.answering.generators.tools import ToolRunner
from frontdesk.answering.pipeline import Thread
from frontdesk.answering.replies import Replies
from frontdesk.answering.schemas import AnswerOut, Handoff
from frontdesk.conversations.messages import post_ai_answer
from frontdesk.conversations.models import Conversation, Message
from frontdesk.conversations.repository import count_visitor_messages, thread_before
from frontdesk.conversations.thread import add_message, system_note
from frontdesk.db.engine import Database
from frontdesk.db.locks import lock
from frontdesk.events.broker import Broker, Subscription
from frontdesk.events.store import changes
from frontdesk.events.types import Event
from frontdesk.metrics import AI_ANSWER_SECONDS, AI_ANSWERS
from frontdesk.tasks import BackgroundTasks

log = logging.getLogger(__name__)

MAX_QUESTION = 2000
FAILED = "Sorry, something went wrong on our side while looking that up."
INTERRUPTED = "Sorry, my reply was interrupted on our side. Could you please ask again?"
DISCARDED = "The AI's unfinished reply was discarded: a person took over the conversation."
EXTRACTIVE = "extractive"


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
        """After a restart: reply to the visitor messages the AI had not replied to yet.

        An agent without a model answers them now. A model's reply may have been half shown
        to the visitor when the process stopped: rather than a silent gap (or a second,
        different reply after a long wait), the visitor is asked to ask again."""
        async with self.db.session() as session:
            rows = await session.execute(
                select(Conversation.id, Conversation.last_seq, Agent.generator)
                .join(
                    Message,
                    (Message.conversation_id == Conversation.id)
                    & (Message.seq == Conversation.last_seq),
                )
                .join(Agent, Agent.id == Conversation.agent_id)
                .where(Conversation.status == "bot", Message.author == "visitor")
            )
            pending = rows.all()
        for conversation_id, seq, generator in pending:
            if generator == EXTRACTIVE:
                self.schedule(conversation_id, seq)
            else:
                await self._interrupted(conversation_id, seq)
        return len(pending)

    async def _interrupted(self, conversation_id: str, seq: int) -> None:
        async with changes(self.db, self.broker) as session:
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None:
                return
            await lock(session, conversation)
            if conversation.status != "bot" or conversation.ai_answered_seq >= seq:
                return
            if conversation.last_seq != seq:  # the visitor wrote again meanwhile
                return
            conversation.ai_answered_seq = seq
            agent = await session.get(Agent, conversation.agent_id)
            await add_message(
                session,
                conversation,
                "ai",
                INTERRUPTED,
                author_name=agent.name if agent is not None else None,
            )

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
        # Listening before reading the status: a take-over committed in between is heard.
        with self.broker.subscribe(conversation_id) as subscription:
            async with self.db.session() as session:
                conversation = await session.get(Conversation, conversation_id)
                message = await session.scalar(
                    select(Message).where(
                        Message.conversation_id == conversation_id, Message.seq == seq
                    )
                )
                if conversation is None or message is None or conversation.status != "bot":
                    return
                if conversation.ai_answered_seq >= seq:  # another process replied to it
                    return
                agent = await session.get(Agent, conversation.agent_id)
                visitor_messages = await count_visitor_messages(session, conversation_id, seq)
                thread = await thread_before(session, conversation_id, seq)
            if agent is None:
                return
            draft = _Draft(self.broker, conversation, agent)
            started = time.perf_counter()
            await self._typing(conversation, agent, True)
            try:
                answer = await _unless_taken_over(
                    subscription,
                    self._ask(
                        agent,
                        message.text[:MAX_QUESTION],
                        visitor_messages,
                        conversation.failed_attempts,
                        thread,
                        draft.add,
                        self.tools(agent, conversation_id) if self.tools else None,
                    ),
                )
                async with changes(self.db, self.broker) as session:
                    current = await session.get(Conversation, conversation_id)
                    if current is None:
                        return
                    await lock(session, current)
                    if current.ai_answered_seq >= seq:  # replied meanwhile by another process
                        return
                    posted = None
                    if answer is not None:
                        posted = await post_ai_answer(session, agent, current, answer)
                    if posted is not None:
                        current.ai_answered_seq = seq
                    if posted is None and draft.text:
                        await system_note(session, current, "ai_reply_discarded", DISCARDED)
                _measure(agent, answer if posted is not None else None, started)
            finally:
                await self._typing(conversation, agent, False)

    async def _ask(
        self,
        agent: Agent,
        question: str,
        visitor_messages: int,
        failed_before: int,
        thread: Thread,
        listener: Listener,
        tools: ToolRunner | None,
    ) -> AnswerOut:
        try:
            return await self.replies.respond(
                agent, question, visitor_messages, failed_before, thread, listener, tools
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


def _measure(agent: Agent, stored: AnswerOut | None, started: float) -> None:
    """Count a reply by its outcome; time the ones the visitor got."""
    if stored is None:
        AI_ANSWERS.labels(generator=agent.generator, outcome="discarded").inc()
        return
    outcome = "answered" if stored.answered else "refused"
    if stored.generator == "none":
        outcome = "failed"
    AI_ANSWERS.labels(generator=stored.generator, outcome=outcome).inc()
    AI_ANSWER_SECONDS.labels(generator=stored.generator).observe(time.perf_counter() - started)


class _Draft:
    """A model's reply while it is written, shown to the visitor and the team as it grows."""

    def __init__(self, broker: Broker, conversation: Conversation, agent: Agent):
        self.broker = broker
        self.workspace_id = conversation.workspace_id
        self.conversation_id = conversation.id
        self.name = agent.name
        self.text = ""

    async def add(self, piece: str) -> None:
        self.text += piece
        # The whole draft each time: a socket that joins mid-reply shows it all.
        await self.broker.publish(
            [
                Event(
                    type="draft",
                    workspace_id=self.workspace_id,
                    conversation_id=self.conversation_id,
                    data={"author": "ai", "name": self.name, "text": self.text},
                )
            ]
        )


async def _taken_over(subscription: Subscription) -> None:
    """Returns once the conversation leaves the AI (a person took it, it was closed...)."""
    while (event := await subscription.get()) is not None:
        if event.type != "conversation.updated" or "status" not in event.data["changes"]:
            continue
        if event.data["conversation"]["status"] != "bot":
            return
    # Cut off for falling behind: no more news; the final check in post_ai_answer remains.
    await asyncio.Event().wait()


async def _unless_taken_over(
    subscription: Subscription, work: Coroutine[Any, Any, AnswerOut]
) -> AnswerOut | None:
    """``work``'s answer, or None when the conversation was taken over first (work stopped)."""
    answering = asyncio.ensure_future(work)
    watching = asyncio.ensure_future(_taken_over(subscription))
    try:
        done, _ = await asyncio.wait({answering, watching}, return_when=asyncio.FIRST_COMPLETED)
        return answering.result() if answering in done else None
    finally:
        for task in (answering, watching):
            task.cancel()
        await asyncio.gather(answering, watching, return_exceptions=True)
