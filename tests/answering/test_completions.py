"""complete(chat, max_tokens): a short text from an agent's model (a summary, a title).

It goes through the same request code as answers, so the endpoints' retries, key handling
and failures apply; the extractive generator has no model and says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from anthropic_server import AnthropicServer
from frontdesk.agents.generators import OpenAIConfig
from frontdesk.answering.generators.anthropic_messages import AnthropicGenerator
from frontdesk.answering.generators.base import Chat, GeneratorFailed
from frontdesk.answering.generators.extractive import ExtractiveGenerator
from frontdesk.answering.generators.local import LocalGenerator, LocalModel
from frontdesk.answering.generators.openai_chat import EndpointRefused, OpenAIChatGenerator
from frontdesk.answering.generators.remote import Access
from openai_server import API_KEY, MODEL, OpenAIServer

CHAT: Chat = [
    {"role": "system", "content": "You name topics in two to six words."},
    {"role": "user", "content": "Questions:\n- Do you sell pontoon boats?\n\nTitle:"},
]
KEY = "sk-ant-test-5f2c9e0b7d41a6"


def openai_generator(base_url: str, **settings: Any) -> OpenAIChatGenerator:
    async def access() -> Access:
        return Access((urlsplit(base_url).netloc,), API_KEY, "LLM_KEY")

    config = {"base_url": f"{base_url}/v1", "model": MODEL, "max_tokens": 24, **settings}
    return OpenAIChatGenerator(OpenAIConfig.model_validate(config), access)


@pytest.fixture
def claude(packaged_model: LocalModel) -> Iterator[AnthropicServer]:
    with AnthropicServer(packaged_model, KEY) as server:
        yield server


async def test_openai_sends_the_chat_as_given_with_its_own_token_limit(
    openai_server: OpenAIServer,
) -> None:
    model = openai_generator(openai_server.url)  # answers get 24 tokens
    assert model.completes
    openai_server.behaviour.rate_limited = 1  # retried as answers are
    openai_server.behaviour.retry_after = "0"

    written = await model.complete(CHAT, 12)

    assert written.text and written.text == written.text.strip() and written.cited == []
    assert 0 < written.completion_tokens <= 12 and written.prompt_tokens > 0
    assert len(openai_server.requests) == 2  # the 429, then the completion
    seen = openai_server.requests[-1]
    assert seen.body["messages"] == CHAT and seen.body["max_tokens"] == 12
    assert not seen.body.get("stream")


async def test_openai_failures_are_generator_failures(openai_server: OpenAIServer) -> None:
    openai_server.behaviour.failing = 5
    with pytest.raises(EndpointRefused, match="HTTP 500"):
        await openai_generator(openai_server.url, retries=1, max_retry_wait_s=2).complete(CHAT, 8)
    assert len(openai_server.requests) == 2


async def test_anthropic_sends_the_system_prompt_apart(claude: AnthropicServer) -> None:
    async def access() -> Access:
        return Access((claude.host,), KEY, "ANTHROPIC_KEY")

    model = AnthropicGenerator("claude-test", "ANTHROPIC_KEY", access, base_url=claude.url)
    written = await model.complete(CHAT, 10)

    [seen] = claude.seen
    assert seen.body["system"] == CHAT[0]["content"] and seen.body["max_tokens"] == 10
    assert seen.body["messages"] == [CHAT[1]]
    assert written.text == seen.text.strip() and written.completion_tokens > 0


async def test_local_writes_within_the_token_limit(local_generator: LocalGenerator) -> None:
    written = await local_generator.complete(CHAT, 8)
    assert written.text and 0 < written.completion_tokens <= 8


async def test_the_extractive_generator_has_no_model() -> None:
    extractive = ExtractiveGenerator()
    assert not extractive.completes
    with pytest.raises(GeneratorFailed, match="no model"):
        await extractive.complete(CHAT, 8)
