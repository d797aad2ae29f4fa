"""A member opens the usage page and reads this month's metered numbers, by month and by model."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_support import Inbox, OpenTab
from playwright.async_api import expect

from app_fixtures import Accounts
from openai_server import API_KEY, MODEL, OpenAIServer
from support import ServerThread, wait_until


@pytest.fixture
def chatted(accounts: Accounts, visitors) -> None:
    """A member, Sam; two conversations, one with two questions answered and a resend."""
    accounts.member("sam@ridgeline.test", name="Sam")
    visitor = visitors()
    visitor.send("Do you offer financing?", client_id="c-1")
    visitor.send("Do you offer financing?", client_id="c-1")  # a resend: counted once
    visitor.wait_for("ai")
    visitor.send("When is the service department open on Saturday?")
    visitor.wait_for("ai", 2)
    visitors()


async def test_the_usage_page_shows_this_months_counts(
    open_tab: OpenTab, server: ServerThread, chatted: None, artifacts: Path
) -> None:
    inbox = await Inbox.sign_in(open_tab, server, "sam@ridgeline.test")
    page = inbox.page
    await page.get_by_test_id("nav-usage").click()
    await expect(page).to_have_title("Usage — Frontdesk")
    current = page.get_by_test_id("usage-current")
    expected = {"conversations": "2", "visitor_messages": "2", "ai_answers": "2", "tokens": "0"}
    for key, value in expected.items():
        await expect(
            current.get_by_test_id(f"usage-{key}").get_by_test_id("usage-value")
        ).to_have_text(value)
    await expect(page.get_by_test_id("usage-current-month")).to_contain_text("This month")
    rows = page.get_by_test_id("usage-row")  # only this month: nothing was used before
    await expect(rows).to_have_count(1)
    await expect(rows.locator('[data-counter="conversations"]')).to_have_text("2")
    await expect(page.get_by_test_id("usage-range")).to_contain_text("No usage from")
    total = page.get_by_test_id("usage-total")
    await expect(total.locator('[data-counter="visitor_messages"]')).to_have_text("2")
    await inbox.tab.screenshot(artifacts, "inbox-usage.png")
    assert inbox.tab.errors == []


@pytest.fixture
def answered_by_a_model(
    accounts: Accounts, visitors, client: httpx.Client, agent: dict, openai_server: OpenAIServer
) -> dict[str, Any]:
    """One answer by the passages' own words, then one by a model; the usage API's month."""
    accounts.member("sam@ridgeline.test", name="Sam")
    extractive = visitors()
    extractive.send("Do you offer financing?")
    extractive.wait_for("ai")
    accounts.allow_hosts(openai_server.url.removeprefix("http://"))
    assert client.put("/api/v1/secrets/LLM_KEY", json={"value": API_KEY}).status_code == 201
    config = {"base_url": f"{openai_server.url}/v1", "model": MODEL, "api_key_secret": "LLM_KEY"}
    body = {"generator": "openai", "generator_config": {**config, "max_tokens": 24}}
    assert client.patch(f"/api/v1/agents/{agent['id']}", json=body).status_code == 200
    modelled = visitors()
    modelled.send("When is the service department open?")
    modelled.wait_for("ai")

    def settled() -> bool:
        """A refused draft hands off, and the model then writes the summary in the
        background (its tokens count too): read the month once that is done."""
        view = client.get(f"/api/v1/conversations/{modelled.id}").json()["conversation"]
        return view["status"] == "bot" or (view["summary"] or {}).get("by") == "model"

    wait_until(settled, timeout=60, what="the model's handoff summary")
    current: dict[str, Any] = client.get("/api/v1/usage").json()["current"]
    return current


def _digits(text: str) -> int:
    """A number as the page writes it in the browser's locale (1,234 or 1 234)."""
    return int(re.sub(r"\D", "", text))


async def test_the_usage_page_shows_answers_by_generator_and_model(
    open_tab: OpenTab, server: ServerThread, answered_by_a_model: dict[str, Any], artifacts: Path
) -> None:
    (model,) = [m for m in answered_by_a_model["models"] if m["generator"] == "openai"]
    assert model["prompt_tokens"] > 0 and model["completion_tokens"] > 0
    inbox = await Inbox.sign_in(open_tab, server, "sam@ridgeline.test")
    page = inbox.page
    await page.get_by_test_id("nav-usage").click()
    table = page.get_by_test_id("usage-models-table")
    rows = table.get_by_test_id("usage-model-row")
    await expect(rows).to_have_count(2)
    # Most tokens first: the model's row, then the extractive one, which used none.
    first, second = rows.nth(0), rows.nth(1)
    await expect(first).to_have_attribute("data-generator", "openai")
    await expect(first.locator("td").nth(0)).to_have_text("OpenAI-compatible")
    await expect(first.locator("td").nth(1)).to_have_text(MODEL)
    await expect(first.locator('[data-counter="answers"]')).to_have_text("1")
    for key in ("prompt_tokens", "completion_tokens", "tokens"):
        shown = await first.locator(f'[data-counter="{key}"]').inner_text()
        assert _digits(shown) == model[key], key
    await expect(second.locator("td").nth(0)).to_have_text("Extractive (no model)")
    await expect(second.locator("td").nth(1)).to_have_text("\u2014")
    await expect(second.locator('[data-counter="tokens"]')).to_have_text("0")
    await expect(table.get_by_test_id("usage-model-unknown")).to_have_count(0)
    # The same rows for the whole range.
    await page.get_by_test_id("usage-period").select_option("total")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0).locator("td").nth(1)).to_have_text(MODEL)
    await page.get_by_test_id("usage-by-model").scroll_into_view_if_needed()
    await inbox.tab.screenshot(artifacts, "inbox-usage-models.png")
    assert inbox.tab.errors == []
