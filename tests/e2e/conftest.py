"""Browser fixtures: Debian's Chromium driven by Playwright, a customer site on another origin.

The tests use Playwright's *async* API in async tests. The sync API cannot be used here: after
its first call it leaves its own event loop marked as running in the test's thread, so every
later ``asyncio.run()`` in that thread fails (``Accounts`` creates API keys and members with
``asyncio.run()``), and so would pytest-asyncio's session loop in later async tests.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import OpenTab, Tab
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    async_playwright,
    expect,
)
from playwright.async_api import Error as PlaywrightError

from httpserver import LocalSite
from support import ServerThread

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
E2E = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests are slow: `-m "not slow"` (or `-m "not browser"`) leaves them out."""
    for item in items:
        if E2E in Path(item.path).parents:
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.browser)


# AI answers take a second or two on a small machine; a waiting assertion never sleeps longer
# than it has to, so a generous limit only costs time when something is really broken.
TIMEOUT_MS = 20_000
expect.set_options(timeout=TIMEOUT_MS)

# The site of a customer that embeds the widget. Its global styles are deliberately hostile,
# including rules aimed at the widget's own element; none of them may reach the widget.
HOST_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Ridgeline Powersports</title>
  <style>
    * {{ font-family: "Comic Sans MS", cursive !important; font-size: 23px !important;
        line-height: 3 !important; letter-spacing: 0.2em !important; color: #3b0030 !important;
        box-sizing: content-box !important; text-transform: uppercase !important; }}
    div, section, p, ul, li, header, form {{ border: 3px dashed red !important;
        margin: 14px !important; padding: 14px !important; }}
    button {{ background: hotpink !important; padding: 30px !important; border-radius: 0 !important;
        display: inline !important; width: 300px !important; }}
    textarea, input {{ display: none !important; }}
    a {{ color: lime !important; font-size: 40px !important; }}
    [hidden] {{ display: block !important; }}
    svg {{ width: 300px !important; height: 300px !important; }}
    frontdesk-widget {{ display: none !important; opacity: 0.1 !important;
        font-size: 60px !important; color: red !important; filter: blur(4px) !important; }}
    body {{ background: #f6f1ea; margin: 0; }}
  </style>
</head>
<body>
  <header><h1>Ridgeline Powersports</h1><nav><a href="#inventory">Inventory</a></nav></header>
  <main>
    <p>Snowmobiles, ATVs and side-by-sides in Duluth, Minnesota.</p>
    <form>
      <input name="q" placeholder="Search"><button type="button">Book a test ride</button>
    </form>
  </main>
  <script src="{server}/widget.js" data-agent="{public_key}" async></script>
</body>
</html>
"""


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One Chromium for the whole run; every page gets a fresh context (its own storage)."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def open_tab(browser: Browser) -> AsyncIterator[OpenTab]:
    """``await open_tab(url, width=, height=, init_script=)``: a page in a new context."""
    contexts: list[BrowserContext] = []

    async def open_one(
        url: str | None = None, width: int = 1280, height: int = 800, init_script: str = ""
    ) -> Tab:
        context = await browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        if init_script:
            await context.add_init_script(init_script)
        page = await context.new_page()
        tab = Tab(context, page)

        async def on_dialog(dialog: Dialog) -> None:
            tab.dialogs.append(dialog.message)
            await dialog.dismiss()

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                print(f"[console error] {message.text}")

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: tab.errors.append(str(error)))
        page.on("console", on_console)
        if url:
            await page.goto(url)
        return tab

    yield open_one
    for context in contexts:
        with contextlib.suppress(PlaywrightError):  # already gone with the browser
            await context.close()


@pytest.fixture
def host_page(local_site: LocalSite, server: ServerThread, agent: dict[str, Any]) -> str:
    """URL of a customer's page, on another origin than Frontdesk, that embeds the widget."""
    html = HOST_PAGE.format(server=server.url, public_key=agent["public_key"])
    return local_site.add("/", html)
