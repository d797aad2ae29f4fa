"""Page objects for the browser tests: the widget on a host page and the team inbox."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import BrowserContext, Locator, Page, Route, expect

from app_fixtures import PASSWORD
from support import ServerThread

SEQ = re.compile(r"^[1-9][0-9]*$")  # a message the server has stored


class HeldRequest:
    """Holds the page's first request of ``method`` to ``url`` on the network until
    ``release()``: what the page does while a save (or a load) is still on its way."""

    def __init__(self, method: str, answered: bool) -> None:
        self.method, self.answered = method, answered
        self.sent, self._release = asyncio.Event(), asyncio.Event()

    @classmethod
    async def on(
        cls, page: Page, url: str, method: str = "POST", *, answered: bool = False
    ) -> HeldRequest:
        """``answered``: the server answers at once and the answer is what is held (a
        response from before what the page does meanwhile, arriving after it)."""
        held = cls(method, answered)
        await page.route(url, held._route)
        return held

    async def _route(self, route: Route) -> None:
        if route.request.method != self.method or self.sent.is_set():
            await route.continue_()
            return
        answer = await route.fetch() if self.answered else None
        self.sent.set()
        await self._release.wait()
        if answer is None:
            await route.continue_()
        else:
            await route.fulfill(response=answer)

    async def wait_sent(self) -> None:
        await asyncio.wait_for(self.sent.wait(), 20)

    def release(self) -> None:
        self._release.set()


# An init script that keeps every WebSocket the page opens, so a test can cut them: going
# offline (BrowserContext.set_offline) stops new connections but leaves open sockets up.
TRACK_SOCKETS = """(() => {
  const Native = window.WebSocket;
  const sockets = [];
  window.__e2eDropSockets = () => {
    const open = sockets.filter((s) => s.readyState <= Native.OPEN);
    open.forEach((s) => s.close(4000, 'e2e: connection dropped'));
    return open.length;
  };
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      sockets.push(this);
    }
  };
})();"""


@dataclass
class Tab:
    """A page in a browser context of its own, with what it reported while the test ran."""

    context: BrowserContext
    page: Page
    dialogs: list[str] = field(default_factory=list)  # messages of alert()/confirm()/prompt()
    errors: list[str] = field(default_factory=list)  # uncaught exceptions in the page

    async def screenshot(self, folder: Path, name: str) -> Path:
        path = folder / name
        await self.page.screenshot(path=str(path))
        assert path.stat().st_size > 0
        return path


OpenTab = Callable[..., Awaitable[Tab]]


class Widget:
    """The chat widget on a host page. Playwright's CSS selectors pierce its open shadow root."""

    def __init__(self, tab: Tab, public_key: str):
        self.tab = tab
        self.page = page = tab.page
        self.public_key = public_key
        self.host = page.locator("frontdesk-widget")
        self.launcher = page.locator("button.fd-launcher")
        self.panel = page.locator(".fd-panel")
        self.close_button = page.locator("button.fd-close")
        self.input = page.locator("textarea.fd-input")
        self.send_button = page.locator("button.fd-send")
        self.handoff = page.locator("button.fd-handoff")
        self.status = page.locator(".fd-status")
        self.error = page.locator(".fd-error")
        self.greeting = page.locator(".fd-msg.fd-greeting")
        self.messages = page.locator(".fd-msg:not(.fd-greeting)")
        self.ai = page.locator('.fd-msg[data-author="ai"]:not(.fd-greeting)')
        self.visitor = page.locator('.fd-msg[data-author="visitor"]')
        self.member = page.locator('.fd-msg[data-author="member"]')

    @classmethod
    async def on(cls, open_tab: OpenTab, url: str, public_key: str, **options: Any) -> Widget:
        """Open ``url`` in a new browser context and wait for the widget's launcher."""
        widget = cls(await open_tab(url, **options), public_key)
        await expect(widget.launcher).to_be_visible()
        return widget

    async def open(self) -> None:
        await self.launcher.click()
        await expect(self.panel).to_have_attribute("data-open", "true")
        await expect(self.greeting).to_be_visible()

    async def ask(self, text: str) -> Locator:
        """Send ``text`` and wait until the server has stored it (the message got its seq)."""
        await self.input.fill(text)
        await self.send_button.click()
        mine = self.visitor.filter(has_text=text)
        await expect(mine).to_have_count(1)
        await expect(mine).to_have_attribute("data-seq", SEQ)
        return mine

    async def ask_ai(self, text: str) -> Locator:
        """Send ``text`` and wait for the next AI reply; returns that reply's text."""
        before = await self.ai.count()
        await self.ask(text)
        await expect(self.ai).to_have_count(before + 1)
        return self.ai.nth(before).locator(".fd-text")

    async def shown(self) -> list[tuple[int, str, str]]:
        """(seq, author, text) of every shown message in page order, the greeting excluded."""
        rows: list[list[str]] = await self.messages.evaluate_all(
            """els => els.map(el => [el.getAttribute('data-seq'), el.getAttribute('data-author'),
                                     el.querySelector('.fd-text').textContent])"""
        )
        return [(int(seq), author, text) for seq, author, text in rows]

    async def seqs(self) -> list[int]:
        return [seq for seq, _, _ in await self.shown()]

    async def drop_sockets(self) -> int:
        """Close every open WebSocket of the page (needs ``init_script=TRACK_SOCKETS``)."""
        dropped: int = await self.page.evaluate("window.__e2eDropSockets()")
        return dropped

    async def conversation_id(self) -> str:
        saved = await self.page.evaluate(
            "key => localStorage.getItem(key)", f"frontdesk:{self.public_key}"
        )
        assert saved, "the widget did not remember its conversation"
        conversation_id: str = json.loads(saved)["id"]
        return conversation_id


