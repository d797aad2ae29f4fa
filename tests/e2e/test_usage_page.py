"""A member opens the usage page and reads this month's metered numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_support import Inbox, OpenTab
from playwright.async_api import expect

from app_fixtures import Accounts
from support import ServerThread


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
