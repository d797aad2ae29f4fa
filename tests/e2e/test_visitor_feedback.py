"""The visitor rates an AI answer and, once the chat is closed, the whole conversation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from e2e_support import Inbox, OpenTab, Widget
from playwright.async_api import expect

from support import ServerThread

MEMBER_EMAIL = "sam@ridgeline.test"


async def test_thumbs_and_csat_reach_the_inbox(
    open_tab: OpenTab,
    host_page: str,
    server: ServerThread,
    agent: dict[str, Any],
    member: Any,
    artifacts: Path,
) -> None:
    inbox = await Inbox.sign_in(open_tab, server, MEMBER_EMAIL)
    widget = await Widget.on(open_tab, host_page, agent["public_key"])
    await widget.open()
    await widget.ask_ai("When is the service department open on Saturday?")
    answer = widget.ai.last
    helpful = answer.get_by_role("button", name="Helpful", exact=True)
    not_helpful = answer.get_by_role("button", name="Not helpful")
    await expect(helpful).to_have_attribute("aria-pressed", "false")
    await not_helpful.click()
    await expect(not_helpful).to_have_attribute("aria-pressed", "true")
    await expect(helpful).to_have_attribute("aria-pressed", "false")
    await expect(widget.page.locator(".fd-csat")).to_be_hidden()

    conversation_id = await widget.conversation_id()
    await inbox.open(conversation_id)
    badge = inbox.by("ai").get_by_test_id("message-feedback")
    await expect(badge).to_have_text("Not helpful")
    await expect(badge).to_have_attribute("data-feedback", "down")

    # Changing one's mind reaches the open conversation live.
    await helpful.click()
    await expect(helpful).to_have_attribute("aria-pressed", "true")
    await expect(not_helpful).to_have_attribute("aria-pressed", "false")
    await expect(badge).to_have_text("Helpful")
    await not_helpful.click()
    await expect(badge).to_have_text("Not helpful")

    await inbox.view.get_by_test_id("close").click()
    await expect(inbox.status).to_have_text("Closed", ignore_case=True)
    csat = widget.page.locator(".fd-csat")
    await expect(csat).to_be_visible()
    await expect(csat).to_contain_text("How did we do?")
    four = csat.get_by_role("button", name="4 out of 5")
    await four.click()
    await expect(four).to_have_attribute("aria-pressed", "true")
    await expect(csat.locator(".fd-csat-note")).to_have_text("Thanks for your feedback!")
    await widget.tab.screenshot(artifacts, "widget-csat.png")

    rating = inbox.view.get_by_test_id("conv-csat")
    await expect(rating).to_have_attribute("data-score", "4")
    await expect(rating).to_contain_text("4/5")
    await inbox.tab.screenshot(artifacts, "inbox-feedback.png")

    # After a reload the widget still shows the rating given (not an unanswered question).
    await widget.page.reload()
    await expect(widget.launcher).to_be_visible()
    await widget.open()
    await expect(four).to_have_attribute("aria-pressed", "true")
    await expect(csat.locator(".fd-csat-note")).to_have_text("Thanks for your feedback!")
    assert widget.tab.errors == [] and inbox.tab.errors == []
