"""The widget on a customer's site and the team inbox, driven in a real browser (Chromium).

Each test gets its own server, agent "Ridgeline" (a Q&A source about service hours and
financing), customer site on another origin, and fresh browser contexts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from e2e_support import SEQ, TRACK_SOCKETS, Inbox, OpenTab, Widget, assert_unique_and_ordered
from playwright.async_api import expect

from support import ServerThread

SATURDAY = "When is the service department open on Saturday?"
FINANCING = "Do you offer financing?"
MEMBER_EMAIL = "sam@ridgeline.test"  # the `member` fixture creates Sam with this address
XSS = "<img src=x onerror=alert(1)>"
NOTE = "Internal: loyal customer, offer him the winter service discount."
NOTE_WORDS = "loyal customer"


def _api(member: httpx.Client, conversation_id: str, action: str, **body: Any) -> Any:
    """A team API call on the conversation, as the signed-in member Sam."""
    path = f"/api/v1/conversations/{conversation_id}/{action}"
    response = member.post(path, json=body) if body else member.post(path)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def test_visitor_talks_to_the_ai_then_to_a_person_and_back(
    open_tab: OpenTab,
    host_page: str,
    server: ServerThread,
    agent: dict[str, Any],
    member: httpx.Client,
    artifacts: Path,
) -> None:
    # Sam is signed in before anything happens, so the conversation can only arrive live.
    inbox = await Inbox.sign_in(open_tab, server, MEMBER_EMAIL)
    await inbox.page.evaluate("window.__notReloaded = true")
    await expect(inbox.items).to_have_count(0)

    widget = await Widget.on(open_tab, host_page, agent["public_key"])
    # The customer's hostile global CSS does not reach into the widget.
    await expect(widget.host).to_have_css("opacity", "1")
    await expect(widget.launcher).to_have_css("width", "58px")
    await widget.open()
    await expect(widget.input).to_be_visible()
    await expect(widget.panel).to_have_css("width", "370px")
    await expect(widget.input).to_have_css("font-size", "14px")
    await expect(widget.launcher).not_to_have_css("background-color", "rgb(255, 105, 180)")

    await expect(await widget.ask_ai(SATURDAY)).to_contain_text("9:00 to 14:00")
    answer = widget.ai.filter(has_text="9:00 to 14:00")
    source = answer.locator(".fd-cites").locator("a.fd-cite, .fd-cite-label").first
    # The visitor sees the source's label (the pair's question: the set kept its default
    # title "Q&A"), not "Q&A 1".
    await expect(source).to_have_text("When is the service department open?")
    conversation_id = await widget.conversation_id()

    await widget.handoff.click()
    await expect(widget.status).to_have_text("Connecting you with a person…")
    await expect(widget.handoff).to_be_hidden()

    item = inbox.item(conversation_id)
    await expect(item).to_have_attribute("data-status", "waiting")
    await inbox.open(conversation_id)
    await expect(inbox.text_of("visitor")).to_have_text(SATURDAY)
    await expect(inbox.by("ai").filter(has_text="9:00 to 14:00")).to_have_count(1)
    await expect(inbox.view.get_by_test_id("citation").first).to_be_visible()

    await inbox.view.get_by_test_id("takeover").click()
    await expect(inbox.status).to_have_text("human")
    await expect(item).to_have_attribute("data-status", "human")
    await expect(widget.status).to_be_hidden()
    # An internal note, then a reply: the visitor gets the reply and never the note.
    await inbox.reply(NOTE, private=True)
    reply = "Hi, Sam here. Saturday mornings are quiet, come any time after nine."
    await expect(await inbox.reply(reply)).to_have_attribute("data-author", "member")

    from_sam = widget.member.filter(has_text=reply)
    await expect(from_sam).to_have_count(1)
    await expect(from_sam.locator(".fd-author")).to_have_text("Sam")
    await expect(widget.messages.last).to_contain_text(reply)  # the same thread, at its end
    # The note was written first, so it would have reached the widget before the reply.
    await expect(widget.member).to_have_count(1)
    await expect(widget.panel).not_to_contain_text(NOTE_WORDS)
    await inbox.tab.screenshot(artifacts, "inbox-conversation.png")
    await widget.tab.screenshot(artifacts, "widget-host-page.png")

    await inbox.view.get_by_test_id("handback").click()
    await expect(inbox.status).to_have_text("bot")
    await expect(widget.handoff).to_be_visible()
    await expect(await widget.ask_ai(FINANCING)).to_contain_text("Summit Credit Union")
    await expect(inbox.by("ai").filter(has_text="Summit Credit Union")).to_have_count(1)

    assert await inbox.page.evaluate("window.__notReloaded") is True
    assert_unique_and_ordered(await widget.seqs())
    assert widget.tab.errors == [] and inbox.tab.errors == []


async def test_markup_in_messages_is_shown_as_text_in_the_widget_and_the_inbox(
    open_tab: OpenTab,
    host_page: str,
    server: ServerThread,
    agent: dict[str, Any],
    member: httpx.Client,
) -> None:
    widget = await Widget.on(open_tab, host_page, agent["public_key"])
    await widget.open()
    await widget.ask_ai(XSS)  # whatever the AI makes of it, the chat has settled
    mine = widget.visitor.filter(has_text=XSS)
    await expect(mine.locator(".fd-text")).to_have_text(XSS)
    await expect(mine.locator("img")).to_have_count(0)
    conversation_id = await widget.conversation_id()

    inbox = await Inbox.sign_in(open_tab, server, MEMBER_EMAIL)
    await inbox.open(conversation_id)
    await expect(inbox.text_of("visitor")).to_have_text(XSS)
    await expect(inbox.by("visitor").locator("img")).to_have_count(0)

    # Markup from the team side reaches the visitor as text as well.
    markup = "<b onmouseover=alert(2)>Hi</b><script>alert(3)</script>"
    await inbox.reply(markup)
    from_sam = widget.member.filter(has_text=markup)
    await expect(from_sam.locator(".fd-text")).to_have_text(markup)
    await expect(from_sam.locator("b, script, img")).to_have_count(0)
    await expect(inbox.text_of("member")).to_have_text(markup)
    await expect(inbox.item(conversation_id)).to_contain_text("<b onmouseover=alert(2)>")

    # Nothing the messages contain became an element: not in the widget, not in the inbox's
    # conversation view, not in its list (which previews the last message).
    elements = "img, b, script"
    await expect(widget.panel.locator(elements)).to_have_count(0)
    await expect(inbox.view.locator(elements)).to_have_count(0)
    await expect(inbox.page.get_by_test_id("conversation-list").locator(elements)).to_have_count(0)
    assert widget.tab.dialogs == [] and inbox.tab.dialogs == []
    assert widget.tab.errors == [] and inbox.tab.errors == []


async def test_the_history_survives_a_reload_of_the_host_page(
    open_tab: OpenTab, host_page: str, agent: dict[str, Any], member: httpx.Client
) -> None:
    widget = await Widget.on(open_tab, host_page, agent["public_key"])
    await widget.open()
    await expect(await widget.ask_ai(SATURDAY)).to_contain_text("9:00 to 14:00")
    conversation_id = await widget.conversation_id()
    _api(member, conversation_id, "messages", text=NOTE, private=True)
    _api(member, conversation_id, "messages", text="Sam here: see you on Saturday!")
    await expect(widget.member).to_have_count(1)
    before = await widget.shown()
    assert [author for _, author, _ in before] == ["visitor", "ai", "member"]

    await widget.page.reload()
    await expect(widget.launcher).to_be_visible()
    await expect(widget.messages).to_have_count(len(before))
    await expect(widget.host).to_have_attribute("data-connection", "open")
    # A message sent now arrives behind anything the socket replays on connect.
    _api(member, conversation_id, "messages", text="Anything else I can do?")
    await expect(widget.member.filter(has_text="Anything else I can do?")).to_have_count(1)
    after = await widget.shown()
    assert after[: len(before)] == before, (before, after)
    assert len(after) == len(before) + 1
    assert_unique_and_ordered([seq for seq, _, _ in after])
    assert NOTE not in [text for _, _, text in after]  # nor does history bring internal notes

    await widget.open()
    await expect(widget.messages.first).to_be_visible()
    await expect(widget.handoff).to_be_hidden()  # a person has the chat: the state came back too
    assert widget.tab.errors == []


async def test_messages_missed_while_disconnected_arrive_exactly_once(
    open_tab: OpenTab, host_page: str, agent: dict[str, Any], member: httpx.Client
) -> None:
    widget = await Widget.on(open_tab, host_page, agent["public_key"], init_script=TRACK_SOCKETS)
    await widget.open()
    await expect(await widget.ask_ai(SATURDAY)).to_contain_text("9:00 to 14:00")
    await expect(widget.host).to_have_attribute("data-connection", "open")
    conversation_id = await widget.conversation_id()

    # The connection drops and stays down: no socket, no HTTP.
    await widget.tab.context.set_offline(True)
    assert await widget.drop_sockets() == 1
    await expect(widget.host).to_have_attribute("data-connection", "connecting")
    missed = "Sam here: we also have a loaner sled if you need one."
    _api(member, conversation_id, "messages", text=missed)
    offline_question = "Can I bring it in at 9?"
    await widget.input.fill(offline_question)
    await widget.send_button.click()
    pending = widget.visitor.filter(has_text=offline_question)
    await expect(pending).to_have_attribute("data-state", re.compile("sending|retrying"))
    await expect(widget.member).to_have_count(0)  # offline: it cannot have arrived

    await widget.tab.context.set_offline(False)
    await expect(widget.member.filter(has_text=missed)).to_have_count(1)
    await expect(pending).to_have_attribute("data-seq", SEQ)
    await expect(pending).not_to_have_attribute("data-state", re.compile("."))
    await expect(widget.host).to_have_attribute("data-connection", "open")
    # A message sent now arrives behind anything replayed or fetched on reconnect.
    _api(member, conversation_id, "messages", text="See you at 9!")
    await expect(widget.member.filter(has_text="See you at 9!")).to_have_count(1)

    shown = await widget.shown()
    assert_unique_and_ordered([seq for seq, _, _ in shown])
    assert [text for _, _, text in shown].count(missed) == 1
    assert [text for _, _, text in shown].count(offline_question) == 1
    stored = member.get(f"/api/v1/conversations/{conversation_id}").json()["messages"]
    assert [m["text"] for m in stored].count(offline_question) == 1  # retried, stored once
    assert widget.tab.errors == []


async def test_the_widget_works_at_360_px_and_by_keyboard(
    open_tab: OpenTab, host_page: str, agent: dict[str, Any], artifacts: Path
) -> None:
    width, height = 360, 740
    widget = await Widget.on(open_tab, host_page, agent["public_key"], width=width, height=height)
    keyboard = widget.page.keyboard

    await widget.launcher.focus()
    await expect(widget.launcher).to_be_focused()
    await keyboard.press("Enter")
    await expect(widget.panel).to_have_attribute("data-open", "true")
    await expect(widget.input).to_be_focused()
    # Measure the panel where it comes to rest, not while it pops open.
    await widget.panel.evaluate("el => Promise.all(el.getAnimations().map(a => a.finished))")
    box = await widget.panel.bounding_box()
    assert box is not None
    assert box["width"] <= width and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, box
    for part in (widget.close_button, widget.handoff, widget.input, widget.send_button):
        await expect(part).to_be_in_viewport(ratio=1)

    await keyboard.type(SATURDAY)
    await keyboard.press("Enter")
    await expect(widget.visitor.filter(has_text=SATURDAY)).to_have_attribute("data-seq", SEQ)
    await expect(widget.input).to_have_value("")
    answer = widget.ai.filter(has_text="9:00 to 14:00")
    await expect(answer).to_have_count(1)
    await expect(answer).to_be_in_viewport()
    await widget.tab.screenshot(artifacts, "widget-360px.png")

    await keyboard.press("Escape")
    await expect(widget.panel).to_have_attribute("data-open", "false")
    await expect(widget.panel).to_be_hidden()
    await expect(widget.launcher).to_be_focused()
    await keyboard.press("Enter")
    await expect(widget.panel).to_be_visible()
    await expect(answer).to_be_visible()
    assert widget.tab.errors == []
