"""The `openai` generator against a real OpenAI-compatible server running the packaged model.

SmolLM2-135M is too weak to judge answers by: these tests check the protocol (a reply,
streamed in pieces, tokens counted, the key sent as a Bearer token and nowhere else) and how
the generator fails: every failure is a typed GeneratorFailed, raised within its bounds.
"""

from __future__ import annotations

import email.utils
import logging
import time
from typing import Any
from urllib.parse import urlsplit

import openai
import pytest

from frontdesk.agents.generators import OpenAIConfig
from frontdesk.answering.generators.base import Usage
from frontdesk.answering.generators.openai_chat import (
    EndpointBlocked,
    EndpointRefused,
    EndpointTimeout,
    EndpointUnreachable,
    MalformedReply,
    OpenAIChatGenerator,
    retry_after,
)
from frontdesk.answering.generators.remote import Access
from frontdesk.net.checked import checked_client
from llm_fixtures import REQUEST
from openai_server import API_KEY, MODEL, OpenAIServer
from support import free_port


def generator(
    base_url: str, allowed: tuple[str, ...] | None = None, **settings: Any
) -> OpenAIChatGenerator:
    """A generator calling ``base_url``; its host allowed unless ``allowed`` says otherwise."""
    host = urlsplit(base_url).netloc
    hosts = (host,) if allowed is None else allowed

    async def access() -> Access:
        return Access(hosts, API_KEY, "LLM_KEY")

    config = {"base_url": f"{base_url}/v1", "model": MODEL, "max_tokens": 24, **settings}
    return OpenAIChatGenerator(OpenAIConfig.model_validate(config), access)


async def test_streams_and_answers_with_the_key_only_in_the_bearer_header(
    openai_server: OpenAIServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    # The server operator's own OpenAI identity is not sent to an agent's endpoint.
    monkeypatch.setenv("OPENAI_ORG_ID", "org-operator")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-operator")
    model = generator(openai_server.url)
    usage = Usage()
    pieces = [piece async for piece in model.stream(REQUEST, usage)]
    generation = await model.generate(REQUEST)

    assert generation.text.strip()
    assert len(pieces) > 1, pieces
    # Greedy decoding: the streamed reply is the reply, markers left out of both.
    assert "".join(pieces) == generation.text
    assert all(0 <= i < len(REQUEST.passages) for i in generation.cited)
    # The prompt (instructions, two passages, the question) and the reply are counted.
    assert generation.tokens > 100 and usage.total == generation.tokens
    assert generation.model == MODEL  # as the agent names it

    streamed, plain = openai_server.requests
    assert streamed.body["stream"] is True and streamed.body["stream_options"]["include_usage"]
    assert plain.body.get("stream") in (None, False)
    for seen in (streamed, plain):
        assert seen.headers["authorization"] == f"Bearer {API_KEY}"
        assert "openai-organization" not in seen.headers
        assert seen.body["model"] == MODEL and seen.body["max_tokens"] == 24
        assert seen.body["temperature"] == 0
        assert seen.body["messages"][0]["role"] == "system"
        assert "Tuesday to Friday" in seen.body["messages"][0]["content"]
    assert any(record.name.startswith(("httpx", "openai")) for record in caplog.records)
    assert API_KEY not in caplog.text


async def test_waits_as_retry_after_asks_and_then_answers(openai_server: OpenAIServer) -> None:
    openai_server.behaviour.rate_limited = 2
    openai_server.behaviour.retry_after = "1"
    started = time.monotonic()
    generation = await generator(openai_server.url, max_tokens=16).generate(REQUEST)
    took = time.monotonic() - started

    assert generation.text and generation.tokens > 0
    assert len(openai_server.requests) == 3
    assert took >= 2.0


async def test_gives_up_at_once_when_retry_after_exceeds_the_wait_allowed(
    openai_server: OpenAIServer,
) -> None:
    openai_server.behaviour.rate_limited = 5
    openai_server.behaviour.retry_after = "30"
    started = time.monotonic()
    with pytest.raises(EndpointRefused, match="HTTP 429"):
        await generator(openai_server.url, max_retry_wait_s=10).generate(REQUEST)
    assert time.monotonic() - started < 5
    assert len(openai_server.requests) == 1


async def test_server_errors_are_retried_a_bounded_number_of_times(
    openai_server: OpenAIServer,
) -> None:
    openai_server.behaviour.failing = 10
    with pytest.raises(EndpointRefused, match="HTTP 500"):
        await generator(openai_server.url, retries=2).generate(REQUEST)
    assert len(openai_server.requests) == 3  # the first try and two retries


async def test_a_server_that_does_not_answer_times_out(openai_server: OpenAIServer) -> None:
    openai_server.behaviour.hang = True
    model = generator(openai_server.url, timeout_s=1, retries=0)
    started = time.monotonic()
    with pytest.raises(EndpointTimeout, match="did not answer within 1 s"):
        await model.generate(REQUEST)
    with pytest.raises(EndpointTimeout):
        [piece async for piece in model.stream(REQUEST, Usage())]
    assert time.monotonic() - started < 8


async def test_a_server_that_is_down_is_unreachable() -> None:
    down = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(EndpointUnreachable, match="Could not connect"):
        await generator(down).generate(REQUEST)


async def test_a_reply_cut_off_mid_json_is_malformed(openai_server: OpenAIServer) -> None:
    openai_server.behaviour.malformed = True
    model = generator(openai_server.url)
    with pytest.raises(MalformedReply):
        await model.generate(REQUEST)
    with pytest.raises(MalformedReply):
        [piece async for piece in model.stream(REQUEST, Usage())]


async def test_a_loopback_host_not_allowed_is_refused_before_any_connection(
    openai_server: OpenAIServer,
) -> None:
    model = generator(openai_server.url, allowed=())
    with pytest.raises(EndpointBlocked, match="loopback"):
        await model.generate(REQUEST)
    with pytest.raises(EndpointBlocked):
        [piece async for piece in model.stream(REQUEST, Usage())]
    assert openai_server.requests == []


async def test_a_wrong_key_is_refused_by_the_server(openai_server: OpenAIServer) -> None:
    openai_server.api_key = "sk-another"
    try:
        with pytest.raises(EndpointRefused, match="HTTP 401"):
            await generator(openai_server.url).generate(REQUEST)
    finally:
        openai_server.api_key = API_KEY


def test_retry_after_is_read_in_seconds_milliseconds_or_as_a_date() -> None:
    assert retry_after({"retry-after": "2"}) == 2.0
    assert retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 28 <= (retry_after({"retry-after": later}) or 0) <= 30
    assert retry_after({"retry-after": "soon"}) is None and retry_after({}) is None


async def test_the_test_server_lists_its_model_to_the_official_client(
    openai_server: OpenAIServer,
) -> None:
    host = urlsplit(openai_server.url).netloc
    async with checked_client([host], 5) as http:
        sdk = openai.AsyncOpenAI(
            api_key=API_KEY,
            base_url=f"{openai_server.url}/v1",
            http_client=http,  # type: ignore[arg-type]
        )
        models = [model.id async for model in sdk.models.list()]
    assert models == [MODEL]