def assert_unique_and_ordered(seqs: list[int]) -> None:
    assert seqs == sorted(set(seqs)), f"duplicated or unordered messages: {seqs}"


class Inbox:
    """The team's inbox app, signed in as one member."""

    def __init__(self, tab: Tab):
        self.tab = tab
        self.page = page = tab.page
        self.items = page.get_by_test_id("conversation-item")
        self.view = page.get_by_test_id("conversation-view")
        self.messages = self.view.get_by_test_id("message")
        self.status = self.view.get_by_test_id("conv-status")
        self.composer = self.view.get_by_test_id("composer")

    @classmethod
    async def sign_in(
        cls, open_tab: OpenTab, server: ServerThread, email: str, **viewport: int
    ) -> Inbox:
        """Sign in through the login form and wait until the live socket is up;
        ``viewport``: the tab's width and height, if not the default."""
        inbox = cls(await open_tab(f"{server.url}/inbox", **viewport))
        page = inbox.page
        await page.get_by_test_id("login-email").fill(email)
        await page.get_by_test_id("login-password").fill(PASSWORD)
        await page.get_by_test_id("login-submit").click()
        await expect(page.get_by_test_id("conversation-list")).to_be_visible()
        await expect(page.locator("body")).to_have_attribute("data-live", "open")
        return inbox

    def item(self, conversation_id: str) -> Locator:
        return self.items.and_(self.page.locator(f'[data-id="{conversation_id}"]'))

    def by(self, author: str) -> Locator:
        return self.view.locator(f'[data-testid="message"][data-author="{author}"]')

    def text_of(self, author: str) -> Locator:
        return self.by(author).get_by_test_id("message-text")

    async def open(self, conversation_id: str) -> None:
        await self.item(conversation_id).click()
        await expect(self.view).to_have_attribute("data-id", conversation_id)

    async def reply(self, text: str, *, private: bool = False) -> Locator:
        toggle = self.view.get_by_test_id("private-toggle")
        if (await toggle.get_attribute("aria-checked") == "true") != private:
            await toggle.click()
            await expect(toggle).to_have_attribute("aria-checked", str(private).lower())
        await self.composer.fill(text)
        await self.view.get_by_test_id("send").click()
        sent = self.messages.filter(has_text=text)
        await expect(sent).to_have_count(1)
        await expect(sent).to_have_attribute("data-private", str(private).lower())
        await expect(self.composer).to_have_value("")
        return sent
