"""An admin adds a webhook in the inbox, sees its secret once, sends a test and reads the log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from e2e_support import Inbox, OpenTab
from playwright.async_api import expect
from standardwebhooks import Webhook

from app_fixtures import Accounts
from receiver import Receiver
from support import ServerThread


@pytest.fixture
def hooks(accounts: Accounts) -> Iterator[Receiver]:
    """A webhook endpoint on loopback, allowed for the workspace, and an admin, Olga."""
    accounts.member("olga@ridgeline.test", role="admin", name="Olga")
    with Receiver() as receiver:
        accounts.allow_hosts(receiver.host)
        yield receiver


async def test_an_admin_adds_a_webhook_and_reads_its_deliveries(
    open_tab: OpenTab, server: ServerThread, hooks: Receiver, artifacts: Path
) -> None:
    inbox = await Inbox.sign_in(open_tab, server, "olga@ridgeline.test")
    page = inbox.page
    await page.goto(f"{server.url}/inbox#/webhooks")
    await page.get_by_test_id("webhook-url").fill(hooks.url("/frontdesk"))
    await page.get_by_test_id("webhook-description").fill("Helpdesk <b>bridge</b>")
    await page.get_by_test_id("webhook-create").click()
    secret_box = page.get_by_test_id("webhook-secret")
    await expect(secret_box).to_have_text(re.compile(r"^whsec_"))
    secret = await secret_box.text_content()
    assert secret
    row = page.get_by_test_id("webhook-row")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("Helpdesk <b>bridge</b>")  # shown as text

    await row.get_by_test_id("webhook-test").click()
    [request] = hooks.wait_for(1)
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["type"] == "webhook.test"
    await row.get_by_test_id("webhook-deliveries-toggle").click()
    delivery = page.get_by_test_id("delivery-row").first
    await expect(delivery.get_by_test_id("delivery-status")).to_contain_text("delivered")

    # The secret is not shown again after a reload.
    await page.reload()
    await expect(page.get_by_test_id("webhook-row")).to_have_count(1)
    await expect(page.get_by_test_id("webhook-secret")).to_have_count(0)
    assert secret not in await page.content()
    await inbox.tab.screenshot(artifacts, "inbox-alerts.png")
    assert inbox.tab.errors == []


async def test_an_admin_sets_a_secret_and_allowed_hosts_in_the_inbox(
    open_tab: OpenTab, server: ServerThread, hooks: Receiver, client: httpx.Client
) -> None:
    inbox = await Inbox.sign_in(open_tab, server, "olga@ridgeline.test")
    page = inbox.page
    await page.get_by_test_id("nav-secrets").click()
    await page.get_by_test_id("secret-name").fill("helpdesk_token")
    await page.get_by_test_id("secret-value").fill("s3cr3t-from-the-browser")
    await page.get_by_test_id("secret-save").click()
    await expect(page.get_by_test_id("secret-saved")).to_have_text("Saved HELPDESK_TOKEN.")
    row = page.get_by_test_id("secret-row")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("HELPDESK_TOKEN")
    assert "s3cr3t-from-the-browser" not in await page.content()
    assert [s["name"] for s in client.get("/api/v1/secrets").json()] == ["HELPDESK_TOKEN"]

    hosts = page.get_by_test_id("allowed-hosts")
    await expect(hosts).to_have_value(hooks.host)  # allowed by the fixture
    await hosts.fill(f"{hooks.host}\nbad host")
    await page.get_by_test_id("allowed-hosts-save").click()
    await expect(page.locator('[data-testid="allowed-hosts-error"]')).to_contain_text("bad host")
    await hosts.fill(f"{hooks.host}\nIntranet.Local")
    await page.get_by_test_id("allowed-hosts-save").click()
    await expect(page.get_by_test_id("allowed-hosts-saved")).to_have_text("Saved.")
    await expect(hosts).to_have_value(f"{hooks.host}\nintranet.local")
    assert inbox.tab.errors == []
