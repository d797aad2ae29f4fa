"""Runs a form's follow-up HTTP actions in the background and records what happened.

Each run is a row (status ``running``) written with the form submission, so a restart
picks up the runs it had not finished; whatever happens, the run ends as succeeded or
failed with a note in the thread.

A run is sent by one process at a time: the sender claims it with a lease as long as the
call may take (:func:`claim`). Another process that finds it claimed comes back when the
lease ends and finds it finished, or, if the sender died, sends it then.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts.models import Workspace
from frontdesk.actions.config import HttpAction
from frontdesk.actions.http import Outcome, longest_s, run_http_action
from frontdesk.actions.models import ActionRun
from frontdesk.actions.templates import secret_names
from frontdesk.agents.models import Agent
from frontdesk.agents.settings import agent_actions
from frontdesk.conversations.models import Conversation, Message
from frontdesk.conversations.thread import announce_changes, system_note
from frontdesk.db.base import utcnow
from frontdesk.db.engine import Database
from frontdesk.db.locks import lock
from frontdesk.events.broker import Broker
from frontdesk.events.store import changes
from frontdesk.tags.queries import tag_names
from frontdesk.tasks import BackgroundTasks
from frontdesk.vault.cipher import Cipher
from frontdesk.vault.redact import scrub
from frontdesk.vault.service import resolve

log = logging.getLogger(__name__)

# Beyond the longest the call may take: reading the run before, recording it after.
LEASE_MARGIN_S = 60.0


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
        self.cipher = cipher
        self._inbox_link = inbox_link
        self._tasks = BackgroundTasks(log)
        self._claimed: set[str] = set()  # runs this process is sending

    def schedule(self, run_ids: Sequence[str]) -> None:
        """Run these (committed) action runs, one after another."""
        if not run_ids:
            return
        self._tasks.spawn(self._run_all(list(run_ids)))

    async def recover(self) -> int:
        """After a restart: finish the runs that were still running."""
        async with self.db.session() as session:
            rows = await session.scalars(
                select(ActionRun.id)
                .where(ActionRun.status == "running")
                .order_by(ActionRun.created_at, ActionRun.id)
            )
            pending = list(rows)
        self.schedule(pending)
        return len(pending)

    async def drain(self) -> None:
        await self._tasks.drain()

    async def close(self) -> None:
        """Stop; the runs cut short are free at once for the next start (not when their
        leases end)."""
        await self._tasks.close()
        if self._claimed:
            async with self.db.transaction() as session:
                await session.execute(
                    update(ActionRun)
                    .where(ActionRun.id.in_(self._claimed), ActionRun.status == "running")
                    .values(lease_until=None)
                )
            self._claimed.clear()

    async def _run_all(self, run_ids: list[str]) -> None:
        for run_id in run_ids:
            try:
                await self.run(run_id)
            except Exception:
                log.exception("action run %s could not be recorded", run_id)

    async def run(self, run_id: str) -> None:
        """Send a run now, unless it finished or another process is sending it."""
        secrets: dict[str, str] = {}
        try:
            async with self.db.transaction() as session:
                run = await session.get(ActionRun, run_id)
                if run is None or run.status != "running":
                    return
                conversation = await session.get(Conversation, run.conversation_id)
                agent = await session.get(Agent, conversation.agent_id) if conversation else None
                workspace = await session.get(Workspace, run.workspace_id)
                if conversation is None or agent is None or workspace is None:
                    return
                action = agent_actions(agent).get(run.action)
                lease_s = longest_s(action) if isinstance(action, HttpAction) else 0.0
                if not await claim(session, run, lease_s + LEASE_MARGIN_S):
                    if run.status == "running" and run.lease_until is not None:
                        self._tasks.spawn(self._after(run.lease_until, run_id))
                    return
                self._claimed.add(run_id)
                if not isinstance(action, HttpAction):
                    outcome = _failed(f"the agent has no HTTP action named {run.action!r} any more")
                else:
                    variables = await self.variables(session, agent, conversation)
                    # A missing secret is reported by the run itself.
                    secrets = await resolve(
                        session, self.cipher(), workspace.id, secret_names(action), strict=False
                    )
                    allowed = list(workspace.allowed_hosts or [])
            if isinstance(action, HttpAction):
                # No database session is held while the other system answers.
                outcome = await run_http_action(action, variables, secrets, allowed)
        except Exception as exc:
            log.exception("action run %s failed", run_id)
            outcome = _failed(scrub(f"it could not run ({type(exc).__name__}: {exc})", secrets))
        async with changes(self.db, self.broker) as session:
            run = await session.get(ActionRun, run_id)
            if run is not None:
                await lock(session, run)
            conversation = await session.get(Conversation, run.conversation_id) if run else None
            # Still running: not finished meanwhile by a sender that outlived its lease.
            if run is not None and run.status == "running" and conversation is not None:
                await record_outcome(session, conversation, run, outcome)
        self._claimed.discard(run_id)

    async def _after(self, held_until: datetime, run_id: str) -> None:
        """Try a run claimed elsewhere again when its lease ends."""
        await asyncio.sleep(max(0.0, (held_until - utcnow()).total_seconds()))
        await self.run(run_id)

    async def variables(
        self, session: AsyncSession, agent: Agent, conversation: Conversation
    ) -> dict[str, dict[str, str]]:
        """What an action's templates may use of the conversation ({lead.x}, {agent.x}...)."""
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
                "tags": ", ".join(await tag_names(session, conversation.id)),
                "last_visitor_message": last or "",
            },
        }


async def claim(session: AsyncSession, run: ActionRun, lease_s: float) -> bool:
    """Take a running run for ``lease_s`` seconds; False when it finished meanwhile or
    another process holds it (until ``run.lease_until``)."""
    await lock(session, run)
    now = utcnow()
    if run.status != "running" or (run.lease_until is not None and run.lease_until > now):
        return False
    run.lease_until = now + timedelta(seconds=lease_s)
    return True


def _failed(error: str) -> Outcome:
    return Outcome(
        status="failed",
        attempts=0,
        request={},
        response_status=None,
        result={},
        error=error,
        duration_ms=0,
    )


async def record_outcome(
    session: AsyncSession, conversation: Conversation, run: ActionRun, outcome: Outcome
) -> None:
    """Finish the run and tell the team in the thread, in words."""
    succeeded = outcome.status == "succeeded"
    run.status = outcome.status
    run.attempts = outcome.attempts
    run.request = outcome.request or run.request
    run.response_status = outcome.response_status
    run.result = outcome.result
    run.error = None if succeeded else outcome.error
    run.finished_at = utcnow()
    run.duration_ms = outcome.duration_ms
    if succeeded:
        picked = ", ".join(f"{k}={short(v)}" for k, v in outcome.result.items())
        text = f"Action {run.action}: sent (HTTP {outcome.response_status})"
        text += f"; {picked}" if picked else ""
    else:
        text = f"Action {run.action} failed: {outcome.error}"
    await system_note(session, conversation, "action", text)
    await announce_changes(session, conversation, ["actions"])


def short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"
