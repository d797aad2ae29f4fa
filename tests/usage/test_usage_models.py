"""Usage per model over a real server, with answers written by a real model.

The model is tests/openai_server.py (the packaged SmolLM2 behind an OpenAI-compatible HTTP
server on loopback); each agent names the model it wants, as the owner would configure it,
and the tokens the server reports are the model's own counts.
"""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from app_fixtures import Accounts, api_client
from chat_fixtures import FAQ, Visitor
from frontdesk.answering.replies import REPHRASE
from frontdesk.conversations.models import AnswerRecord
from frontdesk.conversations.summarizer import SYSTEM as SUMMARY
from openai_server import API_KEY, MODEL, OpenAIServer
from support import ServerThread, wait_for_source

QUESTION = "When is the service department open?"
ALIAS = "smollm2-135m-instruct-q4"  # a second model name on the same server


@pytest.fixture
def endpoint(accounts: Accounts, openai_server: OpenAIServer) -> OpenAIServer:
    """The model server, allowed for the default workspace."""
    accounts.allow_hosts(openai_server.url.removeprefix("http://"))
    return openai_server


def _use_model(http: httpx.Client, agent_id: str, server: OpenAIServer, model: str) -> None:
    """The agent answers with ``model`` at the server; its workspace keeps the key."""
    stored = http.put("/api/v1/secrets/LLM_KEY", json={"value": API_KEY})
    assert stored.is_success, stored.text
    config = {
        "base_url": f"{server.url}/v1",
        "model": model,
        "api_key_secret": "LLM_KEY",
        "max_tokens": 24,
    }
    changed = http.patch(
        f"/api/v1/agents/{agent_id}", json={"generator": "openai", "generator_config": config}
    )
    assert changed.status_code == 200, changed.text


def _dealer(http: httpx.Client, name: str) -> dict[str, Any]:
    created = http.post("/api/v1/agents", json={"name": name})
    assert created.status_code == 201, created.text
    agent: dict[str, Any] = created.json()
    source = http.post(f"/api/v1/agents/{agent['id']}/sources/qa", json={"pairs": FAQ})
    assert wait_for_source(http, source.json()["id"])["status"] == "ready"
    return agent


def _records(http: httpx.Client, conversation_id: str) -> list[AnswerRecord]:
    """The AI answers' records, as the team's API shows the messages."""
    detail = http.get(f"/api/v1/conversations/{conversation_id}")
    assert detail.status_code == 200, detail.text
    return [
        AnswerRecord.model_validate(m["payload"])
        for m in detail.json()["messages"]
        if m["author"] == "ai" and m["event"] is None and m["payload"]
    ]


def _asked(visitor: Visitor, question: str) -> None:
    assert visitor.send(question).status_code == 201
    visitor.wait_for("ai")


def _by_model(month: dict[str, Any]) -> dict[tuple[str, str], tuple[int, int, int]]:
    return {
        (m["generator"], m["model"]): (m["answers"], m["prompt_tokens"], m["completion_tokens"])
        for m in month["models"]
    }


def _summed(records: list[AnswerRecord]) -> tuple[int, int, int]:
    return (
        len(records),
        sum(r.prompt_tokens for r in records),
        sum(r.completion_tokens for r in records),
    )


