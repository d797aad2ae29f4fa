"""A model's reply written live in the widget and the inbox, and a take-over that stops it.

The agent answers through tests/openai_server.py (the packaged SmolLM2 behind a real
OpenAI-compatible endpoint), slowed down as a busy endpoint is, so the reply takes seconds.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from e2e_support import Inbox, OpenTab, Widget
from playwright.async_api import expect

from app_fixtures import Accounts
from frontdesk.conversations.responder import DISCARDED
from openai_server import OpenAIServer, answer_through
from support import ServerThread

MEMBER_EMAIL = "sam@ridgeline.test"  # the `member` fixture creates Sam with this address
QUESTION = "When is the service department open?"


async def test_the_reply_is_written_live_and_a_take_over_stops_it(
    open_tab: OpenTab,
    host_page: str,
    server: ServerThread,
    client: httpx.Client,
    accounts: Accounts,
    agent: dict[str, Any],
    member: httpx.Client,
    openai_server: OpenAIServer,
    artifacts: Path,
) -> None:
    # Sync calls (the Accounts helper runs its own event loop): off this test's loop.
    await asyncio.to_thread(answer_through, client, accounts, agent, openai_server, max_tokens=64)
    openai_server.behaviour.pace_s = 0.4  # about 25 s for the whole reply
    inbox = await Inbox.sign_in(open_tab, server, MEMBER_EMAIL)
    widget = await Widget.on(open_tab, host_page, agent["public_key"])
    await widget.open()
    await widget.ask(QUESTION)

    # The visitor watches the reply grow in a draft bubble.
    draft = widget.page.locator('.fd-msg[data-state="draft"] .fd-text')
    await expect(draft).not_to_have_text("")
    first = await draft.text_content()
    await expect(draft).not_to_have_text(first or "")
    grown = await draft.text_content() or ""
    assert grown.startswith(first or "") and len(grown) > len(first or "")
    await widget.tab.screenshot(artifacts, "stream-widget-draft.png")

    # The team watches the same reply being written.
    conversation_id = await widget.conversation_id()
    await inbox.open(conversation_id)
    team_draft = inbox.view.get_by_test_id("draft-text")
    await expect(team_draft).to_be_visible()
    seen = await team_draft.text_content() or ""
    await expect(team_draft).not_to_have_text(seen)
    await inbox.tab.screenshot(artifacts, "stream-inbox-draft.png")

    # Sam takes over: the model stops, the draft is gone on both sides, and no AI reply is
    # ever stored; the team gets a note.
    await inbox.view.get_by_test_id("takeover").click()
    await expect(inbox.status).to_have_text("human")
    assert await asyncio.to_thread(openai_server.stream_cut.wait, 30)
    await expect(inbox.view.get_by_test_id("draft")).to_be_hidden()
    await expect(inbox.by("system").filter(has_text=DISCARDED)).to_have_count(1)
    await expect(widget.page.locator('.fd-msg[data-state="draft"]')).to_have_count(0)
    await expect(widget.ai).to_have_count(0)
    await expect(inbox.by("ai")).to_have_count(0)
    await widget.tab.screenshot(artifacts, "stream-widget-taken-over.png")
    await inbox.tab.screenshot(artifacts, "stream-inbox-taken-over.png")
    assert not widget.tab.errors and not inbox.tab.errors
