"""An admin adds a webhook in the inbox, sees its secret once, sends a test and reads the log."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from e2e_support import Inbox, OpenTab
from playwright.async_api import expect
from standardwebhooks import Webhook

from app_fixtures import Accounts
from receiver import Receiver, Reply
from support import ServerThread, wait_until


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


@pytest.fixture
def refused(accounts: Accounts, client: httpx.Client) -> Iterator[Receiver]:
    """Olga (an admin), and a webhook test that its endpoint refused: failed for good. The
    endpoint takes the next one."""
    accounts.member("olga@ridgeline.test", role="admin", name="Olga")
    with Receiver(Reply(422, {"error": "unknown field"}), Reply(200)) as receiver:
        accounts.allow_hosts(receiver.host)
        hook = client.post(
            "/api/v1/webhooks", json={"url": receiver.url("/crm"), "events": ["message.created"]}
        ).json()
        client.post(f"/api/v1/webhooks/{hook['id']}/test")
        wait_until(
            lambda: client.get("/api/v1/dead-letters").json()["dead_letters"], what="the refusal"
        )
        yield receiver


async def test_an_admin_retries_a_failed_delivery_from_the_alerts_page(
    open_tab: OpenTab, server: ServerThread, refused: Receiver, artifacts: Path
) -> None:
    inbox = await Inbox.sign_in(open_tab, server, "olga@ridgeline.test")
    page = inbox.page
    await page.goto(f"{server.url}/inbox#/webhooks")
    row = page.get_by_test_id("dead-letter-row")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("webhook.test")
    await expect(row).to_contain_text(refused.url("/crm"))
    await expect(row.get_by_test_id("dead-letter-error")).to_have_text(
        "HTTP 422 (refused; not retried)"
    )
    await row.scroll_into_view_if_needed()
    await inbox.tab.screenshot(artifacts, "inbox-dead-letters.png")

    await row.get_by_test_id("dead-letter-retry").click()
    first, second = await asyncio.to_thread(refused.wait_for, 2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    await expect(page.get_by_test_id("dead-letters-empty")).to_have_count(1, timeout=15000)
    assert inbox.tab.errors == []


@pytest.fixture
def pat(accounts: Accounts) -> str:
    return accounts.member("pat@ridgeline.test", role="agent", name="Pat").email


async def test_the_failed_sends_are_not_shown_to_an_agent(
    open_tab: OpenTab, server: ServerThread, pat: str
) -> None:
    inbox = await Inbox.sign_in(open_tab, server, pat)
    await inbox.page.goto(f"{server.url}/inbox#/webhooks")
    await expect(inbox.page.get_by_test_id("webhooks-forbidden")).to_have_count(1)
    await expect(inbox.page.get_by_test_id("dead-letters")).to_have_count(0)
    assert inbox.tab.errors == []
