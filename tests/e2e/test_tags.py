"""A member tags a conversation in the inbox (suggested from the catalog), removes a tag, and
filters the list by tag; a tag added elsewhere shows up live."""

from __future__ import annotations

from pathlib import Path

import httpx
from e2e_support import Inbox, OpenTab
from playwright.async_api import expect

from support import ServerThread

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
