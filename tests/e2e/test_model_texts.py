"""Texts an agent's model writes for the team, in the browser: the handoff summary arrives
live at the top of the conversation, and a knowledge gap shows its model-written title as
text next to the question the visitor asked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_support import Inbox, OpenTab
from playwright.async_api import expect

from app_fixtures import Accounts
from openai_server import API_KEY, MODEL, OpenAIServer
from support import ServerThread, wait_until

ADMIN = "ada@ridgeline.test"
BOAT = "Do you sell pontoon boats?"


@pytest.fixture
def admin(accounts: Accounts) -> str:
    accounts.member(ADMIN, role="admin", name="Ada")
    return ADMIN


@pytest.fixture
def with_model(
    client: httpx.Client, agent: dict[str, Any], accounts: Accounts, openai_server: OpenAIServer
) -> None:
    """The agent writes through the test endpoint (set up outside the test's event loop)."""
    accounts.allow_hosts(openai_server.url.removeprefix("http://"))
    assert client.put("/api/v1/secrets/LLM_KEY", json={"value": API_KEY}).status_code == 201
    config = {"base_url": f"{openai_server.url}/v1", "model": MODEL, "api_key_secret": "LLM_KEY"}
    body = {"generator": "openai", "generator_config": {**config, "max_tokens": 24}}
    assert client.patch(f"/api/v1/agents/{agent['id']}", json=body).status_code == 200


async def test_the_models_summary_and_gap_title_in_the_inbox(
    open_tab: OpenTab,
    server: ServerThread,
    admin: str,
    client: httpx.Client,
    agent: dict[str, Any],
    visitors: Any,
    with_model: None,
    artifacts: Path,
) -> None:
    inbox = await Inbox.sign_in(open_tab, server, admin)
    visitor = visitors()
    assert visitor.send(BOAT).status_code == 201
    visitor.wait_for("ai")
    if visitor.history()["status"] != "waiting":  # the model may have answered it
        assert visitor.handoff().json()["status"] == "waiting"
    await inbox.open(visitor.id)
    summary = inbox.view.get_by_test_id("handoff-summary")
    await expect(summary.get_by_test_id("summary-wants")).to_have_text(BOAT)
    # Written by the model after the handoff; the open conversation shows it when it lands.
    written = summary.get_by_test_id("summary-text")
    await expect(written).to_be_visible(timeout=90_000)
    stored = client.get(f"/api/v1/conversations/{visitor.id}").json()["conversation"]["summary"]
    assert stored["by"] == "model"
    await expect(written).to_have_text(stored["text"])
    await summary.screenshot(path=artifacts / "inbox-model-summary.png")

    def titled() -> list[dict[str, Any]]:
        report = client.get("/api/v1/insights", params={"agent_id": agent["id"]}).json()
        return [g for g in report["knowledge_gaps"] if g["title_by"] == "model"]

    [gap] = wait_until(titled, timeout=90, what="the gap's title")
    await inbox.page.get_by_test_id("nav-insights").click()
    item = inbox.page.get_by_test_id("gap").filter(has_text=BOAT)
    await expect(item.get_by_test_id("gap-title")).to_have_text(gap["title"])
    await expect(item.get_by_test_id("gap-question")).to_have_text(BOAT)
    await item.screenshot(path=artifacts / "insights-model-gap-title.png")
    assert inbox.tab.errors == []
