"""Action runs survive a restart, and a run that cannot even start still ends readably."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from frontdesk.actions.models import ActionRun
from frontdesk.agents import service as agents
from frontdesk.conversations import lifecycle
from frontdesk.conversations.models import Message
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from receiver import Receiver, Reply

LEAD = {"action": "lead", "title": "t", "fields": [], "submitted_at": "2026-11-22T10:00:00+00:00"}


async def _pending_runs(
    runtime: Runtime, workspace_id: str, actions: list[dict[str, object]], names: list[str]
) -> str:
    async with runtime.changes() as session:
        agent = await agents.create_agent(session, workspace_id, "Ridgeline", actions=actions)
        started = await lifecycle.start_conversation(session, agent)
        conversation = started.conversation
        conversation.lead = {
            **LEAD,
            "fields": [{"name": "phone", "label": "Phone", "type": "phone", "value": "2185550142"}],
        }
        runs = [
            ActionRun(
                workspace_id=workspace_id,
                conversation_id=conversation.id,
                action=name,
                kind="http",
                status="running",
            )
            for name in names
        ]
        session.add_all(runs)
        await session.flush()
        return conversation.id


@pytest.mark.usefixtures("database")
async def test_runs_left_running_by_a_restart_are_finished(tmp_path: Path) -> None:
    runtime = Runtime(Settings(data_dir=tmp_path / "data"))
    workspace = await runtime.start()
    try:
        with Receiver(Reply(201, {"id": "T-7"})) as helpdesk:
            async with runtime.db.transaction() as session:
                ws = await session.get(type(workspace), workspace.id)
                assert ws is not None
                ws.allowed_hosts = [helpdesk.host]
            ticket = {
                "name": "ticket",
                "kind": "http",
                "url": helpdesk.url("/tickets"),
                "body": {"phone": "{lead.phone}"},
                "result_fields": ["id"],
            }
            conversation_id = await _pending_runs(
                runtime, workspace.id, [ticket], ["ticket", "gone"]
            )
            # As after a restart: only the rows say what is left to do.
            assert await runtime.actions.recover() == 2
            await runtime.actions.drain()
            [request] = helpdesk.wait_for(1)
            assert request.json() == {"phone": "2185550142"}
        async with runtime.db.session() as session:
            runs = {
                run.action: run
                for run in await session.scalars(
                    select(ActionRun).where(ActionRun.conversation_id == conversation_id)
                )
            }
            notes = list(
                await session.scalars(
                    select(Message.text)
                    .where(Message.conversation_id == conversation_id, Message.event == "action")
                    .order_by(Message.seq)
                )
            )
        assert (runs["ticket"].status, runs["ticket"].result) == ("succeeded", {"id": "T-7"})
        assert runs["gone"].status == "failed"
        assert runs["gone"].error == "the agent has no HTTP action named 'gone' any more"
        assert sorted(notes) == [
            "Action gone failed: the agent has no HTTP action named 'gone' any more",
            "Action ticket: sent (HTTP 201); id=T-7",
        ]
        assert await runtime.actions.recover() == 0
    finally:
        await runtime.close()
