"""The handoff summary kept current while the visitor waits: rewritten from the thread a
moment after they write, a burst of messages in one rewrite, the model's note after it."""

from __future__ import annotations

from typing import Any

import httpx

from app_fixtures import Accounts, Started
from frontdesk.conversations import lifecycle
from frontdesk.conversations.models import Conversation
from frontdesk.conversations.summarizer import SYSTEM
from frontdesk.conversations.thread import add_message
from live_support import member_socket, next_frame
from openai_server import API_KEY, OpenAIServer, endpoint_config
from support import ServerThread, wait_until

QUESTION = "Can I get a price for a Glacier 850?"
LATER = "Also, do you take trade-ins?"


async def _summary(started: Started, conversation_id: str) -> dict[str, Any] | None:
    async with started.runtime.reads() as session:
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None
        return conversation.summary


async def test_a_rewrite_follows_the_visitors_new_words_only_while_the_chat_waits(
    started: Started,
) -> None:
    agent = await started.agent("Plain")
    summaries = started.runtime.summaries
    async with started.runtime.changes() as session:
        conversation = (await lifecycle.start_conversation(session, agent)).conversation
        await add_message(session, conversation, "visitor", QUESTION)
        await lifecycle.hand_off(session, conversation, "visitor_request", "Asked for a person.")
    first = await _summary(started, conversation.id)
    assert first and first["wants"] == [QUESTION]

    assert await summaries.refresh(conversation.id) is False  # nothing new: no write
    async with started.runtime.changes() as session:
        waiting = await session.get(Conversation, conversation.id)
        assert waiting is not None
        await add_message(session, waiting, "visitor", LATER)
    assert await summaries.refresh(conversation.id) is True
    now = await _summary(started, conversation.id)
    assert now and now["wants"] == [QUESTION, LATER] and now["by"] == "extractive"
    assert now["at"] > first["at"]

    # A conversation the AI still owns has no summary to keep current.
    async with started.runtime.changes() as session:
        bot = (await lifecycle.start_conversation(session, agent)).conversation
        await add_message(session, bot, "visitor", QUESTION)
    assert await summaries.refresh(bot.id) is False
    assert await _summary(started, bot.id) is None


def _wants(client: httpx.Client, conversation_id: str) -> list[str]:
    found = client.get(f"/api/v1/conversations/{conversation_id}").json()["conversation"]
    return list((found["summary"] or {}).get("wants") or [])


def test_a_burst_of_waiting_messages_is_one_rewrite_that_the_inbox_hears(
    server: ServerThread, client: httpx.Client, visitors: Any, member: httpx.Client
) -> None:
    visitor = visitors()
    assert visitor.handoff().json()["status"] == "waiting"
    words = ["Is the Glacier 850 in stock?", "In blue?", "I could pick it up Friday."]
    with member_socket(server, member) as socket:
        next_frame(socket, "ready")
        for text in words:
            assert visitor.send(text).status_code == 201
        while True:
            frame = next_frame(socket, "conversation.updated", timeout=30)
            if frame["conversation_id"] == visitor.id and "summary" in frame["data"]["changes"]:
                break
        assert frame["data"]["conversation"]["summary"]["wants"] == words
    assert _wants(client, visitor.id) == words


def test_a_rewrite_brings_a_new_model_note_about_the_new_words(
    client: httpx.Client,
    agent: dict[str, Any],
    visitors: Any,
    accounts: Accounts,
    openai_server: OpenAIServer,
) -> None:
    assert client.put("/api/v1/secrets/LLM_KEY", json={"value": API_KEY}).status_code == 201
    accounts.allow_hosts(openai_server.url.removeprefix("http://"))
    body = {"generator": "openai", "generator_config": endpoint_config(openai_server.url)}
    assert client.patch(f"/api/v1/agents/{agent['id']}", json=body).status_code == 200
    visitor = visitors()
    assert visitor.handoff().json()["status"] == "waiting"
    assert visitor.send(LATER).status_code == 201

    def noted() -> dict[str, Any] | None:
        summary = client.get(f"/api/v1/conversations/{visitor.id}").json()["conversation"][
            "summary"
        ]
        return summary if summary["by"] == "model" and summary["wants"] == [LATER] else None

    summary = wait_until(noted, timeout=90, what="the model's note after the rewrite")
    assert summary["text"]
    prompts = [
        seen.body["messages"][-1]["content"]
        for seen in openai_server.requests
        if seen.body["messages"][0]["content"] == SYSTEM
    ]
    assert any(LATER in prompt for prompt in prompts)
