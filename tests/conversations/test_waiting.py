"""A visitor waiting for a person: acknowledged once per wait, offered the offline form when
nobody replies within the agent's handoff_wait_s, whatever happened to the server meanwhile."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from app_fixtures import Accounts, Started
from chat_fixtures import Visitor
from frontdesk.accounts.caller import Caller
from frontdesk.accounts.service import create_member
from frontdesk.app import create_app
from frontdesk.conversations import lifecycle
from frontdesk.conversations.messages import post_visitor_message, request_person
from frontdesk.conversations.models import Conversation
from frontdesk.conversations.repository import messages_after
from frontdesk.conversations.waiting import (
    LEAVE_DETAILS,
    TIMED_OUT,
    WAIT_ACK,
    WILL_REPLY,
    offer_offline,
)
from frontdesk.db.base import utcnow
from frontdesk.embedder.model import OnnxMiniLM
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from support import ServerThread, wait_until

LEAD = {"name": "lead", "kind": "form", "fields": [{"name": "phone", "type": "phone"}]}


async def _thread(started: Started, conversation: Conversation) -> list[tuple[str, str]]:
    async with started.runtime.reads() as session:
        messages = await messages_after(session, conversation.id, 0, visitor_view=True)
    return [(m.author, m.text) for m in messages]


async def _waiting(started: Started, **agent_settings: Any) -> tuple[Any, Conversation]:
    agent = await started.agent("Dealer", **agent_settings)
    async with started.runtime.changes() as session:
        conversation = (await lifecycle.start_conversation(session, agent)).conversation
        await request_person(session, agent, conversation)
    assert conversation.status == "waiting"
    return agent, conversation


async def _write(started: Started, conversation: Conversation, text: str) -> None:
    async with started.runtime.changes() as session:
        current = await session.get(Conversation, conversation.id)
        assert current is not None
        await post_visitor_message(session, current, text, None, 4000)


async def test_a_wait_is_acknowledged_once_and_a_new_wait_again(started: Started) -> None:
    _, conversation = await _waiting(started)
    for text in ("Hello?", "Anyone there?", "Still here."):
        await _write(started, conversation, text)
    assert [t for _, t in await _thread(started, conversation)].count(WAIT_ACK) == 1
    assert (await _thread(started, conversation))[1:3] == [("visitor", "Hello?"), ("ai", WAIT_ACK)]

    # A person takes it, then puts it back in the queue: a new wait, a new acknowledgement.
    async with started.runtime.db.transaction() as session:
        member = await create_member(session, started.workspace_id, "ann@x.test", "long password")
    caller = Caller(started.workspace_id, "owner", "session", member.id, "Ann")
    async with started.runtime.changes() as session:
        current = await session.get(Conversation, conversation.id)
        assert current is not None
        await lifecycle.take_over(session, caller, current)
        await lifecycle.assign(session, caller, current, None)
        assert current.status == "waiting"
    await _write(started, conversation, "Hello again?")
    assert [t for _, t in await _thread(started, conversation)].count(WAIT_ACK) == 2


async def test_the_offline_form_is_due_after_the_wait_and_offered_once(started: Started) -> None:
    agent, conversation = await _waiting(
        started, handoff_wait_s=60, actions=[LEAD], rules={"collect": "lead"}
    )
    since = conversation.waiting_since
    assert since is not None
    async with started.runtime.changes() as session:
        current = await session.get(Conversation, conversation.id)
        assert current is not None
        assert not await offer_offline(session, agent, current, since + timedelta(seconds=59))
        assert await offer_offline(session, agent, current, since + timedelta(seconds=60))
        assert not await offer_offline(session, agent, current, since + timedelta(seconds=600))
        assert current.pending_form is not None and current.pending_form["action"] == "lead"
    thread = await _thread(started, conversation)
    assert [t for _, t in thread].count(LEAVE_DETAILS) == 1
    assert thread[-1][0] == "ai"  # the form, after the notice


@pytest.mark.parametrize("case", ["no form", "details given"])
async def test_without_a_form_to_offer_the_visitor_is_told_we_will_reply(
    started: Started, case: str
) -> None:
    settings: dict[str, Any] = {"handoff_wait_s": 5}
    if case == "details given":
        settings.update(actions=[LEAD], rules={"collect": "lead"})
    agent, conversation = await _waiting(started, **settings)
    async with started.runtime.changes() as session:
        current = await session.get(Conversation, conversation.id)
        assert current is not None
        if case == "details given":
            current.lead = {
                "action": "lead",
                "title": "Lead",
                "fields": [],
                "submitted_at": utcnow().isoformat(),
            }
            current.pending_form = None
        assert await offer_offline(session, agent, current, utcnow() + timedelta(seconds=5))
        assert current.pending_form is None
    assert (await _thread(started, conversation))[-1] == ("ai", WILL_REPLY)


def _serve(settings: Settings, embedder: OnnxMiniLM) -> ServerThread:
    return ServerThread(create_app(settings, Runtime(settings, embedder=embedder)))


async def _as_if_waiting_since(settings: Settings, conversation_id: str, hours: int) -> None:
    """Time passes while no server runs: the wait began ``hours`` ago."""
    runtime = Runtime(settings)
    try:
        async with runtime.db.transaction() as session:
            await session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id)
                .values(waiting_since=utcnow() - timedelta(hours=hours))
            )
    finally:
        await runtime.close()


@pytest.mark.live
def test_a_wait_that_ran_out_while_the_server_was_down_gets_its_form(
    settings: Settings, embedder: OnnxMiniLM
) -> None:
    accounts = Accounts(settings)
    headers = {"Authorization": f"Bearer {accounts.api_key()}"}
    with _serve(settings, embedder) as first:
        with httpx.Client(base_url=first.url, headers=headers, timeout=30) as http:
            agent = http.post(
                "/api/v1/agents",
                json={"name": "Ridgeline", "actions": [LEAD], "rules": {"collect": "lead"}},
            ).json()
        visitor = Visitor(first, agent["public_key"])
        assert visitor.handoff().json() == {"status": "waiting"}  # the wait is 3 minutes
        visitor.close()
    asyncio.run(_as_if_waiting_since(settings, visitor.id, hours=1))

    with (
        _serve(settings, embedder) as second,
        httpx.Client(
            base_url=second.url, timeout=30, headers={"X-Visitor-Token": visitor.token}
        ) as http,
    ):
        path = f"/api/v1/widget/conversations/{visitor.id}/messages"

        def offered() -> list[dict[str, Any]] | None:
            body = http.get(path).json()
            return (
                body["messages"]
                if body["pending_form"] == "lead"
                and any(m["text"] == LEAVE_DETAILS for m in body["messages"])
                else None
            )

        # The form offered at the handoff was answered by nobody; the wait offers it again.
        messages = wait_until(offered, timeout=30, what="the offline form")
    texts = [m["text"] for m in messages]
    assert texts.count(LEAVE_DETAILS) == 1 and messages[-1]["event"] == "form"
    assert all(m["event"] != TIMED_OUT for m in messages)  # an internal name stays inside
