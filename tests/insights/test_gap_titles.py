"""Knowledge-gap titles written by the agent's model, kept per group, asked for once.

The model is the packaged SmolLM2 behind tests/openai_server.py, which records what it was
asked: titles are counted there.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from app_fixtures import Accounts, Started
from frontdesk.agents.models import Agent
from frontdesk.embedder.model import OnnxMiniLM
from frontdesk.insights.models import GapTitle
from frontdesk.insights.queries import Asked, Totals
from frontdesk.insights.schemas import GapOut
from frontdesk.insights.service import Facts, _knowledge_gaps
from frontdesk.insights.titles import SYSTEM, tidy_title
from frontdesk.vault.hosts import allow_host
from frontdesk.vault.service import set_secret
from openai_server import API_KEY, OpenAIServer, endpoint_config
from support import free_port, wait_until

BOATS = ["Do you sell pontoon boats?", "Can I buy a pontoon boat from you?"]
RENTALS = ["Do you rent snowmobiles?", "Is snowmobile rental available?"]


def title_prompts(server: OpenAIServer) -> list[str]:
    """What the server was asked to title (the user message of each title request)."""
    return [
        seen.body["messages"][-1]["content"]
        for seen in server.requests
        if seen.body["messages"][0]["content"] == SYSTEM
    ]


def _facts(agent: Agent, texts: list[str]) -> Facts:
    start = datetime(2024, 3, 1, tzinfo=UTC)
    asked = [
        Asked(f"msg_{i}", f"cv_{i}", agent.id, text, start - timedelta(minutes=i), True, False)
        for i, text in enumerate(texts)
    ]
    return Facts(
        totals=Totals(0, 0, 0, 0),
        by_trigger=[],
        by_tag=[],
        by_team=[],
        waits=[],
        feedback={},
        csat={},
        created=[],
        asked=asked,
        agent_names={agent.id: agent.name},
        qa_questions={},
    )


async def _model_agent(started: Started, base_url: str, **more: Any) -> Agent:
    async with started.runtime.changes() as session:
        await set_secret(session, started.runtime.cipher, started.workspace_id, "LLM_KEY", API_KEY)
        await allow_host(session, started.workspace_id, urlsplit(base_url).netloc)
    return await started.agent(
        "Ridgeline", generator="openai", generator_config=endpoint_config(base_url, **more)
    )


async def _kept(started: Started) -> int:
    async with started.runtime.reads() as session:
        return int(await session.scalar(select(func.count()).select_from(GapTitle)) or 0)


def _by_question(gaps: list[GapOut]) -> dict[str, GapOut]:
    return {gap.question: gap for gap in gaps}


async def test_titles_come_from_the_model_once_per_group(
    started: Started, embedder: OnnxMiniLM, openai_server: OpenAIServer
) -> None:
    agent = await _model_agent(started, openai_server.url)
    titles = started.runtime.gap_titles
    facts = _facts(agent, [*BOATS, *RENTALS])

    # The report does not wait for the model: the central questions name the groups first.
    first = await _knowledge_gaps(started.runtime.db, facts, embedder, titles)
    assert len(first) == 2
    assert all(gap.title_by == "extractive" and gap.title == gap.question for gap in first)
    await titles.drain()

    prompts = title_prompts(openai_server)
    assert len(prompts) == 2  # one request per group
    boats = next(prompt for prompt in prompts if BOATS[0] in prompt)
    assert BOATS[1] in boats and not any(rental in boats for rental in RENTALS)

    second = await _knowledge_gaps(started.runtime.db, facts, embedder, titles)
    assert all(gap.title_by == "model" and gap.title for gap in second)
    assert [gap.question for gap in second] == [gap.question for gap in first]
    async with started.runtime.reads() as session:
        kept = {row.title for row in await session.scalars(select(GapTitle))}
    assert {gap.title for gap in second} == kept
    # Loading again asks the model nothing.
    await _knowledge_gaps(started.runtime.db, facts, embedder, titles)
    await titles.drain()
    assert len(title_prompts(openai_server)) == 2

    # A group that gains a question is titled again; the other keeps its title.
    grown = _facts(agent, [*BOATS, "Are pontoon boats for sale at your store?", *RENTALS])
    await _knowledge_gaps(started.runtime.db, grown, embedder, titles)
    await titles.drain()
    prompts = title_prompts(openai_server)
    assert len(prompts) == 3 and "Are pontoon boats for sale" in prompts[-1]
    third = _by_question(await _knowledge_gaps(started.runtime.db, grown, embedder, titles))
    assert {gap.title_by for gap in third.values()} == {"model"}
    [rentals] = [gap for gap in second if gap.question in RENTALS]
    assert third[rentals.question].title == rentals.title


async def test_a_model_that_is_down_or_an_extractive_agent_keeps_the_questions(
    started: Started, embedder: OnnxMiniLM, caplog: pytest.LogCaptureFixture
) -> None:
    titles = started.runtime.gap_titles
    plain = await started.agent("Plain")
    gaps = await _knowledge_gaps(started.runtime.db, _facts(plain, BOATS), embedder, titles)
    assert len(titles) == 0  # nothing to ask
    assert [(g.title, g.title_by) for g in gaps] == [(BOATS[0], "extractive")]

    down = await _model_agent(started, f"http://127.0.0.1:{free_port()}", retries=0)
    facts = _facts(down, [*BOATS, *RENTALS])
    await _knowledge_gaps(started.runtime.db, facts, embedder, titles)
    await titles.drain()
    # One failure ends the round (the other group would fail the same way); nothing is kept.
    assert caplog.text.count("keep their questions as titles") == 1
    gaps = await _knowledge_gaps(started.runtime.db, facts, embedder, titles)
    assert all(g.title_by == "extractive" and g.title == g.question for g in gaps)
    await titles.drain()
    assert caplog.text.count("keep their questions as titles") == 2  # asked again
    assert await _kept(started) == 0


def test_tidy_title() -> None:
    assert (
        tidy_title('Title: "Towing capacity of trucks."\nMore text') == "Towing capacity of trucks"
    )
    assert tidy_title("\n\n**Pontoon boat sales**") == "Pontoon boat sales"
    assert tidy_title("- Snowmobile rentals") == "Snowmobile rentals"
    assert tidy_title("  ") == ""


def test_the_insights_page_shows_the_models_titles_and_keeps_them(
    client: httpx.Client,
    agent: dict[str, Any],
    visitors: Any,
    accounts: Accounts,
    openai_server: OpenAIServer,
) -> None:
    for text in BOATS:
        visitor = visitors()
        assert visitor.send(text).status_code == 201
        visitor.wait_for("ai")

    def gaps() -> list[dict[str, Any]]:
        response = client.get("/api/v1/insights", params={"agent_id": agent["id"]})
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["knowledge_gaps"]
        return found

    # An extractive agent: the question is the title, and no model is asked.
    [gap] = gaps()
    assert (gap["title"], gap["title_by"]) == (gap["question"], "extractive")

    accounts.allow_hosts(openai_server.url.removeprefix("http://"))
    assert client.put("/api/v1/secrets/LLM_KEY", json={"value": API_KEY}).status_code == 201
    body = {"generator": "openai", "generator_config": endpoint_config(openai_server.url)}
    assert client.patch(f"/api/v1/agents/{agent['id']}", json=body).status_code == 200

    [titled] = wait_until(
        lambda: [g for g in gaps() if g["title_by"] == "model"], timeout=60, what="a title"
    )
    assert titled["title"] and titled["question"] == gap["question"]
    asked = len(title_prompts(openai_server))
    assert asked == 1
    assert gaps() == [titled]
    assert len(title_prompts(openai_server)) == asked
