"""A financing question collects the visitor's details in the widget; the team sees the lead."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from e2e_support import Inbox, OpenTab, Widget
from playwright.async_api import expect

from support import ServerThread

MEMBER_EMAIL = "sam@ridgeline.test"
LEAD_FORM = {
    "name": "lead",
    "kind": "form",
    "title": "Leave your details and a finance specialist will call you",
    "fields": [
        {"name": "name", "type": "text", "required": True},
        {"name": "phone", "type": "phone", "required": True},
        {"name": "unit", "type": "text", "label": "Unit of interest"},
        {"name": "when", "type": "datetime", "label": "Preferred appointment time"},
    ],
}
RULES = {
    "topics": [
        {
            "name": "financing",
            "examples": ["what rate can I get", "monthly payment", "apply for a loan"],
            "collect": "lead",
            "priority": "high",
            "tags": ["financing"],
        }
    ]
}


async def test_the_visitor_fills_the_form_and_the_member_sees_the_lead_card(
    open_tab: OpenTab,
    host_page: str,
    server: ServerThread,
    client: httpx.Client,
    agent: dict[str, Any],
    member: httpx.Client,
    artifacts: Path,
) -> None:
    patched = client.patch(
        f"/api/v1/agents/{agent['id']}", json={"actions": [LEAD_FORM], "rules": RULES}
    )
    assert patched.status_code == 200, patched.text
    inbox = await Inbox.sign_in(open_tab, server, MEMBER_EMAIL)

    widget = await Widget.on(open_tab, host_page, agent["public_key"])
    await widget.open()
    await widget.ask("What would my monthly payment be on a new Ranger?")
    form = widget.page.locator('.fd-form[data-form="lead"]')
    await expect(form).to_have_attribute("data-state", "open")
    await expect(widget.ai.filter(has_text=LEAD_FORM["title"])).to_have_count(1)
    fields = {
        name: form.locator(f'.fd-field[data-field="{name}"]')
        for name in ("name", "phone", "unit", "when")
    }
    await expect(fields["phone"].locator("input")).to_have_attribute("type", "tel")
    await expect(fields["when"].locator("input")).to_have_attribute("type", "datetime-local")

    # Mistakes are explained next to each field; nothing is sent until they are fixed.
    await fields["phone"].locator("input").fill("555")
    await fields["when"].locator("input").fill("2020-05-01T10:00")
    await form.locator(".fd-form-send").click()
    await expect(fields["name"].locator(".fd-field-error")).to_have_text("Name is required.")
    await expect(fields["phone"].locator(".fd-field-error")).to_contain_text("phone number")
    await expect(fields["when"].locator(".fd-field-error")).to_contain_text("in the past")
    await expect(fields["name"].locator("input")).to_have_attribute("aria-invalid", "true")
    await expect(form).to_have_attribute("data-state", "open")

    later = (datetime.now() + timedelta(days=3)).replace(hour=10, minute=30)
    await fields["name"].locator("input").fill("Dana Reyes")
    await fields["phone"].locator("input").fill("218-555-0142")
    await fields["unit"].locator("input").fill("Ranger 1000")
    await fields["when"].locator("input").fill(later.strftime("%Y-%m-%dT%H:%M"))
    await form.locator(".fd-form-send").click()
    await expect(form).to_have_attribute("data-state", "sent")
    await expect(fields["phone"].locator(".fd-field-error")).to_be_hidden()
    await expect(widget.visitor.filter(has_text="Phone: 218-555-0142")).to_have_count(1)
    await expect(widget.status).to_have_text("Connecting you with a person…")
    await widget.tab.screenshot(artifacts, "widget-lead-form.png")

    conversation_id = await widget.conversation_id()
    item = inbox.item(conversation_id)
    await expect(item).to_have_attribute("data-status", "waiting")
    await inbox.open(conversation_id)
    card = inbox.view.get_by_test_id("lead-card")
    await expect(card).to_be_visible()
    rows = card.get_by_test_id("lead-field")
    await expect(rows).to_have_count(4)
    await expect(rows.filter(has_text="Name")).to_contain_text("Dana Reyes")
    await expect(card.locator('[data-name="phone"]')).to_contain_text("218-555-0142")
    await expect(card.locator('[data-name="unit"]')).to_contain_text("Ranger 1000")
    await expect(inbox.view.get_by_test_id("tag-name")).to_have_text(["financing"])
    await expect(inbox.view.get_by_test_id("priority-select")).to_have_value("high")
    await inbox.tab.screenshot(artifacts, "inbox-lead-card.png")
    assert widget.tab.errors == [] and inbox.tab.errors == []
