"""The widget as a visitor on a phone (390 px) finds it: waiting, closing, rating, sources."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_support import Inbox, OpenTab, Widget
from playwright.async_api import Locator, expect

from app_fixtures import Accounts
from frontdesk.conversations.waiting import LEAVE_DETAILS, WAIT_ACK
from httpserver import LocalSite
from support import ServerThread, wait_for_source

PHONE = {"width": 390, "height": 844}
WAIT_S = 5
LEAD_FORM = {
    "name": "lead",
    "kind": "form",
    "title": "Leave your details and we will call you back",
    "fields": [
        {"name": "name", "type": "text", "required": True},
        {"name": "phone", "type": "phone", "required": True},
    ],
}


@pytest.fixture
def admin(accounts: Accounts) -> None:
    """An admin, who may change the agent's settings (a sync fixture: Accounts runs its own
    event loop)."""
    accounts.member("ada@ridgeline.test", role="admin", name="Ada")


async def _history(widget: Widget, server: ServerThread) -> list[dict[str, Any]]:
    """What the server shows this visitor, read with the widget's own token."""
    saved = await widget.page.evaluate(
        "key => localStorage.getItem(key)", f"frontdesk:{widget.public_key}"
    )
    conv = json.loads(saved)
    response = httpx.get(
        f"{server.url}/api/v1/widget/conversations/{conv['id']}/messages",
        headers={"X-Visitor-Token": conv["visitor_token"]},
    )
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = response.json()["messages"]
    return messages


