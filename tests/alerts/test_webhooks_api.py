"""The webhooks API: the secret shown once and stored sealed, validation, roles, isolation."""

from __future__ import annotations

import base64
import logging
from typing import Any

import httpx
import pytest
from alert_support import create_webhook, run_db
from sqlalchemy import text

from app_fixtures import Accounts
from frontdesk.settings import Settings
from support import ServerThread

URL = "https://hooks.example.com/frontdesk"


def test_the_secret_is_shown_once_and_stored_sealed(
    client: httpx.Client, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    created = create_webhook(client, URL, ["conversation.waiting"], description="CRM")
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert created["url"] == URL and created["active"] is True
    assert created["events"] == ["conversation.waiting"] and created["description"] == "CRM"

    listed = client.get("/api/v1/webhooks").json()["webhooks"]
    one = client.get(f"/api/v1/webhooks/{created['id']}").json()
    patched = client.patch(f"/api/v1/webhooks/{created['id']}", json={"active": False}).json()
    for view in (*listed, one, patched):
        assert "secret" not in view and secret not in str(view)
    assert [w["id"] for w in listed] == [created["id"]]

    stored = run_db(settings, lambda s: s.scalar(text("SELECT secret_ciphertext FROM webhooks")))
    assert stored.startswith("v1:") and secret[6:] not in stored
    assert secret not in caplog.text and secret[6:] not in caplog.text


def test_create_and_change_validate_their_input(client: httpx.Client) -> None:
    def error(response: httpx.Response) -> dict[str, Any]:
        assert response.status_code == 422, response.text
        found: dict[str, Any] = response.json()["error"]
        return found

    def create(url: str) -> httpx.Response:
        return client.post("/api/v1/webhooks", json={"url": url, "events": ["message.created"]})

    bad_scheme = error(create("ftp://x.test/"))
    assert bad_scheme["field"] == "url" and "http and https" in bad_scheme["message"]
    no_host = error(create("https://"))
    assert no_host["field"] == "url"
    unknown = error(client.post("/api/v1/webhooks", json={"url": URL, "events": ["typing"]}))
    assert unknown["field"] == "events.0" and "conversation.waiting" in unknown["message"]
    assert error(client.post("/api/v1/webhooks", json={"url": URL, "events": []}))["field"] == (
        "events"
    )

    hook = create_webhook(client, URL, ["message.created", "message.created"])
    assert hook["events"] == ["message.created"]
    path = f"/api/v1/webhooks/{hook['id']}"
    assert error(client.patch(path, json={"url": "javascript:alert(1)"}))["field"] == "url"
    assert error(client.patch(path, json={"active": None}))["field"] == "active"
    changed = client.patch(
        path,
        json={"url": URL + "/v2", "events": ["conversation.closed"], "description": "Ops"},
    ).json()
    assert (changed["url"], changed["events"], changed["description"]) == (
        URL + "/v2",
        ["conversation.closed"],
        "Ops",
    )
    assert client.patch(path, json={"description": None}).json()["description"] is None
    assert client.delete(path).status_code == 204
    assert client.get(path).status_code == 404
    assert client.get("/api/v1/webhooks").json()["webhooks"] == []


def test_only_admins_manage_webhooks(client: httpx.Client, member: httpx.Client) -> None:
    hook = create_webhook(client, URL, ["conversation.waiting"])
    for response in (
        member.get("/api/v1/webhooks"),
        member.post("/api/v1/webhooks", json={"url": URL, "events": ["message.created"]}),
        member.delete(f"/api/v1/webhooks/{hook['id']}"),
        member.get(f"/api/v1/webhooks/{hook['id']}/deliveries"),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "forbidden"


def test_another_workspaces_webhooks_are_not_found(
    client: httpx.Client, accounts: Accounts, server: ServerThread
) -> None:
    hook = create_webhook(client, URL, ["conversation.waiting"])
    delivery = client.post(f"/api/v1/webhooks/{hook['id']}/test")
    assert delivery.status_code == 202, delivery.text
    other_key = accounts.api_key(accounts.workspace("Other dealer"))
    headers = {"Authorization": f"Bearer {other_key}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as other:
        assert other.get("/api/v1/webhooks").json()["webhooks"] == []
        base = f"/api/v1/webhooks/{hook['id']}"
        for response in (
            other.get(base),
            other.patch(base, json={"active": False}),
            other.delete(base),
            other.get(f"{base}/deliveries"),
            other.post(f"{base}/test"),
            other.post(f"{base}/deliveries/{delivery.json()['id']}/resend"),
        ):
            assert response.status_code == 404, response.text
            assert response.json()["error"]["code"] == "not_found"
    assert client.get(base).json()["active"] is True


def test_members_choose_their_own_email_alerts(member: httpx.Client, client: httpx.Client) -> None:
    assert member.get("/api/v1/alerts/preferences").json() == {
        "email_alerts": True,
        "email_configured": True,
    }
    off = member.patch("/api/v1/alerts/preferences", json={"email_alerts": False})
    assert off.status_code == 200 and off.json()["email_alerts"] is False
    assert member.get("/api/v1/alerts/preferences").json()["email_alerts"] is False
    refused = client.get("/api/v1/alerts/preferences")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    invalid = member.patch("/api/v1/alerts/preferences", json={"email_alerts": "sometimes"})
    assert invalid.status_code == 422
