"""A member changes their password on the Account page, then signs out everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_support import Inbox, OpenTab
from playwright.async_api import expect

from app_fixtures import PASSWORD, Accounts
from support import ServerThread

NEW_PASSWORD = "a much longer passphrase"
SHOTS = Path("/tmp/shots")


@pytest.fixture
def ada(accounts: Accounts) -> str:
    return accounts.member("ada@ridgeline.test", name="Ada").email


async def test_change_password_then_sign_out_everywhere(
    open_tab: OpenTab, server: ServerThread, ada: str, artifacts: Path
) -> None:
    laptop = await Inbox.sign_in(open_tab, server, ada)
    phone = await Inbox.sign_in(open_tab, server, ada)
    page = laptop.page

    await page.get_by_test_id("me").click()
    await expect(page).to_have_title("Account — Frontdesk")
    await expect(page.get_by_test_id("me")).to_have_attribute("aria-current", "page")
    await expect(page.get_by_test_id("account-email")).to_have_text(ada)
    current = page.get_by_test_id("account-current")
    new = page.get_by_test_id("account-new")
    confirm = page.get_by_test_id("account-confirm")
    save = page.get_by_test_id("account-password-save")

    # Checked in the page first, each message under its own field.
    await new.fill("short")
    await save.click()
    await expect(page.get_by_test_id("account-current-error")).to_have_text(
        "Enter your current password."
    )
    await expect(page.get_by_test_id("account-new-error")).to_contain_text("at least 8")
    await expect(new).to_have_attribute("aria-invalid", "true")

    # The server's answer lands on the field it names.
    await current.fill("not my password")
    await new.fill(NEW_PASSWORD)
    await confirm.fill(NEW_PASSWORD)
    await save.click()
    await expect(page.get_by_test_id("account-current-error")).to_have_text(
        "The current password is not right."
    )
    await expect(page.get_by_test_id("account-new-error")).to_be_hidden()
    await expect(current).to_have_attribute("aria-invalid", "true")
    SHOTS.mkdir(parents=True, exist_ok=True)
    await laptop.tab.screenshot(SHOTS, "inbox-account.png")

    await current.fill(PASSWORD)
    await new.fill(NEW_PASSWORD)
    await confirm.fill(NEW_PASSWORD)
    await save.click()
    await expect(page.get_by_test_id("account-password-saved")).to_have_text(
        "Password changed. Your other sessions have been signed out."
    )
    await expect(current).to_have_value("")
    await laptop.tab.screenshot(artifacts, "inbox-account-changed.png")

    # The phone's session ended: its socket was closed and it is back at sign-in.
    await expect(phone.page.get_by_test_id("login-error")).to_have_text(
        "Your session has ended. Please sign in again."
    )
    # This browser stayed signed in, live socket and all.
    await expect(page.locator("body")).to_have_attribute("data-live", "open")
    await page.get_by_test_id("nav-inbox").click()
    await expect(page.get_by_test_id("conversation-list")).to_be_visible()

    await page.get_by_test_id("me").click()
    await page.get_by_test_id("sign-out-everywhere").click()
    await page.get_by_test_id("sign-out-everywhere-confirm").click()
    await expect(page.get_by_test_id("login-error")).to_have_text(
        "You have been signed out everywhere. Sign in again to continue."
    )
    await page.get_by_test_id("login-email").fill(ada)
    await page.get_by_test_id("login-password").fill(NEW_PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("account-email")).to_have_text(ada)  # back where it was
    assert laptop.tab.errors == [] and phone.tab.errors == []
