"""A server restart: events recorded while no server ran are sent, nothing is sent twice."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from alert_support import allow_hosts, create_webhook, finished, wait_for_log

from app_fixtures import Accounts
from chat_fixtures import Visitor
from frontdesk.app import create_app
from frontdesk.conversations import lifecycle
from frontdesk.conversations.models import Conversation
from frontdesk.embedder.model import OnnxMiniLM
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from receiver import Receiver
from support import ServerThread


def _serve(settings: Settings, embedder: OnnxMiniLM) -> ServerThread:
    return ServerThread(create_app(settings, Runtime(settings, embedder=embedder)))


async def _hand_off_offline(settings: Settings, conversation_id: str) -> None:
    """A handoff recorded by a process that sends no alerts (as the CLI is)."""
    runtime = Runtime(settings)
    await runtime.start()
    try:
        async with runtime.changes() as session:
            conversation = await session.get(Conversation, conversation_id)
            assert conversation is not None
            await lifecycle.hand_off(session, conversation, "button", "Asked while we were down")
    finally:
        await runtime.close()


@pytest.mark.live
def test_a_restart_neither_misses_nor_repeats_a_delivery(
    settings: Settings, embedder: OnnxMiniLM, receivers: Callable[..., Receiver]
) -> None:
    receiver = receivers()
    accounts = Accounts(settings)
    with _serve(settings, embedder) as first_server:
        headers = {"Authorization": f"Bearer {accounts.api_key()}"}
        allow_hosts(settings, accounts.default_workspace(), receiver.host)
        with httpx.Client(base_url=first_server.url, headers=headers, timeout=30) as http:
            agent = http.post("/api/v1/agents", json={"name": "Ridgeline"}).json()
            hook = create_webhook(http, receiver.url(), ["conversation.waiting"])
            before, during = (Visitor(first_server, agent["public_key"]) for _ in range(2))
            before.handoff()
            receiver.wait_for(1)
            wait_for_log(http, hook["id"], finished(1), "the first delivery")
        before.close()
        during.close()

    asyncio.run(_hand_off_offline(settings, during.id))

    with _serve(settings, embedder) as second_server:
        after = Visitor(second_server, agent["public_key"])
        after.handoff()
        requests = receiver.wait_for(3)
        with httpx.Client(base_url=second_server.url, headers=headers, timeout=30) as http:
            log = wait_for_log(http, hook["id"], finished(3), "three deliveries")
        after.close()
    assert len(log) == 3 and all(d["status"] == "delivered" for d in log)
    conversations = [r.json()["data"]["conversation"]["id"] for r in requests]
    assert sorted(conversations) == sorted([before.id, during.id, after.id])
    assert len({r.headers["webhook-id"] for r in requests}) == 3
    assert len(receiver.requests) == 3
