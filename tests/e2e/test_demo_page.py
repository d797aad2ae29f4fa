"""`frontdesk demo`'s sample site at / embeds a working widget of the demo agent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from e2e_support import OpenTab, Widget
from playwright.async_api import ConsoleMessage, expect

from frontdesk.settings import Settings
from support import ServerThread


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The default test settings, plus the demo agent's name (the `agent` fixture's)."""
    return Settings(data_dir=tmp_path / "data", max_upload_mb=1, demo_agent="Ridgeline")


async def test_the_demo_site_embeds_a_working_widget(
    open_tab: OpenTab, server: ServerThread, agent: dict[str, Any]
) -> None:
    widget = await Widget.on(open_tab, f"{server.url}/", agent["public_key"])
    await expect(widget.page).to_have_url(f"{server.url}/")  # the site, not the inbox
    await expect(widget.page.locator("script[data-agent]")).to_have_attribute(
        "data-agent", agent["public_key"]
    )
    await widget.open()
    await expect(widget.greeting).to_be_visible()
    answer = await widget.ask_ai("When is the service department open on Saturday?")
    await expect(answer).to_contain_text("9:00 to 14:00")
    assert widget.tab.errors == []


PHONE = {"width": 390, "height": 844}


async def test_the_demo_site_runs_under_its_csp_with_a_favicon(
    open_tab: OpenTab, server: ServerThread, agent: dict[str, Any], artifacts: Path
) -> None:
    """No inline handler for the CSP to refuse (the newsletter form), no missing favicon."""
    tab = await open_tab(**PHONE)
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            errors.append(message.text)

    tab.page.on("console", on_console)
    await tab.context.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) => "
        "console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));"
    )
    response = await tab.page.goto(f"{server.url}/")
    assert (
        response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    )
    widget = Widget(tab, agent["public_key"])
    await expect(widget.launcher).to_be_visible()

    icon = tab.page.locator('link[rel="icon"]')
    href = await icon.get_attribute("href")
    assert href and href.endswith(".svg")
    loaded = await tab.page.evaluate(
        """href => new Promise((resolve) => {
             const img = new Image();
             img.onload = () => resolve(img.naturalWidth);
             img.onerror = () => resolve(0);
             img.src = href;
           })""",
        href,
    )
    assert loaded > 0
    fetched = await tab.page.request.get(f"{server.url}{href}")
    assert fetched.status == 200 and fetched.headers["content-type"].startswith("image/svg+xml")

    await tab.page.locator("#news-email").fill("rider@example.com")
    await tab.page.get_by_role("button", name="Sign me up").click()
    await expect(tab.page.get_by_text("Thanks! See you on the trail.")).to_be_visible()
    await tab.screenshot(artifacts, "demo-390-page.png")
    await widget.open()
    await widget.ask_ai("When is the service department open on Saturday?")
    await tab.screenshot(artifacts, "demo-390.png")
    assert errors == [] and tab.errors == []
