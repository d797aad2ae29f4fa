"""The openai and anthropic generators calling an agent's tools, plain and streamed.

Each runs against its test server (the packaged model behind the vendor's wire format; the
model writes the call under a grammar, see tests/tool_calls.py) and the conversation's own
tool runner, whose HTTP action calls a real loopback server with the workspace's secret.
What is checked is our side: the tools offered as the wire format wants them, the call run
once with its arguments in the URL and the secret in its header, the result numbered after
the passages and sent back, the reply citing it, the number of tool turns bounded.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from anthropic_server import AnthropicServer
from app_fixtures import Started
from frontdesk.agents.models import Agent
from frontdesk.agents.settings import agent_actions
from frontdesk.answering.generators.base import Generation, GenerationRequest
from frontdesk.answering.generators.local import LocalModel
from frontdesk.answering.generators.tools import MAX_ROUNDS, Tools, definitions
from frontdesk.conversations import lifecycle
from frontdesk.conversations.tools import ConversationTools
from frontdesk.vault.hosts import allow_host
from frontdesk.vault.service import set_secret
from llm_fixtures import hit
from openai_server import API_KEY, MODEL, OpenAIServer
from receiver import Receiver, Reply
from tool_calls import ORDER, SHOP_TOKEN, order_tool

CLAUDE_KEY = "sk-ant-test-5f2c9e0b7d41a6"
QUESTION = "Where is my order 10452?"
HOURS = hit("Service — Hours", "The service department is open Tuesday to Friday, 8:00 to 17:30.")


@pytest.fixture
def claude(packaged_model: LocalModel) -> Iterator[AnthropicServer]:
    with AnthropicServer(packaged_model, CLAUDE_KEY) as server:
        yield server


class Vendor:
    """One model endpoint as an agent configures it, and what its server was sent."""

    def __init__(self, name: str, openai: OpenAIServer, claude: AnthropicServer):
        self.name = name
        self.openai, self.claude = openai, claude

    @property
    def host(self) -> str:
        return urlsplit(self.openai.url).netloc if self.name == "openai" else self.claude.host

    def settings(self) -> dict[str, Any]:
        if self.name == "openai":
            config = {"base_url": f"{self.openai.url}/v1", "model": MODEL, "max_tokens": 24}
            return {"generator": "openai", "generator_config": {**config, "api_key_secret": "K"}}
        config = {"model": "claude-test", "base_url": self.claude.url, "max_tokens": 32}
        return {"generator": "anthropic", "generator_config": {**config, "api_key_secret": "K"}}

    def quote_tool_results(self) -> None:
        self.openai.behaviour.quote_tool_results = True
        self.claude.behaviour.quote_tool_results = True

    def bodies(self) -> list[dict[str, Any]]:
        if self.name == "openai":
            return [seen.body for seen in self.openai.requests]
        return [seen.body for seen in self.claude.seen]


@pytest.fixture(params=["openai", "anthropic"])
def vendor(
    request: pytest.FixtureRequest, openai_server: OpenAIServer, claude: AnthropicServer
) -> Vendor:
    return Vendor(request.param, openai_server, claude)


async def _tools(
    started: Started, vendor: Vendor, shop: Receiver, url: str | None = None
) -> tuple[Agent, Tools]:
    """An agent with the order tool, a conversation, and the tools of one reply in it."""
    runtime = started.runtime
    key = API_KEY if vendor.name == "openai" else CLAUDE_KEY
    async with runtime.db.transaction() as session:
        for name, value in (("K", key), ("SHOP_TOKEN", SHOP_TOKEN)):
            await set_secret(session, runtime.cipher, started.workspace_id, name, value)
        for host in (vendor.host, shop.host):
            await allow_host(session, started.workspace_id, host)
    tool = order_tool(url or shop.url("/orders/{tool.order_number}?fields=status"))
    agent = await started.agent("Ridgeline", actions=[tool], **vendor.settings())
    async with runtime.changes() as session:
        conversation = (await lifecycle.start_conversation(session, agent)).conversation
    runner = ConversationTools(runtime.actions, agent, conversation.id)
    offered = definitions(list(agent_actions(agent).values()))
    return agent, Tools(offered, runner, first=1)


async def _write(
    started: Started, agent: Agent, tools: Tools, streamed: bool
) -> tuple[Generation, list[str]]:
    request = GenerationRequest(question=QUESTION, passages=[HOURS], tools=tools)
    pieces: list[str] = []

    async def listener(piece: str) -> None:
        pieces.append(piece)

    generator = started.runtime.generator_for(agent)
    assert generator.calls_tools
    return await generator.write(request, listener if streamed else None), pieces


@pytest.mark.parametrize("streamed", [False, True], ids=["plain", "streamed"])
async def test_the_model_calls_the_tool_and_cites_its_result(
    started: Started, vendor: Vendor, streamed: bool
) -> None:
    vendor.quote_tool_results()
    with Receiver(Reply(200, ORDER)) as shop:
        agent, tools = await _tools(started, vendor, shop)
        generation, pieces = await _write(started, agent, tools, streamed)
        [call] = shop.requests

    # The model's arguments reached the path only, escaped; the secret only its header.
    assert (call.method, call.path) == ("GET", "/orders/10452?fields=status")
    assert call.headers["authorization"] == f"Bearer {SHOP_TOKEN}"
    # The result is the passage after the one retrieved, and the reply cites it.
    [result] = tools.passages
    assert (result.title, result.source_id) == ("Order system", "tool:order_status")
    assert result.text == (
        "order_number: 10452\norder.status: shipped\norder.delivery_date: 2026-11-25"
    )
    assert generation.cited == [1]
    assert "shipped" in generation.text and "[2]" not in generation.text
    assert generation.prompt_tokens > 0
    if streamed:
        assert "".join(pieces) == generation.text

    first, second = vendor.bodies()
    if vendor.name == "openai":
        [offered] = first["tools"]
        assert offered["function"]["name"] == "order_status"
        assert offered["function"]["parameters"]["additionalProperties"] is False
        assert first["tool_choice"] == "auto" and second["tool_choice"] == "auto"
        called, answered = second["messages"][-2:]
        assert called["tool_calls"][0]["function"]["name"] == "order_status"
        assert answered["role"] == "tool" and answered["content"].startswith("[2] Order system\n")
        assert answered["tool_call_id"] == called["tool_calls"][0]["id"]
    else:
        [offered] = first["tools"]
        assert offered["name"] == "order_status" and "pattern" in str(offered["input_schema"])
        assert first["tool_choice"] == {"type": "auto"}
        called, answered = second["messages"][-2:]
        [use] = called["content"]
        assert use["type"] == "tool_use" and use["input"] == {"order_number": "10452"}
        [back] = answered["content"]
        assert back["type"] == "tool_result" and back["tool_use_id"] == use["id"]
        assert back["content"].startswith("[2] Order system\n")
    assert SHOP_TOKEN not in str(vendor.bodies())  # the model never sees a secret


@pytest.mark.slow  # four turns of the model: about 30 s here
async def test_tool_turns_are_bounded_then_the_model_must_answer(
    started: Started, openai_server: OpenAIServer, claude: AnthropicServer
) -> None:
    vendor = Vendor("openai", openai_server, claude)
    openai_server.behaviour.keep_calling = True
    with Receiver(Reply(200, ORDER)) as shop:
        agent, tools = await _tools(started, vendor, shop)
        generation, _ = await _write(started, agent, tools, streamed=True)
        assert len(shop.requests) == MAX_ROUNDS

    choices = [body["tool_choice"] for body in vendor.bodies()]
    assert choices == ["auto"] * MAX_ROUNDS + ["none"]
    assert generation.text  # the model's own words, whatever they are
    assert len(tools.passages) == MAX_ROUNDS