def test_model_answers_keep_their_tokens_and_are_summed_per_model_and_workspace(
    client: httpx.Client,
    agent: dict[str, Any],
    visitors: Any,
    accounts: Accounts,
    endpoint: OpenAIServer,
    server: ServerThread,
) -> None:
    _use_model(client, agent["id"], endpoint, MODEL)
    second = _dealer(client, "Service desk")
    _use_model(client, second["id"], endpoint, ALIAS)
    harbor_id = accounts.workspace("Harbor Marine")
    accounts.allow_hosts(endpoint.url.removeprefix("http://"), workspace_id=harbor_id)
    with api_client(server, accounts, harbor_id) as harbor:
        theirs = _dealer(harbor, "Harbor")
        _use_model(harbor, theirs["id"], endpoint, MODEL)

        # Two conversations: a refused draft hands the first off, and the AI says no more.
        first, again = visitors(), visitors()
        _asked(first, QUESTION)
        _asked(again, "Do you offer financing?")
        other = visitors(second["public_key"])
        _asked(other, QUESTION)
        stranger = visitors(theirs["public_key"])
        _asked(stranger, QUESTION)
        # Every answer was the model's (a handoff's summary is asked for besides).
        answers = [r for r in endpoint.requests if r.body["messages"][0]["content"] != SUMMARY]
        assert len(answers) == 4

        ours = _records(client, first.id) + _records(client, again.id)
        alias = _records(client, other.id)
        for record, model in [*((r, MODEL) for r in ours), *((r, ALIAS) for r in alias)]:
            assert (record.generator, record.model) == ("openai", model)
            assert record.prompt_tokens > 100 and record.completion_tokens > 0
            assert record.tokens == record.prompt_tokens + record.completion_tokens

        usage = client.get("/api/v1/usage").json()
        current = usage["current"]
        # Each model's row: its answers, and at least their tokens (a handoff's summary,
        # written in the background by the same model, adds its own).
        rows = _by_model(current)
        assert set(rows) == {("openai", MODEL), ("openai", ALIAS)}
        for key, records in ((("openai", MODEL), ours), (("openai", ALIAS), alias)):
            answers, prompt, completion = rows[key]
            expected = _summed(records)
            assert answers == expected[0]
            assert prompt >= expected[1] and completion >= expected[2]
        assert current["ai_answers"] == 3
        assert current["tokens"] == sum(p + c for _, p, c in rows.values())
        assert _by_model(usage["totals"]) == _by_model(current)

        their_usage = harbor.get("/api/v1/usage").json()["current"]
        assert _by_model(their_usage) == {("openai", MODEL): _summed(_records(harbor, stranger.id))}


def test_a_rules_reply_in_place_of_a_refused_draft_still_counts_the_models_tokens(
    client: httpx.Client, agent: dict[str, Any], visitors: Any, endpoint: OpenAIServer
) -> None:
    _use_model(client, agent["id"], endpoint, MODEL)
    # The draft is refused (threshold), and the rules ask to rephrase before handing off.
    strict = {"confidence_threshold": 0.99, "rules": {"failed_attempts": 2}}
    assert client.patch(f"/api/v1/agents/{agent['id']}", json=strict).status_code == 200

    visitor = visitors()
    _asked(visitor, QUESTION)
    assert visitor.history()["messages"][-1]["text"] == REPHRASE
    (record,) = _records(client, visitor.id)
    assert (record.generator, record.model, record.answered) == ("rules", MODEL, False)
    assert record.prompt_tokens > 100 and record.completion_tokens > 0
    current = client.get("/api/v1/usage").json()["current"]
    assert _by_model(current) == {("rules", MODEL): _summed([record])}
    assert current["tokens"] == record.tokens


def test_the_openai_compatible_endpoint_reports_the_models_own_token_counts(
    client: httpx.Client,
    agent: dict[str, Any],
    accounts: Accounts,
    endpoint: OpenAIServer,
    server: ServerThread,
) -> None:
    _use_model(client, agent["id"], endpoint, MODEL)
    sdk = openai.OpenAI(
        base_url=f"{server.url}/v1", api_key=accounts.api_key(), max_retries=0, timeout=120
    )
    reply = sdk.chat.completions.create(
        model=agent["name"], messages=[{"role": "user", "content": QUESTION}]
    )
    conversation_id = reply.model_extra["frontdesk"]["conversation_id"]  # type: ignore[index]
    (record,) = _records(client, conversation_id)
    usage = reply.usage
    assert usage is not None and record.generator == "openai"
    assert (usage.prompt_tokens, usage.completion_tokens) == (
        record.prompt_tokens,
        record.completion_tokens,
    )
    assert usage.prompt_tokens > 100 and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
