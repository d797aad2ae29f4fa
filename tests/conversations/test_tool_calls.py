"""A visitor's question answered with the agent's tools, and every call shown to the team.

The agent's model is tests/openai_server.py (the packaged model behind the OpenAI wire
format; it writes tool calls under a grammar, see tests/tool_calls.py); the business's
order system is a real HTTP server on loopback (tests/receiver.py) that wants its token.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app_fixtures import Accounts
from frontdesk.answering.pipeline import NOT_FOUND
from openai_server import API_KEY, MODEL, OpenAIServer
from receiver import Receiver, Reply
from support import free_port, wait_until
from tool_calls import ORDER, SHOP_TOKEN, order_tool

QUESTION = "Where is my order 10452?"
CALLBACK = {
    "name": "callback",
    "kind": "form",
    "title": "Leave your number and we will call you back",
    "fields": [{"name": "phone", "type": "phone", "required": True}],
    "tool": {"description": "Offer this when the visitor wants someone to call them back."},
}


def _use_endpoint(
    client: httpx.Client, agent: dict[str, Any], server: OpenAIServer, actions: list[Any]
) -> None:
    assert client.put("/api/v1/secrets/LLM_KEY", json={"value": API_KEY}).status_code == 201
    assert client.put("/api/v1/secrets/SHOP_TOKEN", json={"value": SHOP_TOKEN}).status_code == 201
    config = {"base_url": f"{server.url}/v1", "model": MODEL, "api_key_secret": "LLM_KEY"}
    body = {"generator": "openai", "generator_config": {**config, "max_tokens": 24}}
    changed = client.patch(f"/api/v1/agents/{agent['id']}", json={**body, "actions": actions})
    assert changed.status_code == 200, changed.text


def _ask(visitor: Any, question: str = QUESTION) -> dict[str, Any]:
    assert visitor.send(question).status_code == 201

    def replied() -> dict[str, Any] | None:
        said = [m for m in visitor.history()["messages"] if m["author"] == "ai"]
        return said[0] if said else None

    reply: dict[str, Any] = wait_until(replied, timeout=120, what="the AI's reply")
    return reply


def _detail(client: httpx.Client, conversation_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/conversations/{conversation_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _notes(detail: dict[str, Any]) -> list[str]:
    return [m["text"] for m in detail["messages"] if m["event"] == "tool"]


def test_an_order_lookup_is_cited_and_recorded_for_the_team(
    client: httpx.Client,
    agent: dict[str, Any],
    visitors: Any,
    accounts: Accounts,
    openai_server: OpenAIServer,
) -> None:
    openai_server.behaviour.quote_tool_results = True
    with Receiver(Reply(200, ORDER)) as shop:
        accounts.allow_hosts(openai_server.url.removeprefix("http://"), shop.host)
        tool = order_tool(shop.url("/orders/{tool.order_number}"))
        _use_endpoint(client, agent, openai_server, [tool])
        visitor = visitors()
        reply = _ask(visitor)
        [call] = shop.requests

    assert call.path == "/orders/10452" and call.headers["authorization"] == f"Bearer {SHOP_TOKEN}"
    # The reply quotes the order system and cites it; the grounding guard let it through.
    assert "shipped" in reply["text"] and "2026-11-25" in reply["text"]
    assert [c["label"] for c in reply["citations"]] == ["Order system"]

    detail = _detail(client, visitor.id)
    [run] = detail["actions"]
    assert (run["action"], run["kind"], run["status"]) == ("order_status", "tool", "succeeded")
    assert run["request"]["arguments"] == {"order_number": "10452"}
    assert run["request"]["url"].endswith("/orders/10452")
    assert run["request"]["headers"] == ["Authorization"]
    assert run["response_status"] == 200 and run["attempts"] == 1
    assert run["result"] == {"order.status": "shipped", "order.delivery_date": "2026-11-25"}
    assert run["duration_ms"] >= 0 and run["finished_at"] >= run["created_at"]
    [note] = _notes(detail)
    assert note.startswith(
        "The AI called order_status (Order system) with order_number=10452: HTTP 200 in "
    )
    assert note.endswith("ms; order.status=shipped, order.delivery_date=2026-11-25")
    # The note is the team's: the visitor never sees it, nor anyone the secret.
    assert all(m["event"] != "tool" for m in visitor.history()["messages"])
    assert SHOP_TOKEN not in str(detail) and SHOP_TOKEN not in str(visitor.history())


@pytest.mark.parametrize("failure", ["blocked", "timeout", "down"])
def test_a_failed_lookup_is_recorded_and_the_visitor_still_gets_a_reply(
    failure: str,
    client: httpx.Client,
    agent: dict[str, Any],
    visitors: Any,
    accounts: Accounts,
    openai_server: OpenAIServer,
) -> None:
    openai_server.behaviour.quote_tool_results = True  # there is no result to quote
    delay = 5.0 if failure == "timeout" else 0.0
    with Receiver(Reply(200, ORDER, delay_s=delay)) as shop:
        allowed = [openai_server.url.removeprefix("http://")]
        accounts.allow_hosts(*allowed, *([] if failure == "blocked" else [shop.host]))
        url = shop.url("/orders/{tool.order_number}")
        if failure == "down":
            nowhere = f"127.0.0.1:{free_port()}"  # nothing listens there
            url = f"http://{nowhere}/orders/{{tool.order_number}}"
            accounts.allow_hosts(*allowed, nowhere)
        tool = {**order_tool(url), "timeout_s": 1}
        _use_endpoint(client, agent, openai_server, [tool])
        visitor = visitors()
        reply = _ask(visitor)
        received = len(shop.requests)

    assert received == (1 if failure == "timeout" else 0)  # a blocked host is never contacted
    detail = _detail(client, visitor.id)
    [run] = detail["actions"]
    assert (run["kind"], run["status"], run["response_status"]) == ("tool", "failed", None)
    expected = {
        "blocked": "blocked: 127.0.0.1 resolves to a private or loopback address",
        "timeout": "timed out after 1 s (1 attempt)",
        "down": "could not connect to 127.0.0.1",
    }[failure]
    assert expected in run["error"], run["error"]
    [note] = _notes(detail)
    assert "failed after" in note and expected in note
    # No result, so nothing from the order system to cite: the model's own words are judged
    # as always, and cite nothing here, so the visitor gets the refusal and the handoff.
    assert reply["text"].startswith(NOT_FOUND) and reply["citations"] == []
    assert detail["conversation"]["status"] == "waiting"
    assert SHOP_TOKEN not in str(detail)
    second = openai_server.requests[1].body["messages"][-1]
    assert second["role"] == "tool" and second["content"].startswith("No result: ")


def test_the_model_offers_a_form_as_a_tool(
    client: httpx.Client,
    agent: dict[str, Any],
    visitors: Any,
    accounts: Accounts,
    openai_server: OpenAIServer,
) -> None:
    accounts.allow_hosts(openai_server.url.removeprefix("http://"))
    _use_endpoint(client, agent, openai_server, [CALLBACK])
    visitor = visitors()
    reply = _ask(visitor, "I would like to book a test ride on the Ranger.")

    def offered() -> dict[str, Any] | None:
        return next((m for m in visitor.history()["messages"] if m["event"] == "form"), None)

    form = wait_until(offered, timeout=30, what="the form")
    assert form["payload"]["form"]["name"] == "callback" and form["seq"] > reply["seq"]
    assert visitor.history()["pending_form"] == "callback"
    detail = _detail(client, visitor.id)
    # Words that do not stand are refused as always; the handoff then waits for the form.
    refused = reply["text"].startswith(NOT_FOUND)
    assert detail["conversation"]["pending_form"]["holds_handoff"] is refused
    assert detail["conversation"]["status"] == "bot"
    [run] = detail["actions"]
    assert (run["action"], run["kind"], run["status"]) == ("callback", "tool", "succeeded")
    assert run["result"] == {"form": "callback"}
    assert _notes(detail) == ["The AI called callback: the callback form is offered to the visitor"]


@pytest.mark.parametrize("generator", ["extractive", "local"])
def test_generators_without_tools_never_call_one(
    generator: str,
    client: httpx.Client,
    agent: dict[str, Any],
    visitors: Any,
    accounts: Accounts,
    model_file: Any,
) -> None:
    with Receiver(Reply(200, ORDER)) as shop:
        accounts.allow_hosts(shop.host)
        assert client.put("/api/v1/secrets/SHOP_TOKEN", json={"value": "t"}).status_code == 201
        settings: dict[str, Any] = {"generator": generator}
        if generator == "local":
            config = {"model_path": str(model_file), "max_tokens": 16}
            settings["generator_config"] = config
        settings["actions"] = [order_tool(shop.url("/orders/{tool.order_number}")), CALLBACK]
        changed = client.patch(f"/api/v1/agents/{agent['id']}", json=settings)
        assert changed.status_code == 200, changed.text
        visitor = visitors()
        _ask(visitor)
        assert shop.requests == []
    detail = _detail(client, visitor.id)
    assert detail["actions"] == [] and _notes(detail) == []
    assert all(m["event"] != "form" for m in detail["messages"])
