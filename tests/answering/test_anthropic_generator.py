"""The `anthropic` generator against a local Messages API server that runs the real model."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from anthropic_server import AnthropicServer
from app_fixtures import Accounts, Started
from frontdesk.agents.models import Agent
from frontdesk.answering.generators.base import GenerationRequest, GeneratorFailed, Usage
from frontdesk.answering.generators.local import LocalModel
from frontdesk.knowledge.hits import Hit
from frontdesk.vault.hosts import allow_host
from frontdesk.vault.service import set_secret
from support import free_port

KEY = "sk-ant-test-5f2c9e0b7d41a6"
SECRET = "ANTHROPIC_KEY"
HOURS = (
    "The service department is open Tuesday to Friday from 8:00 to 17:30 "
    "and Saturday from 9:00 to 14:00."
)
REQUEST = GenerationRequest(
    question="When is the service department open on Saturday?",
    passages=[Hit(1, "src_1", "faq", "Service hours", "", None, HOURS)],
    # A greeting first and two visitor turns in a row: the API accepts neither as is.
    history=(("ai", "Hi! How can I help?"), ("visitor", "Hello."), ("visitor", "A question.")),
)


@pytest.fixture
def claude(packaged_model: LocalModel) -> Iterator[AnthropicServer]:
    with AnthropicServer(packaged_model, KEY) as server:
        yield server


def _config(server_url: str, **more: Any) -> dict[str, Any]:
    return {
        "model": "claude-test",
        "api_key_secret": SECRET,
        "base_url": server_url,
        "max_tokens": 32,
        **more,
    }


async def _agent(started: Started, claude: AnthropicServer, allow: bool = True) -> Agent:
    async with started.runtime.db.transaction() as session:
        await set_secret(session, started.runtime.cipher, started.workspace_id, SECRET, KEY)
        if allow:
            await allow_host(session, started.workspace_id, claude.host)
    return await started.agent(
        "Claude", generator="anthropic", generator_config=_config(claude.url)
    )


async def test_plain_and_streamed_replies_with_usage_and_the_key_only_in_its_header(
    started: Started, claude: AnthropicServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    generator = started.runtime.generator_for(await _agent(started, claude))

    plain = await generator.generate(REQUEST)
    usage = Usage()
    pieces = [piece async for piece in generator.stream(REQUEST, usage)]

    first, second = claude.seen
    assert not first.body.get("stream") and second.body["stream"] is True
    assert plain.text and "[1]" not in plain.text
    assert plain.tokens == sum(first.usage.values()) and first.usage["output_tokens"] > 0
    assert plain.model == "claude-test"
    assert len(pieces) > 1 and "".join(pieces) == plain.text  # greedy: the same reply
    assert usage.total == sum(second.usage.values())
    assert usage.prompt_tokens == first.usage["input_tokens"]
    # What the API was sent: the system prompt apart, turns that start with the visitor and
    # alternate, the passage in the system prompt.
    assert HOURS in first.body["system"]
    roles = [m["role"] for m in first.body["messages"]]
    assert roles == ["user"] and first.body["messages"][0]["content"].endswith(REQUEST.question)
    for seen in claude.seen:
        assert seen.headers["x-api-key"] == KEY and seen.headers["anthropic-version"]
        others = {k: v for k, v in seen.headers.items() if k != "x-api-key"}
        assert KEY not in str(others) and KEY not in str(seen.body)
    assert KEY not in caplog.text
    assert "api.anthropic" not in caplog.text  # the configured base_url was used


async def test_rate_limits_and_overload_are_retried_within_bounds(
    started: Started, claude: AnthropicServer
) -> None:
    generator = started.runtime.generator_for(await _agent(started, claude))
    claude.behaviour.rate_limited, claude.behaviour.overloaded = 1, 1

    assert (await generator.generate(REQUEST)).text
    assert [seen.status for seen in claude.seen] == [429, 529, 200]
    assert claude.seen[1].at - claude.seen[0].at >= 1.0  # Retry-After: 1 was honoured

    # A wait longer than a visitor should bear is not waited for, nor are more retries made.
    claude.seen.clear()
    claude.behaviour.rate_limited, claude.behaviour.retry_after = 1, "120"
    with pytest.raises(GeneratorFailed, match="HTTP 429 rate_limit_error"):
        await generator.generate(REQUEST)
    claude.behaviour.overloaded = 5
    with pytest.raises(GeneratorFailed, match="HTTP 529 overloaded_error"):
        await generator.generate(REQUEST)
    assert [seen.status for seen in claude.seen] == [429, 529, 529, 529]


async def test_a_broken_stream_fails_after_what_was_shown(
    started: Started, claude: AnthropicServer
) -> None:
    generator = started.runtime.generator_for(await _agent(started, claude))
    claude.behaviour.malformed = True
    shown: list[str] = []
    with pytest.raises(GeneratorFailed, match="could not be read"):
        async for piece in generator.stream(REQUEST, Usage()):
            shown.append(piece)
    assert len(claude.seen) == 1  # not retried: part of the reply may already be shown


async def test_a_loopback_server_the_workspace_does_not_allow_is_never_contacted(
    started: Started, claude: AnthropicServer
) -> None:
    generator = started.runtime.generator_for(await _agent(started, claude, allow=False))
    with pytest.raises(GeneratorFailed, match="blocked unless the workspace allows") as failed:
        await generator.generate(REQUEST)
    with pytest.raises(GeneratorFailed):
        [piece async for piece in generator.stream(REQUEST, Usage())]
    assert claude.seen == []
    assert KEY not in failed.value.message


QUESTION = "When is the service department open?"


def test_ask_falls_back_to_the_extractive_answer_when_the_api_fails(
    client: httpx.Client,
    accounts: Accounts,
    agent: dict[str, Any],
    claude: AnthropicServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    down = f"127.0.0.1:{free_port()}"
    accounts.allow_hosts(claude.host, down)
    assert client.put(f"/api/v1/secrets/{SECRET}", json={"value": KEY}).status_code in (200, 201)
    settings = {"generator": "anthropic", "generator_config": _config(claude.url)}
    changed = client.patch(f"/api/v1/agents/{agent['id']}", json=settings)
    assert changed.status_code == 200, changed.text
    assert changed.json()["generator_config"]["api_key_secret"] == SECRET
    assert KEY not in changed.text and KEY not in client.get("/api/v1/agents").text

    asked = client.post(f"/api/v1/agents/{agent['id']}/ask", json={"question": QUESTION})
    assert asked.status_code == 200, asked.text
    assert asked.json()["generator"] == "anthropic" and asked.json()["tokens"] > 0
    assert asked.json()["model"] == "claude-test" and asked.json()["completion_tokens"] > 0
    assert len(claude.seen) == 1

    cases = {
        "hang": _config(claude.url, timeout_s=1),
        "malformed": _config(claude.url),
        "down": _config(f"http://{down}"),
    }
    for case, config in cases.items():
        claude.behaviour.hang = case == "hang"
        claude.behaviour.malformed = case == "malformed"
        patched = client.patch(f"/api/v1/agents/{agent['id']}", json={"generator_config": config})
        assert patched.status_code == 200, patched.text
        began = time.monotonic()
        asked = client.post(f"/api/v1/agents/{agent['id']}/ask", json={"question": QUESTION})
        assert asked.status_code == 200, (case, asked.text)
        answer = asked.json()
        # The extractive answer, judged by the same threshold: confident here, so it is sent.
        assert answer["generator"] == "extractive", case
        assert answer["answered"] and "Saturday from 9:00" in answer["answer"], case
        assert time.monotonic() - began < 15, case
        assert KEY not in asked.text
    assert len(claude.seen) == 3  # hang, malformed: the down one was never reached
    assert "generator failed" in caplog.text and KEY not in caplog.text
