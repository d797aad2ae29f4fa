"""An inbox for many open chats: visitors named in the list, search by a lead's phone number
with the match marked, and triage with the keyboard alone. Screenshots at 1400x900."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_support import HeldRequest, Inbox, OpenTab
from playwright.async_api import expect

from app_fixtures import Accounts
from support import ServerThread, wait_until

MEMBER_EMAIL = "sam@ridgeline.test"
LEAD_FORM = {
    "name": "lead",
    "kind": "form",
    "title": "Leave your details",
    "fields": [
        {"name": "name", "type": "text"},
        {"name": "phone", "type": "phone", "required": True},
    ],
}


async def _sign_in(open_tab: OpenTab, server: ServerThread, email: str = MEMBER_EMAIL) -> Inbox:
    return await Inbox.sign_in(open_tab, server, email, width=1400, height=900)


def _give_lead(client: httpx.Client, agent: dict[str, Any], visitor: Any, **values: str) -> None:
    settings = {"actions": [LEAD_FORM], "rules": {"collect": "lead"}}
    assert client.patch(f"/api/v1/agents/{agent['id']}", json=settings).status_code == 200
    visitor.handoff()
    wait_until(
        lambda: any(m["event"] == "form" for m in visitor.history()["messages"]),
        timeout=30,
        what="the form",
    )
    submitted = visitor.http.post(
        f"/api/v1/widget/conversations/{visitor.id}/forms/lead", json={"values": values}
    )
    assert submitted.status_code == 200, submitted.text


class _Started:
    def __init__(self, conversation_id: str):
        self.id = conversation_id


def _on_page(server: ServerThread, agent: dict[str, Any], page_url: str) -> _Started:
    """A conversation started from a page of the site, handed to a person."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        started = http.post(
            f"/api/v1/widget/{agent['public_key']}/conversations", json={"page_url": page_url}
        )
        assert started.status_code == 201, started.text
        body = started.json()
        http.headers["X-Visitor-Token"] = body["visitor_token"]
        assert http.post(f"/api/v1/widget/conversations/{body['id']}/handoff").status_code == 200
    return _Started(body["id"])


async def test_search_finds_a_conversation_by_the_leads_phone_number(
    open_tab: OpenTab,
    server: ServerThread,
    member: httpx.Client,
    client: httpx.Client,
    agent: dict[str, Any],
    visitors,
    artifacts: Path,
) -> None:
    dana, other = visitors(), visitors()
    other.send("Do you service snowmobiles? Call me at 218 555 0199")
    quiet = _on_page(server, agent, "https://ridgeline.test/inventory/grizzly-700")
    _give_lead(client, agent, dana, name="Dana Reyes", phone="(218) 555-0142")

    inbox = await _sign_in(open_tab, server)
    page = inbox.page
    await expect(inbox.item(dana.id).get_by_test_id("item-name")).to_have_text("Dana Reyes")
    await expect(inbox.item(quiet.id).get_by_test_id("item-name")).to_have_text(
        re.compile(r"^Visitor \d{4}$")
    )
    await expect(inbox.item(quiet.id).get_by_test_id("item-page")).to_have_text(
        "ridgeline.test/inventory/grizzly-700"
    )
    await inbox.tab.screenshot(artifacts, "inbox-list-named.png")
    search = page.get_by_test_id("search-input")
    await search.fill("2185550142")
    results = page.get_by_test_id("search-result")
    await expect(results).to_have_count(1)
    await expect(results.first).to_have_attribute("data-id", dana.id)
    marks = results.first.locator("mark")
    await expect(marks).to_have_text(["218) 555-0142"])
    await expect(page.get_by_test_id("conversation-list")).to_be_hidden()
    await inbox.tab.screenshot(artifacts, "inbox-search.png")

    # A visitor's own words are found too; a script in the query stays text.
    await search.fill("555 0199")
    await expect(results.first).to_have_attribute("data-id", other.id)
    await expect(results).to_have_count(1)
    await expect(results.first.locator("mark")).to_have_text(["555", "0199"])
    await search.fill("<img src=x onerror=alert(1)>")
    await expect(page.get_by_test_id("search-results").get_by_role("link")).to_have_count(0)
    # Markup in a message is shown as text around the <mark>, never parsed.
    other.send('<img src=x onerror="document.title=1"> snowmobile <b>studs</b>?')
    await search.fill("studs")
    await expect(results.first.locator("mark")).to_have_text(["studs"])
    hit = results.first.get_by_test_id("search-hit-text")
    await expect(hit).to_have_text(
        '<img src=x onerror="document.title=1"> snowmobile <b>studs</b>?'
    )
    await expect(hit.locator("mark")).to_have_text(["studs"])
    await expect(results.first.locator("img, b")).to_have_count(0)

    await search.fill("555-0142")
    await expect(results).to_have_count(1)
    await expect(results.first).to_have_attribute("data-id", dana.id)
    await results.first.click()
    await expect(inbox.view).to_have_attribute("data-id", dana.id)
    await _check_conversation_layout(inbox, artifacts)
    await search.press("Escape")
    await expect(page.get_by_test_id("conversation-list")).to_be_visible()
    await expect(inbox.items).to_have_count(3)
    assert inbox.tab.dialogs == [] and inbox.tab.errors == []


