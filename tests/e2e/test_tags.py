"""A member tags a conversation in the inbox (suggested from the catalog), removes a tag, and
filters the list by tag; a tag added elsewhere shows up live."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_support import HeldRequest, Inbox, OpenTab
from playwright.async_api import expect

from app_fixtures import Accounts
from support import ServerThread, wait_until

MEMBER_EMAIL = "sam@ridgeline.test"


async def test_a_member_tags_untags_and_filters_by_tag(
    open_tab: OpenTab,
    server: ServerThread,
    member: httpx.Client,
    visitors,
    artifacts: Path,
) -> None:
    loan, walk_in, other = visitors(), visitors(), visitors()
    for visitor in (loan, walk_in, other):
        assert visitor.handoff().status_code == 200
    tagged = member.post(f"/api/v1/conversations/{loan.id}/tags", json={"tag": "financing"})
    assert tagged.status_code == 200, tagged.text

    inbox = await Inbox.sign_in(open_tab, server, MEMBER_EMAIL)
    await expect(inbox.item(loan.id).get_by_test_id("item-tag")).to_have_text(["financing"])
    await inbox.open(walk_in.id)
    view = inbox.view
    tag_input = view.get_by_role("combobox", name="Add tag")  # an input with suggestions
    # The input suggests the workspace's existing tags.
    await expect(
        view.locator('[data-testid="tag-options"] option[value="financing"]')
    ).to_have_count(1)
    assert await tag_input.get_attribute("list") == await view.get_by_test_id(
        "tag-options"
    ).get_attribute("id")
    await tag_input.fill("financing")
    await tag_input.press("Enter")
    chips = view.get_by_test_id("tag-name")
    await expect(chips).to_have_text(["financing"])
    await expect(tag_input).to_have_value("")
    await tag_input.fill("trade-in")
    await view.get_by_test_id("tag-add").click()
    await expect(chips).to_have_text(["financing", "trade-in"])
    await expect(inbox.text_of("system").filter(has_text="Sam added tag trade-in")).to_have_count(1)

    await tag_input.fill("Not OK!")
    await tag_input.press("Enter")
    await expect(view.get_by_test_id("conv-error")).to_contain_text("is not a tag name")

    await view.get_by_role("button", name="Remove tag trade-in").click()
    await expect(chips).to_have_text(["financing"])
    await expect(inbox.text_of("system").filter(has_text="Sam removed tag trade-in")).to_have_count(
        1
    )

    # A teammate (here: the API) tags the open conversation: the chip appears live.
    member.post(f"/api/v1/conversations/{walk_in.id}/tags", json={"tag": "vip"})
    await expect(chips).to_have_text(["financing", "vip"])
    await inbox.tab.screenshot(artifacts, "inbox-tags.png")

    tag_filter = inbox.page.get_by_test_id("tag-filter")
    await tag_filter.select_option("financing")
    await expect(inbox.items).to_have_count(2)
    await expect(inbox.item(loan.id)).to_have_count(1)
    await expect(inbox.item(walk_in.id)).to_have_count(1)
    await tag_filter.select_option("vip")
    await expect(inbox.items).to_have_count(1)
    await expect(inbox.item(walk_in.id)).to_have_count(1)
    # Live: tagging another conversation brings it into the filtered list.
    member.post(f"/api/v1/conversations/{other.id}/tags", json={"tag": "vip"})
    await expect(inbox.items).to_have_count(2)
    await tag_filter.select_option("")
    await expect(inbox.items).to_have_count(3)
    assert inbox.tab.errors == []


async def test_a_tag_typed_while_the_last_is_saving_is_neither_lost_nor_wiped(
    open_tab: OpenTab, server: ServerThread, member: httpx.Client, visitors
) -> None:
    """Enter pressed while the previous tag is still being saved adds that tag too (in order),
    and the answer to the first does not wipe what was typed since."""
    walk_in = visitors()
    assert walk_in.handoff().status_code == 200
    inbox = await Inbox.sign_in(open_tab, server, MEMBER_EMAIL)
    await inbox.open(walk_in.id)
    view = inbox.view
    tag_input = view.get_by_role("combobox", name="Add tag")

    held = await HeldRequest.on(inbox.page, f"**/api/v1/conversations/{walk_in.id}/tags")
    await tag_input.fill("trade-in")
    await tag_input.press("Enter")
    await held.wait_sent()  # the first tag's request is on its way, held
    await tag_input.fill("vip")
    await tag_input.press("Enter")
    await tag_input.fill("half-typ")
    held.release()

    await expect(view.get_by_test_id("tag-name")).to_have_text(["trade-in", "vip"])
    await expect(tag_input).to_have_value("half-typ")
    assert inbox.tab.errors == []


@pytest.fixture
def admin(accounts: Accounts) -> str:
    accounts.member("ada@ridgeline.test", role="admin", name="Ada")
    return "ada@ridgeline.test"


async def test_an_admin_renames_recolours_merges_and_deletes_tags(
    open_tab: OpenTab,
    server: ServerThread,
    member: httpx.Client,
    admin: str,
    visitors,
    artifacts: Path,
) -> None:
    first, second = visitors(), visitors()
    for visitor, tag in ((first, "loan"), (second, "financing"), (second, "vip")):
        response = member.post(f"/api/v1/conversations/{visitor.id}/tags", json={"tag": tag})
        assert response.status_code == 200, response.text

    inbox = await Inbox.sign_in(open_tab, server, admin)
    page = inbox.page
    await page.get_by_test_id("nav-tags").click()
    rows = page.get_by_test_id("tag-row")
    await expect(rows).to_have_count(3)

    def row(name: str) -> Any:
        return page.locator(f'[data-testid="tag-row"][data-name="{name}"]')

    await row("vip").get_by_test_id("tag-rename").fill("priority-customer")
    await row("vip").get_by_test_id("tag-rename-save").click()
    await expect(row("priority-customer")).to_have_count(1)
    await row("priority-customer").get_by_test_id("tag-rename").fill("Not OK!")
    await row("priority-customer").get_by_test_id("tag-rename-save").click()
    await expect(page.get_by_test_id("tags-error")).to_contain_text("is not a tag name")
    # The error shows before the rows are drawn again: a choice made in a row being replaced
    # would be lost (the merge below then found nothing chosen, now and then).
    await expect(page.locator('tbody[aria-busy="true"]')).to_have_count(0)

    loan_id = next(
        t["id"] for t in member.get("/api/v1/tags").json()["tags"] if t["name"] == "loan"
    )
    financing = next(
        t for t in member.get("/api/v1/tags").json()["tags"] if t["name"] == "financing"
    )
    await row("loan").get_by_test_id("tag-merge-into").select_option(financing["id"])
    await row("loan").get_by_test_id("tag-merge").click()
    await expect(row("loan")).to_have_count(0)
    await expect(row("financing").get_by_test_id("tag-count")).to_have_text("2 conversations")
    assert loan_id not in {t["id"] for t in member.get("/api/v1/tags").json()["tags"]}
    tags = member.get(f"/api/v1/conversations/{first.id}").json()["conversation"]["tags"]
    assert tags == ["financing"]

    await row("financing").get_by_test_id("tag-color").fill("#1f6feb")

    def colour_of(name: str) -> str:
        return next(
            t["color"] for t in member.get("/api/v1/tags").json()["tags"] if t["name"] == name
        )

    wait_until(lambda: colour_of("financing") == "#1f6feb", timeout=10, what="the new colour")
    # The page redraws its rows after each change; wait for that before the next click.
    await expect(page.locator('tbody[aria-busy="true"]')).to_have_count(0)

    await row("priority-customer").get_by_test_id("tag-delete").click()
    await row("priority-customer").get_by_test_id("tag-delete-confirm").click()
    await expect(row("priority-customer")).to_have_count(0)
    await inbox.tab.screenshot(artifacts, "inbox-tag-catalog.png")
    assert inbox.tab.errors == []
