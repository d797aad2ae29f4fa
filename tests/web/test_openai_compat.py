"""The OpenAI-compatible endpoint, spoken to with the official `openai` client and raw SSE."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest

from app_fixtures import Accounts
from support import ServerThread

pytestmark = pytest.mark.live

QUESTION = "When is the service department open?"


@pytest.fixture
def sdk(server: ServerThread, accounts: Accounts) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=f"{server.url}/v1", api_key=accounts.api_key(), max_retries=0, timeout=60
    )


def test_models_are_the_workspaces_agents(sdk: openai.OpenAI, agent: dict[str, Any]) -> None:
    models = sdk.models.list()
    assert [(m.id, m.model_extra["name"]) for m in models.data] == [  # type: ignore[index]
        (agent["id"], "Ridgeline")
    ]


def test_an_answer_is_grounded_and_the_conversation_is_in_the_inbox(
    sdk: openai.OpenAI, client: httpx.Client, agent: dict[str, Any]
) -> None:
    reply = sdk.chat.completions.create(
        model="Ridgeline", messages=[{"role": "user", "content": QUESTION}]
    )
    text = reply.choices[0].message.content or ""
    assert "Tuesday" in text and "8:00" in text
    extra = reply.model_extra["frontdesk"]  # type: ignore[index]
    assert extra["status"] == "bot" and extra["handoff"] is False
    assert extra["citations"] and set(extra["citations"][0]) == {"label", "url"}
    assert extra["confidence"] >= 0.4

    # The same conversation, continued by id; the inbox has both turns.
    again = sdk.chat.completions.create(
        model=agent["id"],
        messages=[{"role": "user", "content": "Do you offer financing?"}],
        extra_body={"conversation_id": extra["conversation_id"]},
    )
    assert "Summit Credit Union" in (again.choices[0].message.content or "")
    assert again.model_extra["frontdesk"]["conversation_id"] == extra["conversation_id"]  # type: ignore[index]
    detail = client.get(f"/api/v1/conversations/{extra['conversation_id']}").json()
    visitor = [m["text"] for m in detail["messages"] if m["author"] == "visitor"]
    assert visitor == [QUESTION, "Do you offer financing?"]


def test_the_team_takes_over_and_its_reply_reaches_the_client_on_the_next_call(
    sdk: openai.OpenAI, client: httpx.Client, agent: dict[str, Any]
) -> None:
    first = sdk.chat.completions.create(
        model="Ridgeline", messages=[{"role": "user", "content": "I want to talk to a person"}]
    )
    extra = first.model_extra["frontdesk"]  # type: ignore[index]
    assert extra["handoff"] is True and extra["status"] in ("waiting", "human")
    conversation = extra["conversation_id"]
    sent = client.post(
        f"/api/v1/conversations/{conversation}/messages",
        json={"text": "Hi, Sam from the service desk here.", "private": False},
    )
    assert sent.status_code == 201, sent.text
    private = client.post(
        f"/api/v1/conversations/{conversation}/messages",
        json={"text": "internal: check their warranty", "private": True},
    )
    assert private.status_code == 201
    later = sdk.chat.completions.create(
        model="Ridgeline",
        messages=[{"role": "user", "content": "Thanks, are you there?"}],
        extra_body={"conversation_id": conversation},
    )
    text = later.choices[0].message.content or ""
    assert text == "Hi, Sam from the service desk here."  # the team's reply, no note
    assert later.model_extra["frontdesk"]["status"] == "human"  # type: ignore[index]


def test_streaming_with_the_sdk_and_as_raw_server_sent_events(
    sdk: openai.OpenAI, server: ServerThread, accounts: Accounts, agent: dict[str, Any]
) -> None:
    pieces = [
        chunk.choices[0].delta.content or ""
        for chunk in sdk.chat.completions.create(
            model="Ridgeline", messages=[{"role": "user", "content": QUESTION}], stream=True
        )
        if chunk.choices
    ]
    assert len([p for p in pieces if p]) > 1 and "Tuesday" in "".join(pieces)

    headers = {"Authorization": f"Bearer {accounts.api_key()}"}
    body = {"model": "Ridgeline", "messages": [{"role": "user", "content": QUESTION}]}
    with httpx.stream(
        "POST",
        f"{server.url}/v1/chat/completions",
        json={**body, "stream": True},
        headers=headers,
        timeout=60,
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    events = [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]
    assert {e["object"] for e in events} == {"chat.completion.chunk"}
    last = events[-1]
    assert last["choices"][0]["finish_reason"] == "stop" and last["frontdesk"]["citations"]


def test_errors_come_in_openais_shape(sdk: openai.OpenAI, server: ServerThread) -> None:
    with pytest.raises(openai.NotFoundError) as missing:
        sdk.chat.completions.create(
            model="No such agent", messages=[{"role": "user", "content": "hi"}]
        )
    assert missing.value.body["type"] == "not_found_error"  # type: ignore[index]
    bad_key = openai.OpenAI(base_url=f"{server.url}/v1", api_key="fd_wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad_key.models.list()
    invalid = httpx.post(
        f"{server.url}/v1/chat/completions",
        json={"model": "Ridgeline", "messages": []},
        headers={"Authorization": f"Bearer {sdk.api_key}"},
    )
    assert invalid.status_code == 422
    error = invalid.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == "messages"
    assert set(error) == {"message", "type", "param", "code"}
