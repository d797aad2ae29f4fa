"""A developer opens /docs: Swagger UI renders from this server alone and runs a call with a key."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from e2e_support import OpenTab
from playwright.async_api import Request, Route, expect

from app_fixtures import Accounts
from support import ServerThread

# Kept by the page itself: a CSP refusal fires this event even when nothing logs it.
RECORD_CSP_VIOLATIONS = """(() => {
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (event) => {
    window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
  });
})();"""
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}


@pytest.fixture
def key(server: ServerThread, accounts: Accounts) -> str:
    """An API key of a workspace with one agent, Ridgeline."""
    key = accounts.api_key()
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}) as api:
        assert api.post("/api/v1/agents", json={"name": "Ridgeline"}).status_code == 201
    return key


async def test_docs_render_from_this_server_and_try_it_out_with_an_api_key(
    open_tab: OpenTab, server: ServerThread, key: str, artifacts: Path
) -> None:
    tab = await open_tab(init_script=RECORD_CSP_VIOLATIONS)
    page = tab.page
    seen: list[Request] = []
    left: list[str] = []

    async def record(route: Route) -> None:
        seen.append(route.request)
        url = route.request.url
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).hostname not in LOOPBACK:
            left.append(url)
            await route.abort()
        else:
            await route.continue_()

    await tab.context.route("**/*", record)
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)

    await page.goto(f"{server.url}/docs")
    await expect(page.locator("#operations-tag-agents")).to_be_visible()
    await expect(page.locator(".info .title")).to_contain_text("Frontdesk")
    await tab.screenshot(artifacts, "api-docs.png")

    await page.locator(".auth-wrapper button.authorize").click()
    dialog = page.locator(".modal-ux")
    await expect(dialog).to_contain_text("Bearer")
    bearer = dialog.locator("form").filter(has_text="(http, Bearer)")
    await bearer.locator("#auth-bearer-value").fill(key)
    await bearer.locator("button.authorize").click()
    await expect(bearer.locator("h6")).to_have_text("Authorized")
    await bearer.locator("button.btn-done").click()
    await expect(dialog).to_be_hidden()

    operation = page.locator(".opblock-get").filter(
        has=page.locator('.opblock-summary-path[data-path="/api/v1/agents"]')
    )
    await operation.locator(".opblock-summary").click()
    await operation.locator("button.try-out__btn").click()
    await operation.locator("button.execute").click()
    live = operation.locator(".live-responses-table")
    await expect(live.locator("tr.response .response-col_status")).to_have_text("200")
    await expect(live.locator("tr.response .response-col_description")).to_contain_text(
        '"Ridgeline"'
    )
    await tab.screenshot(artifacts, "api-docs-try-it-out.png")

    calls = [r for r in seen if urlsplit(r.url).path == "/api/v1/agents"]
    assert calls and (await calls[-1].all_headers())["authorization"] == f"Bearer {key}"
    assert left == []
    assert {urlsplit(r.url).netloc for r in seen} == {urlsplit(server.url).netloc}
    assert {urlsplit(r.url).path for r in seen} >= {
        "/docs",
        "/docs/vendor/swagger-ui-bundle.js",
        "/docs/vendor/swagger-ui.css",
        "/static/docs/init.js",
        "/openapi.json",
    }
    assert not [r.url for r in seen if r.resource_type == "font"]
    assert await page.evaluate("window.__cspViolations") == [], json.dumps(console_errors)
    assert console_errors == []
    assert tab.errors == []