def _at(message: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(message["created_at"])


async def test_a_waiting_visitor_hears_once_then_gets_the_offline_form(
    open_tab: OpenTab,
    host_page: str,
    server: ServerThread,
    agent: dict[str, Any],
    client: httpx.Client,
    admin: None,
    artifacts: Path,
) -> None:
    # The form to offer comes with the agent file; the wait is set on the agent's settings page.
    patched = client.patch(
        f"/api/v1/agents/{agent['id']}", json={"actions": [LEAD_FORM], "rules": {"collect": "lead"}}
    )
    assert patched.status_code == 200, patched.text
    inbox = await Inbox.sign_in(open_tab, server, "ada@ridgeline.test", width=1400, height=900)
    await inbox.page.goto(f"{server.url}/inbox#/agents/{agent['id']}/settings")
    wait = inbox.page.get_by_test_id("agent-handoff_wait_s")
    await expect(wait).to_have_value("180")
    await wait.fill("2")
    await inbox.page.get_by_test_id("settings-save").click()
    await expect(inbox.page.get_by_test_id("error-handoff_wait_s")).to_contain_text(
        "greater than or equal to 5"
    )
    await wait.fill(str(WAIT_S))
    await inbox.page.get_by_test_id("settings-save").click()
    await expect(inbox.page.get_by_test_id("settings-saved")).to_have_text("Saved.")
    assert client.get(f"/api/v1/agents/{agent['id']}").json()["handoff_wait_s"] == WAIT_S
    widget = await Widget.on(open_tab, host_page, agent["public_key"], **PHONE)
    await widget.open()

    answer = await widget.ask_ai("When is the service department open on Saturday?")
    await expect(answer).to_contain_text("9:00")
    thumbs = widget.ai.last.locator(".fd-rate-btn")
    await expect(thumbs).to_have_count(2)
    for button in await thumbs.all():
        await expect(button.locator("svg path").first).to_be_attached()
        assert (await button.text_content() or "").strip() == ""  # no emoji glyphs

    await widget.handoff.click()
    await expect(widget.status).to_have_text("Connecting you with a person\u2026")
    handoff_message = widget.ai.filter(has_text=agent["handoff_message"])
    await expect(handoff_message).to_have_count(1)
    await expect(handoff_message.locator(".fd-rate")).to_have_count(0)  # canned: no thumbs
    await expect(widget.handoff).to_be_hidden()

    ack = widget.ai.filter(has_text=WAIT_ACK)
    await widget.ask("Hello? Is anyone there?")
    await expect(ack).to_have_count(1)
    await expect(ack.locator(".fd-rate")).to_have_count(0)
    await widget.ask("I'd like to book a test ride on Saturday.")
    # The second message's write has committed: had it been acknowledged, the server says so.
    assert [m["text"] for m in await _history(widget, server)].count(WAIT_ACK) == 1
    await expect(ack).to_have_count(1)

    notice = widget.ai.filter(has_text=LEAVE_DETAILS)
    await expect(notice).to_have_count(1)
    forms = widget.page.locator(".fd-form")
    await expect(forms.last).to_have_attribute("data-state", "open")
    await expect(forms.first).to_have_attribute("data-state", "closed")  # the one at handoff
    await expect(notice.locator(".fd-rate")).to_have_count(0)
    shown = await _history(widget, server)
    [handed] = [m for m in shown if m["text"] == agent["handoff_message"]]
    [timed_out] = [m for m in shown if m["text"] == LEAVE_DETAILS]
    assert (_at(timed_out) - _at(handed)).total_seconds() >= WAIT_S
    await widget.page.locator(".fd-log").evaluate("log => { log.scrollTop = log.scrollHeight; }")
    await widget.tab.screenshot(artifacts, "widget-390-offline-form.png")

    # A reload shows the same thread: one acknowledgement, one notice, the form still open.
    await widget.page.reload()
    await expect(widget.launcher).to_be_visible()
    await widget.open()
    await expect(notice).to_have_count(1)
    await expect(ack).to_have_count(1)
    await expect(forms.last).to_have_attribute("data-state", "open")
    await forms.last.locator('input[name="name"]').fill("Ada Lovelace")
    await forms.last.locator('input[name="phone"]').fill("+1 218 555 0100")
    await forms.last.locator(".fd-form-send").click()
    await expect(forms.last).to_have_attribute("data-state", "sent")
    assert widget.tab.errors == [] and inbox.tab.errors == []


async def _box(locator: Locator) -> dict[str, float]:
    box = await locator.bounding_box()
    assert box is not None
    return dict(box)


async def test_after_closing_the_last_message_stays_in_view_and_no_person_is_offered(
    open_tab: OpenTab,
    host_page: str,
    server: ServerThread,
    agent: dict[str, Any],
    client: httpx.Client,
    artifacts: Path,
) -> None:
    widget = await Widget.on(open_tab, host_page, agent["public_key"], **PHONE)
    await widget.open()
    for question in (
        "When is the service department open on Saturday?",
        "Do you offer financing?",
        "When is the service department open on Tuesday?",
    ):
        await widget.ask_ai(question)
    await widget.handoff.click()
    await expect(widget.status).to_be_visible()
    conversation_id = await widget.conversation_id()
    last_words = "Thanks for chatting with Ridgeline! Ride safe and see you on the trail."
    reply = client.post(f"/api/v1/conversations/{conversation_id}/messages", json={"text": "Hi"})
    assert reply.status_code == 201, reply.text
    reply = client.post(
        f"/api/v1/conversations/{conversation_id}/messages", json={"text": last_words}
    )
    assert reply.status_code == 201, reply.text
    await expect(widget.member.filter(has_text=last_words)).to_have_count(1)
    closed = client.post(f"/api/v1/conversations/{conversation_id}/close")
    assert closed.status_code == 200, closed.text

    csat = widget.page.locator(".fd-csat")
    await expect(csat).to_be_visible()
    await expect(widget.handoff).to_be_hidden()
    last = widget.member.filter(has_text=last_words).locator(".fd-text")
    await expect(last).to_be_in_viewport()
    message, card = await _box(last), await _box(csat)
    log = await _box(widget.page.locator(".fd-log"))
    assert message["y"] + message["height"] <= card["y"], (message, card)
    assert (
        message["y"] >= log["y"] and message["y"] + message["height"] <= log["y"] + log["height"]
    ), (message, log)
    await widget.tab.screenshot(artifacts, "widget-390-closed.png")

    # Writing again reopens the chat with the AI: a person can be asked for again.
    await widget.ask_ai("One more thing: what financing terms do you have?")
    await expect(csat).to_be_hidden()
    await expect(widget.handoff).to_be_visible()
    assert widget.tab.errors == []


async def test_sources_are_named_as_a_visitor_reads_them(
    open_tab: OpenTab,
    host_page: str,
    local_site: LocalSite,
    server: ServerThread,
    agent: dict[str, Any],
    client: httpx.Client,
    artifacts: Path,
) -> None:
    page_url = local_site.add(
        "/rentals.html",
        "<html><head><title>Trail rentals | Ridgeline Powersports, Duluth MN</title></head>"
        "<body><main><h1>Trail rentals</h1><h2>Deposits</h2>"
        "<p>Snowmobile rentals need a refundable security deposit of $500 per machine, "
        "held on a credit card until the machine comes back.</p></main></body></html>",
    )
    allowed = client.put("/api/v1/workspace/allowed-hosts", json={"hosts": [local_site.host]})
    assert allowed.status_code == 200, allowed.text
    web = client.post(f"/api/v1/agents/{agent['id']}/sources/urls", json={"url": page_url})
    upload = client.post(
        f"/api/v1/agents/{agent['id']}/sources/files",
        files={
            "file": (
                "trailer_hitch_guide.md",
                b"# Trailer hitch guide\n\n## Hitch sizes\n\nEvery rental trailer takes a "
                b"2-inch ball hitch rated for 3,500 pounds; we install hitches for $180.\n",
                "text/markdown",
            )
        },
    )
    assert web.status_code == 202 and upload.status_code == 202, (web.text, upload.text)
    for source_id in (web.json()["id"], upload.json()[0]["id"]):
        assert wait_for_source(client, source_id)["status"] == "ready"
    widget = await Widget.on(open_tab, host_page, agent["public_key"], **PHONE)
    await widget.open()

    await widget.ask_ai("How much is the security deposit for a snowmobile rental?")
    cites = widget.ai.last.locator(".fd-cites li")
    await expect(cites).to_have_count(1)
    link = cites.locator("a.fd-cite")
    await expect(link).to_have_text("Trail rentals \u2014 Deposits")
    await expect(link).to_have_attribute("href", page_url)
    await expect(link).to_have_attribute("rel", "noopener noreferrer")
    await expect(link).to_have_attribute("target", "_blank")

    await widget.ask_ai("What size ball hitch do rental trailers take?")
    cite = widget.ai.last.locator(".fd-cites li")
    await expect(cite).to_have_count(1)
    await expect(cite).to_have_text("Trailer hitch guide \u2014 Hitch sizes")
    await expect(cite.locator("a")).to_have_count(0)  # a file has no web address
    labels = await widget.page.locator(".fd-cites li").all_text_contents()
    assert not any(".md" in label or "Knowledge gap" in label for label in labels), labels
    await widget.tab.screenshot(artifacts, "widget-390-sources.png")
    assert widget.tab.errors == []
