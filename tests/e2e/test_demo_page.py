"""`frontdesk demo`'s sample site at / embeds a working widget of the demo agent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from e2e_support import OpenTab, Widget
from playwright.async_api import expect

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
