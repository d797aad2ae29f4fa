"""Runs a form's follow-up HTTP actions as jobs and records what happened.

Each run is a row (status ``running``) written with the form submission; its job (``JOB``,
carrying the run's id) is sent once that commits and runs wherever jobs run (this process by
default, a server with run_jobs or `frontdesk worker` through Redis). Whatever happens, the
run ends as succeeded or failed with a note in the thread; a failed run waits in the
dead-letter view until an admin retries it.

A run is sent by one job at a time: the job claims it with a lease as long as the call may
take (:func:`claim`), so a job delivered twice, or sent again by a sweep, finds it taken or
finished and does nothing. A sweep, in every process that runs jobs, sends the jobs of runs
whose job was lost or whose sender died (its lease ran out).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
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
from frontdesk.jobs.queue import Jobs
from frontdesk.tags.queries import tag_names
from frontdesk.tasks import BackgroundTasks
from frontdesk.vault.cipher import Cipher
from frontdesk.vault.redact import scrub
from frontdesk.vault.service import resolve

log = logging.getLogger(__name__)

JOB = "actions.run"
# Beyond the longest the call may take: reading the run before, recording it after.
LEASE_MARGIN_S = 60.0
# A running run whose job nobody took this long after it was sent gets its job sent again
# (Redis lost it, or the process that read it was killed); a duplicate finds it taken.
RESEND_AFTER = timedelta(minutes=1)


class ActionRunner:
    def __init__(
        self,
        db: Database,
        broker: Broker,
        cipher: Callable[[], Cipher],
        inbox_link: Callable[[str], str],
        jobs: Jobs,
        sweep_s: float,
    ):
        self.db = db
        self.broker = broker
        self.cipher = cipher
        self._inbox_link = inbox_link
        self.jobs = jobs
        self._sweep_s = sweep_s
        self._sweeper = BackgroundTasks(log)
        self._claimed: set[str] = set()  # runs this process is sending
        jobs.register(JOB, self.run)

    async def enqueue(self, run_ids: Sequence[str]) -> None:
        """Send the jobs of these (committed) action runs."""
        for run_id in run_ids:
            try:
                await self.jobs.send(JOB, run_id)
            except Exception:
                # The run stays running: a sweep sends its job again (RESEND_AFTER).
                log.warning("could not send the job of action run %s", run_id, exc_info=True)

    async def start(self, consume: bool) -> None:
        """With ``consume`` (this process runs jobs): sweep now, then every ``sweep_s``."""
        if not consume:
            return
        # Jobs held in memory died with the last process: send every running run's again.
        await self.sweep(everything=self.jobs.in_process)
        self._sweeper.spawn(self._sweep_forever(), name="actions-sweep")

    async def recover(self) -> int:
        """After a restart: send the job of every running run nobody holds; how many."""
        return await self.sweep(everything=True)

    async def sweep(self, everything: bool = False) -> int:
        """Send the jobs of running runs nobody holds whose job was lost (or, with
        ``everything``, of all of them); how many were sent."""
        now = utcnow()
        async with self.db.transaction() as session:
            query = select(ActionRun).where(
                ActionRun.status == "running",
                or_(ActionRun.lease_until.is_(None), ActionRun.lease_until <= now),
            )
            if not everything:
                lost = ActionRun.job_sent_at <= now - RESEND_AFTER
                query = query.where(or_(ActionRun.job_sent_at.is_(None), lost))
            runs = list(
                await session.scalars(
                    query.order_by(ActionRun.created_at, ActionRun.id).with_for_update(
                        skip_locked=True
                    )
                )
            )
            for run in runs:
                run.job_sent_at = now
        await self.enqueue([run.id for run in runs])
        return len(runs)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self._sweep_s)
            try:
                await self.sweep()
            except Exception:
                log.exception("the action run sweep failed; trying again")

    async def drain(self) -> None:
        """Wait for the runs in hand (in-process jobs only)."""
        await self.jobs.drain()

    async def stop(self) -> None:
        await self._sweeper.close()

    async def close(self) -> None:
        """After the queue stopped: the runs cut short are free at once for the next start
        (not when their leases end)."""
        await self._sweeper.close()
        if self._claimed:
            async with self.db.transaction() as session:
                await session.execute(
                    update(ActionRun)
                    .where(ActionRun.id.in_(self._claimed), ActionRun.status == "running")
                    .values(lease_until=None)
                )
            self._claimed.clear()

    async def run(self, run_id: str) -> None:
        """The job: send a run now, unless it finished or another sender holds it."""
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
                    return  # finished, or another sender holds it: a sweep minds its lease
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
    run.job_sent_at = None
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
