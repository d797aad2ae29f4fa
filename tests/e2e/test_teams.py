"""Teams in the browser: presence shows live on the Team page, a financing handoff lands in the
Finance member's "Mine" view with the team and the handoff summary, and urgent stands out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_support import Inbox, OpenTab
from playwright.async_api import expect

from app_fixtures import Accounts
from support import ServerThread

FINANCING = {
    "name": "financing",
    "examples": ["what rate can I get", "apply for a loan", "can I get pre-approved for financing"],
    "team": "Finance",
}


@pytest.fixture
def finance(client: httpx.Client, agent: dict[str, Any], accounts: Accounts) -> dict[str, Any]:
    fiona = accounts.member("fiona@ridgeline.test", name="Fiona")
    patched = client.patch(f"/api/v1/agents/{agent['id']}", json={"rules": {"topics": [FINANCING]}})
    assert patched.status_code == 200, patched.text
    team = client.post(
        "/api/v1/teams", json={"name": "Finance", "members": [fiona.id], "auto_assign": True}
    )
    assert team.status_code == 201, team.text
    return {"team": team.json(), "fiona": fiona.id}


async def test_presence_routing_summary_and_urgent_in_the_inbox(
    open_tab: OpenTab,
    server: ServerThread,
    client: httpx.Client,
    member: httpx.Client,
    visitors,
    finance: dict[str, Any],
    artifacts: Path,
) -> None:
    sam = await Inbox.sign_in(open_tab, server, "sam@ridgeline.test")
    await sam.page.get_by_test_id("nav-team").click()
    card = sam.page.get_by_test_id("team-card")
    await expect(card.get_by_test_id("team-online")).to_have_text("0 of 1 online")
    fiona_badge = card.get_by_test_id("team-member-presence")
    await expect(fiona_badge).to_have_attribute("data-presence", "offline")

    # Fiona opens her inbox: Sam sees her online, then away, live.
    fiona = await Inbox.sign_in(open_tab, server, "fiona@ridgeline.test")
    await expect(fiona_badge).to_have_attribute("data-presence", "online")
    await expect(card.get_by_test_id("team-online")).to_have_text("1 of 1 online")
    await fiona.page.get_by_test_id("presence-select").select_option("away")
    await expect(fiona_badge).to_have_attribute("data-presence", "away")
    await fiona.page.get_by_test_id("presence-select").select_option("online")
    await expect(fiona_badge).to_have_attribute("data-presence", "online")

    # A financing question: Finance, auto-assigned to Fiona, with the summary on top.
    visitor = visitors()
    visitor.send("Can I get pre-approved for financing on a new quad?")
    await fiona.page.get_by_test_id("view-mine").click()
    item = fiona.item(visitor.id)
    await expect(item).to_have_count(1)
    await expect(item.get_by_test_id("item-team")).to_have_text("Finance")
    await fiona.open(visitor.id)
    await expect(fiona.view.get_by_test_id("team-select")).to_have_value(finance["team"]["id"])
    summary = fiona.view.get_by_test_id("handoff-summary")
    await expect(summary.get_by_test_id("summary-wants")).to_have_text(
        "Can I get pre-approved for financing on a new quad?"
    )
    assert "null" not in await summary.inner_text()
    await expect(
        fiona.text_of("system").filter(has_text="Assigned to Fiona (Finance")
    ).to_have_count(1)
    # Sam is not in Finance: "My teams" is empty for him.
    await sam.page.get_by_test_id("nav-inbox").click()
    await sam.page.get_by_test_id("view-teams").click()
    await expect(sam.items).to_have_count(0)

    # Urgent stands out, live.
    assert client.post(
        f"/api/v1/conversations/{visitor.id}/priority", json={"priority": "urgent"}
    ).is_success
    await expect(item).to_have_attribute("data-priority", "urgent")
    edge = await item.evaluate("el => getComputedStyle(el).boxShadow")
    assert "217, 45, 32" in edge
    await expect(fiona.view).to_have_attribute("data-priority", "urgent")
    await fiona.tab.screenshot(artifacts, "inbox-teams.png")
    assert fiona.tab.errors == [] and sam.tab.errors == []
