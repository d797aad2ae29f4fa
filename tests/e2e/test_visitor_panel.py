"""The visitor panel and the handoff summary at 1400x900: where the visitor came from, their
browser and local time; the summary follows what they write while they wait, folds away, and
the thread keeps most of the pane. Screenshots of each state."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from e2e_support import Inbox, OpenTab, Tab, Widget
from playwright.async_api import Browser, BrowserContext, expect

from support import ServerThread

MEMBER_EMAIL = "sam@ridgeline.test"
ZONE = "Pacific/Auckland"  # far from UTC, so the shown time cannot be the server's by chance
REFERRER = "http://news.example/best-snowmobiles-2027?utm_source=x"
FIRST = "Can you hold a Glacier 850 for me until Saturday?"
LATER = "Also, do you take trade-ins? Mine is a 2019 Trailhawk."
ONE_MORE = "Sorry, one more: is the blue one still there?"


@pytest.fixture
async def far_away(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A visitor's browser in New Zealand."""
    context = await browser.new_context(
        viewport={"width": 1280, "height": 800}, timezone_id=ZONE, locale="en-NZ"
    )
    yield context
    await context.close()


def _clock_now(zone: str) -> set[str]:
    """The visitor's local time as the panel shows it, this minute or the one before."""
    now = datetime.now(UTC)
    return {
        f"{(now - timedelta(minutes=m)).astimezone(ZoneInfo(zone)):%H:%M} ({zone})" for m in (0, 1)
    }


async def test_the_visitor_panel_and_a_summary_that_follows_the_visitor(
    open_tab: OpenTab,
    far_away: BrowserContext,
    host_page: str,
    server: ServerThread,
    agent: dict[str, Any],
    member: httpx.Client,
    artifacts: Path,
) -> None:
    page = await far_away.new_page()
    tab = Tab(far_away, page)
    page.on("pageerror", lambda error: tab.errors.append(str(error)))
    await page.goto(host_page, referer=REFERRER)
    widget = Widget(tab, agent["public_key"])
    await expect(widget.launcher).to_be_visible()
    await widget.open()
    # Nothing in the agent's content answers this: the AI says so and hands off by itself
    # (a click on "Talk to a person" would race that handoff).
    await widget.ask(FIRST)
    await expect(widget.status).to_have_text("Connecting you with a person…")
    conversation_id = await widget.conversation_id()

    inbox = await Inbox.sign_in(open_tab, server, MEMBER_EMAIL, width=1400, height=900)
    await inbox.open(conversation_id)
    side = inbox.view.get_by_test_id("conv-side")
    panel = side.get_by_test_id("visitor-panel")
    # Cross-origin, Chromium sends only the referring site's origin, as it does for anyone.
    referrer = panel.get_by_test_id("visitor-referrer")
    await expect(referrer).to_contain_text("news.example")
    assert (await referrer.locator("a").get_attribute("href") or "").startswith(
        "http://news.example/"
    )
    await expect(panel.get_by_test_id("visitor-browser")).to_contain_text(
        re.compile(r"Chrome \d+ on Linux")
    )
    clock = panel.get_by_test_id("visitor-local-time")
    await expect(clock).to_have_text(re.compile(rf"^\d\d:\d\d \({re.escape(ZONE)}\)$"))
    assert await clock.text_content() in _clock_now(ZONE)
    await expect(panel.get_by_test_id("visitor-page")).to_be_visible()
    wants = side.get_by_test_id("summary-wants")
    await expect(wants).to_have_text(FIRST)
    await inbox.tab.screenshot(artifacts, "inbox-visitor-panel.png")

    # The visitor writes again while waiting: the summary follows, no reload.
    await widget.ask(LATER)
    await expect(wants.locator("li")).to_have_text([FIRST, LATER])
    await inbox.tab.screenshot(artifacts, "inbox-summary-updated.png")

    # Folded away, and the thread has most of the pane either way.
    await side.get_by_test_id("summary-toggle").click()
    await expect(wants).to_be_hidden()
    thread = await inbox.view.locator(".messages").bounding_box()
    pane = await inbox.view.bounding_box()
    assert thread and pane and thread["height"] >= 0.55 * pane["height"], (thread, pane)
    await inbox.tab.screenshot(artifacts, "inbox-summary-collapsed.png")
    # A rewrite while folded arrives folded.
    await widget.ask(ONE_MORE)
    await expect(wants.locator("li")).to_have_count(3)
    await expect(side.get_by_test_id("summary-details")).not_to_have_attribute("open", "")
    await expect(wants).to_be_hidden()
    await side.get_by_test_id("summary-toggle").click()
    await expect(wants.locator("li").last).to_have_text(ONE_MORE)
    assert inbox.tab.errors == [] and tab.errors == []
