"""The handoff summary written by the agent's model, after the handoff has committed.

The model is the packaged SmolLM2 behind tests/openai_server.py, which records what it was
sent: the prompt must hold this conversation's visible thread and nothing else.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from app_fixtures import Accounts, Started
from frontdesk.agents.models import Agent
from frontdesk.conversations import lifecycle
from frontdesk.conversations.models import Conversation
from frontdesk.conversations.summarizer import SYSTEM
from frontdesk.conversations.thread import add_message
from frontdesk.usage.models import UsageModel
from frontdesk.vault.hosts import allow_host
from frontdesk.vault.service import set_secret
from live_support import member_socket, next_frame
from openai_server import API_KEY, MODEL, OpenAIServer, Seen, endpoint_config
from support import ServerThread, free_port, wait_until

QUESTION = "When is the service department open?"
ELSEWHERE = "My trailer hitch serial is ZX-4471-QQ"
NOTE = "Internal: this customer still owes us for the winch"
TEAM_REPLY = "Hi, Sam here from the service desk"


def summary_requests(server: OpenAIServer) -> list[str]:
    """The conversations the server was asked to summarize (the user message of each)."""
    return [
        seen.body["messages"][-1]["content"] for seen in server.requests if _system(seen) == SYSTEM
    ]


def _system(seen: Seen) -> str:
    return str(seen.body["messages"][0]["content"])


# --- In process: the Summarizer against the database and the endpoint ------------------------


async def _model_agent(started: Started, base_url: str, **more: Any) -> Agent:
    async with started.runtime.changes() as session:
        await set_secret(session, started.runtime.cipher, started.workspace_id, "LLM_KEY", API_KEY)
        await allow_host(session, started.workspace_id, urlsplit(base_url).netloc)
    return await started.agent(
        "Ridgeline", generator="openai", generator_config=endpoint_config(base_url, **more)
    )


async def _handed_off(started: Started, agent: Agent, turns: list[tuple[str, str]]) -> str:
    """A conversation of ``turns`` (author, text) that asked for a person; its id."""
    async with started.runtime.changes() as session:
        conversation = (await lifecycle.start_conversation(session, agent)).conversation
        for author, text in turns:
            private = author == "note"
            await add_message(
                session, conversation, "member" if private else author, text, private=private
            )
        await lifecycle.hand_off(session, conversation, "visitor_request", "Asked for a person.")
        return conversation.id


async def _summary(started: Started, conversation_id: str) -> dict[str, Any]:
    async with started.runtime.reads() as session:
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None and conversation.summary is not None
        return dict(conversation.summary)


async def test_a_restart_summarizes_the_waiting_handoffs_from_their_own_visible_thread(
    started: Started, openai_server: OpenAIServer
) -> None:
    agent = await _model_agent(started, openai_server.url)
    other = await _handed_off(started, agent, [("visitor", ELSEWHERE)])
    mine = await _handed_off(
        started,
        agent,
        [
            ("visitor", QUESTION),
            ("ai", "The service department is open Tuesday to Friday."),
            ("note", NOTE),
            ("member", TEAM_REPLY),
            ("visitor", "Can you hold a Glacier 850 for me until Saturday?"),
        ],
    )
    extractive = await _summary(started, mine)
    assert extractive["by"] == "extractive"

    # The handoffs committed while no server listened (a restart): recovery picks them up.
    assert await started.runtime.summaries.recover() == 2
    await started.runtime.summaries.drain()

    summary = await _summary(started, mine)
    assert summary["by"] == "model" and summary["generator"] == "openai"
    assert summary["text"] and summary["text"] != extractive["text"]
    # What is useful of the extractive one stays.
    assert summary["wants"] == extractive["wants"] and summary["at"] == extractive["at"]
    assert (await _summary(started, other))["by"] == "model"

    prompts = summary_requests(openai_server)
    assert len(prompts) == 2
    [prompt] = [p for p in prompts if QUESTION in p]
    assert "Visitor: Can you hold a Glacier 850 for me until Saturday?" in prompt
    assert f"Team: {TEAM_REPLY}" in prompt
    assert "Assistant: The service department is open Tuesday to Friday." in prompt
    assert NOTE not in prompt and ELSEWHERE not in prompt
    [seen] = [s for s in openai_server.requests if QUESTION in str(s.body)]
    assert seen.body["max_tokens"] == 160  # a short note, whatever the agent's answers take

    # The tokens the summaries took are the workspace's usage, on the model's row.
    async with started.runtime.db.session() as session:
        rows = (await session.scalars(select(UsageModel))).all()
    assert [(r.generator, r.model, r.answers) for r in rows] == [("openai", MODEL, 0)]
    assert rows[0].prompt_tokens > 0 and rows[0].completion_tokens > 0

    # Nothing is left to recover.
    assert await started.runtime.summaries.recover() == 0


async def test_a_newer_handoff_or_an_extractive_agent_asks_no_model(
    started: Started, openai_server: OpenAIServer
) -> None:
    agent = await _model_agent(started, openai_server.url)
    conversation_id = await _handed_off(started, agent, [("visitor", QUESTION)])
    await started.runtime.summaries.summarize(conversation_id, datetime(2000, 1, 1, tzinfo=UTC))
    assert (await _summary(started, conversation_id))["by"] == "extractive"

    plain = await started.agent("Plain")
    plain_id = await _handed_off(started, plain, [("visitor", QUESTION)])
    before = await _summary(started, plain_id)
    await started.runtime.summaries.summarize(plain_id, datetime.fromisoformat(before["at"]))
    assert await _summary(started, plain_id) == before
    assert openai_server.requests == []


# --- Over HTTP: the whole flow a visitor and the team see ------------------------------------


def use_endpoint(client: httpx.Client, agent: dict[str, Any], base_url: str, **more: Any) -> None:
    body = {"generator": "openai", "generator_config": endpoint_config(base_url, **more)}
    changed = client.patch(f"/api/v1/agents/{agent['id']}", json=body)
    assert changed.status_code == 200, changed.text


@pytest.fixture
def keyed(client: httpx.Client) -> None:
    assert client.put("/api/v1/secrets/LLM_KEY", json={"value": API_KEY}).status_code == 201


def _conversation(http: httpx.Client, conversation_id: str) -> dict[str, Any]:
    response = http.get(f"/api/v1/conversations/{conversation_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()["conversation"]
    return found


def test_a_handoff_gets_the_models_summary_and_the_inbox_hears_of_it(
    server: ServerThread,
    client: httpx.Client,
    agent: dict[str, Any],
    visitors: Any,
    member: httpx.Client,
    accounts: Accounts,
    keyed: None,
    openai_server: OpenAIServer,
) -> None:
    accounts.allow_hosts(openai_server.url.removeprefix("http://"))
    use_endpoint(client, agent, openai_server.url)
    elsewhere = visitors()
    assert elsewhere.send(ELSEWHERE).status_code == 201
    visitor = visitors()
    assert visitor.send(QUESTION).status_code == 201
    elsewhere.wait_for("ai")
    visitor.wait_for("ai")
    # The team answers, writes itself a note, and gives the chat back to the AI.
    url = f"/api/v1/conversations/{visitor.id}"
    assert member.post(f"{url}/messages", json={"text": TEAM_REPLY}).status_code == 201
    assert member.post(f"{url}/messages", json={"text": NOTE, "private": True}).status_code == 201
    assert member.post(f"{url}/handback").status_code == 200

    with member_socket(server, member) as socket:
        next_frame(socket, "ready")
        assert visitor.handoff().json()["status"] == "waiting"
        while True:
            frame = next_frame(socket, "conversation.updated", timeout=90)
            summary = frame["data"]["conversation"]["summary"] or {}
            if frame["conversation_id"] == visitor.id and summary.get("by") == "model":
                break
    assert frame["data"]["changes"] == ["summary"]
    stored = _conversation(client, visitor.id)["summary"]
    assert stored == summary and stored["text"] and stored["generator"] == "openai"

    # The other conversation may have been handed off too: each is summarized on its own.
    prompts = summary_requests(openai_server)
    prompt = [asked for asked in prompts if QUESTION in asked][-1]
    assert TEAM_REPLY in prompt and ELSEWHERE not in prompt
    assert not any(NOTE in asked for asked in prompts)


def test_a_model_that_is_down_leaves_the_extractive_summary_and_tells_nobody(
    client: httpx.Client,
    agent: dict[str, Any],
    visitors: Any,
    accounts: Accounts,
    keyed: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    down = f"127.0.0.1:{free_port()}"
    accounts.allow_hosts(down)
    use_endpoint(client, agent, f"http://{down}", retries=0, timeout_s=2)
    visitor = visitors()
    assert visitor.send(QUESTION).status_code == 201
    visitor.wait_for("ai")  # the confident extractive answer, as the endpoint is down
    caplog.set_level(logging.WARNING, logger="frontdesk.conversations.summarizer")

    assert visitor.handoff().json()["status"] == "waiting"
    wait_until(lambda: "keeps its extractive summary" in caplog.text, timeout=60, what="the model")
    summary = _conversation(client, visitor.id)["summary"]
    assert summary["by"] == "extractive" and summary["wants"] == [QUESTION]
    detail = client.get(f"/api/v1/conversations/{visitor.id}").json()
    assert not any("summary" in m["text"].lower() for m in detail["messages"])
    assert not any("summary" in m["text"].lower() for m in visitor.history()["messages"])
