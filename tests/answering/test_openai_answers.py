"""An agent answering through an OpenAI-compatible endpoint, over the API and the widget.

The endpoint is tests/openai_server.py: the packaged model behind a real HTTP server on
loopback, which an admin has to allow, as any private host. When it misbehaves the visitor
still gets an answer: the extractive one when it is confident, else the refusal and handoff.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from app_fixtures import Accounts
from frontdesk.answering.pipeline import NOT_FOUND
from frontdesk.conversations.summarizer import SYSTEM as SUMMARY
from openai_server import API_KEY, MODEL, OpenAIServer
from support import free_port

QUESTION = "When is the service department open?"


def use_endpoint(client: httpx.Client, agent: dict[str, Any], base_url: str, **more: Any) -> None:
    config = {"base_url": f"{base_url}/v1", "model": MODEL, "api_key_secret": "LLM_KEY"}
    body = {"generator": "openai", "generator_config": {**config, "max_tokens": 24, **more}}
    changed = client.patch(f"/api/v1/agents/{agent['id']}", json=body)
    assert changed.status_code == 200, changed.text


@pytest.fixture
def keyed(client: httpx.Client) -> None:
    """The workspace holds the endpoint's API key, as its admin stored it."""
    assert client.put("/api/v1/secrets/LLM_KEY", json={"value": API_KEY}).status_code == 201


def test_settings_are_checked_and_hold_the_secret_name_only(
    client: httpx.Client, agent: dict[str, Any]
) -> None:
    url = f"/api/v1/agents/{agent['id']}"
    base = {"base_url": "https://llm.example.com/v1", "model": "m", "api_key_secret": "LLM_KEY"}
    cases = [
        ({**base, "base_url": "ftp://llm.example.com"}, "generator_config.base_url"),
        ({**base, "api_key_secret": "not a name"}, "generator_config.api_key_secret"),
        ({"base_url": base["base_url"]}, "generator_config.model"),
        (base, "generator_config.api_key_secret"),  # no such secret in the workspace
    ]
    for config, where in cases:
        refused = client.patch(url, json={"generator": "openai", "generator_config": config})
        assert refused.status_code == 422, (config, refused.text)
        assert refused.json()["error"]["field"] == where, refused.text

    assert client.put("/api/v1/secrets/LLM_KEY", json={"value": API_KEY}).status_code == 201
    saved = client.patch(url, json={"generator": "openai", "generator_config": base})
    assert saved.status_code == 200, saved.text
    assert saved.json()["generator_config"] == {
        **base,
        "timeout_s": 30.0,
        "max_tokens": 256,
        "temperature": 0.0,
        "retries": 2,
        "max_retry_wait_s": 10.0,
    }
    assert API_KEY not in client.get(url).text


def test_ask_and_a_visitor_conversation_answer_through_the_endpoint(
    client: httpx.Client,
    agent: dict[str, Any],
    visitors: Any,
    accounts: Accounts,
    keyed: None,
    openai_server: OpenAIServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    accounts.allow_hosts(openai_server.url.removeprefix("http://"))
    use_endpoint(client, agent, openai_server.url)

    asked = client.post(f"/api/v1/agents/{agent['id']}/ask", json={"question": QUESTION})
    assert asked.status_code == 200, asked.text
    answer = asked.json()
    # The model wrote it; the grounding guard decides whether it is sent (SmolLM2 is weak).
    assert answer["generator"] == "openai" and answer["tokens"] > 0
    if not answer["answered"]:
        assert answer["answer"].startswith(NOT_FOUND) and answer["handoff"]["triggered"]

    visitor = visitors()
    assert visitor.send(QUESTION).status_code == 201
    (reply,) = visitor.wait_for("ai")
    assert reply["text"]
    # Two answers; a handoff also asks for its summary (conversations/summarizer.py).
    answers = [s for s in openai_server.requests if s.body["messages"][0]["content"] != SUMMARY]
    assert len(answers) == 2
    assert {seen.headers["authorization"] for seen in openai_server.requests} == {
        f"Bearer {API_KEY}"
    }
    assert API_KEY not in asked.text and API_KEY not in str(visitor.history())
    assert API_KEY not in caplog.text


FAILURES = ["hang", "down", "malformed", "not allowed"]


def _break(failure: str, server: OpenAIServer, accounts: Accounts) -> str:
    """The base URL of an endpoint failing that way."""
    if failure == "down":
        down = f"127.0.0.1:{free_port()}"
        accounts.allow_hosts(down)
        return f"http://{down}"
    if failure != "not allowed":
        accounts.allow_hosts(server.url.removeprefix("http://"))
        setattr(server.behaviour, failure, True)
    return server.url


@pytest.mark.parametrize("failure", FAILURES)
def test_a_failing_endpoint_falls_back_to_the_confident_extractive_answer(
    failure: str,
    client: httpx.Client,
    agent: dict[str, Any],
    accounts: Accounts,
    keyed: None,
    openai_server: OpenAIServer,
) -> None:
    use_endpoint(client, agent, _break(failure, openai_server, accounts), timeout_s=1, retries=0)

    asked = client.post(f"/api/v1/agents/{agent['id']}/ask", json={"question": QUESTION})
    assert asked.status_code == 200, asked.text
    answer = asked.json()
    assert answer["generator"] == "extractive" and answer["answered"], answer
    assert "Tuesday to Friday" in answer["answer"] and answer["citations"]
    assert not answer["handoff"]["triggered"]
    expected = {"hang": 1, "malformed": 1}.get(failure, 0)
    assert len(openai_server.requests) == expected  # none at all when not allowed


def test_a_failing_endpoint_without_a_confident_answer_hands_off(
    client: httpx.Client,
    agent: dict[str, Any],
    accounts: Accounts,
    keyed: None,
    openai_server: OpenAIServer,
    visitors: Any,
) -> None:
    accounts.allow_hosts(openai_server.url.removeprefix("http://"))
    openai_server.behaviour.failing = 10
    use_endpoint(client, agent, openai_server.url, retries=1)
    strict = client.patch(f"/api/v1/agents/{agent['id']}", json={"confidence_threshold": 0.99})
    assert strict.status_code == 200

    asked = client.post(f"/api/v1/agents/{agent['id']}/ask", json={"question": QUESTION})
    assert asked.status_code == 200, asked.text
    answer = asked.json()
    assert not answer["answered"] and answer["answer"].startswith(NOT_FOUND)
    assert answer["handoff"]["triggered"] and answer["handoff"]["trigger"] == "low_confidence"
    assert "openai generator failed: HTTP 500" in answer["handoff"]["reason"]

    visitor = visitors()
    assert visitor.send(QUESTION).status_code == 201
    (reply,) = visitor.wait_for("ai")
    assert reply["text"].startswith(NOT_FOUND)