async def _check_conversation_layout(inbox: Inbox, artifacts: Path) -> None:
    """The thread gets most of the pane; summary, lead card and visitor sit beside it."""
    view = inbox.view
    side = view.get_by_test_id("conv-side")
    await expect(side.get_by_test_id("lead-card")).to_contain_text("(218) 555-0142")
    await expect(side.get_by_test_id("visitor-name")).to_contain_text("Dana Reyes")
    await expect(view.locator(".conv-title")).to_have_text("Dana Reyes")
    wants = side.get_by_test_id("summary-wants")
    await expect(wants).to_be_visible()
    await inbox.tab.screenshot(artifacts, "inbox-conversation.png")
    thread = await view.locator(".messages").bounding_box()
    pane = await view.bounding_box()
    assert thread and pane and thread["height"] >= 0.6 * pane["height"], (thread, pane)
    await side.get_by_test_id("summary-toggle").click()
    await expect(wants).to_be_hidden()
    await side.get_by_test_id("summary-toggle").press("Enter")
    await expect(wants).to_be_visible()


async def test_keyboard_only_triage_of_three_conversations(
    open_tab: OpenTab,
    server: ServerThread,
    member: httpx.Client,
    visitors,
    artifacts: Path,
) -> None:
    waiting = [visitors() for _ in range(3)]
    for visitor in waiting:
        assert visitor.handoff().status_code == 200
    inbox = await _sign_in(open_tab, server)
    page = inbox.page
    await expect(inbox.items).to_have_count(3)

    await page.keyboard.press("?")
    help_dialog = page.get_by_test_id("shortcuts-help")
    await expect(help_dialog).to_be_visible()
    await expect(help_dialog).to_contain_text("Take over")
    await inbox.tab.screenshot(artifacts, "inbox-shortcuts.png")
    await page.keyboard.press("Escape")
    await expect(help_dialog).to_be_hidden()

    focused = page.locator("a.conv-item:focus")
    handled: list[str] = []
    for n in range(3):
        await page.keyboard.press("j")
        await expect(focused).to_have_count(1)
        conversation_id = await focused.get_attribute("data-id")
        assert conversation_id and conversation_id not in handled
        await page.keyboard.press("Enter")
        await expect(inbox.view).to_have_attribute("data-id", conversation_id)
        await page.keyboard.press("Escape")  # the composer has focus after opening
        await expect(focused).to_have_attribute("data-id", conversation_id)
        await page.keyboard.press("t")
        await expect(inbox.status).to_have_text("human")
        await page.keyboard.press("r")
        await expect(inbox.composer).to_be_focused()
        await page.keyboard.type(f"Hi, this is Sam ({n + 1})")
        await page.keyboard.press("Enter")
        await expect(inbox.by("member")).to_have_count(1)
        await expect(inbox.composer).to_have_value("")
        await page.keyboard.press("Escape")
        await page.keyboard.press("c")
        await expect(inbox.status).to_have_text("closed")
        await expect(inbox.item(conversation_id)).to_have_count(0)
        handled.append(conversation_id)
    assert sorted(handled) == sorted(v.id for v in waiting)
    for visitor in waiting:
        texts = [m["text"] for m in visitor.history()["messages"] if m["author"] == "member"]
        assert len(texts) == 1 and texts[0].startswith("Hi, this is Sam")
        detail = member.get(f"/api/v1/conversations/{visitor.id}").json()
        assert detail["conversation"]["status"] == "closed"
    assert inbox.tab.dialogs == [] and inbox.tab.errors == []


async def test_what_a_member_types_while_a_reply_is_sending_stays(
    open_tab: OpenTab, server: ServerThread, member: httpx.Client, visitors
) -> None:
    walk_in = visitors()
    assert walk_in.handoff().status_code == 200
    inbox = await _sign_in(open_tab, server)
    await inbox.open(walk_in.id)
    held = await HeldRequest.on(inbox.page, f"**/api/v1/conversations/{walk_in.id}/messages")
    await inbox.composer.fill("Hi, Sam here.")
    await inbox.composer.press("Enter")
    await held.wait_sent()  # the reply is on its way, held
    await inbox.composer.fill("The Glacier 850 is in st")
    held.release()

    await expect(inbox.text_of("member")).to_have_text(["Hi, Sam here."])
    await expect(inbox.composer).to_have_value("The Glacier 850 is in st")
    assert inbox.tab.errors == []


