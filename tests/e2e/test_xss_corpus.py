"""A corpus of script-injection payloads through every field a visitor or member can write,
rendered in the widget on a customer's page and on every inbox page, in Chromium.

The payloads (tests/e2e/xss_payloads.txt) carry ``data-xss`` on every element they would
create and call ``__xss(n)`` from every script they would run. On each page the test fails
on a dialog, a call of ``__xss``, a Content-Security-Policy violation (a blocked inline
handler is still an injection), an element with ``data-xss``, an ``on…`` attribute or a
``javascript:`` link anywhere in the document or the widget's shadow root; and it checks
that the payloads are on the page as text, so a page that showed nothing would not pass.

It runs on SQLite and again on PostgreSQL with Redis (tests/databases.py), as a scaled-out
server stores, reads back and publishes what it renders.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_support import Inbox, OpenTab, Tab, Widget
from playwright.async_api import expect

from app_fixtures import Accounts
from chat_fixtures import Visitor
from databases import DatabaseUnderTest
from httpserver import LocalSite
from support import ServerThread, wait_for_source

PAYLOADS = [
    line
    for line in (Path(__file__).parent / "xss_payloads.txt").read_text().splitlines()
    if line and not line.startswith("#")
]
OWNER_EMAIL = "owner@ridgeline.test"

WATCH = """(() => {
  window.__xssHits = [];
  window.__xss = (n) => window.__xssHits.push(n);
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation',
    (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.sourceFile}:${e.lineNumber}`));
})();"""

# Everything injected, across the document and every open shadow root (the widget's).
INJECTED = """() => {
  const found = [];
  const visit = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.hasAttribute('data-xss')) found.push(`data-xss on <${el.localName}>`);
      for (const attr of el.attributes) {
        if (/^on/i.test(attr.name)) found.push(`${attr.name} on <${el.localName}>`);
        const url = /^(href|src|action|formaction|data|xlink:href)$/i.test(attr.name);
        // data: URLs are ours only as the inbox's empty favicon; in a frame or link, injected.
        const framed = /^(a|iframe|object|embed|form|button)$/.test(el.localName);
        if (url && (/^\\s*javascript:/i.test(attr.value)
                    || (framed && /^\\s*data:/i.test(attr.value)))) {
          found.push(`${attr.name}=${attr.value} on <${el.localName}>`);
        }
      }
      if (el.shadowRoot) visit(el.shadowRoot);
    }
  };
  visit(document);
  return {found, hits: window.__xssHits, csp: window.__cspViolations};
}"""

TEXT = """() => {
  const parts = [];
  const visit = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) { parts.push(el.shadowRoot.textContent); visit(el.shadowRoot); }
      if (el.value && typeof el.value === 'string') parts.push(el.value);
    }
  };
  parts.push(document.body.innerText);
  visit(document);
  return parts.join('\\n');
}"""


@pytest.fixture(autouse=True)
def redis_beside_postgres(
    database: DatabaseUnderTest, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the server publishes its events through Redis too, as it does scaled out."""
    if database.backend == "postgres":
        monkeypatch.setenv("FRONTDESK_REDIS_URL", request.getfixturevalue("redis_server").url)


def _packed(limit: int, start: int = 0) -> list[str]:
    """Every payload, packed into strings of at most ``limit`` characters (starting at one
    payload so that fields of different sizes get different mixes)."""
    order = PAYLOADS[start:] + PAYLOADS[:start]
    packed: list[str] = []
    for payload in order:
        if packed and len(packed[-1]) + 1 + len(payload) <= limit:
            packed[-1] += " " + payload
        else:
            packed.append(payload[:limit])
    return packed


async def _assert_clean(tab: Tab, page: str, *, shows_payloads: bool = True) -> None:
    report: dict[str, Any] = await tab.page.evaluate(INJECTED)
    assert report["found"] == [], f"{page}: injected {report['found']}"
    assert report["hits"] == [], f"{page}: script ran {report['hits']}"
    assert report["csp"] == [], f"{page}: blocked injected script {report['csp']}"
    assert tab.dialogs == [] and tab.errors == [], f"{page}: {tab.dialogs} {tab.errors}"
    if shows_payloads:
        text: str = await tab.page.evaluate(TEXT)
        assert "__xss(" in text, f"{page} shows none of the payloads; the check proves nothing"


def _build(
    server: ServerThread,
    client: httpx.Client,
    accounts: Accounts,
    local_site: LocalSite,
) -> dict[str, Any]:
    """Every field a visitor or member writes, filled with the corpus, through the API."""
    greeting = _packed(2000)[0]
    agent = client.post(
        "/api/v1/agents", json={"name": _packed(120, 5)[0], "greeting": greeting}
    ).json()
    form = {
        "name": "lead",
        "kind": "form",
        "title": "Leave your details",
        "fields": [
            {"name": "name", "type": "text", "required": True},
            {"name": "note", "type": "text", "label": "Anything else"},
        ],
    }
    rules = {"topics": [{"name": "financing", "examples": ["monthly payment"], "collect": "lead"}]}
    patched = client.patch(
        f"/api/v1/agents/{agent['id']}", json={"actions": [form], "rules": rules}
    )
    assert patched.status_code == 200, patched.text

    # Document titles, sections and snippets: a Markdown file and a page from a web site.
    sections = "".join(
        f"## {payload}\n\nThe service department is open Tuesday to Friday. {payload}\n\n"
        for payload in PAYLOADS
    )
    upload = client.post(
        f"/api/v1/agents/{agent['id']}/sources/files",
        files={"file": ('Guide "><img data-xss src=x onerror=__xss(0)>.md', sections.encode())},
    )
    assert upload.status_code == 202, upload.text
    title = _packed(300, 10)[0].replace("&", "&amp;").replace("<", "&lt;")
    page_url = local_site.add(
        "/hours/%22%3E%3Csvg%20data-xss%20onload=__xss(99)%3E",
        f"<html><head><title>{title}</title></head><body><h1>{title}</h1>"
        "<p>Winter storage is available from November to March for every snowmobile.</p>"
        "</body></html>",
    )
    accounts.allow_hosts(local_site.host)
    url_source = client.post(f"/api/v1/agents/{agent['id']}/sources/urls", json={"url": page_url})
    assert url_source.status_code in (201, 202), url_source.text
    for source in [*upload.json(), url_source.json()]:
        assert wait_for_source(client, source["id"])["status"] == "ready"

    # The visitor: messages, the lead form's values, a question that cites both documents.
    visitor = Visitor(server, agent["public_key"])
    assert visitor.send("When is the service department open?").status_code == 201
    assert visitor.send("Is winter storage available?").status_code == 201
    visitor.wait_for("ai", 2)
    assert visitor.send("What would my monthly payment be?").status_code == 201
    visitor.wait_for("ai", 3)
    sent = visitor.http.post(
        f"/api/v1/widget/conversations/{visitor.id}/forms/lead",
        json={"values": {"name": _packed(200, 30)[0], "note": _packed(500, 40)[0]}},
    )
    assert sent.status_code in (200, 201), sent.text
    for text in _packed(1000, 20):
        assert visitor.send(text).status_code == 201

    # The team: names, replies, notes, tags, a team, saved replies.
    accounts.member(OWNER_EMAIL, role="owner", name=_packed(120, 50)[0])
    for text, private in ((_packed(2000, 15)[0], False), (_packed(2000, 25)[0], True)):
        said = client.post(
            f"/api/v1/conversations/{visitor.id}/messages", json={"text": text, "private": private}
        )
        assert said.status_code == 201, said.text
    # Tag names are slugs: no payload is accepted as one.
    for payload in PAYLOADS:
        tagged = client.post(f"/api/v1/conversations/{visitor.id}/tags", json={"tag": payload})
        assert tagged.status_code == 422, tagged.text
    team = client.post("/api/v1/teams", json={"name": _packed(80, 45)[0]})
    assert team.status_code == 201, team.text
    moved = client.post(
        f"/api/v1/conversations/{visitor.id}/team", json={"team_id": team.json()["id"]}
    )
    assert moved.status_code == 200, moved.text
    # Saved replies read {variables}; the two template payloads lose their braces there.
    unbraced = [t.replace("{", "(").replace("}", ")") for t in _packed(1000, 55)[:3]]
    for n, text in enumerate(unbraced):
        saved = client.post(
            "/api/v1/saved-replies",
            json={"shortcut": f"xss{n}", "title": text[:80], "text": text},
        )
        assert saved.status_code == 201, saved.text
    return {"agent": agent, "visitor": visitor}


async def test_no_payload_runs_or_adds_an_element_anywhere(
    open_tab: OpenTab,
    server: ServerThread,
    client: httpx.Client,
    accounts: Accounts,
    local_site: LocalSite,
    artifacts: Path,
) -> None:
    assert len(PAYLOADS) >= 50
    # Accounts runs its own event loop: build in a thread, beside the test's loop.
    built = await asyncio.to_thread(_build, server, client, accounts, local_site)
    agent, visitor = built["agent"], built["visitor"]

    # The widget on a customer's page, opening the visitor's conversation.
    host = local_site.add(
        f"/shop-{uuid.uuid4().hex[:6]}",
        f'<!doctype html><html><body><h1>Shop</h1><script src="{server.url}/widget.js" '
        f'data-agent="{agent["public_key"]}" async></script></body></html>',
    )
    remember = (
        f"localStorage.setItem('frontdesk:{agent['public_key']}', JSON.stringify("
        f"{{id: '{visitor.id}', visitor_token: '{visitor.token}', last_seq: 0}}));"
    )
    widget = await Widget.on(open_tab, host, agent["public_key"], init_script=WATCH + remember)
    await widget.open()
    await expect(widget.member.first).to_be_visible()
    await expect(widget.page.locator(".fd-cites").first).to_be_visible()
    await _assert_clean(widget.tab, "the widget")
    await widget.tab.screenshot(artifacts, "xss-widget.png")

    inbox = await Inbox.sign_in(open_tab, server, OWNER_EMAIL, width=1400, height=900)
    await inbox.page.add_init_script(WATCH)
    await inbox.page.reload()
    await expect(inbox.page.locator("body")).to_have_attribute("data-live", "open")
    await inbox.open(visitor.id)
    await expect(inbox.messages.first).to_be_visible()
    await _assert_clean(inbox.tab, "the conversation")
    await inbox.tab.screenshot(artifacts, "xss-inbox.png")

    search = inbox.page.get_by_test_id("inbox-search")
    if await search.count():
        await search.fill("__xss")
        await inbox.page.keyboard.press("Enter")
        await _assert_clean(inbox.tab, "search results")

    pages = {
        f"agents/{agent['id']}/settings": True,
        f"agents/{agent['id']}/content": True,
        f"agents/{agent['id']}/install": False,
        "agents": True,
        "team": True,
        "tags": False,
        "replies": True,
        "insights": True,
        "account": True,
        "usage": False,
        "apikeys": False,
        "webhooks": False,
        "secrets": False,
    }
    for page, shows_payloads in pages.items():
        await inbox.page.goto(f"{server.url}/inbox#/{page}")
        await inbox.page.wait_for_load_state("networkidle")
        if shows_payloads:
            await wait_until_shown(inbox.tab, page)
        await _assert_clean(inbox.tab, f"#/{page}", shows_payloads=shows_payloads)

    await inbox.page.goto(f"{server.url}/inbox#/agents/{agent['id']}/try")
    await inbox.page.get_by_test_id("try-question").fill("When is the service department open?")
    await inbox.page.get_by_test_id("try-ask").click()
    await expect(inbox.page.get_by_test_id("try-passage").first).to_be_visible()
    await _assert_clean(inbox.tab, "the playground")
    await inbox.tab.screenshot(artifacts, "xss-playground.png")


async def wait_until_shown(tab: Tab, page: str) -> None:
    """Pages load their data after the route changes: wait until the payloads are there."""
    await tab.page.wait_for_function(f"() => ({TEXT})().includes('__xss(')", timeout=20_000)
