"""Conversation actions at the service level: events after commit, recovery after restart."""

from __future__ import annotations

import asyncio
import json

import pytest

from app_fixtures import Started
from frontdesk.accounts.caller import Caller
from frontdesk.accounts.service import create_member
from frontdesk.conversations import lifecycle
from frontdesk.conversations.messages import post_visitor_message
from frontdesk.conversations.repository import get_conversation, messages_after
from frontdesk.conversations.schemas import ConversationOut, MessageOut
from frontdesk.errors import InvalidInput
from frontdesk.events.types import Event

FAQ = b'[{"question": "Do you offer financing?", "answer": "Yes, through Summit Credit Union."}]'
THREE = [
    ("Do you offer financing?", "Yes, through Summit Credit Union.", "Summit"),
    ("When is the service department open?", "Tuesday to Friday, 8:00 to 17:30.", "Tuesday"),
    ("Do you buy used trailers?", "We buy used trailers after an inspection.", "inspection"),
]


def _drain(subscription) -> list[Event]:
    events = []
    while not subscription._queue.empty():
        event = subscription._queue.get_nowait()
        if event is not None:
            events.append(event)
    return events


async def test_events_are_published_only_after_commit_and_match_the_schema(
    started: Started,
) -> None:
    runtime = started.runtime
    agent = await started.agent("Dealer")
    async with runtime.db.transaction() as session:
        member = await create_member(session, started.workspace_id, "ann@x.test", "long password")
    caller = Caller(started.workspace_id, "agent", "session", member.id, "Ann")
    with runtime.broker.subscribe(started.workspace_id) as subscription:
        async with runtime.changes() as session:
            conversation = (await lifecycle.start_conversation(session, agent)).conversation
            await post_visitor_message(session, conversation, "hello", "c1", 4000)
            assert _drain(subscription) == []  # nothing leaves before the commit
        created, message = _drain(subscription)
        assert (created.type, message.type) == ("conversation.created", "message.created")
        assert message.id == created.id + 1
        ConversationOut.model_validate(created.data["conversation"])
        MessageOut.model_validate(message.data["message"])

        with pytest.raises(InvalidInput):
            async with runtime.changes() as session:
                current = await get_conversation(session, started.workspace_id, conversation.id)
                await lifecycle.take_over(session, caller, current)
                raise InvalidInput("changed my mind")
        assert _drain(subscription) == []  # rolled back: no events

        async with runtime.changes() as session:
            current = await get_conversation(session, started.workspace_id, conversation.id)
            assert current.status == "bot"
            await lifecycle.take_over(session, caller, current)
        note, updated = _drain(subscription)
        assert note.data["message"]["event"] == "takeover"
        assert updated.type == "conversation.updated"
        assert updated.data["changes"] == ["status", "assignee"]
        assert ConversationOut.model_validate(updated.data["conversation"]).status == "human"


async def test_unanswered_visitor_messages_are_answered_after_a_restart(
    started: Started, tmp_path
) -> None:
    runtime = started.runtime
    agent = await started.agent("Dealer")
    faq = tmp_path / "faq.json"
    faq.write_bytes(FAQ)
    await started.ingest_file(agent, faq)
    async with runtime.changes() as session:
        conversation = (await lifecycle.start_conversation(session, agent)).conversation
        # Stored and acknowledged, then the process "died" before the AI replied.
        await post_visitor_message(session, conversation, "Do you offer financing?", None, 4000)
    assert await runtime.responder.recover() == 1
    await runtime.responder.drain()
    async with runtime.db.session() as session:
        messages = await messages_after(session, conversation.id)
    assert [m.author for m in messages] == ["visitor", "ai"]
    assert "Summit Credit Union" in messages[1].text and messages[1].citations
    assert await runtime.responder.recover() == 0


async def test_quick_visitor_messages_are_answered_one_at_a_time_in_order(
    started: Started, tmp_path
) -> None:
    runtime = started.runtime
    agent = await started.agent("Dealer")
    faq = tmp_path / "faq.json"
    faq.write_text(json.dumps([{"question": q, "answer": a} for q, a, _ in THREE]))
    await started.ingest_file(agent, faq)
    async with runtime.changes() as session:
        conversation = (await lifecycle.start_conversation(session, agent)).conversation
        seqs = [
            (await post_visitor_message(session, conversation, q, None, 4000)).message.seq
            for q, _, _ in THREE
        ]

    async def next_ai_event(subscription) -> Event:
        while True:
            event = await asyncio.wait_for(subscription.get(), timeout=30)
            assert event is not None
            if event.type == "typing" or event.data.get("message", {}).get("author") == "ai":
                return event

    with runtime.broker.subscribe(started.workspace_id) as subscription:
        # As the widget route does after each commit; the third comes in while the AI is
        # already on the second (the first answer is out).
        runtime.responder.schedule(conversation.id, seqs[0])
        runtime.responder.schedule(conversation.id, seqs[1])
        seen: list[Event] = []
        while sum(e.type == "typing" and e.data["typing"] for e in seen) < 2:
            seen.append(await next_ai_event(subscription))
        runtime.responder.schedule(conversation.id, seqs[2])
        while sum(e.type == "message.created" for e in seen) < 3:
            seen.append(await next_ai_event(subscription))
        seen.append(await next_ai_event(subscription))
    await runtime.responder.drain()

    # Typing starts and stops around each answer: never two answers in the making at once.
    steps = [("typing", e.data["typing"]) if e.type == "typing" else ("answer", None) for e in seen]
    assert steps == [("typing", True), ("answer", None), ("typing", False)] * 3
    async with runtime.db.session() as session:
        messages = await messages_after(session, conversation.id)
    assert [m.author for m in messages] == ["visitor"] * 3 + ["ai"] * 3
    for (_, _, fact), answer in zip(THREE, messages[3:], strict=True):
        assert fact in answer.text
