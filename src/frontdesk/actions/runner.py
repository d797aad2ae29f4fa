"""Runs a form's follow-up HTTP actions in the background and records what happened."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts.models import Workspace
from frontdesk.actions.config import HttpAction
from frontdesk.actions.flow import agent_actions
from frontdesk.actions.http import Outcome, run_http_action
from frontdesk.actions.models import ActionRun
from frontdesk.actions.templates import secret_names
from frontdesk.agent.models import Agent
from frontdesk.conversations.models import Conversation, Message
from frontdesk.conversations.thread import announce_changes, system_note
from frontdesk.db.base import utcnow
from frontdesk.db.engine import Database
from frontdesk.events.broker import Broker
from frontdesk.events.store import changes
from frontdesk.vault.cipher import Cipher
from frontdesk.vault.service import resolve

log = logging.getLogger(__name__)


class ActionRunner:
    def __init__(
        self,
        db: Database,
        broker: Broker,
        cipher: Callable[[], Cipher],
        inbox_link: Callable[[str], str],
    ):
        self.db = db
        self.broker = broker
        self._cipher = cipher
        self._inbox_link = inbox_link
        self._tasks: set[asyncio.Task[None]] = set()

    def schedule(self, conversation_id: str, names: Sequence[str]) -> None:
        if not names:
            return
        task = asyncio.create_task(self.run(conversation_id, list(names)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def run(self, conversation_id: str, names: list[str]) -> None:
        """Run the named actions one after another; each outcome is stored on the thread."""
        for name in names:
            try:
                await self._run_one(conversation_id, name)
            except Exception:
                log.exception("action %s failed on conversation %s", name, conversation_id)

    async def _run_one(self, conversation_id: str, name: str) -> None:
        async with self.db.session() as session:
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None:
                return
            agent = await session.get(Agent, conversation.agent_id)
            workspace = await session.get(Workspace, conversation.workspace_id)
            if agent is None or workspace is None:
                return
            action = agent_actions(agent).get(name)
            if not isinstance(action, HttpAction):
                return
            variables = await self._variables(session, agent, conversation)
            # A missing secret is reported by the run itself, with the request it would send.
            secrets = await resolve(
                session, self._cipher(), workspace.id, secret_names(action), strict=False
            )
            allowed = list(workspace.allowed_hosts or [])
        # No database session is held while the other system answers.
        outcome = await run_http_action(action, variables, secrets, allowed)
        async with changes(self.db, self.broker) as session:
            current = await session.get(Conversation, conversation_id)
            if current is not None:
                await record_outcome(session, current, action, outcome)

    async def _variables(
        self, session: AsyncSession, agent: Agent, conversation: Conversation
    ) -> dict[str, dict[str, str]]:
        lead = {f["name"]: f["value"] for f in (conversation.lead or {}).get("fields", [])}
        last = await session.scalar(
            select(Message.text)
            .where(Message.conversation_id == conversation.id, Message.author == "visitor")
            .order_by(Message.seq.desc())
            .limit(1)
        )
        return {
            "lead": lead,
            "agent": {"id": agent.id, "name": agent.name},
            "conversation": {
                "id": conversation.id,
                "url": self._inbox_link(conversation.id),
                "status": conversation.status,
                "priority": conversation.priority,
                "page_url": conversation.page_url or "",
                "handoff_trigger": conversation.handoff_trigger or "",
                "handoff_reason": conversation.handoff_reason or "",
                "tags": ", ".join(conversation.tags or []),
                "last_visitor_message": last or "",
            },
        }


async def record_outcome(
    session: AsyncSession, conversation: Conversation, action: HttpAction, outcome: Outcome
) -> None:
    """Keep the run and tell the team in the thread, in words."""
    succeeded = outcome.status == "succeeded"
    session.add(
        ActionRun(
            workspace_id=conversation.workspace_id,
            conversation_id=conversation.id,
            action=action.name,
            kind="http",
            status=outcome.status,
            attempts=outcome.attempts,
            request=outcome.request,
            response_status=outcome.response_status,
            result=outcome.result,
            error=None if succeeded else outcome.error,
            finished_at=utcnow(),
        )
    )
    if succeeded:
        picked = ", ".join(f"{k}={_short(v)}" for k, v in outcome.result.items())
        text = f"Action {action.name}: sent (HTTP {outcome.response_status})"
        text += f"; {picked}" if picked else ""
    else:
        text = f"Action {action.name} failed: {outcome.error}"
    await system_note(session, conversation, "action", text)
    await announce_changes(session, conversation, ["actions"])


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"