async def test_a_saved_reply_is_inserted_by_its_shortcut(
    open_tab: OpenTab,
    server: ServerThread,
    member: httpx.Client,
    client: httpx.Client,
    agent: dict[str, Any],
    visitors,
    artifacts: Path,
) -> None:
    for reply in (
        {
            "shortcut": "financing",
            "title": "Financing options",
            "text": "Hi {visitor.name}, {agent.name} here: we finance from 3.9% APR.",
        },
        {"shortcut": "final-offer", "title": "Final offer", "text": "Our best price: $9,999."},
        {"shortcut": "hours", "title": "Opening hours", "text": "We open at 9."},
    ):
        assert client.post("/api/v1/saved-replies", json=reply).status_code == 201
    earlier, dana = visitors(), visitors()
    _give_lead(client, agent, earlier, name="Dana", phone="2185550142")
    _give_lead(client, agent, dana, name="Dana Reyes", phone="218-555-0142")

    inbox = await _sign_in(open_tab, server)
    await inbox.open(dana.id)
    # The visitor panel links the conversation she had before (same phone number).
    related = inbox.view.get_by_test_id("related-item")
    await expect(related).to_have_count(1)
    await expect(related).to_have_attribute("data-id", earlier.id)
    composer = inbox.composer
    await composer.press_sequentially("/fin")
    options = inbox.view.get_by_test_id("reply-option")
    await expect(options).to_have_count(2)
    await expect(options.first).to_have_attribute("data-shortcut", "final-offer")
    await inbox.tab.screenshot(artifacts, "inbox-saved-reply.png")
    await composer.press("ArrowDown")
    await expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    await composer.press("Enter")  # inserts; does not send
    expected = "Hi Dana Reyes, Sam here: we finance from 3.9% APR."
    await expect(composer).to_have_value(expected)
    await expect(options).to_have_count(0)
    await composer.press("Enter")
    await expect(inbox.text_of("member")).to_have_text([expected])
    texts = [m["text"] for m in dana.history()["messages"] if m["author"] == "member"]
    assert texts == [expected]

    # Mid-sentence too, and Escape closes the suggestions without leaving the composer.
    await composer.press_sequentially("Also /hou")
    await expect(options).to_have_count(1)
    await composer.press("Escape")
    await expect(options).to_have_count(0)
    await expect(composer).to_be_focused()
    await composer.press("Tab")
    await expect(composer).to_have_value("Also /hou")
    assert inbox.tab.errors == []


@pytest.fixture
def admin_email(accounts: Accounts) -> str:
    accounts.member("alex@ridgeline.test", role="admin", name="Alex")
    return "alex@ridgeline.test"


async def test_an_admin_manages_saved_replies_on_their_page(
    open_tab: OpenTab,
    server: ServerThread,
    admin_email: str,
    member: httpx.Client,
    artifacts: Path,
) -> None:
    admin = await _sign_in(open_tab, server, admin_email)
    page = admin.page
    await page.get_by_test_id("nav-replies").click()
    form = page.get_by_test_id("reply-add-form")
    await form.get_by_test_id("reply-shortcut").fill("/Trade-In")
    await form.get_by_test_id("reply-title").fill("Trade-in appraisal")
    await form.get_by_test_id("reply-text").fill("Hi {visitor.first}, bring the title.")
    await form.get_by_test_id("reply-add").click()
    await expect(page.get_by_test_id("replies-error")).to_contain_text("unknown variable")
    await expect(form.get_by_test_id("reply-text")).to_have_attribute("aria-invalid", "true")
    await form.get_by_test_id("reply-text").fill("Hi {visitor.name}, bring the title.")
    await form.get_by_test_id("reply-add").click()
    rows = page.get_by_test_id("reply-row")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-shortcut", "trade-in")
    await expect(form.get_by_test_id("reply-text")).to_have_value("")
    await admin.tab.screenshot(artifacts, "saved-replies-page.png")
    await rows.first.get_by_test_id("reply-title").fill("Trade-ins")
    await rows.first.get_by_test_id("reply-save").click()
    await expect(page.get_by_test_id("reply-list")).not_to_have_attribute("aria-busy", "true")

    def saved() -> list[tuple[str, str]] | None:
        listed = member.get("/api/v1/saved-replies").json()["replies"]
        found = [(r["shortcut"], r["title"]) for r in listed]
        return found if found == [("trade-in", "Trade-ins")] else None

    wait_until(saved, timeout=10, what="the renamed reply")
    await expect(page.get_by_test_id("replies-error")).to_be_hidden()
    await rows.first.get_by_test_id("reply-delete").click()
    await rows.first.get_by_test_id("reply-delete-confirm").click()
    await expect(rows).to_have_count(0)
    assert admin.tab.errors == []

    # A member (role agent) reads the library but has no form.
    agent_tab = await _sign_in(open_tab, server)
    await agent_tab.page.get_by_test_id("nav-replies").click()
    await expect(agent_tab.page.get_by_text("No saved replies yet.")).to_be_visible()
    await expect(agent_tab.page.get_by_test_id("reply-add-form")).to_have_count(0)
