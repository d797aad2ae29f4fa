"""The model's handoff summary, written after the handoff has committed.

A handoff stores the extractive summary in its own transaction (summary.py): no model is
asked while SQLite's write lock is held. The Summarizer hears that handoff (a
``conversation.updated`` whose extractive summary changed), asks the agent's model for one to
three sentences about the visible thread — visitor, AI and team replies of this conversation
only, never a private note — and stores them as the summary's ``text``, marked ``by: model``,
next to its extractive parts (what the visitor wants, what the AI answered). A newer handoff
meanwhile wins; a model that fails leaves the extractive summary as it is. After a restart,
the open conversations with a person whose agent has a model and whose summary is still
extractive are summarized again.

The summary stays current while the visitor waits: a visitor message in a waiting conversation
has the extractive summary written again from the thread a moment later (a burst of messages
is one rewrite), which is announced like a handoff's, so the model's note follows it. Per
conversation at most one rewrite and one model call are in flight; what arrives meanwhile
runs once after them, with the newest thread.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from frontdesk.agents.models import Agent
from frontdesk.answering.generators.base import Chat, Generator, GeneratorFailed
from frontdesk.conversations.models import Conversation, Status
from frontdesk.conversations.repository import thread_before
from frontdesk.conversations.summary import clip, first_sentences, summarize
from frontdesk.conversations.thread import announce_changes
from frontdesk.db.engine import Database
from frontdesk.events.broker import ALL_EVENTS, Broker, Subscription
from frontdesk.events.store import changes
from frontdesk.events.types import Event
from frontdesk.tasks import BackgroundTasks, Coalescing
from frontdesk.usage import meter

log = logging.getLogger(__name__)

MAX_TOKENS = 160
MAX_SENTENCES = 3
MAX_TEXT = 600
# The thread the model reads: its latest turns, each clipped, within a budget of characters.
MAX_TURN = 600
MAX_THREAD = 6000
# Summaries written at once: a burst of handoffs waits its turn instead of piling up.
AT_ONCE = 2
# Seconds between a waiting visitor's message and the summary's rewrite: the messages of a
# burst land in one rewrite (and one model call) instead of one each.
REFRESH_AFTER = 1.5
# "Summary:", "The handoff note:" before the note itself.
_LABEL = re.compile(r"^(?:the\s+)?(?:handoff\s+)?(?:note|summary)\s*:\s*", re.I)
SPEAKERS = {"visitor": "Visitor", "ai": "Assistant", "member": "Team"}
SYSTEM = """\
You write a handoff note for the support person who takes over this chat from the assistant.
In one to three short sentences of plain text, say what the visitor wants, what the assistant \
already answered, and what is still open. Use only what the conversation says."""


def summary_chat(history: Sequence[tuple[str, str]]) -> Chat:
    """The model's prompt: the visible turns (author, text), latest kept when too long."""
    lines: list[str] = []
    size = 0
    for author, text in reversed(history):
        speaker = SPEAKERS.get(author)
        if speaker is None or not text.strip():
            continue
        line = f"{speaker}: {clip(text, MAX_TURN)}"
        if lines and size + len(line) > MAX_THREAD:
            break
        lines.append(line)
        size += len(line) + 1
    transcript = "\n".join(reversed(lines)) or "(no messages)"
    user = f"{transcript}\n\nSummarize this conversation for the person taking over."
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def tidy(text: str) -> str:
    """The model's note as shown: one paragraph of at most three sentences, no label."""
    text = _LABEL.sub("", " ".join(text.replace("**", "").split()))
    return first_sentences(text.strip("\"'“”"), MAX_SENTENCES, MAX_TEXT)


def handed_off(event: Event) -> datetime | None:
    """When the extractive summary a handoff event announces was written, else None."""
    if event.type != "conversation.updated" or "summary" not in event.data.get("changes", ()):
        return None
    summary = (event.data.get("conversation") or {}).get("summary") or {}
    return _written(summary) if summary.get("by") == "extractive" else None


def visitor_wrote(event: Event) -> bool:
    """A visitor's message in a conversation waiting for a person, whose summary it changes."""
    if event.type != "message.created":
        return False
    message = event.data.get("message") or {}
    conversation = event.data.get("conversation") or {}
    return (
        message.get("author") == "visitor"
        and not message.get("event")
        and conversation.get("status") == Status.WAITING
    )


