"""The conversation's tool runner: calls a model gets wrong are refused, told and recorded."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app_fixtures import Started
from frontdesk.actions.models import ActionRun
from frontdesk.answering.generators.tools import ToolCall
from frontdesk.conversations import lifecycle
from frontdesk.conversations.models import Message
from frontdesk.conversations.tools import ConversationTools
from frontdesk.vault.hosts import allow_host
from frontdesk.vault.service import set_secret
from receiver import Receiver, Reply
from tool_calls import ORDER, SHOP_TOKEN, order_tool

BAD_JSON = '{"order_number": "10452"'


@pytest.mark.parametrize(
    ("call", "error", "recorded"),
    [
        (
            ToolCall("delete_everything", "{}"),
            "the agent has no tool named 'delete_everything'",
            {},
        ),
        (
            ToolCall("order_status", BAD_JSON),
            "the arguments do not fit: they are not JSON (Expecting ',' delimiter at character 24)",
            {"raw": BAD_JSON},  # as the model wrote them
        ),
        (
            ToolCall("order_status", {"order_number": "10452; DROP"}),
            "the arguments do not fit: order_number does not match the pattern ^[0-9]{5}$",
            {"order_number": "10452; DROP"},
        ),
        (ToolCall("plain", {}), "the agent has no tool named 'plain'", {}),
    ],
    ids=["unknown", "not-json", "bad-argument", "not-a-tool"],
)
async def test_a_call_that_does_not_fit_is_refused_and_recorded(
    started: Started, call: ToolCall, error: str, recorded: dict[str, Any]
) -> None:
    runtime = started.runtime
    with Receiver(Reply(200, ORDER)) as shop:
        async with runtime.db.transaction() as session:
            await allow_host(session, started.workspace_id, shop.host)
            await set_secret(
                session, runtime.cipher, started.workspace_id, "SHOP_TOKEN", SHOP_TOKEN
            )
        plain: dict[str, Any] = {"name": "plain", "kind": "http", "url": shop.url("/plain")}
        actions = [order_tool(shop.url("/orders/{tool.order_number}")), plain]
        agent = await started.agent("Ridgeline", actions=actions)
        async with runtime.changes() as session:
            conversation = (await lifecycle.start_conversation(session, agent)).conversation
        result = await ConversationTools(runtime.actions, agent, conversation.id)(call)
        assert shop.requests == []

    assert result.text == f"No result: {error}. Do not guess what it would say."
    assert result.source is None and result.form is None  # nothing the model may cite
    async with runtime.db.session() as session:
        [run] = await session.scalars(select(ActionRun))
        notes = list(await session.scalars(select(Message.text).where(Message.event == "tool")))
    assert (run.kind, run.status, run.attempts, run.error) == ("tool", "failed", 0, error)
    assert run.action == call.name and run.duration_ms is not None
    assert run.request == {"arguments": recorded}
    [note] = notes
    assert note.startswith(f"The AI called {call.name}") and " ms: " + error in note
