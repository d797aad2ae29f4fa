"""What the visitor panel shows: the page, the referrer, the browser and the visitor's time
zone, as the widget reports them when a chat starts; bounded, and a bad zone is ignored."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app_fixtures import Accounts, api_client
from frontdesk.conversations.browser import describe
from support import ServerThread

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.mark.parametrize(
    ("user_agent", "shown"),
    [
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36",
            "Chrome 131 on Linux",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "HeadlessChrome/131.0.6778.85 Safari/537.36",
            "Chrome 131 on Linux",
        ),
        (FIREFOX_WINDOWS, "Firefox 128 on Windows"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/130.0.0.0 Safari/537.36 Edg/130.0.2849.68",
            "Edge 130 on Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari 17 on iOS",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/18.1 Safari/605.1.15",
            "Safari 18 on macOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
            "Samsung Internet 26 on Android",
        ),
        ("curl/8.5.0", None),
        ("", None),
        (None, None),
    ],
)
def test_a_browser_is_named_as_a_person_would(user_agent: str | None, shown: str | None) -> None:
    assert describe(user_agent) == shown


def _start(server: ServerThread, agent: dict[str, Any], body: Any, **headers: str):
    return httpx.post(
        f"{server.url}/api/v1/widget/{agent['public_key']}/conversations",
        json=body,
        headers=headers,
        timeout=30,
    )


def _visitor(client: httpx.Client, conversation_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/conversations/{conversation_id}")
    assert response.status_code == 200, response.text
    info: dict[str, Any] = response.json()["conversation"]["visitor"]
    return info


def test_the_panel_gets_referrer_browser_and_time_zone(
    server: ServerThread, client: httpx.Client, agent: dict[str, Any]
) -> None:
    body = {
        "page_url": "https://ridgeline.test/inventory/glacier-850",
        "referrer": "https://news.example/best-snowmobiles?utm=x",
        "timezone": "Europe/Berlin",
    }
    started = _start(server, agent, body, **{"User-Agent": FIREFOX_WINDOWS})
    assert started.status_code == 201, started.text
    visitor = _visitor(client, started.json()["id"])
    assert visitor["page_url"] == body["page_url"]
    assert visitor["referrer"] == body["referrer"]
    assert visitor["timezone"] == "Europe/Berlin"
    assert visitor["browser"] == "Firefox 128 on Windows"
    # The list says the same as the conversation.
    listed = client.get("/api/v1/conversations").json()["conversations"]
    [item] = [c for c in listed if c["id"] == started.json()["id"]]
    assert item["visitor"]["browser"] == "Firefox 128 on Windows"
    # The visitor's own view of the chat does not echo what was recorded about them.
    token = {"X-Visitor-Token": started.json()["visitor_token"]}
    mine = httpx.get(
        f"{server.url}/api/v1/widget/conversations/{started.json()['id']}/messages",
        headers=token,
    ).json()
    assert "referrer" not in str(mine) and "Firefox" not in str(mine)


def test_an_old_widget_and_an_empty_body_still_start_a_chat(
    server: ServerThread, client: httpx.Client, agent: dict[str, Any]
) -> None:
    for body in (None, {}, {"page_url": "https://ridgeline.test/"}):
        started = _start(server, agent, body, **{"User-Agent": "curl/8.5.0"})
        assert started.status_code == 201, started.text
        visitor = _visitor(client, started.json()["id"])
        assert (visitor["referrer"], visitor["timezone"], visitor["browser"]) == (None, None, None)


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "America", "../../etc/passwd", "", "utc "])
def test_a_zone_nobody_knows_is_ignored_not_refused(
    server: ServerThread, client: httpx.Client, agent: dict[str, Any], zone: str
) -> None:
    started = _start(server, agent, {"timezone": zone})
    assert started.status_code == 201, started.text
    assert _visitor(client, started.json()["id"])["timezone"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "A/" + "b" * 63}, "timezone"),
        ({"timezone": 60}, "timezone"),
        ({"referrer": "https://x.example/" + "r" * 2000}, "referrer"),
        ({"referrer": ["https://x.example/"]}, "referrer"),
        ({"page_url": "https://x.example/" + "p" * 2000}, "page_url"),
    ],
)
def test_what_the_widget_sends_is_bounded(
    server: ServerThread, agent: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    refused = _start(server, agent, body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == field


def test_a_long_user_agent_is_kept_to_512_characters(
    server: ServerThread, client: httpx.Client, agent: dict[str, Any]
) -> None:
    started = _start(server, agent, {}, **{"User-Agent": FIREFOX_WINDOWS + " x" * 600})
    assert started.status_code == 201, started.text
    assert _visitor(client, started.json()["id"])["browser"] == "Firefox 128 on Windows"


def test_another_workspace_sees_nothing_of_the_visitor(
    server: ServerThread, client: httpx.Client, agent: dict[str, Any], accounts: Accounts
) -> None:
    started = _start(server, agent, {"referrer": "https://news.example/", "timezone": "UTC"})
    conversation_id = started.json()["id"]
    with api_client(server, accounts, accounts.workspace("Elsewhere")) as other:
        assert other.get(f"/api/v1/conversations/{conversation_id}").status_code == 404
        listed = other.get("/api/v1/conversations").json()["conversations"]
        assert conversation_id not in [c["id"] for c in listed]


def test_business_hours_in_a_zone_folder_are_refused_with_the_field(
    client: httpx.Client, agent: dict[str, Any]
) -> None:
    """ "America" is a folder of the tz database, not a zone: a 422, never a 500."""
    refused = client.patch(
        f"/api/v1/agents/{agent['id']}", json={"business_hours": {"timezone": "America"}}
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == "business_hours.timezone"
