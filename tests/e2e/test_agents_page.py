"""An owner sets up an agent in the console: create it, drop content, try it, install it."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from e2e_support import HeldRequest, Inbox, OpenTab
from playwright.async_api import Page, expect

from app_fixtures import Accounts
from httpserver import LocalSite
from support import ServerThread, wait_for_source

FINANCING = """# Financing

Ridgeline Powersports offers financing through Sheffield Financial with rates from 3.99% APR
for 36 months on approved credit. Apply in the store or online; approval takes about an hour.
"""
SERVICE = """# Service department

The service department is open Monday to Friday from 8 am to 6 pm and Saturday from 9 am to
1 pm. Winterizing a snowmobile costs $149 and takes two days.
"""

IMPORTED = b"""name: Parts desk
greeting: Parts questions?
rules:
  keywords:
    - phrase: recall
      priority: urgent
"""

# A drop of real files, as the page receives one from the desktop.
DROP = """([files]) => {
  const transfer = new DataTransfer();
  for (const [name, text] of files) {
    transfer.items.add(new File([text], name, {type: 'text/markdown'}));
  }
  return transfer;
}"""


@pytest.fixture
def members(accounts: Accounts) -> None:
    """An owner, an admin and a member of the agents role."""
    accounts.member("olga@ridgeline.test", role="owner", name="Olga")
    accounts.member("ada@ridgeline.test", role="admin", name="Ada")
    accounts.member("sam@ridgeline.test", name="Sam")


async def sign_in(open_tab: OpenTab, server: ServerThread, email: str) -> Inbox:
    """Sign in at 1400×900, the size the screenshots are judged at."""
    return await Inbox.sign_in(open_tab, server, email, width=1400, height=900)


async def create_agent(page: Page, name: str) -> str:
    await page.get_by_test_id("nav-agents").click()
    await expect(page).to_have_title("Agents — Frontdesk")
    await page.get_by_test_id("agent-new-name").fill(name)
    await page.get_by_test_id("agent-create").click()
    # The agent's page, or the reason it was refused (said in the failure, not a timeout).
    created = page.get_by_test_id("agent-title").filter(has_text=name)
    refused = page.locator('[data-testid="agent-create-error"]:not([hidden])')
    await expect(created.or_(refused)).to_be_visible()
    assert not await refused.is_visible(), await refused.text_content()
    await expect(page.get_by_test_id("agent-title")).to_have_text(name)
    await expect(page.get_by_test_id("agent-content")).to_be_visible()
    match = re.search(r"#/agents/([^/]+)/content$", page.url)
    assert match, page.url
    return match.group(1)


async def test_an_agent_created_while_the_list_still_loads_stays_in_it(
    open_tab: OpenTab, server: ServerThread, members: None
) -> None:
    inbox = await sign_in(open_tab, server, "olga@ridgeline.test")
    page = inbox.page
    # The list's first load is answered (no agent yet), and the answer held on the network
    # while the owner creates an agent.
    listing = await HeldRequest.on(page, "**/api/v1/agents", method="GET", answered=True)
    await page.get_by_test_id("nav-agents").click()
    await listing.wait_sent()
    await page.get_by_test_id("agent-new-name").fill("Ridgeline support")
    await page.get_by_test_id("agent-create").click()
    await expect(page.get_by_test_id("agent-item")).to_have_count(1)
    listing.release()  # the answer from before the agent existed arrives last
    await expect(page.get_by_test_id("agent-title")).to_have_text("Ridgeline support")
    await page.wait_for_load_state("networkidle")
    await expect(page.get_by_test_id("agent-item")).to_have_text(["Ridgeline support"])


async def test_an_owner_creates_an_agent_adds_content_and_tries_it(
    open_tab: OpenTab, server: ServerThread, members: None, client: httpx.Client, artifacts: Path
) -> None:
    inbox = await sign_in(open_tab, server, "olga@ridgeline.test")
    page = inbox.page
    agent_id = await create_agent(page, "Ridgeline support")
    await expect(page.get_by_test_id("agent-item")).to_have_count(1)
    assert client.get(f"/api/v1/agents/{agent_id}").json()["name"] == "Ridgeline support"

    # Two files dropped at once: each uploads with its own progress row, then both get ready.
    transfer = await page.evaluate_handle(
        DROP, [[["financing.md", FINANCING], ["service.md", SERVICE]]]
    )
    await page.get_by_test_id("dropzone").dispatch_event("drop", {"dataTransfer": transfer})
    rows = page.get_by_test_id("source-row")
    await expect(rows).to_have_count(2)
    for title in ("financing.md", "service.md"):
        row = rows.filter(has=page.get_by_test_id("source-title").get_by_text(title, exact=True))
        await expect(row).to_have_attribute("data-status", "ready")
        await expect(row.get_by_test_id("source-status")).to_have_text("Ready")
        await expect(row.get_by_test_id("source-chunks")).to_have_text(re.compile(r"^[1-9]\d*$"))
    await expect(page.get_by_test_id("sources-summary")).to_contain_text("2 of 2 sources ready")
    sources = client.get(f"/api/v1/agents/{agent_id}/sources").json()
    assert sorted(s["status"] for s in sources) == ["ready", "ready"]
    await inbox.tab.screenshot(artifacts, "agents-content.png")

    await page.get_by_test_id("content-search").fill("winterizing a snowmobile")
    await page.get_by_test_id("content-search-go").click()
    await expect(page.get_by_test_id("content-hit").first).to_contain_text("$149")

    # The playground answers from the files and shows what the answer rests on.
    await page.get_by_test_id("agent-tab-try").click()
    await page.get_by_test_id("try-question").fill(
        "When is the service department open on Saturday?"
    )
    await page.get_by_test_id("try-ask").click()
    await expect(page.get_by_test_id("try-answer")).to_contain_text("9 am")
    passages = page.get_by_test_id("try-passage")
    await expect(passages.first).to_contain_text("Saturday from 9 am")
    await expect(passages.first.get_by_test_id("try-passage-score")).to_have_text(
        re.compile(r"^\d\.\d{3}$")
    )
    await expect(page.get_by_test_id("try-confidence")).to_have_text(
        re.compile(r"^\d+% \(threshold \d+%\)$")
    )
    await expect(page.get_by_test_id("try-generator")).to_have_text("Extractive (no model)")
    await expect(page.get_by_test_id("try-handoff")).to_have_attribute("data-triggered", "false")
    rule = page.get_by_test_id("try-rule")
    await expect(rule.and_(page.locator('[data-rule="low_confidence"]'))).to_have_attribute(
        "data-state", "passed"
    )
    await inbox.tab.screenshot(artifacts, "agents-try.png")

    # Asking for a person: the handoff decision and its reason.
    await page.get_by_test_id("try-question").fill("I want to talk to a human please")
    await page.get_by_test_id("try-ask").click()
    await expect(page.get_by_test_id("try-handoff")).to_have_attribute("data-triggered", "true")
    await expect(page.get_by_test_id("try-handoff")).to_contain_text("asked for a person")
    await expect(rule.and_(page.locator('[data-rule="explicit_request"]'))).to_have_attribute(
        "data-state", "fired"
    )

    # Install: the script tag with the agent's public key.
    public_key = client.get(f"/api/v1/agents/{agent_id}").json()["public_key"]
    await page.get_by_test_id("agent-tab-install").click()
    await expect(page.get_by_test_id("install-snippet")).to_have_text(
        f'<script src="{server.url}/widget.js" data-agent="{public_key}" async></script>'
    )
    await expect(page.get_by_test_id("widget-preview")).to_have_attribute("data-position", "right")
    await inbox.tab.screenshot(artifacts, "agents-install.png")

    await page.get_by_test_id("agent-tab-settings").click()
    await expect(page.get_by_test_id("agent-file")).to_have_value(
        re.compile("name: Ridgeline support")
    )
    await inbox.tab.screenshot(artifacts, "agents-settings.png")
    assert inbox.tab.errors == []


async def test_a_file_that_fails_shows_why_and_sources_resync_and_delete(
    open_tab: OpenTab, server: ServerThread, members: None, client: httpx.Client
) -> None:
    inbox = await sign_in(open_tab, server, "olga@ridgeline.test")
    page = inbox.page
    agent_id = await create_agent(page, "Dealer")
    big = "# Manual\n\n" + "Check the track tension before every ride. " * 30_000  # over 1 MB
    files = [
        ["service.md", SERVICE],
        ["brochure.pdf", "not a PDF at all"],
        ["tool.exe", "MZ"],
        ["manual.md", big],
    ]
    transfer = await page.evaluate_handle(DROP, [files])
    await page.get_by_test_id("dropzone").dispatch_event("drop", {"dataTransfer": transfer})

    # Refused on upload: the file's own row says why; nothing was stored for it.
    refused = page.get_by_test_id("upload-item").and_(page.locator('[data-name="tool.exe"]'))
    await expect(refused).to_have_attribute("data-state", "failed")
    await expect(refused.get_by_test_id("upload-state")).to_contain_text(
        "not a supported file type"
    )
    # Accepted but unreadable: failed, with the reason under its title.
    rows = page.get_by_test_id("source-row")
    await expect(rows).to_have_count(2)
    broken = rows.filter(has=page.get_by_text("brochure.pdf", exact=True))
    good = rows.filter(has=page.get_by_text("service.md", exact=True))
    await expect(broken).to_have_attribute("data-status", "failed")
    await expect(broken.get_by_test_id("source-error")).not_to_be_empty()
    await expect(good).to_have_attribute("data-status", "ready")

    # Delete asks first; re-sync reads the source again.
    await broken.get_by_test_id("source-delete").click()
    await expect(rows).to_have_count(2)
    await broken.get_by_test_id("source-delete-confirm").click()
    await expect(rows).to_have_count(1)
    async with page.expect_response(lambda r: r.url.endswith("/resync")) as resynced:
        await good.get_by_test_id("source-resync").click()
    response = await resynced.value
    assert response.status == 202
    assert (await response.json())["status"] == "queued"
    [source] = client.get(f"/api/v1/agents/{agent_id}/sources").json()
    assert (source["title"], wait_for_source(client, source["id"])["status"]) == (
        "service.md",
        "ready",
    )
    await expect(good).to_have_attribute("data-status", "ready")
    assert inbox.tab.errors == []


async def test_qa_pairs_are_added_and_edited_in_the_console(
    open_tab: OpenTab, server: ServerThread, members: None, client: httpx.Client
) -> None:
    inbox = await sign_in(open_tab, server, "ada@ridgeline.test")
    page = inbox.page
    agent_id = await create_agent(page, "Dealer")
    await page.get_by_test_id("qa-title").fill("Store FAQ")
    await page.get_by_test_id("qa-question").fill("Do you price match?")
    await page.get_by_test_id("qa-answer").fill("Yes, any local dealer's advertised price.")
    await page.get_by_test_id("qa-more").click()
    await page.get_by_test_id("qa-question").nth(1).fill("Open on Sunday?")
    await page.get_by_test_id("qa-answer").nth(1).fill("No.")
    await page.get_by_test_id("qa-save").click()
    row = page.get_by_test_id("source-row")
    await expect(row).to_have_attribute("data-status", "ready")
    await expect(row.get_by_test_id("source-chunks")).to_have_text("2")

    await row.get_by_test_id("source-edit").click()
    await expect(page.get_by_test_id("qa-title")).to_have_value("Store FAQ")
    await expect(page.get_by_test_id("qa-answer").nth(1)).to_have_value("No.")
    await page.get_by_test_id("qa-answer").nth(1).fill("Yes, 10 to 2 in winter.")
    await page.get_by_test_id("qa-save").click()
    await expect(page.get_by_test_id("qa-title")).to_have_value("Q&A")
    await expect(row).to_have_count(1)
    await expect(row).to_have_attribute("data-status", "ready")
    [source] = client.get(f"/api/v1/agents/{agent_id}/sources").json()
    pairs = client.get(f"/api/v1/sources/{source['id']}/pairs").json()["pairs"]
    assert pairs[1] == {"question": "Open on Sunday?", "answer": "Yes, 10 to 2 in winter."}
    assert inbox.tab.errors == []


async def test_a_web_page_is_added_by_its_address(
    open_tab: OpenTab,
    server: ServerThread,
    members: None,
    client: httpx.Client,
    local_site: LocalSite,
) -> None:
    page_url = local_site.add(
        "/hours.html",
        "<html><head><title>Visit us</title></head><body><main><h1>Showroom hours</h1>"
        "<p>The showroom is open Monday to Friday 9:00 to 18:00.</p></main></body></html>",
    )
    allowed = client.put("/api/v1/workspace/allowed-hosts", json={"hosts": [local_site.host]})
    assert allowed.status_code == 200, allowed.text
    inbox = await sign_in(open_tab, server, "olga@ridgeline.test")
    page = inbox.page
    await create_agent(page, "Dealer")
    await page.get_by_test_id("source-url").fill("not a web address")
    await page.get_by_test_id("source-url-add").click()
    await expect(page.get_by_test_id("source-url-error")).to_contain_text("url")
    await page.get_by_test_id("source-url").fill(page_url)
    await page.get_by_test_id("source-url-add").click()
    row = page.get_by_test_id("source-row")
    await expect(row).to_have_attribute("data-status", "ready")
    await expect(row.get_by_test_id("source-title")).to_have_text("Visit us")
    await expect(row.locator("td").nth(1)).to_have_text("Web page")
    await expect(row.get_by_test_id("source-sync")).to_have_text("Last sync: 1 page, 1 new")
    assert inbox.tab.errors == []


async def test_settings_save_and_an_invalid_one_shows_its_error_under_the_field(
    open_tab: OpenTab, server: ServerThread, members: None, client: httpx.Client, artifacts: Path
) -> None:
    inbox = await sign_in(open_tab, server, "ada@ridgeline.test")
    page = inbox.page
    agent_id = await create_agent(page, "Dealer")
    await page.get_by_test_id("agent-tab-settings").click()

    await page.get_by_test_id("agent-greeting").fill("Hi! Ask me about sleds.")
    await page.get_by_test_id("agent-theme_color-text").fill("#0f766e")
    await page.get_by_test_id("agent-position").select_option("left")
    await page.get_by_test_id("agent-allowed_origins").fill("https://ridgeline.test\n")
    await page.get_by_test_id("settings-save").click()
    await expect(page.get_by_test_id("settings-saved")).to_have_text("Saved.")
    saved = client.get(f"/api/v1/agents/{agent_id}").json()
    assert saved["greeting"] == "Hi! Ask me about sleds."
    assert (saved["theme_color"], saved["position"]) == ("#0f766e", "left")
    assert saved["allowed_origins"] == ["https://ridgeline.test"]

    # Out of range: the API's message under the threshold field, nothing saved.
    await page.get_by_test_id("agent-confidence_threshold").fill("1.5")
    await page.get_by_test_id("settings-save").click()
    error = page.get_by_test_id("error-confidence_threshold")
    await expect(error).to_be_visible()
    await expect(error).to_contain_text("less than or equal to 1")
    await inbox.tab.screenshot(artifacts, "agents-settings-error.png")
    assert client.get(f"/api/v1/agents/{agent_id}").json()["confidence_threshold"] != 1.5

    # A generator's own setting: the error lands under that setting.
    await page.get_by_test_id("agent-confidence_threshold").fill("0.4")
    await page.get_by_test_id("agent-generator").select_option("openai")
    await page.get_by_test_id("agent-generator_config.model").fill("gpt-4o-mini")
    await page.get_by_test_id("settings-save").click()
    await expect(page.get_by_test_id("error-generator_config.base_url")).to_contain_text(
        "is required"
    )
    await expect(error).to_be_hidden()
    await inbox.tab.screenshot(artifacts, "agents-settings-generator.png")
    assert client.get(f"/api/v1/agents/{agent_id}").json()["generator"] == "extractive"

    # The agent file: a wrong value is refused with its line.
    await page.get_by_test_id("agent-tab-install").click()
    await expect(page.get_by_test_id("widget-preview")).to_have_attribute("data-position", "left")
    await page.get_by_test_id("agent-tab-settings").click()
    await expect(page.get_by_test_id("agent-file")).to_have_value(re.compile("name: Dealer"))
    await page.get_by_test_id("agent-file").fill("name: Dealer\nconfidence_threshold: 7\n")
    await page.get_by_test_id("agent-file-save").click()
    await expect(page.get_by_test_id("agent-file-error")).to_contain_text("line 2")
    await page.get_by_test_id("agent-file").fill("name: Dealer\nconfidence_threshold: 0.6\n")
    await page.get_by_test_id("agent-file-save").click()
    await expect(page.get_by_test_id("agent-file-saved")).to_have_text("Saved.")
    await expect(page.get_by_test_id("agent-confidence_threshold")).to_have_value("0.6")
    assert client.get(f"/api/v1/agents/{agent_id}").json()["confidence_threshold"] == 0.6

    # An agent file from disk creates the agent it names.
    await page.get_by_test_id("agent-import-file").set_input_files(
        files=[{"name": "parts.yaml", "mimeType": "application/yaml", "buffer": IMPORTED}]
    )
    await expect(page.get_by_test_id("agent-title")).to_have_text("Parts desk")
    await expect(page.get_by_test_id("agent-item")).to_have_count(2)
    await expect(page.get_by_test_id("agent-greeting")).to_have_value("Parts questions?")
    [parts] = [a for a in client.get("/api/v1/agents").json() if a["name"] == "Parts desk"]
    assert parts["rules"]["keywords"][0]["phrase"] == "recall"

    # Its keyword rule, tried in the playground: fired, with the priority it sets.
    await page.get_by_test_id("agent-tab-try").click()
    await page.get_by_test_id("try-question").fill("Is my sled part of a recall?")
    await page.get_by_test_id("try-ask").click()
    handoff = page.get_by_test_id("try-handoff")
    await expect(handoff).to_have_attribute("data-triggered", "true")
    await expect(handoff).to_contain_text("Priority urgent")
    fired = page.locator('[data-testid="try-rule"][data-state="fired"]')
    await expect(fired).to_have_attribute("data-rule", "keyword")
    await expect(fired).to_contain_text("recall")
    await inbox.tab.screenshot(artifacts, "agents-try-handoff.png")
    assert inbox.tab.errors == []


async def test_an_agents_role_member_does_not_see_the_agents_page(
    open_tab: OpenTab, server: ServerThread, members: None
) -> None:
    inbox = await sign_in(open_tab, server, "sam@ridgeline.test")
    page = inbox.page
    await expect(page.get_by_test_id("nav-inbox")).to_be_visible()
    await expect(page.get_by_test_id("nav-agents")).to_have_count(0)
    await page.evaluate("location.hash = '#/agents'")
    await expect(page.get_by_test_id("agents-forbidden")).to_be_visible()
    await expect(page.get_by_test_id("agent-new-name")).to_have_count(0)
    assert inbox.tab.errors == []