def _written(summary: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(summary["at"])
    except (KeyError, TypeError, ValueError):
        return None


def _still(summary: dict[str, Any] | None, at: datetime) -> bool:
    """The summary is still the extractive one written at ``at`` (no newer handoff)."""
    if not summary or summary.get("by") != "extractive":
        return False
    return _written(summary) == at


class Summarizer:
    def __init__(
        self,
        db: Database,
        broker: Broker,
        generator_for: Callable[[Agent], Generator],
        refresh_after: float = REFRESH_AFTER,
    ):
        self.db = db
        self.broker = broker
        self.generator_for = generator_for
        self.refresh_after = refresh_after
        self._listening = BackgroundTasks(log)
        self._tasks = BackgroundTasks(log)
        self._model_calls = Coalescing(self._tasks, log)
        self._rewrites = Coalescing(self._tasks, log)
        self._turns = asyncio.Semaphore(AT_ONCE)
        self._subscription: Subscription | None = None

    async def start(self) -> None:
        """Listen for handoffs (the server only: CLI commands write no model summaries), the
        ones this process writes: each process summarizes its own, so none is paid twice."""
        self._subscription = self.broker.subscribe(ALL_EVENTS, own_only=True)
        self._listening.spawn(self._listen(), name="summaries-listen")

    def schedule(self, conversation_id: str, at: datetime) -> None:
        """Summarize a conversation whose extractive summary written at ``at`` committed."""
        self._model_calls.submit(
            f"summary-{conversation_id}", lambda: self.summarize(conversation_id, at)
        )

    def refresh_later(self, conversation_id: str) -> None:
        """Rewrite a waiting conversation's extractive summary in a moment (bursts coalesce)."""

        async def later() -> None:
            await asyncio.sleep(self.refresh_after)
            await self.refresh(conversation_id)

        self._rewrites.submit(f"summary-refresh-{conversation_id}", later)

    async def refresh(self, conversation_id: str) -> bool:
        """Write the extractive summary again from the thread now, if the conversation still
        waits and the visitor's side of it changed; True when it did."""
        async with changes(self.db, self.broker) as session:
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None or conversation.status != Status.WAITING:
                return False
            current = conversation.summary
            if not current:
                return False  # a handoff writes the first one
            fresh = await summarize(session, conversation)
            if all(current.get(key) == fresh[key] for key in ("wants", "answered")):
                return False
            conversation.summary = fresh
            await announce_changes(session, conversation, ["summary"])
            return True

    async def recover(self) -> int:
        """After a restart: summarize the open handoffs whose agent has a model again."""
        async with self.db.session() as session:
            rows = await session.execute(
                select(Conversation.id, Conversation.summary)
                .join(Agent, Agent.id == Conversation.agent_id)
                .where(
                    Conversation.status.in_(("waiting", "human")),
                    Agent.generator != "extractive",
                    Conversation.summary["by"].as_string() == "extractive",
                )
                .order_by(Conversation.waiting_since, Conversation.id)
            )
            pending = [(id_, _written(summary)) for id_, summary in rows.all()]
        for conversation_id, at in pending:
            if at is not None:
                self.schedule(conversation_id, at)
        return len(pending)

    async def drain(self) -> None:
        await self._tasks.drain()

    async def close(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None
        await self._listening.close()
        await self._tasks.close()

    async def summarize(self, conversation_id: str, at: datetime) -> None:
        """Ask the agent's model; store its note unless a newer handoff replaced the summary."""
        async with self.db.session() as session:
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None or not _still(conversation.summary, at):
                return
            agent = await session.get(Agent, conversation.agent_id)
            thread = await thread_before(session, conversation_id, conversation.last_seq + 1)
        if agent is None:
            return
        generator = self.generator_for(agent)
        if not generator.completes:
            return
        try:
            async with self._turns:
                written = await generator.complete(summary_chat(thread.history), MAX_TOKENS)
        except GeneratorFailed as exc:
            log.warning(
                "conversation %s keeps its extractive summary: %s", conversation_id, exc.message
            )
            return
        if not (text := tidy(written.text)):
            return
        async with changes(self.db, self.broker) as session:
            # Spent whether or not it is still wanted: metered first.
            await meter.count_spent(session, agent.workspace_id, generator.name, written)
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None or not _still(conversation.summary, at):
                return
            summary = dict(conversation.summary or {})
            summary.update(text=text, by="model", generator=generator.name)
            conversation.summary = summary
            await announce_changes(session, conversation, ["summary"])

    async def _listen(self) -> None:
        while self._subscription is not None:
            event = await self._subscription.get()
            if event is None:
                # Fell behind: listen afresh. A handoff missed keeps its extractive summary
                # until the next restart recovers it.
                self._subscription.close()
                self._subscription = self.broker.subscribe(ALL_EVENTS, own_only=True)
            elif event.conversation_id and (at := handed_off(event)) is not None:
                self.schedule(event.conversation_id, at)
            elif event.conversation_id and visitor_wrote(event):
                self.refresh_later(event.conversation_id)
